# The front door: `make help` lists what you can do.
SHELL := /bin/bash
.DEFAULT_GOAL := help
export UV_SYSTEM_CERTS ?= 1
# uv from PATH, or the copy `make uv` installs with pip (runnable as `python3 -m uv` wherever pip put it)
UV ?= $(shell command -v uv 2>/dev/null || echo python3 -m uv)
RUN := $(UV) run --frozen

.PHONY: help uv install run run-stdio chat migrate test test-fast lint typecheck bench conformance

help: ## list the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

uv: ## install uv if it is missing
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv || python3 -m pip install --quiet --user uv
	@$(UV) --version >/dev/null 2>&1 || (echo "uv could not be installed with pip; see https://docs.astral.sh/uv/" && exit 1)

install: uv ## create .venv from uv.lock
	$(UV) sync --locked

run: install ## run the gateway on http://127.0.0.1:8081/mcp (embedded Postgres with demo data unless DATABASE_URL is set)
	$(RUN) abcodex-gateway

run-stdio: install ## run the gateway over stdio (for desktop MCP hosts)
	$(RUN) abcodex-gateway --stdio

chat: install ## talk to the agent in a terminal, against the `make run` gateway (needs only ANTHROPIC_API_KEY or OPENAI_API_KEY)
	$(RUN) abcodex-chat

migrate: install ## apply the gateway's migrations to DATABASE_URL
	$(RUN) abcodex-gateway migrate

test: install ## run the whole test suite
	$(RUN) pytest

lint: install ## ruff
	$(RUN) ruff check .
	$(RUN) ruff format --check .

typecheck: install ## mypy --strict
	$(RUN) mypy

bench: install ## load tests on loopback: the gateway (ratios against a no-op tool; overload: shedding, probes) and the bot
	$(RUN) python -m bench.gateway_bench
	$(RUN) python -m bench.gateway_overload
	$(RUN) python -m bench.bot_bench

conformance: install ## MCP Inspector CLI and the MCP conformance suite against a local gateway
	bash scripts/mcp-conformance.sh

-include mk/*.mk
