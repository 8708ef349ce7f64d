"""Sealing a pending confirmation into a Slack button value that any bot replica can verify and open.

`c1.<body>.<mac>`: the body is the action (id, requester, role, channel, team, tool, arguments, the
gateway's confirmation token, expiry and, when it fits, the preview) as compact JSON in base64url; the mac
an HMAC-SHA256 of `c1.<body>` under the bot's state key. Signed, not encrypted (see `confirmations`).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any

from slack_client.models import Actor, PendingConfirmation

MAX_BUTTON_VALUE = 2000  # Slack's limit on a button's `value`
_SEALED_PREFIX = "c1."


class ButtonSeal:
    """Seals a pending action into a button value any replica holding the key can verify, and opens it."""

    def __init__(self, key: bytes) -> None:
        self._key = key

    def seal(self, pending: PendingConfirmation) -> str | None:
        """The envelope, or None when it cannot be made small enough for a Slack button."""
        for preview in (pending.preview, None):
            try:
                body = _b64(json.dumps(_envelope(pending, preview), separators=(",", ":")).encode())
            except (TypeError, ValueError):
                return None
            value = f"{_SEALED_PREFIX}{body}.{self._mac(body)}"
            if len(value) <= MAX_BUTTON_VALUE:
                return value
        return None

    @staticmethod
    def is_sealed(value: str) -> bool:
        return value.startswith(_SEALED_PREFIX)

    def open(self, value: str) -> PendingConfirmation | None:
        """The action sealed in `value`, or None when the signature does not match (tampered, other key)."""
        body, _, mac = value.removeprefix(_SEALED_PREFIX).partition(".")
        if not body or not hmac.compare_digest(mac.encode(), self._mac(body).encode()):
            return None
        try:
            return _from_envelope(json.loads(_unb64(body)))
        except (ValueError, TypeError, KeyError):
            return None

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, (_SEALED_PREFIX + body).encode("ascii"), hashlib.sha256).digest())


def _envelope(pending: PendingConfirmation, preview: Mapping[str, Any] | None) -> dict[str, Any]:
    actor = pending.actor
    envelope = {
        "id": pending.id,
        "user": actor.user_id,
        "role": actor.role,
        "channel": actor.channel_id,
        "team": actor.team_id,
        "tool": pending.tool,
        "args": dict(pending.arguments),
        "token": pending.token,
        "exp": pending.expires_at,
    }
    return envelope if preview is None else {**envelope, "preview": dict(preview)}


def _from_envelope(data: Mapping[str, Any]) -> PendingConfirmation:
    actor = Actor(str(data["id"]), str(data["user"]), str(data["role"]), data.get("channel"), data.get("team"))
    arguments = dict(data["args"])
    preview = data.get("preview")
    token = data.get("token")
    return PendingConfirmation(
        id=str(data["id"]),
        actor=actor,
        tool=str(data["tool"]),
        arguments=arguments,
        preview=dict(preview) if isinstance(preview, Mapping) else arguments,
        token=str(token) if token else None,
        expires_at=float(data["exp"]),
    )


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
