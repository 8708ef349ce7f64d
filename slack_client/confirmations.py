"""Actions waiting for a human's yes: created by the agent, executed only by the requester's click.

The gateway's confirmation token lives here and in the signed button value: the model never sees it, and only
`Confirmations.confirm()` (a click by the user who asked, who still holds a role allowed to use the
tool) sends it back to the gateway. Each pending action runs at most once; a late click finds it
expired, a second click finds it gone, and a click by someone else changes nothing.

Any bot replica can execute a click. `Confirmations.add()` seals the action into the buttons' `value`
(`ButtonSeal`): id, requester, role, channel, tool, arguments, the gateway's token, expiry and preview as
compact JSON in base64url, with an HMAC-SHA256 under `BOT_STATE_SECRET`. Whichever replica gets the click
checks the signature (one changed character and nothing runs), the clicker, their role and the expiry.
Signed, not encrypted: the token works only with the bot's own gateway credentials and exactly these
arguments, and is never logged. A second click never pays twice: a replica remembers what it claimed,
and the gateway executes a token at most once (a repeat gets the same outcome, "nothing new was sent").

This replica's memory of what it posted is an optimisation, and the fallback (the button carries just
the id; only this replica can act on it) when an envelope would not fit Slack's 2000-character value or
the action has no gateway token to make a repeat harmless.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

import structlog

from slack_client.button_seal import ButtonSeal
from slack_client.errors import GatewayBusy, GatewayError
from slack_client.models import Actor, PendingConfirmation, ToolOutcome
from slack_client.policy import Policy
from slack_client.ports import ToolGateway

log = structlog.get_logger(__name__)

DEFAULT_TTL_SECONDS = 600.0
_MAX_PENDING = 1000

Verdict = Literal[
    "done", "failed", "cancelled", "expired", "unknown", "invalid", "not_yours", "not_allowed", "unreachable"
]


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    """What a click did, with a sentence for Slack."""

    verdict: Verdict
    message: str
    pending: PendingConfirmation | None = None
    outcome: ToolOutcome | None = None


def new_pending(
    actor: Actor, tool: str, arguments: Mapping[str, Any], structured: Mapping[str, Any]
) -> PendingConfirmation:
    """A pending action from the gateway's `needs_confirmation` answer (or, without a token, the arguments)."""
    token = structured.get("confirmation_token")
    preview = structured.get("preview")
    return PendingConfirmation(
        id=uuid.uuid4().hex,
        actor=actor,
        tool=tool,
        arguments=dict(arguments),
        preview=dict(preview) if isinstance(preview, Mapping) else dict(arguments),
        token=str(token) if token else None,
        expires_at=_expiry(structured.get("expires_at")),
    )


def _expiry(value: Any) -> float:
    if isinstance(value, str):
        try:
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
        except ValueError:
            pass
    if isinstance(value, int | float):
        return float(value)
    return time.time() + DEFAULT_TTL_SECONDS


class Confirmations:
    """Pending actions, from this replica's memory or a sealed button value, and the one way to execute them."""

    def __init__(
        self,
        gateway: ToolGateway,
        policy: Policy,
        role_of: Callable[[str], str],
        clock: Callable[[], float] = time.time,
        seal: ButtonSeal | None = None,
    ) -> None:
        self._gateway = gateway
        self._policy = policy
        self._role_of = role_of
        self._clock = clock
        self._seal = seal
        self._pending: dict[str, PendingConfirmation] = {}  # posted by this replica, not yet claimed
        self._claimed: dict[str, float] = {}  # id -> expiry: clicked here, so a second click finds it handled

    def add(self, pending: PendingConfirmation) -> str:
        """Remember the action; returns what its buttons carry: the sealed envelope, or else its id."""
        self._forget_expired()
        if len(self._pending) >= _MAX_PENDING:
            self._pending.pop(next(iter(self._pending)))
        self._pending[pending.id] = pending
        return self._sealed(pending) or pending.id

    def _sealed(self, pending: PendingConfirmation) -> str | None:
        # Only the gateway's token makes a repeat harmless on another replica; without one, stay in memory.
        if self._seal is None or pending.token is None:
            return None
        sealed = self._seal.seal(pending)
        if sealed is None:
            log.warning("confirmation_not_sealed", tool=pending.tool, reason="too large for a Slack button")
        return sealed

    def get(self, pending_id: str) -> PendingConfirmation | None:
        return self._pending.get(pending_id)

    async def confirm(self, value: str, clicker: str, request_id: str) -> ConfirmResult:
        """Execute the action in `value` (an id or a sealed envelope) if `clicker` asked for it and still may."""
        pending, refusal = self._claim(value, clicker)
        if pending is None:
            assert refusal is not None
            return refusal
        role = self._role_of(clicker)
        if not self._policy.allows_tool(role, pending.tool):
            return ConfirmResult("not_allowed", f"Your role ({role}) may not run {pending.tool}.", pending)
        arguments = dict(pending.arguments)
        if pending.token is not None:
            arguments["confirmation_token"] = pending.token
        actor = Actor(request_id, clicker, role, pending.actor.channel_id, pending.actor.team_id)
        try:
            outcome = await self._gateway.call_tool(pending.tool, arguments, actor)
        except GatewayError as error:
            # The gateway executes a confirmed call at most once, so clicking again is safe: put it back.
            self._claimed.pop(pending.id, None)
            self._pending.setdefault(pending.id, pending)
            return ConfirmResult("unreachable", _try_again(error), pending)
        return _judge(pending, outcome)

    def cancel(self, value: str, clicker: str) -> ConfirmResult:
        """Drop the action in `value` if `clicker` is its requester."""
        pending, refusal = self._claim(value, clicker)
        if pending is None:
            assert refusal is not None
            return refusal
        return ConfirmResult("cancelled", f"Cancelled by <@{clicker}>; nothing was done.", pending)

    def _find(self, value: str) -> tuple[PendingConfirmation | None, ConfirmResult | None]:
        if self._seal is not None and ButtonSeal.is_sealed(value):
            pending = self._seal.open(value)
            if pending is None:
                log.warning("confirmation_seal_invalid")
                return None, ConfirmResult("invalid", "This button is not valid; nothing was done.")
            if pending.id not in self._claimed:
                return self._pending.get(pending.id, pending), None
        elif value in self._pending:
            return self._pending[value], None
        return None, ConfirmResult("unknown", "This request was already handled or has expired.")

    def _claim(self, value: str, clicker: str) -> tuple[PendingConfirmation | None, ConfirmResult | None]:
        self._forget_claimed()
        pending, refusal = self._find(value)
        if pending is None:
            return None, refusal
        if clicker != pending.actor.user_id:
            return None, ConfirmResult(
                "not_yours", f"Only <@{pending.actor.user_id}>, who asked for this, can confirm it.", pending
            )
        # Claimed before any await: a double click on this replica runs it once (the gateway covers others).
        self._pending.pop(pending.id, None)
        self._claimed[pending.id] = pending.expires_at
        if self._clock() > pending.expires_at:
            return None, ConfirmResult("expired", "This confirmation has expired; ask again for a new one.", pending)
        return pending, None

    def _forget_expired(self) -> None:
        now = self._clock()
        for key in [k for k, p in self._pending.items() if now > p.expires_at]:
            del self._pending[key]
        self._forget_claimed()

    def _forget_claimed(self) -> None:
        now = self._clock()
        for key in [k for k, expires_at in self._claimed.items() if now > expires_at]:
            del self._claimed[key]
        while len(self._claimed) > _MAX_PENDING:
            self._claimed.pop(next(iter(self._claimed)))


def _judge(pending: PendingConfirmation, outcome: ToolOutcome) -> ConfirmResult:
    structured = outcome.structured or {}
    status = structured.get("status")
    if outcome.is_error or status == "failed":
        reason = structured.get("error") or outcome.text or "unknown error"
        return ConfirmResult("failed", f"It did not go through: {reason}", pending, outcome)
    if status == "needs_confirmation":
        return ConfirmResult("failed", "The gateway asked for confirmation again; nothing was done.", pending, outcome)
    details = ", ".join(f"{k}: {v}" for k, v in structured.items() if k in ("payment_id", "stripe_transfer_id"))
    message = f"Done ({status or 'ok'})" + (f" — {details}" if details else "") + "."
    log.info("confirmed_action_done", tool=pending.tool, status=status, requester=pending.actor.user_id)
    return ConfirmResult("done", message, pending, outcome)


def _try_again(error: GatewayError) -> str:
    if isinstance(error, GatewayBusy):
        return f"The Art Battle data service is busy; click Confirm again in {error.wait_seconds} seconds."
    return f"I couldn't reach the gateway ({error}); try again."
