"""Every registered tool, fuzzed through a real MCP client: bad input gets a sentence about the input.

Arguments come from each tool's input schema as `tools/list` shows it (so a new tool is fuzzed without
touching this file), mixed with values a person or model would send (eids, artist ids, cities, amounts)
and with out-of-schema junk: wrong types, huge strings, NUL and other control characters, any unicode.
Postgres is up the whole time, so no answer may say the database is not answering or that the tool
failed unexpectedly. Hypothesis runs derandomized with a fixed number of examples, so CI sees the same calls.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import date
from typing import Any

import anyio
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.strategies import SearchStrategy
from mcp import Client
from mcp.shared.exceptions import MCPError

from mcp_server.tool_errors import OUTAGE, unexpected
from tests.support.gateway import RunningGateway
from tests.support.payments import AMELIE, ISLA, NOOR, SOFIA, PaymentsSetup, payments_gateway
from tests.support.postgres import PostgresForTests

EXAMPLES_PER_TOOL = 120
FUZZ = settings(
    max_examples=EXAMPLES_PER_TOOL,
    deadline=None,
    derandomize=True,
    database=None,  # nothing written into the working tree; derandomized runs need no example database
    suppress_health_check=list(HealthCheck),  # each example is a network round trip, and some are huge on purpose
)
# What a person or a model would send to an argument whose name contains the key (first match wins).
PLAUSIBLE_BY_NAME = {
    "eid": ["AB4001", "ab4002", "AB 4003", "ab-4004", "AB4005", "AB9999", "AB40011"],
    "id": [SOFIA, NOOR, AMELIE, ISLA, SOFIA.upper(), "0b9e5a2c-4f1d-4c6e-9a7b-2d3e4f5a6b7c"],
    "currency": ["CAD", "AUD", "usd", "EUR"],
    "amount": ["400.00", "350", "0.01", "10.5", "400.001", "1e9", "0"],
    "city": ["Toronto", "sydney", "Mel", "Montréal"],
    "query": ["Toronto", "Art Battle", "winter", "AB4001", "AB40"],
}
# Text that has broken gateways before: empty, wildcards, quotes, NUL, look-alike ids, direction overrides.
NASTY_TEXT = [
    *("", " ", "%", "_", "\\", "'", "'; DROP TABLE events; --", "AB4001\x00", "é", "🎨", "\u202e", "AB", "4001"),
    *("-" * 36, "00000000-0000-0000-0000-000000000000", "{" + SOFIA + "}", SOFIA.replace("-", ""), "2026-01-01"),
]
PLAUSIBLE_NUMBERS = [0, 1, 2, 3, 10, 11, 50, 51, 200, 201, -1, 400, "400.00", "1e9", "0.00"]
ANNOTATIONS = {"title", "description", "default", "examples"}
UNDERSTOOD = ANNOTATIONS | {
    *("type", "anyOf", "enum", "const", "$ref", "format", "maxLength", "minLength", "pattern"),
    *("minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "items", "maxItems", "minItems"),
    *("properties", "required", "additionalProperties"),
}


def huge(character: str) -> SearchStrategy[str]:
    return st.integers(1_000, 60_000).map(lambda size: character * size)


JUNK: SearchStrategy[Any] = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=10**20, max_value=10**40),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=50),  # any unicode but lone surrogates, control characters included
    huge("A"),
    huge("\x00"),
    huge("é"),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
    st.sampled_from(["[1, 2]", '{"a": 1}', "null", "true", "1e999", "NaN", "9" * 5000]),
)


def plausible_for(name: str) -> list[str]:
    return next((values for key, values in PLAUSIBLE_BY_NAME.items() if key in name.lower()), [])


def from_schema(node: dict[str, Any], root: dict[str, Any], name: str = "") -> SearchStrategy[Any]:
    """Values the schema allows (and values near its edges); refuses keywords it does not understand."""
    unknown = set(node) - UNDERSTOOD
    assert not unknown, f"teach tests/test_fuzz_tools.py the schema keywords {sorted(unknown)}"
    if "$ref" in node:
        return from_schema(root["$defs"][node["$ref"].rsplit("/", 1)[-1]], root, name)
    if "anyOf" in node:
        return st.one_of([from_schema(branch, root, name) for branch in node["anyOf"]])
    if "enum" in node or "const" in node:
        return st.sampled_from(node.get("enum", [node.get("const")]))
    kind = node.get("type")
    if kind == "string":
        return _strings(node, name)
    if kind in ("integer", "number"):
        return _numbers(node, integer=kind == "integer")
    if kind == "boolean":
        return st.booleans()
    if kind == "null":
        return st.none()
    if kind == "array":
        return st.lists(from_schema(node.get("items", {}), root, name), max_size=node.get("maxItems", 5))
    if kind == "object":
        return arguments_for(node, root)
    raise AssertionError(f"teach tests/test_fuzz_tools.py the schema type {kind!r}")


def _strings(node: dict[str, Any], name: str) -> SearchStrategy[str]:
    shortest, longest = node.get("minLength", 0), node.get("maxLength", 200)
    if node.get("format") == "date":
        any_date = st.dates(date(1, 1, 1), date(9999, 12, 31))
        return st.one_of(st.dates(date(2025, 1, 1), date(2027, 12, 31)), any_date).map(date.isoformat)
    plausible = plausible_for(name)
    fitting = [text for text in [*plausible, *NASTY_TEXT] if shortest <= len(text) <= longest]
    choices = [st.text(min_size=shortest, max_size=min(longest, 200))]
    if fitting:
        choices.append(st.sampled_from(fitting))
    if plausible:  # mostly values that get past the arguments, so the fuzz reaches the queries
        choices = [st.sampled_from(plausible), st.sampled_from(plausible), *choices]
    if "pattern" in node:
        choices.append(st.from_regex(node["pattern"], fullmatch=True).filter(lambda text: len(text) <= longest))
    if longest > 200:
        choices.append(st.just("x" * longest))
    return st.one_of(choices)


def _numbers(node: dict[str, Any], integer: bool) -> SearchStrategy[Any]:
    low = node.get("minimum", node.get("exclusiveMinimum"))
    high = node.get("maximum", node.get("exclusiveMaximum"))
    edges = [value for value in (low, high) if value is not None]
    near = [edge + step for edge in edges for step in (-1, 0, 1)]
    inside = (
        st.integers(low, high)
        if integer
        else st.floats(low, high, allow_nan=False, allow_infinity=False, exclude_min="exclusiveMinimum" in node)
    )
    return st.one_of(inside, st.sampled_from([*near, *PLAUSIBLE_NUMBERS]))


def arguments_for(schema: dict[str, Any], root: dict[str, Any] | None = None) -> SearchStrategy[dict[str, Any]]:
    """Arguments in the schema, then the same with one argument junk, one required missing, or one extra."""
    root = schema if root is None else root
    properties: dict[str, Any] = schema.get("properties", {})
    required = [name for name in schema.get("required", []) if name in properties]
    valid = st.fixed_dictionaries(
        {name: from_schema(properties[name], root, name) for name in required},
        optional={name: from_schema(node, root, name) for name, node in properties.items() if name not in required},
    )
    # Every argument a person would send, all at once: the only way a call with four arguments gets far.
    sensible = st.fixed_dictionaries(
        {
            name: st.sampled_from(plausible_for(name)) if plausible_for(name) else from_schema(node, root, name)
            for name, node in properties.items()
            if name in required or plausible_for(name)
        }
    )
    names = sorted(properties) or ["anything"]

    def one_junk(arguments: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
        return st.tuples(st.sampled_from(names), JUNK).map(lambda pair: {**arguments, pair[0]: pair[1]})

    def one_missing(arguments: dict[str, Any]) -> SearchStrategy[dict[str, Any]]:
        droppable = sorted(arguments) or ["nothing"]
        return st.sampled_from(droppable).map(lambda name: {k: v for k, v in arguments.items() if k != name})

    extra = valid.flatmap(lambda arguments: JUNK.map(lambda value: {**arguments, "unexpected": value}))
    # Half the examples stay in the schema; the other half break it in one place.
    return st.one_of(sensible, valid, valid, valid.flatmap(one_junk), valid.flatmap(one_missing), extra)


def examples(strategy: SearchStrategy[dict[str, Any]]) -> list[dict[str, Any]]:
    """Hypothesis as a generator: its examples for `strategy`, the same ones on every run."""
    drawn: list[dict[str, Any]] = []

    @FUZZ
    @given(strategy)
    def collect(arguments: dict[str, Any]) -> None:
        drawn.append(arguments)

    collect()
    return drawn


def classify(tool: str, answer: Any) -> str:
    """protocol_error / ok / unknown_event / argument (refused by its schema type) / refusal (by the tool);
    an answer that blames the database or a crash, or reads like a dump, is returned as a failure."""
    if isinstance(answer, MCPError):
        one_sentence = "\n" not in str(answer) and "validation error" not in str(answer).lower()
        return "protocol_error" if one_sentence else f"failure: {answer}"
    if not answer.is_error:
        return "ok"
    text = answer.content[0].text
    if text in (OUTAGE, unexpected(tool)) or any(dump in text for dump in ("\n", "Traceback", "pydantic", "Error ex")):
        return f"failure: {text}"
    if text.startswith("There is no event"):
        return "unknown_event"
    return "argument" if text.startswith("`") else "refusal"


async def fuzz_every_tool(client: Client, concurrency: int = 16) -> dict[str, Counter[str]]:
    """Each listed tool called with its examples, `concurrency` calls at a time; answers counted by class."""
    tools = (await client.list_tools()).tools
    calls = [(tool.name, arguments) for tool in tools for arguments in examples(arguments_for(tool.input_schema))]
    seen: dict[str, Counter[str]] = {tool.name: Counter() for tool in tools}
    failures: list[str] = []
    limiter = anyio.CapacityLimiter(concurrency)

    async def one(tool: str, arguments: dict[str, Any]) -> None:
        async with limiter:
            try:
                answer: Any = await client.call_tool(tool, arguments)
            except MCPError as error:
                answer = error
        kind = classify(tool, answer)
        seen[tool][kind.partition(":")[0]] += 1
        if kind.startswith("failure"):
            failures.append(f"{tool}({str(arguments)[:300]}) -> {kind[:300]}")

    async with anyio.create_task_group() as group:
        for tool, arguments in calls:
            group.start_soon(one, tool, arguments)
    summary = f"{len(failures)} of {len(calls)} answers blame Postgres or a crash, or dump internals:"
    assert not failures, "\n".join([summary, *failures[:20]])
    return seen


def assert_the_fuzz_reached_every_tool(seen: dict[str, Counter[str]]) -> None:
    for tool, answers in seen.items():
        reached = answers["ok"] + answers["unknown_event"] + answers["refusal"]
        assert reached, f"{tool}: no call got past its arguments ({dict(answers)}); extend PLAUSIBLE_BY_NAME"
        assert answers["argument"], f"{tool}: no bad argument was refused ({dict(answers)})"


@pytest.fixture(scope="module")
async def payments_on(postgres: PostgresForTests) -> AsyncIterator[PaymentsSetup]:
    async with payments_gateway(postgres) as setup:
        yield setup


async def test_fuzzed_arguments_to_every_read_tool_get_answers_or_input_sentences(demo_gateway: RunningGateway):
    async with demo_gateway.client() as client:
        seen = await fuzz_every_tool(client)
    assert "process_artist_payment" not in seen
    assert_the_fuzz_reached_every_tool(seen)


async def test_fuzzed_arguments_with_payments_on_never_blame_the_database(payments_on: PaymentsSetup):
    async with payments_on.gateway.client() as client:
        seen = await fuzz_every_tool(client)
    assert_the_fuzz_reached_every_tool(seen)
    assert payments_on.stripe.transfers == []  # junk never confirms a payment


@pytest.mark.parametrize(
    ("tool", "arguments", "sentence"),
    [
        ("get_artist_owed", {"eid": ""}, "`eid` must look like AB4001"),
        ("get_artist_owed", {"artist_profile_id": "-" * 36}, "`artist_profile_id` is not a valid id"),
        ("get_artist_owed", {"artist_profile_id": SOFIA[:-1] + "g"}, "`artist_profile_id` is not a valid id"),
        ("list_events", {"query": "Toronto\x00"}, "`query` must not contain control characters."),
        ("list_events", {"query": "x" * 100_000}, "`query` is too long: at most 100 characters."),
        ("list_events", {"from": "0001-01-01"}, "`from` must be between 2000 and 2100."),
        ("list_events", {"to": "9999-12-31"}, "`to` must be between 2000 and 2100."),
        ("get_event_details", {"eid": "AB4001\x00"}, "`eid` must not contain control characters."),
        (
            "process_artist_payment",
            {
                "eid": "AB4002",
                "artist_profile_id": "0" * 8 + "-0000" * 3 + "-" + "0" * 12,
                "amount": "10",
                "currency": "CAD",
            },
            "`artist_profile_id` is not a valid id",
        ),
        (
            "process_artist_payment",
            {"eid": "AB4002", "artist_profile_id": SOFIA, "amount": "1" * 1000, "currency": "CAD"},
            "`amount` is too long: at most 20 characters.",
        ),
    ],
    ids=lambda value: repr(value)[:40],
)
async def test_inputs_that_once_blamed_the_database_get_a_sentence_about_the_input(
    payments_on: PaymentsSetup, tool: str, arguments: dict[str, Any], sentence: str
):
    async with payments_on.gateway.client() as client:
        result = await client.call_tool(tool, arguments)
    assert result.is_error and result.content[0].text.startswith(sentence)


def unbounded_strings(node: Any, where: str) -> list[str]:
    """Where a schema lets a string through without a `maxLength` (an `enum` or `const` bounds it too)."""
    if isinstance(node, list):
        return [path for index, item in enumerate(node) for path in unbounded_strings(item, f"{where}[{index}]")]
    if not isinstance(node, dict):
        return []
    bounded = "maxLength" in node or "enum" in node or "const" in node
    here = [where] if node.get("type") == "string" and not bounded else []
    return here + [path for key, value in node.items() for path in unbounded_strings(value, f"{where}.{key}")]


async def test_every_string_argument_of_every_tool_has_a_length_bound(payments_on: PaymentsSetup):
    async with payments_on.gateway.client() as client:
        tools = (await client.list_tools()).tools
    assert [path for tool in tools for path in unbounded_strings(tool.input_schema, tool.name)] == []
