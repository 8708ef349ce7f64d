"""Every tools/list and tools/call passes here: who may see and call what, and one record per call.

Identity comes from the bearer token (set by the auth middleware on the HTTP scope). The acting Slack user
and role are what a trusted client (the bot) says it acts for: recorded for audit only, and only from
clients the tokens file marks trusted; for an OAuth sign-in it is the person the token names. Caller input
never grows the metrics: a tool name that is not registered is counted as `unknown`, and what is stored of
it is capped.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import structlog
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from mcp_server.audit import AuditRecord, AuditTrail
from mcp_server.auth import STATE_KEY, ClientIdentity
from mcp_server.domain.masking import mask_arguments, mask_text
from mcp_server.metrics import GatewayMetrics
from mcp_server.registry import ToolRegistry

if TYPE_CHECKING:
    from mcp_server.services import GatewayServices

_log = structlog.get_logger("abcodex.tools")
UNKNOWN_TOOL_LABEL = "unknown"
MAX_STORED_NAME = 64
MAX_HEADER_VALUE = 100
ALWAYS_AUDIT_NOW = frozenset({"process_artist_payment"})  # written before the answer leaves


@dataclass(frozen=True)
class CallerContext:
    identity: ClientIdentity
    request_id: str | None
    acting_user: str | None
    acting_role: str | None


def _header(value: str | None) -> str | None:
    return value[:MAX_HEADER_VALUE] if value else None


def caller_of(ctx: ServerRequestContext[Any, Any], stdio_identity: ClientIdentity) -> CallerContext:
    request = ctx.request
    if request is None:
        return CallerContext(stdio_identity, str(ctx.request_id), None, None)
    identity = request.scope.get("state", {}).get(STATE_KEY) or ClientIdentity("unknown", frozenset())
    headers = request.headers
    trusted = identity.trusted
    # An OAuth caller is the person the token names; only a trusted client may say whom it acts for.
    acting_user = identity.person or (_header(headers.get("x-acting-user")) if trusted else None)
    return CallerContext(
        identity=identity,
        request_id=_header(headers.get("x-request-id") or str(ctx.request_id)),
        acting_user=acting_user,
        acting_role=_header(headers.get("x-acting-role")) if trusted else None,
    )


class ToolCallPolicy:
    """MCP middleware: scope-filtered listing, refusals, logging, metrics and audit for each call."""

    def __init__(self, registry: ToolRegistry, metrics: GatewayMetrics, stdio_identity: ClientIdentity) -> None:
        self._registry = registry
        self._metrics = metrics
        self._stdio_identity = stdio_identity

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/list":
            return self._visible(await call_next(ctx), caller_of(ctx, self._stdio_identity).identity)
        if ctx.method == "tools/call":
            return await self._call(ctx, call_next)
        return await call_next(ctx)

    def _allowed(self, tool: str, identity: ClientIdentity) -> bool:
        scope = self._registry.scope_of(tool)
        return scope is not None and identity.can(scope)

    def _visible(self, result: HandlerResult, identity: ClientIdentity) -> HandlerResult:
        # The chain carries the wire form (a dict) by the time middleware sees it.
        if isinstance(result, dict) and isinstance(result.get("tools"), list):
            tools = [t for t in result["tools"] if self._allowed(str(t.get("name")), identity)]
            return {**result, "tools": tools}
        return result

    async def _call(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        caller = caller_of(ctx, self._stdio_identity)
        params = ctx.params or {}
        tool = str(params.get("name", ""))
        arguments = params.get("arguments") or {}
        started = time.perf_counter()
        if not self._allowed(tool, caller.identity):
            # A tool the caller may not use is, to them, a tool that does not exist.
            reason = "missing scope" if tool in self._registry else "unknown tool"
            await self._finish(ctx, caller, tool, arguments, "refused", reason, started)
            raise MCPError(INVALID_PARAMS, f"Unknown tool: {tool[:MAX_STORED_NAME]}")
        try:
            result = await call_next(ctx)
        except MCPError as exc:
            await self._finish(ctx, caller, tool, arguments, "rejected", exc.error.message, started)
            raise
        outcome, detail = "ok", None
        if isinstance(result, dict) and result.get("isError"):
            outcome, detail = "tool_error", mask_text(_first_text(result) or "")
        elif isinstance(result, dict) and isinstance(result.get("structuredContent"), dict):
            detail = str(result["structuredContent"].get("status") or "") or None
        await self._finish(ctx, caller, tool, arguments, outcome, detail, started)
        return result

    async def _finish(
        self,
        ctx: ServerRequestContext[Any, Any],
        caller: CallerContext,
        tool: str,
        arguments: Any,
        outcome: str,
        detail: str | None,
        started: float,
    ) -> None:
        seconds = time.perf_counter() - started
        known = tool in self._registry
        self._metrics.record_call(tool if known else UNKNOWN_TOOL_LABEL, outcome, seconds)
        stored_name = tool if known else tool[:MAX_STORED_NAME]
        _log.info(
            "tool_call",
            request_id=caller.request_id,
            client=caller.identity.name,
            acting_user=caller.acting_user,
            tool=stored_name,
            outcome=outcome,
            duration_ms=round(seconds * 1000, 2),
            detail=detail,
        )
        services: GatewayServices = ctx.lifespan_context
        trail: AuditTrail = services.audit
        record = AuditRecord(
            datetime.now(UTC),
            caller.request_id,
            caller.identity.name,
            caller.acting_user,
            caller.acting_role,
            stored_name,
            mask_arguments(arguments if isinstance(arguments, dict) else {}),
            outcome,
            detail,
            round(seconds * 1000, 3),
        )
        if tool in ALWAYS_AUDIT_NOW:
            await trail.record_now(record)
        else:
            trail.record_later(record)


def _first_text(result: dict[str, Any]) -> str | None:
    return next((str(c.get("text")) for c in result.get("content", []) if c.get("type") == "text"), None)
