"""process_artist_payment as an MCP tool: registered only with ENABLE_MUTATING_TOOLS=true, listed and callable
only with the `payments` scope (enforced by the call policy), and always behind a human's confirmation.

Clients of the 2026-07-28 protocol that can elicit get the confirmation as an input-required round (the host
shows its own dialog; the token travels in the sealed request state); every other client gets the preview
and a confirmation token to send back with the same arguments.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated, Any

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult, ToolAnnotations
from pydantic import Field

from mcp_server.calls import caller_of
from mcp_server.domain.eid import normalize_eid
from mcp_server.errors import ToolInputError
from mcp_server.payments.confirmation import ConfirmationTokens, PaymentRequest
from mcp_server.payments.errors import PaymentError
from mcp_server.payments.models import PaymentResult
from mcp_server.payments.service import PaymentLimits, PaymentService
from mcp_server.payments.stripe_gateway import StripeRegions
from mcp_server.services import services_of
from mcp_server.settings import GatewaySettings

PAYMENT_TOOL = "process_artist_payment"
DESTRUCTIVE = ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=False, openWorldHint=True)
_CONFIRM_KEY = "confirm_payment"


def start_payments(settings: GatewaySettings, services: Any) -> PaymentService:
    def secret(value: Any) -> str | None:
        return value.get_secret_value() if value is not None else None

    regions = StripeRegions.from_keys(
        canada_secret_key=secret(settings.stripe_canada_secret_key),
        intl_secret_key=secret(settings.stripe_intl_secret_key),
        api_base=settings.stripe_api_base,
        timeout_seconds=settings.stripe_timeout_seconds,
        max_retries=settings.stripe_max_retries,
        retry_backoff_seconds=settings.stripe_retry_backoff_seconds,
    )
    tokens = ConfirmationTokens(
        secret(settings.payment_confirmation_secret) or "", settings.payment_confirmation_ttl_seconds
    )
    limits = PaymentLimits(settings.payment_max_amount, settings.payment_daily_cap_per_caller)
    return PaymentService(services.db, regions, tokens, limits)


def _caller(ctx: Context) -> tuple[str, str | None]:

    caller = caller_of(ctx.request_context, services_of(ctx).stdio_identity)
    return caller.identity.name, caller.acting_user


def _can_elicit(ctx: Context) -> bool:
    capabilities = ctx.client_capabilities
    return bool(
        ctx.protocol_version
        and ctx.protocol_version >= "2026-07-28"
        and capabilities
        and capabilities.elicitation is not None
    )


def _confirmation_request(result: PaymentResult) -> InputRequiredResult:
    assert result.preview is not None
    assert result.confirmation_token is not None
    preview = result.preview
    message = (
        f"Pay {preview.artist_name} {preview.amount} {preview.currency} for {preview.eid} "
        f"({preview.event_name}) to Stripe account {preview.destination_account}, from the "
        f"{preview.paying_stripe_account} Stripe account? They are owed {preview.owed_total}."
    )
    schema = {
        "type": "object",
        "properties": {"confirm": {"type": "boolean", "title": "Send this payment"}},
        "required": ["confirm"],
    }
    request = ElicitRequest(params=ElicitRequestFormParams(message=message, requested_schema=schema))
    return InputRequiredResult(input_requests={_CONFIRM_KEY: request}, request_state=result.confirmation_token)


def _elicited_yes(ctx: Context) -> bool | None:
    responses = ctx.input_responses or {}
    answer = responses.get(_CONFIRM_KEY)
    if not isinstance(answer, ElicitResult):
        return None
    return answer.action == "accept" and bool((answer.content or {}).get("confirm"))


async def process_artist_payment(
    eid: Annotated[str, Field(min_length=2, max_length=20, description="Event id such as AB4002.")],
    artist_profile_id: Annotated[str, Field(pattern=r"^[0-9a-fA-F-]{36}$", description="The artist's profile id.")],
    amount: Annotated[
        Decimal, Field(gt=0, max_digits=12, decimal_places=2, description="Amount in the event's currency.")
    ],
    currency: Annotated[str, Field(pattern=r"^[A-Za-z]{3}$", description="ISO currency code of the event.")],
    ctx: Context,
    confirmation_token: Annotated[
        str | None,
        Field(
            max_length=2000,
            description=(
                "Omit to get a preview and a token. Send the token back, with exactly the same arguments, only after a "
                "human has explicitly confirmed the preview."
            ),
        ),
    ] = None,
) -> PaymentResult | InputRequiredResult:
    """Pay an artist what they are owed for an event, by Stripe Connect transfer. Always two steps: without a
    confirmation_token nothing moves and you get a preview (artist, amount, what is owed, the Stripe accounts)
    plus a short-lived token; show the preview to a human and only if they say yes call again with the same
    arguments and the token. The result is `paid` with the Stripe transfer id, or `failed` with a reason."""
    service: PaymentService = services_of(ctx).payments
    caller, acting_user = _caller(ctx)
    try:
        request = PaymentRequest(normalize_eid(eid), artist_profile_id.lower(), amount, currency.upper(), caller)
        token = confirmation_token or ctx.request_state
        yes = _elicited_yes(ctx)
        if yes is False:
            return PaymentResult(status="cancelled", message="Not paid: the payment was not confirmed.")
        if token:
            return await service.execute(request, token, acting_user)
        preview = await service.preview(request)
        return _confirmation_request(preview) if _can_elicit(ctx) else preview
    except (ToolInputError, PaymentError) as exc:
        raise ToolError(str(exc)) from exc


def register_payment_tools(server: MCPServer[Any]) -> frozenset[str]:
    description = " ".join((process_artist_payment.__doc__ or "").split())
    server.add_tool(
        process_artist_payment,
        name=PAYMENT_TOOL,
        description=description,
        annotations=DESTRUCTIVE,
        structured_output=True,
    )
    return frozenset({PAYMENT_TOOL})
