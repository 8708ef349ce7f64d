"""Confirmation tokens: a human's yes, bound to exact arguments and caller, short-lived, verifiable anywhere.

A token is `<payload>.<mac>` (base64url), the MAC an HMAC-SHA256 under PAYMENT_CONFIRMATION_SECRET, so any
replica can verify it and none has to remember it. The idempotency key of the payout derives from the MAC:
confirming the same token twice can only ever mean the same payout.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import time
from dataclasses import dataclass
from decimal import Decimal

from mcp_server.errors import ToolInputError


class ConfirmationRefused(ToolInputError):
    """The token is malformed, forged, expired, or for other arguments or another caller."""


@dataclass(frozen=True)
class PaymentRequest:
    """What a human confirms: these exact values, for this caller."""

    eid: str
    artist_profile_id: str
    amount: Decimal
    currency: str
    caller: str

    def canonical(self) -> dict[str, str]:
        return {
            "eid": self.eid.upper(),
            "artist": self.artist_profile_id.lower(),
            "amount": format(self.amount.normalize(), "f"),
            "currency": self.currency.upper(),
            "caller": self.caller,
        }


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: int


class ConfirmationTokens:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._key = hashlib.sha256(b"abcodex-payment-confirmation\0" + secret.encode("utf-8")).digest()
        self._ttl = ttl_seconds

    def issue(self, request: PaymentRequest, now: float | None = None) -> IssuedToken:
        expires_at = int((now or time.time()) + self._ttl)
        payload = {**request.canonical(), "exp": expires_at, "nonce": secrets.token_hex(8)}
        body = _b64(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode())
        return IssuedToken(f"{body}.{self._mac(body)}", expires_at)

    def verify(self, token: str, request: PaymentRequest, now: float | None = None) -> str:
        """Check the token for exactly this request; returns the idempotency key of the payout."""
        body, _, mac = token.strip().partition(".")
        if not body or not mac or not hmac.compare_digest(mac, self._mac(body)):
            raise ConfirmationRefused("The confirmation token is not valid; ask for a new preview and confirm that.")
        try:
            payload = json.loads(_unb64(body))
        except ValueError as exc:
            raise ConfirmationRefused("The confirmation token is not valid; ask for a new preview.") from exc
        if int(payload.get("exp", 0)) < (now or time.time()):
            raise ConfirmationRefused("The confirmation token has expired; ask for a new preview and confirm again.")
        expected = request.canonical()
        if any(payload.get(field) != value for field, value in expected.items()):
            raise ConfirmationRefused(
                "The confirmation token was issued for a different payment (artist, event, amount, currency or "
                "caller); nothing was paid. Ask for a preview of this payment and confirm that one."
            )
        return "abcodex-pay-" + hashlib.sha256(mac.encode()).hexdigest()[:40]

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())
