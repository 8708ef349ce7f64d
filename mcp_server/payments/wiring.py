"""Building the payment service from the settings, once, in the lifespan (and for `reconcile`)."""

from __future__ import annotations

from pydantic import SecretStr

from mcp_server.payments.confirmation import ConfirmationTokens
from mcp_server.payments.service import PaymentService
from mcp_server.payments.stripe_client import StripeRegions
from mcp_server.repository.pool import Database
from mcp_server.settings import GatewaySettings


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def build_payment_service(settings: GatewaySettings, db: Database) -> PaymentService:
    """The Stripe clients of the regions whose key is set, the confirmation tokens and the per-currency limits."""
    regions = StripeRegions.from_keys(
        canada_secret_key=_secret(settings.stripe_canada_secret_key),
        intl_secret_key=_secret(settings.stripe_intl_secret_key),
        api_base=settings.stripe_api_base,
        timeout_seconds=settings.stripe_timeout_seconds,
        max_retries=settings.stripe_max_retries,
        retry_backoff_seconds=settings.stripe_retry_backoff_seconds,
    )
    tokens = ConfirmationTokens(
        _secret(settings.payment_confirmation_secret) or "", settings.payment_confirmation_ttl_seconds
    )
    return PaymentService(db, regions, tokens, settings)
