"""The Slack double's the streaming methods (chat.startStream, chat.appendStream, chat.stopStream)."""

from __future__ import annotations

from .slack_workspace import register_handlers

register_handlers({})
