"""The rules a payment must pass, checked at the preview and again under the ledger's locks before anything is
written: the currency is the event's, the amount is positive, representable, within the per-payment limit and
the caller's daily cap for that currency, at most what is owed, and the artist can receive it. Names and other
free text from the database enter a sentence only through `inline_text`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from abcodex_common.text import inline_text
from mcp_server.domain.models import money_text
from mcp_server.errors import InvalidArgument
from mcp_server.payments.confirmation import Destination, PaymentRequest
from mcp_server.payments.errors import DestinationChanged
from mcp_server.payments.models import PaymentPreview
from mcp_server.payments.stripe_amounts import to_minor_units
from mcp_server.payments.stripe_client import REGIONS, StripeRegions
from mcp_server.repository.ledger import PayoutContext


class PaymentLimits(Protocol):
    """Per-payment limit and daily cap per caller, by currency (GatewaySettings is one)."""

    def payment_max_amount_for(self, currency: str) -> Decimal: ...

    def payment_daily_cap_for(self, currency: str) -> Decimal: ...


@dataclass(frozen=True)
class CheckedPayment:
    """A payment that passed the rules: what the human is shown and where the money would go."""

    preview: PaymentPreview
    destination: Destination


_STRIPE_ACCOUNT_ID = re.compile(r"acct_[A-Za-z0-9]{1,64}")


def account_text(account_id: str | None) -> str:
    """A Stripe account id as it may appear in a sentence: as is when it has the shape of one, else made inert."""
    if account_id and _STRIPE_ACCOUNT_ID.fullmatch(account_id):
        return account_id
    return inline_text(account_id or "none", 60)


def region_label(region: str | None) -> str:
    """How a person names the regional Stripe platform account (`Canada`, `International`)."""
    name = (region or "").strip().lower()
    return REGIONS[name][0] if name in REGIONS else inline_text(region or "no region", 40)


def checked_payment(
    request: PaymentRequest, context: PayoutContext, limits: PaymentLimits, stripe: StripeRegions
) -> CheckedPayment:
    """The preview of a payment that passes every rule; InvalidArgument (or a PaymentError) says which failed."""
    event, line = context.event, context.line
    check_amount(request, event.currency or "", limits, context.spent_today)
    if line is None:
        raise InvalidArgument(
            f"That artist has nothing earned or paid at {request.eid}; check the artist id with get_payment_summary."
        )
    artist = inline_text(line.artist_name)
    if request.amount > line.owed:
        raise InvalidArgument(
            f"{artist} is owed {money_text(line.owed)} {event.currency} for {request.eid}; "
            f"{money_text(request.amount)} is more than that."
        )
    if not line.stripe_account_id or not line.payouts_enabled:
        raise InvalidArgument(
            f"{artist} cannot be paid yet: their Stripe account is missing or cannot receive payouts."
        )
    region = event.region or ""
    stripe.for_region(region)  # a missing key is said now, at the preview
    preview = PaymentPreview(
        eid=request.eid,
        event_name=inline_text(event.name or request.eid),
        artist_profile_id=request.artist_profile_id,
        artist_name=artist,
        amount=request.amount,
        currency=request.currency,
        owed_total=line.owed,
        owed_after=line.owed - request.amount,
        destination_account=line.stripe_account_id,
        paying_stripe_account=region_label(region),
    )
    return CheckedPayment(preview, Destination(line.stripe_account_id, region))


def check_amount(request: PaymentRequest, event_currency: str, limits: PaymentLimits, spent: Decimal) -> None:
    """Currency, sign, precision, the per-payment limit and the caller's daily cap (counting unknown outcomes)."""
    currency = event_currency.upper()
    if request.currency.upper() != currency:
        raise InvalidArgument(
            f"{request.eid} pays in {currency}; the amount must be in {currency}, not {request.currency.upper()}."
        )
    if request.amount <= 0:
        raise InvalidArgument("The amount must be positive.")
    to_minor_units(request.amount, currency)  # refuses more decimals than the currency has
    max_amount = limits.payment_max_amount_for(currency)
    if request.amount > max_amount:
        raise InvalidArgument(
            f"{request.amount} {currency} is above the per-payment limit of {max_amount} {currency}; "
            "split it or ask an administrator."
        )
    cap = limits.payment_daily_cap_for(currency)
    if spent + request.amount > cap:
        raise InvalidArgument(
            f"This would take today's payments by this client to {money_text(spent + request.amount)} {currency}, "
            f"above the daily limit of {cap} {currency} (payouts still processing or whose outcome is unknown "
            "count too)."
        )


def check_destination(confirmed: Destination, context: PayoutContext | None) -> None:
    """DestinationChanged, naming what changed, unless the account and region are still those confirmed."""
    if context is None:
        return  # the rules refuse a missing event in their own words
    account = (context.line.stripe_account_id if context.line else None) or ""
    region = context.event.region or ""
    changes = []
    if account != confirmed.account:
        changes.append(
            f"the artist's Stripe account is now {account_text(account)}, "
            f"not {account_text(confirmed.account)} as confirmed"
        )
    if region.strip().lower() != confirmed.region.strip().lower():
        changes.append(
            f"the event now pays from the {region_label(region)} Stripe account, "
            f"not the {region_label(confirmed.region)} one as confirmed"
        )
    if changes:
        raise DestinationChanged(
            f"Nothing was paid: since the preview, {' and '.join(changes)}. Ask for a new preview and confirm that."
        )
