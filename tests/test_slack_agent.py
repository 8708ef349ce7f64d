"""The agent loop with fake ports: what the model is offered, how tools run, and every bound."""

from __future__ import annotations

import asyncio
import json

import anyio
import pytest

from slack_client.agent import Agent
from slack_client.errors import GatewayUnavailable
from slack_client.models import Actor, LLMTurn, ToolOutcome, Usage
from slack_client.policy import parse_policy
from tests.slack_fixtures import FakeGateway, ScriptedLLM, answer, calls, shipped_policy, tool

pytest_plugins = ["tests.slack_fixtures"]

STAFF = Actor("req-1", "U0STAFF001", "staff", "C1")
FINANCE = Actor("req-2", "U0FINANCE1", "finance", "C1")
PAYMENT = tool(
    "process_artist_payment",
    read_only=False,
    properties={
        "eid": {"type": "string"},
        "artist_profile_id": {"type": "string"},
        "amount": {"type": "string"},
        "currency": {"type": "string"},
        "confirmation_token": {"anyOf": [{"type": "string"}, {"type": "null"}]},
    },
)
READS = [tool("get_live_voting_status"), tool("get_auction_status"), tool("get_payment_summary")]


def agent(llm: ScriptedLLM, gateway: FakeGateway, policy=None) -> Agent:
    return Agent(llm, gateway, policy or shipped_policy())


async def test_a_one_tool_question_costs_exactly_two_llm_rounds():
    llm = ScriptedLLM(calls(("get_live_voting_status", {"eid": "AB4001"})), answer("Grace Liu leads."))
    gateway = FakeGateway(READS)
    result = await agent(llm, gateway).run(STAFF, "how's voting at AB4001?")
    assert result.rounds == 2 and len(llm.requests) == 2
    assert result.text == "Grace Liu leads." and result.tools_used == ("get_live_voting_status",)
    assert result.usage == Usage(250, 60)


async def test_the_model_is_offered_only_tools_the_role_allows_and_the_gateway_lists():
    llm = ScriptedLLM(answer("hi"))
    gateway = FakeGateway([*READS, tool("drop_everything"), PAYMENT])
    await agent(llm, gateway).run(STAFF, "hello")
    assert [t.name for t in llm.requests[0].tools] == ["get_live_voting_status", "get_auction_status"]


async def test_tools_the_model_calls_in_one_turn_run_concurrently():
    both_started = anyio.Event()
    started = []

    async def slow(arguments, actor):
        started.append(arguments["eid"])
        if len(started) == 2:
            both_started.set()
        with anyio.fail_after(2):
            await both_started.wait()  # only returns if the other call is running at the same time
        return ToolOutcome(False, "ok", {"eid": arguments["eid"]})

    gateway = FakeGateway(READS, {"get_live_voting_status": slow, "get_auction_status": slow})
    llm = ScriptedLLM(
        calls(("get_live_voting_status", {"eid": "AB4001"}), ("get_auction_status", {"eid": "AB4002"})),
        answer("done"),
    )
    result = await agent(llm, gateway).run(STAFF, "voting and auction?")
    assert sorted(started) == ["AB4001", "AB4002"]
    results = llm.requests[1].messages[-1].results
    assert [r.call_id for r in results] == ["call_0", "call_1"]
    assert result.rounds == 2


async def test_a_tool_error_goes_back_to_the_model_and_the_answer_continues():
    gateway = FakeGateway(READS, {"get_live_voting_status": lambda a, _: ToolOutcome(True, "There is no event AB9999")})
    llm = ScriptedLLM(calls(("get_live_voting_status", {"eid": "AB9999"})), answer("AB9999 doesn't exist."))
    result = await agent(llm, gateway).run(STAFF, "voting at AB9999?")
    sent = llm.requests[1].messages[-1].results[0]
    assert sent.is_error and "no event AB9999" in sent.content
    assert result.text == "AB9999 doesn't exist."


async def test_a_tool_the_role_may_not_use_is_refused_without_reaching_the_gateway():
    gateway = FakeGateway([*READS, PAYMENT])
    llm = ScriptedLLM(
        calls(
            ("process_artist_payment", {"eid": "AB4002", "artist_profile_id": "a", "amount": "1", "currency": "CAD"})
        ),
        answer("Sorry, your role can't pay artists."),
    )
    result = await agent(llm, gateway).run(STAFF, "pay Ana 100")
    assert gateway.calls == []
    refusal = llm.requests[1].messages[-1].results[0]
    assert refusal.is_error and "not available to the staff role" in refusal.content
    assert result.pending is None


async def test_a_payment_is_only_previewed_and_the_models_token_is_never_sent():
    preview = {"artist": "Ana Lee", "amount": "100.00", "currency": "CAD"}
    gateway = FakeGateway(
        [PAYMENT],
        {
            "process_artist_payment": lambda a, _: ToolOutcome(
                False,
                "preview",
                {
                    "status": "needs_confirmation",
                    "preview": preview,
                    "confirmation_token": "gw-token-1",
                    "expires_at": "2999-01-01T00:00:00Z",
                },
            )
        },
    )
    args = {"eid": "AB4002", "artist_profile_id": "a-1", "amount": "100.00", "currency": "CAD"}
    llm = ScriptedLLM(
        calls(("process_artist_payment", {**args, "confirmation_token": "made-up-by-model"})),
        answer("Please confirm the payment of 100 CAD to Ana Lee."),
    )
    result = await agent(llm, gateway).run(FINANCE, "pay Ana Lee 100 CAD for AB4002")

    assert gateway.calls == [("process_artist_payment", args, FINANCE)]
    assert "confirmation_token" not in llm.requests[0].tools[0].input_schema["properties"]
    told = llm.requests[1].messages[-1].results[0].content
    assert "PREVIEW ONLY" in told and "gw-token-1" not in told
    assert result.pending is not None and result.pending.token == "gw-token-1"
    assert result.pending.preview == preview and dict(result.pending.arguments) == args


async def test_rounds_are_bounded_and_in_the_last_round_the_model_may_not_call_tools():
    policy = parse_policy(
        {
            "roles": ["staff"],
            "limits": {"max_rounds": 3},
            "tools": {"t": {"roles": ["staff"], "max_calls_per_request": 9}},
        }
    )
    llm = ScriptedLLM(*[calls(("t", {"eid": "AB4001"})) for _ in range(2)], answer("best I can do"))
    result = await agent(llm, FakeGateway([tool("t")]), policy).run(STAFF, "loop forever")
    assert result.rounds == 3 and result.stopped == "rounds"
    assert [r.may_call_tools for r in llm.requests] == [True, True, False]


async def test_tool_calls_beyond_the_per_tool_cap_are_refused_to_the_model():
    policy = parse_policy({"roles": ["staff"], "tools": {"t": {"roles": ["staff"], "max_calls_per_request": 1}}})
    llm = ScriptedLLM(calls(("t", {"eid": "A"}), ("t", {"eid": "B"})), answer("ok"))
    gateway = FakeGateway([tool("t")])
    await agent(llm, gateway, policy).run(STAFF, "twice")
    results = llm.requests[1].messages[-1].results
    assert len(gateway.calls) == 1
    assert [r.is_error for r in results] == [False, True]


async def test_running_out_of_tokens_ends_with_an_answer_and_no_more_tools():
    policy = parse_policy({"roles": ["staff"], "limits": {"max_tokens": 100}, "tools": {"t": {"roles": ["staff"]}}})
    big = LLMTurn("", calls(("t", {"eid": "A"})).tool_calls, Usage(500, 50))
    llm = ScriptedLLM(big, answer("summary"))
    result = await agent(llm, FakeGateway([tool("t")]), policy).run(STAFF, "q")
    assert result.stopped == "tokens" and not llm.requests[-1].may_call_tools


async def test_a_question_that_takes_too_long_is_stopped_with_a_polite_answer():
    policy = parse_policy({"roles": ["staff"], "limits": {"max_seconds": 0.05}, "tools": {"t": {"roles": ["staff"]}}})

    async def hangs(arguments, actor):
        await asyncio.Event().wait()

    llm = ScriptedLLM(calls(("t", {"eid": "A"})))
    result = await agent(llm, FakeGateway([tool("t")], {"t": hangs}), policy).run(STAFF, "q")
    assert result.stopped == "time" and "too long" in result.text


async def test_an_unreachable_gateway_stops_the_question_instead_of_guessing():
    async def down(arguments, actor):
        raise GatewayUnavailable("connection refused")

    llm = ScriptedLLM(calls(("get_live_voting_status", {"eid": "AB4001"})), answer("never"))
    with pytest.raises(GatewayUnavailable):
        await agent(llm, FakeGateway(READS, {"get_live_voting_status": down})).run(STAFF, "q")
    with pytest.raises(GatewayUnavailable):
        await agent(ScriptedLLM(), FakeGateway(READS, ready=False)).run(STAFF, "q")


async def test_tool_results_are_redacted_and_trimmed_before_the_model_sees_them():
    leaky = ToolOutcome(False, "", {"artist": "Ana", "email": "ana@example.com", "notes": "x" * 50_000})
    gateway = FakeGateway(READS, {"get_live_voting_status": lambda a, _: leaky})
    llm = ScriptedLLM(calls(("get_live_voting_status", {"eid": "AB4001"})), answer("ok"))
    await agent(llm, gateway).run(STAFF, "q")
    content = llm.requests[1].messages[-1].results[0].content
    assert "ana@example.com" not in content and "a***@example.com" in content
    assert len(content) <= shipped_policy().limits.max_tool_result_chars
    assert json.loads(json.dumps(content))
