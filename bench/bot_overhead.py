"""What the bot itself costs per question: acks per transport, its CPU and time as logged, the agent loop alone.

- ack latency p50/p99 per transport: Socket Mode (envelope pushed → ack received, timed by the Slack double),
  also for a burst of envelopes pushed at once, and Events API (signed POST → 200, timed by the client);
- the bot's own CPU per question (from /proc: user + system time of the bot process over the run, divided by
  the questions answered), its time per question as it logs it, and its LLM rounds per one-tool question;
- the agent loop alone with fake ports (no I/O), in this process.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path
from typing import Any

import httpx2

from bench.bot_harness import (
    BotProcess,
    InstantGateway,
    bot_env,
    doubles,
    free_port,
    run_questions,
    summary_ms,
    wait_ready,
)
from slack_client.agent import Agent
from slack_client.models import Actor
from tests.doubles.slack_http_events import event_request
from tests.doubles.slack_payloads import BOT_USER_ID, app_mention, event_callback
from tests.slack_fixtures import SIGNING_SECRET, FakeGateway, ScriptedLLM, answer, calls, shipped_policy, tool


async def socket_mode_phase(
    gateway: InstantGateway, policy: Path, args: argparse.Namespace, deadline: float
) -> dict[str, Any]:
    async with (
        doubles(args.questions) as (slack, llm),
        BotProcess(bot_env(slack, llm, gateway, policy, PORT="0")) as bot,
    ):
        await slack.socket_mode.wait_for_connection_async(timeout=30)

        async def ask(index: int) -> dict[str, Any]:
            user = f"U{index + 1:08d}"
            event = app_mention(f"<@{BOT_USER_ID}> voting at AB4001?", user=user, channel="C0BENCH001")
            waiter = bot.answer_of(user)
            slack.socket_mode.push_events_api(event_callback(event))
            return await asyncio.wait_for(waiter, 30)

        await ask(-1)  # warm-up: first connections, first tools/list
        cpu_before, acks_before = bot.cpu_seconds(), len(slack.socket_mode.acks)
        lines = await run_questions(bot, args.questions, args.concurrency, deadline, ask)
        cpu = bot.cpu_seconds() - cpu_before
        acks = [a.latency for a in slack.socket_mode.acks[acks_before:] if a.latency is not None]
        burst_before = len(slack.socket_mode.acks)
        await asyncio.gather(*(ask(args.questions + i) for i in range(args.burst)))  # all pushed at once
        burst = [a.latency for a in slack.socket_mode.acks[burst_before:] if a.latency is not None]
    rounds = [line["llm_rounds"] for line in lines]
    return {
        "ack": summary_ms(acks),
        "ack_burst": summary_ms(burst),
        "bot_wall_per_question": summary_ms([line["duration_ms"] / 1000 for line in lines]),
        "bot_cpu_ms_per_question": round(cpu / max(1, len(lines)) * 1000, 2),
        "rounds": sorted(set(rounds)),
        "questions": len(lines),
    }


async def http_mode_phase(
    gateway: InstantGateway, policy: Path, args: argparse.Namespace, deadline: float
) -> dict[str, Any]:
    port = free_port()
    env = {"PORT": str(port), "SLACK_USE_SOCKET_MODE": "false"}
    async with (
        doubles(args.questions) as (slack, llm),
        BotProcess(bot_env(slack, llm, gateway, policy, **env)) as bot,
        httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}") as http,
    ):
        await wait_ready(http)

        async def ask(index: int) -> float:
            user = f"U{index + 1:08d}"
            event = app_mention(f"<@{BOT_USER_ID}> voting?", user=user, channel="C0BENCH002")
            request = event_request(event_callback(event), SIGNING_SECRET)
            waiter = bot.answer_of(user)
            started = time.perf_counter()
            response = await http.post("/slack/events", content=request.body, headers=request.headers)
            acked = time.perf_counter() - started
            response.raise_for_status()
            await asyncio.wait_for(waiter, 30)
            return acked

        await ask(-1)
        acks = await run_questions(bot, args.questions, args.concurrency, deadline, ask)
    return {"ack": summary_ms(acks)}


async def agent_only_phase(count: int) -> dict[str, Any]:
    """The agent loop with fake ports (no network): the loop's own Python cost per question."""
    gateway = FakeGateway([tool("get_live_voting_status")])
    actor, policy, durations = Actor("bench", "U0BENCH", "staff"), shipped_policy(), []
    for _ in range(count):
        llm = ScriptedLLM(calls(("get_live_voting_status", {"eid": "AB4001"})), answer("Grace Liu leads."))
        started = time.perf_counter()
        result = await Agent(llm, gateway, policy).run(actor, "voting at AB4001?")
        durations.append(time.perf_counter() - started)
        assert result.rounds == 2
    return {"question": summary_ms(durations)}
