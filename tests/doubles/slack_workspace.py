"""What the Slack double knows, and the Web API methods that read and change it.

`Workspace` holds users, user groups and each channel's messages (oldest first) and answers a Web API
method with `answer(method, params)`: the response fields beside `"ok": true`, or `SlackError` for
`{"ok": false, "error": ...}`. It does no I/O and no locking; `SlackDouble` calls it under its lock.
Behaviour follows Slack: a user id as channel means that user's DM (`U123` -> `D123`); a reply updates
its parent's `reply_count`, `reply_users` and `latest_reply`; only the bot's own messages can be updated;
a reaction needs an existing message and cannot be added twice.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from .slack_payloads import APP_ID, BOT_ID, BOT_USER_ID, TEAM_DOMAIN, TEAM_ID, new_ts


class SlackError(Exception):
    """A Web API error answer: `{"ok": false, "error": error}` with an HTTP status."""

    def __init__(self, error: str, status: int = 200, retry_after: int | None = None) -> None:
        super().__init__(error)
        self.error, self.status, self.retry_after = error, status, retry_after


class Workspace:
    """Slack's state for one team, and the Web API methods over it."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, Any]] = {}
        self.usergroups: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, list[dict[str, Any]]] = {}

    def answer(self, method: str, params: dict[str, Any]) -> dict[str, Any]:
        handler = _HANDLERS.get(method)
        if handler is None:
            raise SlackError("unknown_method", status=404)
        return handler(self, params)

    def add_user(self, user: dict[str, Any]) -> None:
        self.users[user["id"]] = user

    def add_usergroup(self, group: dict[str, Any]) -> None:
        self.usergroups[group["id"]] = group

    def remember_event(self, event: dict[str, Any]) -> None:
        """Store the message an `app_mention` or `message` event carries, unless already stored."""
        if event.get("type") not in ("app_mention", "message") or "ts" not in event:
            return
        if self._find(event["channel"], event["ts"]) is not None:
            return
        keep = ("user", "text", "ts", "thread_ts", "blocks", "bot_id", "client_msg_id", "team")
        self.store(event["channel"], {"type": "message"} | {key: event[key] for key in keep if key in event})

    def messages(self, channel: str, thread_ts: str | None = None) -> list[dict[str, Any]]:
        """A copy of a channel's messages, oldest first; with `thread_ts`, that thread only."""
        stored = self.channels.get(channel_of(channel), [])
        chosen = [m for m in stored if thread_ts is None or thread_ts in (m["ts"], m.get("thread_ts"))]
        return list(_copy(chosen))

    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        found = self._find(channel_of(channel), ts)
        return None if found is None else _copy(found)

    def store(self, channel: str, message: dict[str, Any]) -> None:
        messages = self.channels.setdefault(channel_of(channel), [])
        messages.append(message)
        messages.sort(key=lambda m: _ts_order(m["ts"]))
        thread_ts = message.get("thread_ts")
        parent = self._find(channel_of(channel), thread_ts) if thread_ts and thread_ts != message["ts"] else None
        if parent is not None:
            parent["thread_ts"] = thread_ts
            parent["reply_count"] = parent.get("reply_count", 0) + 1
            parent["latest_reply"] = message["ts"]
            who = message.get("user") or message.get("bot_id")
            parent["reply_users"] = sorted({*parent.get("reply_users", []), who} - {None})

    def _find(self, channel: str, ts: str) -> dict[str, Any] | None:
        return next((m for m in self.channels.get(channel, []) if m["ts"] == ts), None)

    def _existing(self, channel: str, ts: str) -> dict[str, Any]:
        found = self._find(channel, ts)
        if found is None:
            raise SlackError("message_not_found")
        return found

    # -- Web API methods --------------------------------------------------------------------------

    def _auth_test(self, _params: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{TEAM_DOMAIN}.slack.com/",
            "team": "Art Battle",
            "user": "abcodex",
            "team_id": TEAM_ID,
            "user_id": BOT_USER_ID,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def _chat_post_message(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = channel_of(params.get("channel"))
        if not any(params.get(key) for key in ("text", "blocks", "attachments")):
            raise SlackError("no_text")
        message = {"user": BOT_USER_ID, "bot_id": BOT_ID, "app_id": APP_ID, "type": "message"}
        message |= {"text": params.get("text", ""), "ts": new_ts(), "team": TEAM_ID}
        message |= {key: params[key] for key in ("blocks", "attachments", "metadata") if key in params}
        if params.get("thread_ts"):
            message["thread_ts"] = str(params["thread_ts"])
        self.store(channel, message)
        return {"channel": channel, "ts": message["ts"], "message": dict(message)}

    def _chat_update(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = channel_of(params.get("channel"))
        message = self._existing(channel, str(params.get("ts")))
        if message.get("bot_id") != BOT_ID:
            raise SlackError("cant_update_message")
        message.update({key: params[key] for key in ("text", "blocks", "attachments") if key in params})
        message["edited"] = {"user": BOT_USER_ID, "ts": new_ts()}
        return {"channel": channel, "ts": message["ts"], "text": message["text"], "message": dict(message)}

    def _chat_post_ephemeral(self, params: dict[str, Any]) -> dict[str, Any]:
        channel_of(params.get("channel"))
        if not params.get("user"):
            raise SlackError("user_not_in_channel")
        return {"message_ts": new_ts()}

    def _chat_get_permalink(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = channel_of(params.get("channel"))
        message = self._existing(channel, str(params.get("message_ts")))
        link = f"https://{TEAM_DOMAIN}.slack.com/archives/{channel}/p{message['ts'].replace('.', '')}"
        if message.get("thread_ts") not in (None, message["ts"]):
            link += f"?thread_ts={message['thread_ts']}&cid={channel}"
        return {"channel": channel, "permalink": link}

    def _reactions_add(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(channel_of(params.get("channel")), str(params.get("timestamp")))
        reactions = message.setdefault("reactions", [])
        if any(r["name"] == params.get("name") for r in reactions):
            raise SlackError("already_reacted")
        reactions.append({"name": params.get("name"), "users": [BOT_USER_ID], "count": 1})
        return {}

    def _reactions_remove(self, params: dict[str, Any]) -> dict[str, Any]:
        message = self._existing(channel_of(params.get("channel")), str(params.get("timestamp")))
        reactions = message.get("reactions", [])
        kept = [r for r in reactions if r["name"] != params.get("name")]
        if len(kept) == len(reactions):
            raise SlackError("no_reaction")
        message["reactions"] = kept
        return {}

    def _conversations_replies(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = channel_of(params.get("channel"))
        if channel not in self.channels:
            raise SlackError("channel_not_found")
        ts = str(params.get("ts"))
        if self._find(channel, ts) is None:
            raise SlackError("thread_not_found")
        thread = [m for m in self.channels[channel] if ts in (m["ts"], m.get("thread_ts"))]
        return _page(thread, params, default_limit=1000)

    def _conversations_history(self, params: dict[str, Any]) -> dict[str, Any]:
        channel = channel_of(params.get("channel"))
        if channel not in self.channels:
            raise SlackError("channel_not_found")
        stored = self.channels[channel]
        top_level = [m for m in reversed(stored) if m.get("thread_ts") in (None, m["ts"])]
        return _page(top_level, params, default_limit=100)

    def _users_info(self, params: dict[str, Any]) -> dict[str, Any]:
        user = self.users.get(str(params.get("user")))
        if user is None:
            raise SlackError("user_not_found")
        locale = {"locale": "en-US"} if str(params.get("include_locale")) in ("1", "true") else {}
        return {"user": {**user, **locale}}

    def _usergroups_list(self, params: dict[str, Any]) -> dict[str, Any]:
        with_users = str(params.get("include_users")) in ("1", "true")
        groups = [
            {key: value for key, value in group.items() if with_users or key != "users"}
            for group in self.usergroups.values()
        ]
        return {"usergroups": groups}

    def _usergroups_users_list(self, params: dict[str, Any]) -> dict[str, Any]:
        group = self.usergroups.get(str(params.get("usergroup")))
        if group is None:
            raise SlackError("no_such_subteam")
        return {"users": list(group["users"])}

    def _assistant_threads_set_status(self, params: dict[str, Any]) -> dict[str, Any]:
        if not params.get("channel_id") or not params.get("thread_ts"):
            raise SlackError("invalid_arguments")
        return {}


_HANDLERS: dict[str, Callable[[Workspace, dict[str, Any]], dict[str, Any]]] = {
    "auth.test": Workspace._auth_test,
    "chat.postMessage": Workspace._chat_post_message,
    "chat.update": Workspace._chat_update,
    "chat.postEphemeral": Workspace._chat_post_ephemeral,
    "chat.getPermalink": Workspace._chat_get_permalink,
    "reactions.add": Workspace._reactions_add,
    "reactions.remove": Workspace._reactions_remove,
    "conversations.replies": Workspace._conversations_replies,
    "conversations.history": Workspace._conversations_history,
    "users.info": Workspace._users_info,
    "usergroups.list": Workspace._usergroups_list,
    "usergroups.users.list": Workspace._usergroups_users_list,
    "assistant.threads.setStatus": Workspace._assistant_threads_set_status,
}

Handler = Callable[[Workspace, dict[str, Any]], dict[str, Any]]


def register_handlers(handlers: dict[str, Handler]) -> None:
    """More Web API methods, from the modules that speak them (streams, views, files)."""
    _HANDLERS.update(handlers)


def channel_of(channel: Any) -> str:
    """Slack opens the DM when a message is addressed to a user id."""
    if not channel:
        raise SlackError("channel_not_found")
    name = str(channel)
    return "D" + name[1:] if name[0] in ("U", "W") else name


def _ts_order(ts: str) -> tuple[int, int]:
    seconds, _, fraction = ts.partition(".")
    return int(seconds), int(fraction or 0)


def _page(messages: list[dict[str, Any]], params: dict[str, Any], default_limit: int) -> dict[str, Any]:
    start = int(params.get("cursor") or 0)
    limit = int(params.get("limit") or default_limit)
    chosen = messages[start : start + limit]
    has_more = start + limit < len(messages)
    return {
        "messages": _copy(chosen),
        "has_more": has_more,
        "response_metadata": {"next_cursor": str(start + limit) if has_more else ""},
    }


def _copy(value: Any) -> Any:
    """A deep copy, so a caller never holds the workspace's own dicts."""
    return json.loads(json.dumps(value))
