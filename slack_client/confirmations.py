"""Actions waiting for a human's yes: created by the agent, executed only by the requester's click.

The gateway's confirmation token lives here and nowhere else: the model never sees it, and only
`Confirmations.confirm()` (a click by the user who asked, who still holds a role allowed to use the
tool) sends it back to the gateway. Each pending action runs at most once; a late click finds it
expired, a second click finds it gone, and a click by someone else changes nothing.

The store is in memory: one bot replica (Socket Mode) sees every click for the messages it posted.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

import structlog

from slack_client.errors import GatewayError
from slack_client.models import Actor, ToolOutcome
from slack_client.policy import Policy
from slack_client.ports import ToolGateway

log = structlog.get_logger(__name__)

DEFAULT_TTL_SECONDS = 600.0
_MAX_PENDING = 1000

Verdict = Literal["done", "failed", "cancelled", "expired", "unknown", "not_yours", "not_allowed", "unreachable"]


@dataclass(frozen=True, slots=True)
class PendingConfirmation:
    """An action prepared by the agent, waiting for the requester's click."""

    id: str
    actor: Actor
    tool: str
    arguments: Mapping[str, Any]
    preview: Mapping[str, Any]
    token: str | None = field(repr=False)
    expires_at: float


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
    """Pending actions by id, and the one way to execute them."""

    def __init__(
        self,
        gateway: ToolGateway,
        policy: Policy,
        role_of: Callable[[str], str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._gateway = gateway
        self._policy = policy
        self._role_of = role_of
        self._clock = clock
        self._pending: dict[str, PendingConfirmation] = {}

    def add(self, pending: PendingConfirmation) -> None:
        self._forget_expired()
        if len(self._pending) >= _MAX_PENDING:
            self._pending.pop(next(iter(self._pending)))
        self._pending[pending.id] = pending

    def get(self, pending_id: str) -> PendingConfirmation | None:
        return self._pending.get(pending_id)

    async def confirm(self, pending_id: str, clicker: str, request_id: str) -> ConfirmResult:
        """Execute the pending action if `clicker` is its requester and still may; at most once."""
        pending, refusal = self._claim(pending_id, clicker)
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
            self._pending.setdefault(pending.id, pending)
            return ConfirmResult("unreachable", f"I couldn't reach the gateway ({error}); try again.", pending)
        return _judge(pending, outcome)

    def cancel(self, pending_id: str, clicker: str) -> ConfirmResult:
        """Drop the pending action if `clicker` is its requester."""
        pending, refusal = self._claim(pending_id, clicker)
        if pending is None:
            assert refusal is not None
            return refusal
        return ConfirmResult("cancelled", f"Cancelled by <@{clicker}>; nothing was done.", pending)

    def _claim(self, pending_id: str, clicker: str) -> tuple[PendingConfirmation | None, ConfirmResult | None]:
        pending = self._pending.get(pending_id)
        if pending is None:
            return None, ConfirmResult("unknown", "This request was already handled or has expired.")
        if clicker != pending.actor.user_id:
            return None, ConfirmResult(
                "not_yours", f"Only <@{pending.actor.user_id}>, who asked for this, can confirm it.", pending
            )
        del self._pending[pending_id]  # claimed before any await: a double click runs it once
        if self._clock() > pending.expires_at:
            return None, ConfirmResult("expired", "This confirmation has expired; ask again for a new one.", pending)
        return pending, None

    def _forget_expired(self) -> None:
        now = self._clock()
        for key in [k for k, p in self._pending.items() if now > p.expires_at]:
            del self._pending[key]


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
