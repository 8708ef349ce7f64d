"""One sentence for the model from a failed tool call, chosen by the error's type.

The SDK wraps whatever a tool raised in a `ToolError` whose `__cause__` is the original exception (or the
pydantic `ValidationError` of the arguments). Nothing here reads the SDK's or pydantic's wording: argument
errors are described from pydantic's structured `errors()`, ours by the sentence they carry, and anything
unexpected by a fixed sentence (its details stay in our log).
"""

from __future__ import annotations

import structlog
from mcp.server.mcpserver.exceptions import ToolError, UnexpectedToolError
from pydantic import ValidationError

from mcp_server.errors import DatabaseUnavailable, GatewayError, QueryFailed

_log = structlog.get_logger("abcodex.tools")
OUTAGE = "The events database is not answering right now; try again in a moment."


def unexpected(tool: str) -> str:
    return f"{tool} failed unexpectedly; try again in a moment, and tell an operator if it keeps failing."


def invalid_arguments(error: ValidationError) -> str:
    """The first problem pydantic found, named by the argument it is about."""
    problems = error.errors(include_url=False, include_input=False)
    if not problems:
        return "The arguments are not valid for this tool."
    first = problems[0]
    field = ".".join(str(part) for part in first["loc"]) or "arguments"
    message = str(first["msg"]).rstrip(".")
    return f"Invalid argument '{field}': {message}."


def _root_cause(error: BaseException) -> BaseException:
    """Past the SDK's own wrappers (a nested tool's crash is wrapped twice) to what was raised."""
    cause: BaseException = error
    while isinstance(cause, ToolError) and cause.__cause__ is not None:
        cause = cause.__cause__
    return cause


def sentence_for(tool: str, error: ToolError) -> str:
    cause = _root_cause(error)
    if isinstance(cause, ValidationError):
        return invalid_arguments(cause)
    if isinstance(cause, DatabaseUnavailable):
        _log.warning("tool_database_unavailable", tool=tool, error=str(cause))
        return OUTAGE
    if isinstance(cause, GatewayError) and not isinstance(cause, QueryFailed):
        return str(cause)
    if isinstance(cause, ToolError) and not isinstance(cause, UnexpectedToolError):
        return str(cause)  # raised deliberately, with its own sentence
    _log.error("tool_crashed", tool=tool, error=cause.__class__.__name__, exc_info=cause)
    return unexpected(tool)
