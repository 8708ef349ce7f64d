"""Confirmation tokens: a human's yes, bound to exact arguments, destination and caller; short-lived, stateless.

A token is `<payload>.<mac>` (base64url), the MAC an HMAC-SHA256 under PAYMENT_CONFIRMATION_SECRET, so any
replica can verify it and none has to remember it. The payload binds the payment (eid, artist, amount,
currency), the caller, where the money would go (the artist's Stripe account and the paying region, as the
preview showed them) and how the human confirms it (`via`): a token minted for a host's confirm dialog is only
ever accepted back as that dialog's sealed request state together with an explicit yes, and a token minted for a
client that confirms out of band (the Slack bot's buttons) only as `confirmation_token`. The idempotency key of
the payout derives from the MAC: confirming the same token twice can only ever mean the same payout.
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
from typing import Literal

from mcp_server.errors import ToolInputError

# elicitation: the host's own confirm dialog (MCP 2026-07-28 input-required); out_of_band: the client asks a
# human itself before sending the token back (the Slack bot's Confirm button).
Channel = Literal["elicitation", "out_of_band"]


class ConfirmationRefused(ToolInputError):
    """The token is malformed, forged, expired, for other arguments or another caller, or sent the wrong way."""


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


@dataclass(frozen=True)
class Destination:
    """Where the money goes: the artist's Stripe connected account, paid from the event's regional account."""

    account: str
    region: str

    def canonical(self) -> dict[str, str]:
        return {"account": self.account, "region": self.region.strip().lower()}


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_at: int


@dataclass(frozen=True)
class Confirmed:
    """A verified confirmation: the payout's idempotency key and the destination the human saw."""

    idempotency_key: str
    destination: Destination


# Why a token that arrived the other way is refused, by the way it was issued.
_WRONG_WAY: dict[str, str] = {
    "elicitation": (
        "This confirmation belongs to the client's confirm dialog and is only accepted with the person's yes "
        "from that dialog; nothing was paid."
    ),
    "out_of_band": (
        "This confirmation token can only be sent back as confirmation_token by the client it was issued to; "
        "nothing was paid."
    ),
}


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class ConfirmationTokens:
    def __init__(self, secret: str, ttl_seconds: int) -> None:
        self._key = hashlib.sha256(b"abcodex-payment-confirmation\0" + secret.encode("utf-8")).digest()
        self._ttl = ttl_seconds

    def issue(
        self, request: PaymentRequest, destination: Destination, via: Channel, now: float | None = None
    ) -> IssuedToken:
        expires_at = int((now or time.time()) + self._ttl)
        payload = {
            **request.canonical(),
            **destination.canonical(),
            "via": via,
            "exp": expires_at,
            "nonce": secrets.token_hex(8),
        }
        body = _b64(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode())
        return IssuedToken(f"{body}.{self._mac(body)}", expires_at)

    def verify(self, token: str, request: PaymentRequest, via: Channel, now: float | None = None) -> Confirmed:
        """Check the token for exactly this request, arriving the way it was issued for."""
        body, _, mac = token.strip().partition(".")
        if not body or not mac or not hmac.compare_digest(mac, self._mac(body)):
            raise ConfirmationRefused("The confirmation token is not valid; ask for a new preview and confirm that.")
        try:
            payload = json.loads(_unb64(body))
        except ValueError as exc:
            raise ConfirmationRefused("The confirmation token is not valid; ask for a new preview.") from exc
        issued_via = payload.get("via")
        if issued_via != via:
            raise ConfirmationRefused(
                _WRONG_WAY.get(issued_via, "The confirmation token is not valid; ask for a new preview.")
            )
        if int(payload.get("exp", 0)) < (now or time.time()):
            raise ConfirmationRefused("The confirmation token has expired; ask for a new preview and confirm again.")
        if any(payload.get(field) != value for field, value in request.canonical().items()):
            raise ConfirmationRefused(
                "The confirmation token was issued for a different payment (artist, event, amount, currency or "
                "caller); nothing was paid. Ask for a preview of this payment and confirm that one."
            )
        destination = Destination(str(payload.get("account", "")), str(payload.get("region", "")))
        return Confirmed("abcodex-pay-" + hashlib.sha256(mac.encode()).hexdigest()[:40], destination)

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._key, body.encode("ascii"), hashlib.sha256).digest())
