"""The Slack double's file uploads (files.getUploadURLExternal, files.completeUploadExternal)."""

from __future__ import annotations

from .slack_workspace import register_handlers

register_handlers({})
