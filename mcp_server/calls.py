"""Every tools/list and tools/call passes here: who may see and call what, and one record per call.

Identity comes from the bearer token (set by the auth middleware on the HTTP scope); the acting Slack user
and role are what a trusted client (the bot) says it acts for, recorded for audit only.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from mcp.server.context import CallNext, HandlerResult, ServerRequestContext
from mcp.shared.exceptions import MCPError
from mcp_types import INVALID_PARAMS

from mcp_server.audit import AuditRecord, AuditTrail
from mcp_server.auth import STATE_KEY, ClientIdentity
from mcp_server.domain.masking import mask_arguments, mask_text
from mcp_server.metrics import GatewayMetrics

_log = structlog.get_logger("abcodex.tools")
_PREFIX = re.compile(r"^Error executing tool [\w-]+: ")
_UNEXPECTED = re.compile(r"^Error executing tool (?P<tool>[\w-]+)$")
_VALIDATION = re.compile(r"validation errors? for \w+\n(?P<field>[\w.]+)\n\s+(?P<msg>[^\[\n]+)")


@dataclass(frozen=True)
class CallerContext:
    identity: ClientIdentity
    request_id: str | None
    acting_user: str | None
    acting_role: str | None


def caller_of(ctx: ServerRequestContext[Any, Any], stdio_identity: ClientIdentity) -> CallerContext:
    request = ctx.request
    if request is None:
        return CallerContext(stdio_identity, str(ctx.request_id), None, None)
    state = request.scope.get("state", {})
    identity = state.get(STATE_KEY) or ClientIdentity("unknown", frozenset())
    headers = request.headers
    return CallerContext(
        identity=identity,
        request_id=(headers.get("x-request-id") or str(ctx.request_id))[:100],
        acting_user=(headers.get("x-acting-user") or None),
        acting_role=(headers.get("x-acting-role") or None),
    )


def clean_error_text(text: str) -> str:
    """One sentence for the model: no SDK prefix, no pydantic dump, nothing about our internals."""
    unexpected = _UNEXPECTED.match(text)
    if unexpected:
        return (
            f"{unexpected['tool']} failed unexpectedly; try again in a moment, and tell an operator if it "
            "keeps failing."
        )
    text = _PREFIX.sub("", text)
    found = _VALIDATION.search(text)
    if found:
        return f"Invalid argument '{found['field']}': {found['msg'].strip()}."
    return text.splitlines()[0] if text else "The tool failed."


class ToolCallPolicy:
    """MCP middleware: scope-filtered listing, refusals, logging, metrics and audit for each call."""

    def __init__(
        self,
        required_scope: Callable[[str], str | None],
        registered: AbstractSet[str],
        audit: Callable[[], AuditTrail | None],
        metrics: GatewayMetrics,
        stdio_identity: ClientIdentity,
        always_audit_now: frozenset[str],
    ) -> None:
        self._required_scope = required_scope
        self._registered = registered
        self._audit = audit
        self._metrics = metrics
        self._stdio_identity = stdio_identity
        self._always_audit_now = always_audit_now

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        if ctx.method == "tools/list":
            return self._visible(await call_next(ctx), caller_of(ctx, self._stdio_identity).identity)
        if ctx.method == "tools/call":
            return await self._call(ctx, call_next)
        return await call_next(ctx)

    def _allowed(self, tool: str, identity: ClientIdentity) -> bool:
        scope = self._required_scope(tool)
        return scope is None or identity.can(scope)

    def _visible(self, result: HandlerResult, identity: ClientIdentity) -> HandlerResult:
        # The chain carries the wire form (a dict) by the time middleware sees it.
        if isinstance(result, dict) and isinstance(result.get("tools"), list):
            tools = [t for t in result["tools"] if self._allowed(str(t.get("name")), identity)]
            return {**result, "tools": tools}
        return result

    async def _call(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        caller = caller_of(ctx, self._stdio_identity)
        params = ctx.params or {}
        tool = str(params.get("name", ""))[:100]
        arguments = params.get("arguments") or {}
        started = time.perf_counter()
        if tool not in self._registered or not self._allowed(tool, caller.identity):
            # A tool the caller may not use is, to them, a tool that does not exist.
            reason = "missing scope" if tool in self._registered else "unknown tool"
            await self._finish(caller, tool, arguments, "refused", reason, started)
            raise MCPError(INVALID_PARAMS, f"Unknown tool: {tool}")
        try:
            result = await call_next(ctx)
        except MCPError as exc:
            await self._finish(caller, tool, arguments, "rejected", exc.error.message, started)
            raise
        outcome, detail = "ok", None
        if isinstance(result, dict) and result.get("isError"):
            result = _cleaned(result)
            outcome, detail = "tool_error", mask_text(_first_text(result) or "")
        elif isinstance(result, dict) and isinstance(result.get("structuredContent"), dict):
            detail = str(result["structuredContent"].get("status") or "") or None
        await self._finish(caller, tool, arguments, outcome, detail, started)
        return result

    async def _finish(
        self,
        caller: CallerContext,
        tool: str,
        arguments: Any,
        outcome: str,
        detail: str | None,
        started: float,
    ) -> None:
        seconds = time.perf_counter() - started
        self._metrics.record_call(tool or "?", outcome, seconds)
        masked = mask_arguments(arguments if isinstance(arguments, dict) else {})
        _log.info(
            "tool_call",
            request_id=caller.request_id,
            client=caller.identity.name,
            acting_user=caller.acting_user,
            tool=tool,
            outcome=outcome,
            duration_ms=round(seconds * 1000, 2),
            detail=detail,
        )
        trail = self._audit()
        if trail is None:
            return
        record = AuditRecord(
            datetime.now(UTC),
            caller.request_id,
            caller.identity.name,
            caller.acting_user,
            caller.acting_role,
            tool,
            masked,
            outcome,
            detail,
            round(seconds * 1000, 3),
        )
        if tool in self._always_audit_now:
            await trail.record_now(record)
        else:
            trail.record_later(record)


def _first_text(result: dict[str, Any]) -> str | None:
    return next((str(c.get("text")) for c in result.get("content", []) if c.get("type") == "text"), None)


def _cleaned(result: dict[str, Any]) -> dict[str, Any]:
    content = [
        {**c, "text": clean_error_text(str(c.get("text", "")))} if c.get("type") == "text" else c
        for c in result.get("content", [])
    ]
    return {**result, "content": content}
