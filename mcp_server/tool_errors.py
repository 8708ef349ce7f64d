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

from mcp_server.arguments import ARGUMENT_ERROR
from mcp_server.errors import DatabaseUnavailable, GatewayError, QueryFailed

_log = structlog.get_logger("abcodex.tools")
OUTAGE = "The events database is not answering right now; try again in a moment."


def unexpected(tool: str) -> str:
    return f"{tool} failed unexpectedly; try again in a moment, and tell an operator if it keeps failing."


_DATE = "must be a date such as 2026-03-14"
_WHOLE = "must be a whole number"
_AMOUNT = "must be an amount such as 125.50"
_PROBLEMS = {
    "missing": "is required",
    "string_type": "must be text",
    "string_too_long": "is too long: at most {max_length} characters",
    "string_too_short": "is too short: at least {min_length} characters",
    "string_pattern_mismatch": "does not have the expected form",
    "int_type": _WHOLE,
    "int_parsing": _WHOLE,
    "int_from_float": _WHOLE,
    "int_parsing_size": "is too large",
    "greater_than": "must be more than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "date_type": _DATE,
    "date_parsing": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "decimal_type": _AMOUNT,
    "decimal_parsing": _AMOUNT,
    "decimal_max_digits": "has too many digits: at most {max_digits}",
    "decimal_max_places": "has too many decimal places: at most {decimal_places}",
    "decimal_whole_digits": "has too many digits before the decimal point: at most {whole_digits}",
    "finite_number": "must be a finite number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "literal_error": "must be one of {expected}",
    "enum": "must be one of {expected}",
}


def invalid_arguments(error: ValidationError) -> str:
    """The first problem pydantic found as a sentence about the argument: "`eid` must look like AB4001."

    Chosen by pydantic's error type and filled from its structured context; our own refusals
    (mcp_server.arguments) carry the words that follow the argument's name.
    """
    problems = error.errors(include_url=False, include_input=False)
    if not problems:
        return "The arguments are not valid for this tool."
    first = problems[0]
    # Only the argument's name: deeper parts of a location are pydantic's own (union branches, list indexes).
    name = f"`{first['loc'][0]}`" if first["loc"] else "The arguments"
    if first["type"] == ARGUMENT_ERROR:
        return f"{name} {first['msg']}."
    template = _PROBLEMS.get(first["type"])
    if template is None:
        return f"{name} is not valid: {str(first['msg']).rstrip('.')}."
    return f"{name} {template.format_map(first.get('ctx', {}))}."


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
