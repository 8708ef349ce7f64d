"""The Stripe adapter: with `stripe_errors.py` (the SDK's exceptions as ours), the only code that imports `stripe`.

It turns SDK objects into the frozen dataclasses below and SDK exceptions into
`mcp_server.payments.errors`, converts `Decimal` money to Stripe's integer minor units (and back), and
retries what is safe to retry (timeouts, connection errors, 409, 429, 5xx) with the SAME idempotency
key, so a retried transfer is executed by Stripe at most once.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Final, TypeVar

import stripe
import structlog

from abcodex_common.retry import Backoff, retrying
from mcp_server.payments.errors import DuplicateTransfers, InvalidAmount, StripeNotConfigured
from mcp_server.payments.stripe_amounts import currency_code, from_minor_units, to_minor_units
from mcp_server.payments.stripe_errors import StripeCall, WorthRetrying, stripe_errors, unavailable

DEFAULT_API_BASE: Final = "https://api.stripe.com"

# region -> (how a person names the platform account, the setting that holds its key)
REGIONS: Final = {
    "canada": ("Canada", "STRIPE_CANADA_SECRET_KEY"),
    "international": ("International", "STRIPE_INTL_SECRET_KEY"),
}

_log = structlog.get_logger(__name__)
_T = TypeVar("_T")


@dataclass(frozen=True)
class ConnectedAccount:
    """An artist's Stripe Connect account as far as paying it is concerned."""

    account_id: str
    payouts_enabled: bool
    transfers_active: bool


@dataclass(frozen=True)
class Transfer:
    """A Stripe Connect transfer; `currency` is the upper-case ISO code."""

    transfer_id: str
    amount: Decimal
    currency: str
    destination: str


class StripeAccountClient:
    """One regional Stripe platform account, spoken to through the official SDK.

    Every request gets at most `max_retries` retries (timeouts, connection errors, 409, 429, 5xx), each
    after an exponential backoff starting at `retry_backoff_seconds`, and each limited by
    `timeout_seconds`. Close it with `aclose()` (or use it as an async context manager).
    """

    def __init__(
        self,
        secret_key: str,
        *,
        api_base: str = DEFAULT_API_BASE,
        timeout_seconds: float = 20.0,
        max_retries: int = 2,
        account_label: str = "Stripe",
        key_setting: str = "the Stripe secret key setting",
        retry_backoff_seconds: float = 0.5,
    ) -> None:
        self._label = account_label
        self._key_setting = key_setting
        self._max_retries = max_retries
        self._backoff = retry_backoff_seconds
        self._http = stripe.AIOHTTPClient(timeout=timeout_seconds)
        # The SDK's own retries are off: the loop below retries with our key, backoff and error mapping.
        self._client = stripe.StripeClient(
            secret_key,
            base_addresses={"api": api_base.rstrip("/")},
            max_network_retries=0,
            http_client=self._http,
        )

    async def __aenter__(self) -> StripeAccountClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the HTTP connections."""
        await self._http.close_async()  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated

    async def ping(self) -> None:
        """Prove the key works and Stripe answers (one attempt: readiness must be quick)."""
        call = self._call("read the account balance")
        await self._attempts(self._client.v1.balance.retrieve_async, call, retries=0)

    async def get_connected_account(self, account_id: str) -> ConnectedAccount:
        """The artist's connected account; StripeDeclined if it is not connected to this platform."""
        call = self._call(f"look up the artist's Stripe account {account_id}", destination=account_id)
        account = await self._attempts(lambda: self._client.v1.accounts.retrieve_async(account_id), call)
        capabilities = account.capabilities
        return ConnectedAccount(
            account_id=account.id,
            payouts_enabled=bool(account.payouts_enabled),
            transfers_active=capabilities is not None and capabilities.transfers == "active",
        )

    async def create_transfer(
        self,
        amount: Decimal,
        currency: str,
        *,
        destination: str,
        idempotency_key: str,
        metadata: Mapping[str, str],
        transfer_group: str,
    ) -> Transfer:
        """Transfer `amount` to the connected account `destination`, at most once per idempotency key.

        StripeDeclined means no money moved; StripeUnavailable means the outcome is unknown (retry with
        the same key, or reconcile with `find_transfer_by_group`).
        """
        if amount <= 0:
            raise InvalidAmount(f"A transfer amount must be positive; {amount} is not.")
        if not 0 < len(idempotency_key) <= 255:
            raise ValueError("an idempotency key has 1 to 255 characters")
        params: stripe.params.TransferCreateParams = {
            "amount": to_minor_units(amount, currency),
            "currency": currency_code(currency),
            "destination": destination,
            "metadata": dict(metadata),
            "transfer_group": transfer_group,
        }
        call = self._call(
            f"transfer {amount} {currency.upper()} to the artist's Stripe account {destination}",
            destination=destination,
            currency=currency,
            idempotency_key=idempotency_key,
            transfer_group=transfer_group,
        )
        options: stripe.RequestOptions = {"idempotency_key": idempotency_key}
        transfer = await self._attempts(lambda: self._client.v1.transfers.create_async(params, options), call)
        return _transfer_from_stripe(transfer)

    async def find_transfer_by_group(self, transfer_group: str) -> Transfer | None:
        """The transfer Stripe holds for this group (one payment's key), or None if it never happened."""
        call = self._call(f"list the transfers of group {transfer_group}", transfer_group=transfer_group)
        params: stripe.params.TransferListParams = {"transfer_group": transfer_group, "limit": 10}
        page = await self._attempts(lambda: self._client.v1.transfers.list_async(params), call)
        transfers = [_transfer_from_stripe(t) for t in page.data]
        if len(transfers) > 1:
            ids = ", ".join(t.transfer_id for t in transfers)
            raise DuplicateTransfers(
                f"The {self._label} Stripe account has {len(transfers)} transfers in group {transfer_group} "
                f"({ids}); one payment was sent more than once and needs a person to reverse the extra."
            )
        return transfers[0] if transfers else None

    async def _attempts(
        self, operation: Callable[[], Awaitable[_T]], call: StripeCall, retries: int | None = None
    ) -> _T:
        """Run `operation`, retrying what may succeed later (the same request, so the same idempotency key);
        every SDK error becomes one of ours."""
        attempts = 1 + (self._max_retries if retries is None else retries)

        async def once() -> _T:
            with stripe_errors(call):
                return await operation()

        def warn(exc: Exception, _delay: float) -> None:
            _log.warning("stripe_retry", account=call.account, action=call.action, problem=str(exc))

        backoff = Backoff(first=self._backoff, ceiling=self._backoff * 2 ** max(attempts - 2, 0), attempts=attempts)
        try:
            return await retrying(
                once, backoff=backoff, retry_on=lambda exc: isinstance(exc, WorthRetrying), on_retry=warn
            )
        except WorthRetrying as exc:
            raise unavailable(call, attempts, exc.problem) from exc

    def _call(self, action: str, **about: str | None) -> StripeCall:
        return StripeCall(self._label, self._key_setting, action, **about)


def _transfer_from_stripe(transfer: stripe.Transfer) -> Transfer:
    destination = transfer.destination
    return Transfer(
        transfer_id=transfer.id,
        amount=from_minor_units(transfer.amount, transfer.currency),
        currency=transfer.currency.upper(),
        destination=destination if isinstance(destination, str) else destination.id if destination else "",
    )


class StripeRegions:
    """The regional platform accounts; an event's `stripe_account_region` picks one."""

    def __init__(self, clients: Mapping[str, StripeAccountClient]) -> None:
        self._clients = dict(clients)

    @classmethod
    def from_keys(
        cls,
        *,
        canada_secret_key: str | None,
        intl_secret_key: str | None,
        api_base: str = DEFAULT_API_BASE,
        timeout_seconds: float = 20.0,
        max_retries: int = 2,
        retry_backoff_seconds: float = 0.5,
    ) -> StripeRegions:
        """Clients for the regions whose key is set (an empty key counts as missing)."""
        # The SDK's telemetry writes ~/.config/stripe and adds headers; the MCP server runs on a read-only root
        # filesystem and sends Stripe only what a payout needs.
        stripe.enable_telemetry = False
        keys = {"canada": canada_secret_key, "international": intl_secret_key}
        return cls(
            {
                region: StripeAccountClient(
                    key,
                    api_base=api_base,
                    timeout_seconds=timeout_seconds,
                    max_retries=max_retries,
                    account_label=REGIONS[region][0],
                    key_setting=REGIONS[region][1],
                    retry_backoff_seconds=retry_backoff_seconds,
                )
                for region, key in keys.items()
                if key
            }
        )

    @property
    def configured_regions(self) -> tuple[str, ...]:
        return tuple(sorted(self._clients))

    def for_region(self, region: str) -> StripeAccountClient:
        """The client paying for `region`; StripeNotConfigured names the setting when its key is missing."""
        name = region.strip().lower()
        if name not in REGIONS:
            raise StripeNotConfigured(
                f"Stripe region {region!r} is unknown; an event's stripe_account_region must be "
                "'canada' or 'international'."
            )
        client = self._clients.get(name)
        if client is None:
            label, setting = REGIONS[name]
            raise StripeNotConfigured(
                f"Payments from the {label} Stripe account are not configured: set {setting} to enable them."
            )
        return client

    async def ping(self) -> None:
        """Ping every configured region; having none configured is not a failure."""
        for client in self._clients.values():
            await client.ping()

    async def aclose(self) -> None:
        for client in self._clients.values():
            await client.aclose()
