"""No audit row is lost for a call the gateway answered: awkward text, refused rows, Postgres outages, a full
buffer and shutdown, through the real gateway on a real Postgres (its own scratch cluster when it is stopped)."""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import httpx2
import pytest
from mcp.shared.exceptions import MCPError
from mcp_types import CallToolResult, TextContent
from prometheus_client.parser import text_string_to_metric_families
from structlog.testing import capture_logs

from mcp_server.tool_errors import OUTAGE
from tests.support.gateway import RunningGateway, run_gateway
from tests.support.payments import PAYMENT_TOOL, call, pay_args, payments_gateway, preview_token
from tests.support.postgres import PostgresForTests, build_template, start_test_postgres
from tests.support.waiting import eventually


@pytest.fixture(scope="module")
async def own_postgres() -> AsyncIterator[PostgresForTests]:
    """A cluster of this module's own, so stopping it leaves the rest of the suite alone."""
    server = start_test_postgres()
    anchor = datetime.now(UTC)
    await build_template(server, anchor)
    yield PostgresForTests(server, anchor)
    server.stop("immediate")


@asynccontextmanager
async def postgres_away(postgres: PostgresForTests) -> AsyncIterator[None]:
    """Postgres stopped for the block; from a thread, because the gateway serves from this event loop."""
    await asyncio.to_thread(postgres.server.stop, "fast")
    try:
        yield
    finally:
        await asyncio.to_thread(postgres.server.start)


async def started(gateway: RunningGateway) -> RunningGateway:
    """The gateway once ready, so the outage meets calls rather than its first migration."""
    async with httpx2.AsyncClient(base_url=gateway.base_url) as http:
        await eventually(lambda: http.get("/readyz"), lambda response: response.status_code == 200)
    return gateway


async def audit_metrics(gateway: RunningGateway) -> dict[str, float]:
    async with httpx2.AsyncClient(base_url=gateway.base_url) as http:
        text = (await http.get("/metrics")).text
    families = text_string_to_metric_families(text)
    return {s.name: s.value for family in families for s in family.samples if s.name.startswith("abcodex_audit_")}


def settled(expected: dict[str, float]) -> Callable[[dict[str, float]], bool]:
    return lambda metrics: all(metrics.get(name) == value for name, value in expected.items())


async def fetch(gateway: RunningGateway, sql: str, *args: Any) -> list[asyncpg.Record]:
    connection = await asyncpg.connect(gateway.database_url)
    try:
        return await connection.fetch(sql, *args)
    finally:
        await connection.close()


async def rows_eventually(gateway: RunningGateway, count: int, sql: str, *args: Any) -> list[asyncpg.Record]:
    """The audit is written in the background: look until `count` rows match (and check there are no more)."""
    found = await eventually(lambda: fetch(gateway, sql, *args), lambda rows: len(rows) >= count)
    assert len(found) == count, found
    return found


def text_of(result: CallToolResult) -> str:
    [content] = result.content
    assert isinstance(content, TextContent)
    return content.text


async def until(condition: Callable[[], bool], timeout: float = 30) -> None:
    async def check() -> bool:
        return condition()

    await eventually(check, bool, timeout)


def letters_only_marker() -> str:
    """Unique, and without digits the masking could take for a phone number."""
    return "m" + "".join(chr(ord("a") + int(digit, 16)) for digit in uuid.uuid4().hex[:20])


async def test_arguments_with_nul_and_other_awkward_characters_are_audited_and_readable(
    demo_gateway: RunningGateway,
) -> None:
    marker = letters_only_marker()
    controls = f"{marker} \u0001 \u001f \uffff \U0001f3a8 \u202e"
    long = f"{marker} " + "\u00e9\u0000" * 3000
    async with demo_gateway.client() as client:
        answers = await asyncio.gather(
            *(client.call_tool("list_events", {"query": text}) for text in (f"{marker} a\u0000b", controls, long))
        )
        with pytest.raises(MCPError, match="Unknown tool"):
            await client.call_tool(f"zz_{marker}\u0000", {"k\u0000ey": "v\u0000"})
    assert all(answer.is_error for answer in answers)  # control characters are refused, and audited
    found = await rows_eventually(
        demo_gateway,
        4,
        "SELECT tool, arguments FROM abcodex_tool_calls WHERE arguments->>'query' LIKE $1 OR tool LIKE $2",
        f"{marker}%",
        f"zz_{marker}%",
    )
    stored = {row["tool"]: json.loads(row["arguments"]) for row in found if row["tool"] != "list_events"}
    queries = {json.loads(row["arguments"])["query"] for row in found if row["tool"] == "list_events"}
    assert stored == {f"zz_{marker}\\u0000": {"k\\u0000ey": "v\\u0000"}}
    # The audit keeps 500 characters of a string (abcodex_common.masking), cut before NUL is escaped.
    assert queries == {f"{marker} a\\u0000b", controls, long[:500].replace("\u0000", "\\u0000")}


async def test_characters_the_database_encoding_lacks_are_stored_escaped_beside_rows_stored_as_sent(
    own_postgres: PostgresForTests,
) -> None:
    admin = await asyncpg.connect(own_postgres.server.dsn("postgres"))
    try:
        await admin.execute("CREATE DATABASE t_latin1 TEMPLATE template0 ENCODING 'LATIN1' LC_COLLATE 'C' LC_CTYPE 'C'")
    finally:
        await admin.close()
    async with run_gateway(own_postgres.server.dsn("t_latin1")) as gateway, gateway.client() as client:

        async def unknown(name: str, note: str) -> None:
            with pytest.raises(MCPError, match="Unknown tool"):
                await client.call_tool(name, {"note": note})

        await asyncio.gather(
            unknown("zz_\u65e5\u672c", "\u65e5\u672c \u03a9mega caf\u00e9"),
            *(unknown("zz_plain", f"plain {n} caf\u00e9") for n in range(9)),
        )
        found = await rows_eventually(gateway, 10, "SELECT tool, arguments FROM abcodex_tool_calls")
        assert (await audit_metrics(gateway))["abcodex_audit_rows_refused_total"] == 0
    stored = sorted((row["tool"], json.loads(row["arguments"])["note"]) for row in found)
    assert stored == sorted(
        [
            *(("zz_plain", f"plain {n} caf\u00e9") for n in range(9)),
            ("zz_\\u65e5\\u672c", "\\u65e5\\u672c \\u03a9mega caf\\u00e9"),
        ]
    )


async def test_a_row_postgres_refuses_in_every_form_costs_only_itself_and_is_counted(
    own_postgres: PostgresForTests,
) -> None:
    async with run_gateway(await own_postgres.create_demo_database("poison")) as gateway:
        await started(gateway)
        await fetch(
            gateway,
            "ALTER TABLE abcodex_tool_calls ADD CONSTRAINT no_poison CHECK (arguments->>'query' <> 'batch poison')",
        )
        queries = [f"batch {n}" for n in range(19)] + ["batch poison"]
        with capture_logs() as logs:
            async with postgres_away(own_postgres), gateway.client() as client:  # the rows wait, then go as one batch
                answers = await asyncio.gather(*(client.call_tool("list_events", {"query": q}) for q in queries))
                assert {text_of(answer) for answer in answers} == {OUTAGE}
            metrics = await eventually(lambda: audit_metrics(gateway), settled({"abcodex_audit_rows_waiting": 0}))
        found = await fetch(gateway, "SELECT arguments->>'query' AS query FROM abcodex_tool_calls")
    assert sorted(row["query"] for row in found) == sorted(queries[:-1])
    assert metrics["abcodex_audit_rows_refused_total"] == 1 and metrics["abcodex_audit_rows_dropped_total"] == 0
    assert [log["rows"] for log in logs if log["event"] == "audit_batch_refused"] == [20]
    assert [log["outcome"] for log in logs if log["event"] == "audit_row_refused"] == ["tool_error"]


async def test_every_call_answered_during_a_postgres_outage_under_load_is_audited(
    own_postgres: PostgresForTests,
) -> None:
    answers: dict[str, str] = {}  # unique query -> "ok" or the sentence of the error
    numbers = itertools.count()
    enough = asyncio.Event()

    def count(answer: str) -> int:
        return sum(1 for given in answers.values() if given == answer)

    async def keep_calling(gateway: RunningGateway) -> None:
        async with gateway.client() as client:
            while not enough.is_set():
                query = f"outage-{next(numbers)}"
                result = await client.call_tool("list_events", {"query": query})
                answers[query] = text_of(result) if result.is_error else "ok"

    async with run_gateway(await own_postgres.create_demo_database("outage")) as gateway:
        await started(gateway)
        clients = [asyncio.create_task(keep_calling(gateway)) for _ in range(6)]
        await until(lambda: count("ok") >= 60)
        async with postgres_away(own_postgres):
            await until(lambda: count(OUTAGE) >= 100)
        ok_before = count("ok")
        await until(lambda: count("ok") >= ok_before + 60)
        enough.set()
        await asyncio.gather(*clients)
        found = await rows_eventually(
            gateway, len(answers), "SELECT arguments->>'query' AS query FROM abcodex_tool_calls"
        )
        metrics = await eventually(lambda: audit_metrics(gateway), settled({"abcodex_audit_rows_waiting": 0}))
    assert {row["query"] for row in found} == set(answers)
    assert metrics["abcodex_audit_rows_dropped_total"] == 0 and metrics["abcodex_audit_rows_refused_total"] == 0
    assert metrics["abcodex_audit_rows_written_total"] == len(answers)
    assert len(answers) >= 220


async def test_a_full_buffer_drops_the_oldest_rows_and_counts_them(own_postgres: PostgresForTests) -> None:
    database = await own_postgres.create_demo_database("bound")
    async with run_gateway(database, audit_buffer_rows=5) as gateway:
        await started(gateway)
        async with postgres_away(own_postgres), gateway.client() as client:
            for n in range(12):  # one at a time: the buffer's order is the calls' order
                await client.call_tool("list_events", {"query": f"bound {n}"})
            waiting = await eventually(lambda: audit_metrics(gateway), settled({"abcodex_audit_rows_waiting": 5}))
        assert waiting["abcodex_audit_rows_dropped_total"] == 7
        found = await rows_eventually(gateway, 5, "SELECT arguments->>'query' AS query FROM abcodex_tool_calls")
        after = await eventually(lambda: audit_metrics(gateway), settled({"abcodex_audit_rows_waiting": 0}))
    assert {row["query"] for row in found} == {f"bound {n}" for n in range(7, 12)}
    assert after["abcodex_audit_rows_dropped_total"] == 7 and after["abcodex_audit_buffer_rows"] == 5


async def test_during_an_outage_the_payment_tool_says_so_and_its_audit_rows_wait_for_postgres(
    own_postgres: PostgresForTests,
) -> None:
    async with payments_gateway(own_postgres) as setup:
        token = await preview_token(setup)
        async with postgres_away(own_postgres):
            preview = await call(setup, pay_args(amount="10.00"))
            confirm = await call(setup, pay_args(token=token), headers={"X-Acting-User": "U0FINANCE"})
            metrics = await audit_metrics(setup.gateway)
        assert [text_of(preview), text_of(confirm)] == [OUTAGE, OUTAGE]
        assert metrics["abcodex_audit_rows_waiting"] == 2  # written before the answer left: it had to wait
        found = await rows_eventually(
            setup.gateway,
            2,
            "SELECT outcome, detail FROM abcodex_tool_calls WHERE tool = $1 AND outcome = 'tool_error'",
            PAYMENT_TOOL,
        )
    assert {(row["outcome"], row["detail"]) for row in found} == {("tool_error", OUTAGE)}
    assert setup.stripe.transfers == []


async def test_rows_postgres_cannot_take_before_the_drain_ends_are_logged_as_unwritten(
    own_postgres: PostgresForTests,
) -> None:
    database = await own_postgres.create_demo_database("drain")
    async with postgres_away(own_postgres):
        with capture_logs() as logs:
            async with run_gateway(database, mcp_gateway_drain_seconds=0.5) as gateway, gateway.client() as client:
                for n in range(3):
                    await client.call_tool("list_events", {"query": f"drain {n}"})
    assert [log["rows"] for log in logs if log["event"] == "audit_rows_unwritten"] == [3]
