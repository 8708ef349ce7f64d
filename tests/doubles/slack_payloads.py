"""Slack's event, slash command and interaction payloads, shaped exactly as Slack sends them.

The same payloads travel over Socket Mode (inside an envelope, see `slack_socket_mode`) and over HTTP
(signed, see `slack_http_events`), so they are built here once:

- `app_mention(text, user=, channel=, thread_ts=)` and `direct_message(text, user=, channel=)` build the
  inner `event`; `event_callback(event)` wraps it with `event_id`, `team_id`, `authorizations`, ...
- `slash_command(text, user_id=, channel_id=, response_url=)` builds the form fields of `/ab` (all strings).
- `block_actions(action_id=, value=, user_id=, message=, response_url=)` builds a button click;
  `feedback_click(message, positive=, user_id=, channel_id=, response_url=)` a click on a 👍/👎 of
  `message`'s `feedback_buttons` (the value is the one the bot put on that button).
- `assistant_thread_started(user=, channel=)` (the user opened the assistant) and
  `app_home_opened(user=, tab=)` build those events.

Ids and timestamps are fresh for each call and timestamps increase, like Slack's.
"""

from __future__ import annotations

import itertools
import secrets
import string
import time
import uuid
from typing import Any

TEAM_ID = "T0ARTBTL1"
TEAM_DOMAIN = "artbattle"
APP_ID = "A0ABCODEX1"
BOT_USER_ID = "U0ABBOT01"
BOT_ID = "B0ABBOT01"

_EPOCH = int(time.time())
_sequence = itertools.count(1)


def new_ts() -> str:
    """A message timestamp like Slack's (`"1718000000.000123"`), increasing within this process."""
    return f"{_EPOCH}.{next(_sequence):06d}"


def new_id(prefix: str, length: int = 10) -> str:
    """An id in Slack's style: a prefix then upper-case letters and digits (`Ev0ABC...`, `C0...`)."""
    alphabet = string.ascii_uppercase + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(length))


def rich_text(text: str) -> list[dict[str, Any]]:
    """The `blocks` Slack attaches to a typed message: one rich_text section holding the text."""
    section = {"type": "rich_text_section", "elements": [{"type": "text", "text": text}]}
    return [{"type": "rich_text", "block_id": new_id("", 5), "elements": [section]}]


def app_mention(
    text: str, *, user: str, channel: str, thread_ts: str | None = None, ts: str | None = None
) -> dict[str, Any]:
    """An `app_mention` event; put `<@BOT_USER_ID>` in `text` as Slack does."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "client_msg_id": str(uuid.uuid4()),
        "type": "app_mention",
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": rich_text(text),
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
    }
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def direct_message(
    text: str,
    *,
    user: str,
    channel: str,
    thread_ts: str | None = None,
    ts: str | None = None,
    bot_id: str | None = None,
) -> dict[str, Any]:
    """A `message.im` event (a DM to the bot); `bot_id` makes it a bot's own message, as Slack marks it."""
    ts = ts or new_ts()
    event: dict[str, Any] = {
        "type": "message",
        "text": text,
        "user": user,
        "ts": ts,
        "blocks": rich_text(text),
        "team": TEAM_ID,
        "channel": channel,
        "event_ts": ts,
        "channel_type": "im",
    }
    if bot_id is None:
        event["client_msg_id"] = str(uuid.uuid4())
    else:
        event["bot_id"] = bot_id
        event["app_id"] = APP_ID
    if thread_ts is not None:
        event["thread_ts"] = thread_ts
    return event


def event_callback(event: dict[str, Any], *, event_id: str | None = None) -> dict[str, Any]:
    """The Events API body around `event`; reuse the result to model a retry (same `event_id`)."""
    return {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "context_team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id or new_id("Ev0", 9),
        "event_time": int(time.time()),
        "authorizations": [
            {
                "enterprise_id": None,
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "is_bot": True,
                "is_enterprise_install": False,
            }
        ],
        "is_ext_shared_channel": False,
        "event_context": "4-" + new_id("", 40).lower(),
    }


def url_verification(challenge: str | None = None) -> dict[str, Any]:
    """The body Slack posts once to check an Events API request URL."""
    return {
        "token": "verification-token-unused",
        "challenge": challenge or secrets.token_urlsafe(32),
        "type": "url_verification",
    }


def slash_command(
    text: str,
    *,
    user_id: str,
    channel_id: str,
    response_url: str,
    command: str = "/ab",
    user_name: str = "staff",
    channel_name: str = "ops",
) -> dict[str, str]:
    """The form fields of a slash command: every value a string, as Slack sends them."""
    return {
        "token": "verification-token-unused",
        "team_id": TEAM_ID,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_name,
        "user_id": user_id,
        "user_name": user_name,
        "command": command,
        "text": text,
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": _trigger_id(),
    }


def block_actions(
    *,
    action_id: str,
    value: str,
    user_id: str,
    message: dict[str, Any],
    channel_id: str,
    response_url: str,
    block_id: str | None = None,
    user_name: str = "staff",
) -> dict[str, Any]:
    """A `block_actions` payload for a click on a button in `message` (the message as the bot posted it)."""
    action = {
        "action_id": action_id,
        "block_id": block_id or _block_id_of(message, action_id),
        "text": {"type": "plain_text", "text": action_id, "emoji": True},
        "value": value,
        "type": "button",
        "action_ts": f"{time.time():.6f}",
    }
    return {
        "type": "block_actions",
        "user": {"id": user_id, "username": user_name, "name": user_name, "team_id": TEAM_ID},
        "api_app_id": APP_ID,
        "token": "verification-token-unused",
        "container": {
            "type": "message",
            "message_ts": message["ts"],
            "channel_id": channel_id,
            "is_ephemeral": False,
        },
        "trigger_id": _trigger_id(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "channel": {"id": channel_id, "name": "ops"},
        "message": message,
        "state": {"values": {}},
        "response_url": response_url,
        "actions": [action],
    }


def feedback_click(
    message: dict[str, Any],
    *,
    positive: bool,
    user_id: str,
    channel_id: str,
    response_url: str,
    user_name: str = "staff",
) -> dict[str, Any]:
    """A `block_actions` payload for a click on 👍 (`positive`) or 👎 of the feedback buttons in `message`."""
    block, element = next(
        (block, element)
        for block in message.get("blocks") or []
        if block.get("type") == "context_actions"
        for element in block.get("elements") or []
        if element.get("type") == "feedback_buttons"
    )
    button = element["positive_button" if positive else "negative_button"]
    payload = block_actions(
        action_id=element["action_id"],
        value=button["value"],
        user_id=user_id,
        message=message,
        channel_id=channel_id,
        response_url=response_url,
        block_id=block.get("block_id") or new_id("", 5),
        user_name=user_name,
    )
    payload["actions"][0] |= {"type": "feedback_buttons", "text": button["text"]}
    return payload


def assistant_thread_started(*, user: str, channel: str, thread_ts: str | None = None) -> dict[str, Any]:
    """The event Slack sends when `user` opens the assistant: a new thread in their DM with the bot."""
    ts = new_ts()
    return {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": user,
            "context": {"channel_id": channel, "team_id": TEAM_ID, "enterprise_id": None},
            "channel_id": channel,
            "thread_ts": thread_ts or ts,
        },
        "event_ts": ts,
    }


def app_home_opened(*, user: str, tab: str = "home", channel: str | None = None) -> dict[str, Any]:
    """The event Slack sends each time `user` opens one of the app's tabs (`home` or `messages`)."""
    return {
        "type": "app_home_opened",
        "user": user,
        "channel": channel or "D" + user[1:],
        "tab": tab,
        "event_ts": f"{time.time():.6f}",
    }


def _block_id_of(message: dict[str, Any], action_id: str) -> str:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id and "block_id" in block:
                return str(block["block_id"])
    return new_id("", 5)


def _trigger_id() -> str:
    return f"{secrets.randbelow(10**11)}.{secrets.randbelow(10**9)}.{secrets.token_hex(16)}"
