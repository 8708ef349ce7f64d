"""process_artist_payment as an MCP tool: registered only with ENABLE_MUTATING_TOOLS=true, listed and callable
only with the `payments` scope (enforced by the call policy), and money moves only on a human's explicit yes.

Who confirms, by client:
- a 2026-07-28 client that can elicit: an input-required round; the host shows its own confirm dialog and only an
  `accept` with `confirm: true` pays. No answer, a decline or a cancel moves nothing, and the sealed request
  state alone is never enough;
- a client that confirms out of band (the Slack bot, whose Confirm button asks the person): the preview and a
  token to send back as `confirmation_token` with the same arguments;
- any other client: the preview only, with a sentence saying payments need a client that asks a human; a
  `confirmation_token` it sends is refused.
"""

from __future__ import annotations

from typing import Annotated

from mcp.server.mcpserver import Context
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ElicitRequest, ElicitRequestFormParams, ElicitResult, InputRequiredResult, ToolAnnotations
from pydantic import Field

from mcp_server.arguments import Amount, CurrencyCode, Eid, ProfileId, SearchText
from mcp_server.auth import ClientIdentity
from mcp_server.calls import caller_of
from mcp_server.context import services_of
from mcp_server.domain.eid import normalize_eid
from mcp_server.domain.models import money_text
from mcp_server.payments.confirmation import Channel, ConfirmationRefused, PaymentRequest
from mcp_server.payments.models import PaymentResult
from mcp_server.payments.rules import account_text
from mcp_server.payments.service import PaymentService
from mcp_server.payments.wiring import build_payment_service
from mcp_server.registry import ToolSpec

__all__ = ["PAYMENT_TOOL", "PAYMENT_TOOLS", "build_payment_service", "process_artist_payment"]

PAYMENT_TOOL = "process_artist_payment"
DESTRUCTIVE = ToolAnnotations(readOnlyHint=False, destructiveHint=True, idempotentHint=False, openWorldHint=True)
CONFIRM_KEY = "confirm_payment"
_NOT_ANSWERED = (
    "Nothing was paid: the confirmation came back without an answer. Ask again to show the person the "
    "confirmation once more."
)
_NOT_CONFIRMED = {
    "decline": "Nothing was paid: the person declined the payment.",
    "cancel": "Nothing was paid: the confirmation was dismissed without a yes.",
    "accept": "Nothing was paid: the person did not tick the box to send this payment.",
}


def _can_elicit(ctx: Context) -> bool:
    capabilities = ctx.client_capabilities
    return bool(
        ctx.protocol_version
        and ctx.protocol_version >= "2026-07-28"
        and capabilities
        and capabilities.elicitation is not None
    )


def _channel(ctx: Context, identity: ClientIdentity) -> Channel | None:
    """How this client's human confirms; None when it has no way to ask one."""
    if _can_elicit(ctx):
        return "elicitation"
    return "out_of_band" if identity.confirms_out_of_band else None


def _confirmation_request(result: PaymentResult) -> InputRequiredResult:
    assert result.preview is not None
    assert result.confirmation_token is not None
    preview = result.preview  # its names already went through inline_text
    message = (
        f"Pay {preview.artist_name} {money_text(preview.amount)} {preview.currency} for {preview.eid} "
        f"({preview.event_name}) to Stripe account {account_text(preview.destination_account)}, from the "
        f"{preview.paying_stripe_account} Stripe account? They are owed {money_text(preview.owed_total)}."
    )
    schema = {
        "type": "object",
        "properties": {"confirm": {"type": "boolean", "title": "Send this payment"}},
        "required": ["confirm"],
    }
    request = ElicitRequest(params=ElicitRequestFormParams(message=message, requested_schema=schema))
    return InputRequiredResult(input_requests={CONFIRM_KEY: request}, request_state=result.confirmation_token)


async def _answered(
    service: PaymentService, request: PaymentRequest, ctx: Context, state: str, acting_user: str | None
) -> PaymentResult:
    """The second round of an elicitation: pay only on an explicit accept with `confirm: true`."""
    answer = (ctx.input_responses or {}).get(CONFIRM_KEY)
    if not isinstance(answer, ElicitResult):
        return PaymentResult(status="needs_confirmation", message=_NOT_ANSWERED)
    if answer.action != "accept" or (answer.content or {}).get("confirm") is not True:
        return PaymentResult(status="cancelled", message=_NOT_CONFIRMED[answer.action])
    return await service.execute(request, state, "elicitation", acting_user)


async def process_artist_payment(
    eid: Annotated[Eid, Field(description="Event id such as AB4002.")],
    artist_profile_id: Annotated[ProfileId, Field(description="The artist's profile id.")],
    amount: Annotated[Amount, Field(description="Amount in the event's currency.")],
    currency: Annotated[CurrencyCode, Field(description="ISO currency code of the event.")],
    ctx: Context,
    confirmation_token: Annotated[
        str | None,
        SearchText(2000),
        Field(
            description=(
                "Omit to get a preview. Only a client that asks the person itself gets a token; send it back, with "
                "exactly the same arguments, only after the person has explicitly confirmed the preview."
            ),
        ),
    ] = None,
) -> PaymentResult | InputRequiredResult:
    """Pay an artist what they are owed for an event, by Stripe Connect transfer. Nothing moves without a person's
    explicit yes: the first call previews (artist, amount, what is owed, the Stripe accounts). A client with a
    confirm dialog shows it to the person; the Slack bot gets a token its Confirm button sends back; other clients
    get the preview only. The result is `paid` with the Stripe transfer id, `failed` with a reason, or
    `cancelled`/`needs_confirmation` when nothing moved."""
    # Errors are raised as they are: GatewayServer turns each into its sentence by type (tool_errors.py).
    services = services_of(ctx)
    service = services.payments
    if service is None:
        raise ToolError("Payments are turned off on this server (ENABLE_MUTATING_TOOLS is not true).")
    caller = caller_of(ctx.request_context, services.stdio_identity)
    request = PaymentRequest(
        normalize_eid(eid), artist_profile_id.lower(), amount, currency.upper(), caller.identity.key
    )
    if confirmation_token is not None:
        if not caller.identity.confirms_out_of_band:
            raise ConfirmationRefused(
                "This client cannot confirm payments with a token; nothing was paid. A person confirms in a "
                "client that asks them (a confirmation dialog, or the Slack bot's Confirm button)."
            )
        return await service.execute(request, confirmation_token, "out_of_band", caller.acting_user)
    state = ctx.request_state
    if state is not None:
        return await _answered(service, request, ctx, state, caller.acting_user)
    via = _channel(ctx, caller.identity)
    result = await service.preview(request, via)
    return _confirmation_request(result) if via == "elicitation" else result


PAYMENT_TOOLS: tuple[ToolSpec, ...] = (
    ToolSpec(process_artist_payment, PAYMENT_TOOL, "payments", annotations=DESTRUCTIVE),
)
