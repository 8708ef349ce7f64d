"""One embedded Postgres server per test session; a database per module cloned from a demo template."""

from __future__ import annotations

import itertools
import os
from dataclasses import dataclass, field
from datetime import UTC, datetime

import asyncpg

from mcp_server.repository.demo_loader import load_demo_data
from mcp_server.repository.embedded import EmbeddedPostgres, scratch_cluster
from mcp_server.repository.migrations import apply_migrations

TEMPLATE = "demo_template"


@dataclass
class PostgresForTests:
    server: EmbeddedPostgres
    anchor: datetime
    _names: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    async def create_demo_database(self, label: str = "db") -> str:
        """A fresh copy of the demo database; returns its DSN."""
        name = f"t_{label}_{next(self._names)}".lower()[:60]
        return await self.server.create_database(name, template=TEMPLATE)


def start_test_postgres() -> EmbeddedPostgres:
    return scratch_cluster("abcodex-test-pg-")


async def build_template(server: EmbeddedPostgres, anchor: datetime) -> None:
    connection = await asyncpg.connect(await server.create_database(TEMPLATE))
    try:
        await apply_migrations(connection, ("production", "abcodex"))
        await load_demo_data(connection, anchor)
    finally:
        await connection.close()


async def session_postgres() -> PostgresForTests:
    server = start_test_postgres()
    anchor = datetime.now(UTC)
    await build_template(server, anchor)
    return PostgresForTests(server, anchor)


def running_as_ci() -> bool:
    return os.environ.get("CI", "").lower() in {"1", "true", "yes"}
