"""Malformed JSON-RPC is refused cleanly: the right error code, one sentence about what was wrong, no dumps.

Raw HTTP against the real gateway, for both the 2026-07-28 entry (protocol headers) and the handshake-era one.
"""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import anyio
import httpx2
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.gateway import RunningGateway

INVALID_REQUEST, INVALID_PARAMS, PARSE_ERROR = -32600, -32602, -32700
META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
PLAIN = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}
HEADERS = {
    "2026-07-28": {**PLAIN, "MCP-Protocol-Version": "2026-07-28", "Mcp-Method": "tools/list"},
    "2025-11-25": {**PLAIN, "MCP-Protocol-Version": "2025-11-25"},
}


def tools_list(**envelope: Any) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": 1, "method": "tools/list", "params": {"_meta": META}} | envelope


async def post(gateway: RunningGateway, body: Any, version: str = "2025-11-25", **headers: str) -> httpx2.Response:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    auth = {"Authorization": f"Bearer {gateway.token}"}
    async with httpx2.AsyncClient(timeout=30) as http:
        return await http.post(gateway.url, content=content, headers={**HEADERS[version], **auth, **headers})


def refusal(response: httpx2.Response) -> tuple[int, str]:
    """The JSON-RPC error code and message; the message must be one sentence with no validation dump."""
    error = response.json()["error"]
    message = str(error["message"])
    assert "\n" not in message and "validation error" not in message.lower() and "pydantic" not in message
    assert "validation error" not in json.dumps(error.get("data")).lower(), error
    return int(error["code"]), message


@pytest.mark.parametrize("version", sorted(HEADERS))
@pytest.mark.parametrize("request_id", [None, {}, {"a": 1}, [], [1], True, False, 1.5], ids=repr)
async def test_a_request_whose_id_is_not_a_string_or_integer_is_an_invalid_request(
    demo_gateway: RunningGateway, version: str, request_id: Any
):
    response = await post(demo_gateway, tools_list(id=request_id), version)
    assert response.status_code == 400
    assert refusal(response) == (INVALID_REQUEST, "Invalid Request: `id` must be a string or an integer.")
    assert response.json()["id"] is None


@pytest.mark.parametrize("version", sorted(HEADERS))
@pytest.mark.parametrize(
    ("body", "code", "sentence"),
    [
        (b"{", PARSE_ERROR, "Parse error: the body is not valid JSON."),
        (b"", PARSE_ERROR, "Parse error: the body is not valid JSON."),
        (b"\xff\xfe{}", PARSE_ERROR, "Parse error: the body is not valid JSON."),
        (b"[" * 5000, PARSE_ERROR, "Parse error: the body is not valid JSON."),
        ([tools_list()], INVALID_REQUEST, "Invalid Request: batches (JSON arrays) are not supported; send one"),
        ("tools/list", INVALID_REQUEST, "Invalid Request: the body must be one JSON-RPC message object."),
        (tools_list(jsonrpc="1.0"), INVALID_REQUEST, 'Invalid Request: `jsonrpc` must be "2.0".'),
        (tools_list(method=5), INVALID_REQUEST, "Invalid Request: `method` must be a string."),
        (tools_list(params=[1]), INVALID_PARAMS, "Invalid params: `params` must be an object."),
        ({"jsonrpc": "2.0", "id": 1}, INVALID_REQUEST, "Invalid Request: a message needs a `method`"),
        ({"jsonrpc": "2.0", "id": 1, "result": 5}, INVALID_REQUEST, "Invalid Request: `result` must be an object."),
        ({"jsonrpc": "2.0", "id": 1, "error": {"code": "x"}}, INVALID_REQUEST, "Invalid Request: `error` must be"),
    ],
    ids=lambda value: repr(value)[:40],
)
async def test_a_malformed_envelope_is_refused_in_one_sentence(
    demo_gateway: RunningGateway, version: str, body: Any, code: int, sentence: str
):
    response = await post(demo_gateway, body, version)
    assert response.status_code == 400
    refused_code, message = refusal(response)
    assert refused_code == code and message.startswith(sentence)


@pytest.mark.parametrize(
    ("params", "sentence"),
    [
        ({"arguments": {}}, "Invalid params: `name` must be the tool's name, a string."),
        ({"name": 5, "arguments": {}}, "Invalid params: `name` must be the tool's name, a string."),
        ({"name": "list_events", "arguments": "query=Toronto"}, "Invalid params: `arguments` must be an object."),
        ({"name": "list_events", "arguments": [1]}, "Invalid params: `arguments` must be an object."),
    ],
    ids=lambda value: repr(value)[:40],
)
async def test_a_tool_call_without_a_name_or_with_arguments_that_are_not_an_object_says_which(
    demo_gateway: RunningGateway, params: dict[str, Any], sentence: str
):
    body = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {**params, "_meta": META}}
    response = await post(demo_gateway, body)
    assert response.status_code == 400
    assert refusal(response) == (INVALID_PARAMS, sentence)
    assert response.json()["id"] == 7


@pytest.mark.parametrize("version", sorted(HEADERS))
async def test_a_well_formed_request_passes_the_guard_unchanged(demo_gateway: RunningGateway, version: str):
    response = await post(demo_gateway, tools_list(id="list-1"), version)
    assert response.status_code == 200
    assert response.json()["id"] == "list-1" and response.json()["result"]["tools"]


async def test_a_body_over_two_mebibytes_gets_413_without_being_read_to_the_end(demo_gateway: RunningGateway):
    oversized = json.dumps(tools_list(padding="x" * (2 * 1024 * 1024))).encode()
    declared = await post(demo_gateway, oversized)

    async def chunks() -> Any:  # no Content-Length: the guard counts what arrives
        for start in range(0, len(oversized), 64 * 1024):
            yield oversized[start : start + 64 * 1024]

    async with httpx2.AsyncClient(timeout=30) as http:
        headers = {**HEADERS["2025-11-25"], "Authorization": f"Bearer {demo_gateway.token}"}
        streamed = await http.post(demo_gateway.url, content=chunks(), headers=headers)
    for response in (declared, streamed):
        assert response.status_code == 413
        assert refusal(response) == (INVALID_REQUEST, "Invalid Request: the body is over 2 MiB.")


async def test_a_caller_without_a_token_is_refused_before_its_body_is_parsed(demo_gateway: RunningGateway):
    async with httpx2.AsyncClient(timeout=30) as http:
        response = await http.post(demo_gateway.url, content=b"{", headers=HEADERS["2025-11-25"])
    assert response.status_code == 401


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
ENVELOPES = st.fixed_dictionaries(
    {},
    optional={
        "jsonrpc": st.just("2.0") | st.just("2.0") | st.sampled_from(["1.0", 2]) | JSON_VALUES,
        "id": st.integers() | st.text(max_size=8) | JSON_VALUES,
        "method": st.sampled_from(["tools/list", "tools/call", "ping", "initialize", "notifications/x"]) | JSON_VALUES,
        "params": st.fixed_dictionaries(
            {"_meta": st.just(META)},
            optional={"name": st.just("list_events") | JSON_VALUES, "arguments": JSON_VALUES},
        )
        | JSON_VALUES,
        "result": JSON_VALUES,
        "error": JSON_VALUES,
    },
)


def routing(body: Any) -> dict[str, str]:
    """The 2026-07-28 headers that repeat the body's method and tool name, when they can be headers at all."""
    if not isinstance(body, dict):
        return {}
    params = body.get("params")
    if not isinstance(params, dict):
        params = {}
    named = {"Mcp-Method": body.get("method"), "Mcp-Name": params.get("name")}
    return {
        key: value for key, value in named.items() if isinstance(value, str) and value.isascii() and value.isprintable()
    }


@pytest.mark.parametrize("version", sorted(HEADERS))
async def test_fuzzed_envelopes_never_get_a_server_error_or_an_internal_dump(
    demo_gateway: RunningGateway, version: str
):
    headers = {**HEADERS[version], "Authorization": f"Bearer {demo_gateway.token}"}
    headers.pop("Mcp-Method", None)  # each example sends its own
    statuses: Counter[int] = Counter()

    def run() -> None:
        with httpx2.Client(timeout=30, headers=headers) as http:

            @settings(max_examples=150, deadline=None, derandomize=True, database=None)
            @given(ENVELOPES | JSON_VALUES)
            def fuzz(body: Any) -> None:
                response = http.post(demo_gateway.url, content=json.dumps(body).encode(), headers=routing(body))
                statuses[response.status_code] += 1
                assert response.status_code < 500, response.text
                if response.status_code != 202 and "error" in response.json():
                    refusal(response)

            fuzz()

    # The gateway serves from this event loop: the synchronous client runs in a worker thread.
    await anyio.to_thread.run_sync(run)
    assert statuses[400] and (statuses[200] or statuses[202] or statuses[404]), statuses  # refused and served
