"""The assistant's own surface: suggested prompts for a new assistant thread, and the thread's title.

When a user opens the assistant, Slack sends `assistant_thread_started`; the bot offers the prompts the
policy file lists for that user's role (`suggested_prompts` in `manifests/allowed-tools.yaml`, editable
without code). The first question asked in a thread becomes its title in the user's history. Neither is
worth failing a request for: a Slack error is logged and the conversation carries on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import structlog

from slack_client.errors import SlackError
from slack_client.models import Message, UserMessage
from slack_client.policy import Policy
from slack_client.roles import RoleResolver
from slack_client.slack.inbox import Question, ThreadStart
from slack_client.slack.web import SlackWeb

log = structlog.get_logger(__name__)

PROMPTS_TITLE = "Try asking"
TITLE_LIMIT = 60


class ThreadSuggestions:
    """Suggested prompts per role when a thread starts, and a title from the thread's first question."""

    def __init__(self, web: SlackWeb, policy: Policy, roles: RoleResolver) -> None:
        self._web, self._policy, self._roles = web, policy, roles

    async def thread_started(self, start: ThreadStart) -> None:
        if not self._policy.access_allowed(start.team, start.channel, start.user):
            return
        role = self._roles.role_of(start.user)
        prompts = self._policy.suggested_prompts.get(role, ())
        if not prompts:
            return
        pairs = [(prompt.title, prompt.message) for prompt in prompts]
        try:
            await self._web.set_suggested_prompts(start.channel, start.thread_ts, pairs, PROMPTS_TITLE)
        except SlackError as error:
            log.warning("suggested_prompts_failed", user=start.user, role=role, error=str(error))
            return
        log.info("suggested_prompts_set", user=start.user, role=role, prompts=len(pairs))

    async def title_if_first(self, question: Question, history: Sequence[Message]) -> None:
        """Title a DM thread after its first question (assistant threads live in the bot's DM)."""
        if question.kind != "dm" or not question.history_ts or any(isinstance(m, UserMessage) for m in history):
            return
        try:
            await self._web.set_title(question.channel, question.history_ts, thread_title(question.text))
        except SlackError as error:
            log.info("thread_title_not_set", channel=question.channel, error=str(error))


def thread_title(question: str) -> str:
    """The question on one line, cut at a word within `TITLE_LIMIT` characters."""
    line = re.sub(r"\s+", " ", question).strip() or "New question"
    if len(line) <= TITLE_LIMIT:
        return line
    cut = line.rfind(" ", 0, TITLE_LIMIT - 1)
    return line[: cut if cut > TITLE_LIMIT // 2 else TITLE_LIMIT - 1].rstrip() + "…"
