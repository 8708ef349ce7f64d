"""The Slack double's views, assistant threads (suggested prompts, titles) and the table and feedback blocks."""

from __future__ import annotations

from .slack_workspace import register_handlers

register_handlers({})
