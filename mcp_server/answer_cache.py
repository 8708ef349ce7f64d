"""Identical live reads share one answer, in its wire form, for at most LIVE_CACHE_SECONDS.

Runs as MCP middleware inside the call policy (so scopes, audit, logs and metrics still see every call):
concurrent identical `tools/call` requests for a live tool wait for one execution, and later identical
requests within the bound get the same serialized result, which states its own `as_of`. The SDK then only
frames it; nothing is validated, run or serialized again. Answers do not depend on the caller (read tools
only), so sharing them across callers reveals nothing a caller could not ask for.
"""

from __future__ import annotations

import json
from typing import Any

from mcp.server.context import CallNext, HandlerResult, ServerRequestContext

from mcp_server.cache import CoalescingCache


class LiveAnswerCache:
    def __init__(self, tools: frozenset[str], max_age: float) -> None:
        self._tools = tools
        self._answers: CoalescingCache[HandlerResult] = CoalescingCache(max_age, max_entries=512)

    async def __call__(self, ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        params = ctx.params or {}
        if ctx.method != "tools/call" or params.get("name") not in self._tools:
            return await call_next(ctx)
        arguments = json.dumps(params.get("arguments") or {}, sort_keys=True, default=str)
        key = (ctx.protocol_version, params["name"], arguments)
        return await self._answers.get(key, lambda: call_next(ctx))
