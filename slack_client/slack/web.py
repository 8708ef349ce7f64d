"""The one adapter for Slack's Web API and response URLs (slack-sdk's async clients).

Every call goes through `SlackWeb`, which returns plain values and raises `SlackError`; no slack-sdk
type leaves this module. One aiohttp session serves every call (the SDK would open one per call).
"""

from __future__ import annotations

from collections.abc import Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError, SlackClientError
from slack_sdk.http_retry.builtin_async_handlers import AsyncRateLimitErrorRetryHandler
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse
from slack_sdk.webhook.async_client import AsyncWebhookClient

from slack_client.errors import SlackError

log = structlog.get_logger(__name__)

_SLACK_HOOKS_ORIGIN = ("https", "hooks.slack.com")


@dataclass(frozen=True, slots=True)
class SlackMessage:
    """A message read back from Slack."""

    ts: str
    text: str
    user: str | None
    bot_id: str | None


class SlackWeb:
    """Slack's Web API, as the bot uses it."""

    def __init__(self, token: str, api_url: str, session: aiohttp.ClientSession) -> None:
        self._session = session
        self.client = AsyncWebClient(token=token, base_url=api_url, session=session)
        # Slack answers 429 with Retry-After when a workspace is busy; wait and retry (twice) instead of failing.
        self.client.retry_handlers.append(AsyncRateLimitErrorRetryHandler(max_retry_count=2))
        api = urlsplit(api_url)
        self._trusted_origins = {_SLACK_HOOKS_ORIGIN, (api.scheme, api.netloc)}
        self.bot_user_id: str | None = None
        self.team_id: str | None = None

    async def _call(self, method: str, request: Awaitable[AsyncSlackResponse]) -> Mapping[str, Any]:
        try:
            response = await request
        except SlackApiError as error:
            raise SlackError(f"{method} failed: {error.response.get('error', 'unknown error')}") from None
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise SlackError(f"{method} failed: {error}") from None
        return response.data if isinstance(response.data, dict) else {}

    async def identify(self) -> str:
        """`auth.test`: remember and return the bot's own user id."""
        data = await self._call("auth.test", self.client.auth_test())
        self.bot_user_id = str(data.get("user_id") or "") or None
        self.team_id = str(data.get("team_id") or "") or None
        return self.bot_user_id or ""

    async def post_message(
        self,
        channel: str,
        text: str,
        *,
        thread_ts: str | None = None,
        blocks: Sequence[dict[str, Any]] | None = None,
    ) -> str:
        """`chat.postMessage`; returns the new message's ts."""
        request = self.client.chat_postMessage(
            channel=channel, text=text, thread_ts=thread_ts, blocks=blocks, unfurl_links=False
        )
        data = await self._call("chat.postMessage", request)
        return str(data.get("ts") or "")

    async def update_message(
        self, channel: str, ts: str, text: str, blocks: Sequence[dict[str, Any]] | None = None
    ) -> None:
        await self._call("chat.update", self.client.chat_update(channel=channel, ts=ts, text=text, blocks=blocks))

    async def start_stream(
        self,
        channel: str,
        thread_ts: str,
        markdown_text: str,
        *,
        recipient_user_id: str | None = None,
        recipient_team_id: str | None = None,
    ) -> str:
        """`chat.startStream`: a reply in the thread that grows as text is appended; returns its ts."""
        request = self.client.chat_startStream(
            channel=channel,
            thread_ts=thread_ts,
            markdown_text=markdown_text,
            recipient_user_id=recipient_user_id,
            recipient_team_id=recipient_team_id,
        )
        data = await self._call("chat.startStream", request)
        return str(data.get("ts") or "")

    async def append_stream(self, channel: str, ts: str, markdown_text: str) -> None:
        """`chat.appendStream`: more text at the end of a streaming message."""
        request = self.client.chat_appendStream(channel=channel, ts=ts, markdown_text=markdown_text)
        await self._call("chat.appendStream", request)

    async def stop_stream(
        self, channel: str, ts: str, markdown_text: str | None = None, blocks: Sequence[dict[str, Any]] | None = None
    ) -> None:
        """`chat.stopStream`: the last text (and blocks under it); the message becomes an ordinary one."""
        request = self.client.chat_stopStream(
            channel=channel, ts=ts, markdown_text=markdown_text or None, blocks=blocks
        )
        await self._call("chat.stopStream", request)

    async def post_ephemeral(self, channel: str, user: str, text: str, *, thread_ts: str | None = None) -> None:
        request = self.client.chat_postEphemeral(channel=channel, user=user, text=text, thread_ts=thread_ts)
        await self._call("chat.postEphemeral", request)

    async def add_reaction(self, channel: str, ts: str, name: str) -> None:
        await self._call("reactions.add", self.client.reactions_add(channel=channel, timestamp=ts, name=name))

    async def remove_reaction(self, channel: str, ts: str, name: str) -> None:
        await self._call("reactions.remove", self.client.reactions_remove(channel=channel, timestamp=ts, name=name))

    async def set_status(self, channel: str, thread_ts: str, status: str) -> None:
        """`assistant.threads.setStatus`: Slack's native "is looking up …" line under a thread."""
        request = self.client.assistant_threads_setStatus(channel_id=channel, thread_ts=thread_ts, status=status)
        await self._call("assistant.threads.setStatus", request)

    async def set_suggested_prompts(
        self, channel: str, thread_ts: str, prompts: Sequence[tuple[str, str]], title: str | None = None
    ) -> None:
        """`assistant.threads.setSuggestedPrompts`: the (title, message) prompts a new assistant thread offers."""
        listed = [{"title": shown, "message": message} for shown, message in prompts]
        request = self.client.assistant_threads_setSuggestedPrompts(
            channel_id=channel, thread_ts=thread_ts, prompts=listed, title=title
        )
        await self._call("assistant.threads.setSuggestedPrompts", request)

    async def set_title(self, channel: str, thread_ts: str, title: str) -> None:
        """`assistant.threads.setTitle`: the name of an assistant thread in the user's history."""
        request = self.client.assistant_threads_setTitle(channel_id=channel, thread_ts=thread_ts, title=title)
        await self._call("assistant.threads.setTitle", request)

    async def publish_home(self, user: str, blocks: Sequence[dict[str, Any]]) -> None:
        """`views.publish`: the user's Home tab."""
        request = self.client.views_publish(user_id=user, view={"type": "home", "blocks": list(blocks)})
        await self._call("views.publish", request)

    async def thread_messages(self, channel: str, thread_ts: str, limit: int = 30) -> list[SlackMessage]:
        """`conversations.replies`: the thread's messages, oldest first."""
        data = await self._call(
            "conversations.replies", self.client.conversations_replies(channel=channel, ts=thread_ts, limit=limit)
        )
        return [_message(m) for m in data.get("messages") or [] if isinstance(m, Mapping)]

    async def respond(self, response_url: str, body: Mapping[str, Any]) -> None:
        """Post to a slash command's or an interaction's response URL (only Slack's own URLs)."""
        parts = urlsplit(response_url)
        if (parts.scheme, parts.netloc) not in self._trusted_origins:
            raise SlackError(f"refusing a response URL outside Slack: {parts.netloc}")
        webhook = AsyncWebhookClient(response_url, session=self._session)
        try:
            response = await webhook.send_dict(dict(body))
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise SlackError(f"response_url failed: {error}") from None
        if response.status_code >= 300:
            raise SlackError(f"response_url answered {response.status_code}: {response.body}")

    async def members_by_handle(self, handles: frozenset[str]) -> Mapping[str, frozenset[str]]:
        """User ids in each user group named by `handles` (the `GroupDirectory` port)."""
        groups = await self._call("usergroups.list", self.client.usergroups_list())
        members: dict[str, frozenset[str]] = {}
        for group in groups.get("usergroups") or []:
            if group.get("handle") in handles:
                data = await self._call(
                    "usergroups.users.list", self.client.usergroups_users_list(usergroup=group["id"])
                )
                members[str(group["handle"])] = frozenset(str(u) for u in data.get("users") or [])
        return members


def _message(raw: Mapping[str, Any]) -> SlackMessage:
    return SlackMessage(
        ts=str(raw.get("ts") or ""),
        text=str(raw.get("text") or ""),
        user=raw.get("user"),
        bot_id=raw.get("bot_id"),
    )
