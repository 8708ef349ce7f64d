"""`abcodex-chat`: the Slack assistant's agent in a terminal, to try the system without Slack.

It uses the same settings (gateway, LLM, policy) as the bot and needs no Slack tokens. Answers stream
as they are written; each tool call is shown; an action that needs confirmation is asked at the prompt,
and a yes goes through the same `Confirmations` path as a Slack button.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid
from collections.abc import Awaitable, Callable, Sequence
from typing import TextIO

from slack_client.agent import Agent, tool_arguments_summary
from slack_client.confirmations import Confirmations
from slack_client.errors import BotError, ConfigError
from slack_client.gateway_client import GatewayClient
from slack_client.llm import build_provider
from slack_client.models import Actor, AssistantMessage, Message, PendingConfirmation, ToolCall, UserMessage
from slack_client.observability import configure_logging
from slack_client.policy import Policy, load_policy
from slack_client.redact import redact
from slack_client.settings import BotSettings, load_settings

ReadLine = Callable[[str], Awaitable[str | None]]


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

    async def text(self, chunk: str) -> None:
        self._partial += chunk
        complete, newline, self._partial = self._partial.rpartition("\n")
        if newline:
            self._out.write(redact(complete) + "\n")
            self._out.flush()
            self._mid_line = False

    async def tools_started(self, calls: Sequence[ToolCall]) -> None:
        self.end_line()
        for call in calls:
            self._out.write(f"  ↳ {call.name}({tool_arguments_summary(call.arguments)})\n")
        self._out.flush()

    def end_line(self) -> None:
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


class ChatSession:
    """One terminal conversation: its history, and a prompt for confirmations."""

    def __init__(
        self, agent: Agent, confirmations: Confirmations, terminal: TerminalOutput, read_line: ReadLine
    ) -> None:
        self._agent = agent
        self._confirmations = confirmations
        self._terminal = terminal
        self._read_line = read_line
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
        self._terminal.end_line()
        self._history += [UserMessage(question), AssistantMessage(result.text)]
        if result.pending is not None:
            await self._confirm(result.pending)

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
    settings: BotSettings, policy: Policy, *, user: str, role: str, read_line: ReadLine, out: TextIO
) -> None:
    """Run the prompt loop until end of input or `exit`."""
    token = settings.mcp_gateway_auth_token.get_secret_value()
    async with GatewayClient(settings.mcp_gateway_url, token, client_name="abcodex-chat") as gateway:
        llm = build_provider(settings)
        try:
            agent = Agent(llm, gateway, policy, max_output_tokens=settings.llm_max_output_tokens)
            terminal = TerminalOutput(out)
            session = ChatSession(agent, Confirmations(gateway, policy, lambda _user: role), terminal, read_line)
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
        settings = load_settings()
        policy = load_policy(settings.allowed_tools_file)
    except ConfigError as error:
        print(f"abcodex-chat: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    role = args.role or policy.default_role
    if role not in policy.roles:
        parser.error(f"unknown role {role!r}; roles: {', '.join(policy.roles)}")
    configure_logging("WARNING", "console", stream=sys.stderr)
    asyncio.run(chat(settings, policy, user=args.user, role=role, read_line=read_stdin, out=sys.stdout))


if __name__ == "__main__":
    main()
