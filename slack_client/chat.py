"""`abcodex-chat`: the Slack assistant's agent in a terminal, to try the system without Slack.

It uses the same settings (gateway, LLM, policy) as the bot and needs no Slack tokens; with no gateway
configured it uses the one `make run` started (`settings.load_chat_settings`), so an LLM key is all it
needs. Answers stream as they are written, markdown tables aligned in columns; each tool call is shown; a
chart is saved as a PNG and its path printed; an action that needs confirmation is asked at the prompt,
and a yes goes through the same `Confirmations` path as a Slack button.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import TextIO

from slack_client.agent import Agent, tool_arguments_summary
from slack_client.confirmations import Confirmations
from slack_client.errors import BotError, ConfigError
from slack_client.gateway_client import GatewayClient
from slack_client.llm import build_provider
from slack_client.models import (
    Actor,
    AssistantMessage,
    Message,
    PendingConfirmation,
    ToolCall,
    ToolImage,
    UserMessage,
)
from slack_client.observability import configure_logging
from slack_client.policy import Policy, load_policy
from slack_client.redact import redact
from slack_client.settings import BotSettings, load_chat_settings
from slack_client.slack.uploads import ImageCollector, image_filename

ReadLine = Callable[[str], Awaitable[str | None]]
SAVED_FOR_USER = "The chart image was saved for the user, who is told where; refer to it, do not describe its pixels."
_SEPARATOR_CELL = re.compile(r"^:?-+:?$")


async def read_stdin(prompt: str) -> str | None:
    """A line from the terminal, or None at end of input."""
    try:
        return await asyncio.to_thread(input, prompt)
    except EOFError:
        return None


class TerminalOutput:
    """Streams the answer and shows tool calls (an `AgentObserver`), redacted like Slack replies.

    Text is written a line at a time: an email or phone number split across two streamed chunks is still
    whole when it is redacted (neither spans a line).
    """

    def __init__(self, out: TextIO) -> None:
        self._out = out
        self._mid_line = False
        self._partial = ""
        self._table: list[str] = []

    async def text(self, chunk: str) -> None:
        self._partial += chunk
        complete, newline, self._partial = self._partial.rpartition("\n")
        if newline:
            for line in redact(complete).split("\n"):
                self._line(line)
            self._out.flush()
            self._mid_line = False

    def _line(self, line: str) -> None:
        # A table is only aligned once its last row is in: rows are held until a line that is not one.
        if line.lstrip().startswith("|"):
            self._table.append(line)
            return
        self._flush_table()
        self._out.write(line + "\n")

    def _flush_table(self) -> None:
        if self._table:
            self._out.write("".join(row + "\n" for row in aligned_table(self._table)))
            self._table = []

    async def tools_started(self, calls: Sequence[ToolCall]) -> None:
        self.end_line()
        for call in calls:
            self._out.write(f"  ↳ {call.name}({tool_arguments_summary(call.arguments)})\n")
        self._out.flush()

    def end_line(self) -> None:
        if self._partial.lstrip().startswith("|"):
            self._table.append(redact(self._partial))
            self._partial = ""
        self._flush_table()
        if self._partial:
            self._out.write(redact(self._partial))
            self._partial = ""
            self._mid_line = True
        if self._mid_line:
            self._out.write("\n")
            self._mid_line = False

    def say(self, line: str) -> None:
        self.end_line()
        self._out.write(line + "\n")
        self._out.flush()


def aligned_table(rows: Sequence[str]) -> list[str]:
    """Markdown table rows as aligned columns; a column whose separator ends in `:` is right-aligned."""
    cells = [[cell.strip() for cell in row.strip().strip("|").split("|")] for row in rows]
    separator = next((r for r in cells if r and all(_SEPARATOR_CELL.match(c) for c in r)), None)
    body = [r for r in cells if r is not separator]
    width = max(len(r) for r in body) if body else 0
    body = [r + [""] * (width - len(r)) for r in body]
    widths = [max(len(r[i]) for r in body) for i in range(width)]
    right = [bool(separator and i < len(separator) and separator[i].endswith(":")) for i in range(width)]
    lines = [
        "  ".join(c.rjust(w) if r else c.ljust(w) for c, w, r in zip(row, widths, right, strict=True)).rstrip()
        for row in body
    ]
    if separator is not None and lines:
        lines.insert(1, "  ".join("─" * w for w in widths))
    return lines


class ChatSession:
    """One terminal conversation: its history, and a prompt for confirmations."""

    def __init__(
        self,
        agent: Agent,
        confirmations: Confirmations,
        terminal: TerminalOutput,
        read_line: ReadLine,
        images: ImageCollector | None = None,
        output_dir: Path | None = None,
    ) -> None:
        self._agent = agent
        self._confirmations = confirmations
        self._terminal = terminal
        self._read_line = read_line
        self._images = images
        self._output_dir = output_dir
        self._history: list[Message] = []

    async def ask(self, actor: Actor, question: str) -> None:
        """Answer one question, streaming; ask for confirmation when the agent prepared an action."""
        try:
            result = await self._agent.run(
                actor, question, self._history, observer=self._terminal, on_text=self._terminal.text
            )
        except BotError as error:
            self._terminal.say(f"! {error}")
            return
        finally:
            images = self._images.take(actor.request_id) if self._images is not None else ()
        self._terminal.end_line()
        for path in self._save(actor.request_id, images):
            self._terminal.say(f"  chart saved: {path}")
        self._history += [UserMessage(question), AssistantMessage(result.text)]
        if result.pending is not None:
            await self._confirm(result.pending)

    def _save(self, request_id: str, images: Sequence[ToolImage]) -> list[Path]:
        if not images:
            return []
        if self._output_dir is None:
            self._output_dir = Path(tempfile.mkdtemp(prefix="abcodex-charts-"))
        self._output_dir.mkdir(parents=True, exist_ok=True)
        paths = [self._output_dir / f"{request_id}-{image_filename(image, n)}" for n, image in enumerate(images, 1)]
        for path, image in zip(paths, images, strict=True):
            path.write_bytes(image.data)
        return paths

    async def _confirm(self, pending: PendingConfirmation) -> None:
        self._terminal.say(f"Needs your confirmation: {pending.tool}")
        for key, value in pending.preview.items():
            self._terminal.say(f"  {key}: {value}")
        answer = await self._read_line("Confirm? [y/N] ")
        self._confirmations.add(pending)
        if (answer or "").strip().lower() in ("y", "yes"):
            result = await self._confirmations.confirm(pending.id, pending.actor.user_id, _request_id())
        else:
            result = self._confirmations.cancel(pending.id, pending.actor.user_id)
        self._terminal.say(result.message)


async def chat(
    settings: BotSettings,
    policy: Policy,
    *,
    user: str,
    role: str,
    read_line: ReadLine,
    out: TextIO,
    output_dir: Path | None = None,
    found_gateway: str | None = None,
) -> None:
    """Run the prompt loop until end of input or `exit`; charts go to `output_dir` (a temp dir by default)."""
    token = settings.mcp_gateway_auth_token.get_secret_value()
    async with GatewayClient(settings.mcp_gateway_url, token, client_name="abcodex-chat") as gateway:
        llm = build_provider(settings)
        try:
            images = ImageCollector(gateway, note=SAVED_FOR_USER)
            agent = Agent(llm, images, policy, max_output_tokens=settings.llm_max_output_tokens)
            terminal = TerminalOutput(out)
            confirmations = Confirmations(gateway, policy, lambda _user: role)
            session = ChatSession(agent, confirmations, terminal, read_line, images, output_dir)
            if found_gateway:
                terminal.say(found_gateway)
            terminal.say(f"abcodex chat: {llm.name} {llm.model}, role {role}. Type exit to leave.")
            while (question := await read_line("you> ")) is not None and question.strip() not in ("exit", "quit"):
                if question.strip():
                    await session.ask(Actor(_request_id(), user, role), question)
        finally:
            await llm.aclose()


def _request_id() -> str:
    return uuid.uuid4().hex[:12]


def main(argv: Sequence[str] | None = None) -> None:
    """`abcodex-chat [--role ROLE] [--user ID]`."""
    parser = argparse.ArgumentParser(prog="abcodex-chat", description="Talk to the abcodex agent in a terminal.")
    parser.add_argument("--role", help="the role to act as (default: the policy's default role)")
    parser.add_argument("--user", default="terminal", help="the acting user id sent to the gateway's audit")
    args = parser.parse_args(argv)
    try:
        settings, chat_settings, found_gateway = load_chat_settings()
        policy = load_policy(settings.allowed_tools_file)
    except ConfigError as error:
        print(f"abcodex-chat: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    role = args.role or policy.default_role
    if role not in policy.roles:
        parser.error(f"unknown role {role!r}; roles: {', '.join(policy.roles)}")
    configure_logging("WARNING", "console", stream=sys.stderr)
    session = chat(
        settings,
        policy,
        user=args.user,
        role=role,
        read_line=read_stdin,
        out=sys.stdout,
        output_dir=chat_settings.chat_output_dir,
        found_gateway=found_gateway,
    )
    asyncio.run(session)


if __name__ == "__main__":
    main()
