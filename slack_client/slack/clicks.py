"""Button clicks: Confirm / Cancel (only the requester's click acts; the message then shows the outcome)
and 👍/👎 feedback on answers (logged and counted, then acknowledged to the clicker alone).

A click may reach any bot replica: its `value` is the sealed action (see `slack_client.confirmations`).
"""

from __future__ import annotations

import uuid

import structlog

from slack_client.confirmations import Confirmations, ConfirmResult
from slack_client.errors import SlackError
from slack_client.observability import Metrics
from slack_client.slack.blocks import CANCEL_ACTION, CONFIRM_ACTION, FEEDBACK_ACTION, outcome_blocks
from slack_client.slack.feedback import record_feedback
from slack_client.slack.inbox import Click
from slack_client.slack.web import SlackWeb

log = structlog.get_logger(__name__)

# Verdicts that end the pending action: the message loses its buttons and shows what happened.
_FINAL = frozenset({"done", "failed", "cancelled", "expired"})


class ClickHandler:
    """Turn a click into a confirmation or cancellation, and tell the right people."""

    def __init__(self, web: SlackWeb, confirmations: Confirmations, metrics: Metrics) -> None:
        self._web = web
        self._confirmations = confirmations
        self._metrics = metrics

    async def handle(self, click: Click) -> None:
        if click.action_id == FEEDBACK_ACTION:
            await self._feedback(click)
            return
        request_id = uuid.uuid4().hex[:12]
        if click.action_id == CONFIRM_ACTION:
            result = await self._confirmations.confirm(click.value, click.user, request_id)
        elif click.action_id == CANCEL_ACTION:
            result = self._confirmations.cancel(click.value, click.user)
        else:
            return
        self._metrics.clicks.labels(result.verdict).inc()
        log.info("click", request_id=request_id, user=click.user, action=click.action_id, verdict=result.verdict)
        try:
            if result.verdict in _FINAL:
                await self._show_outcome(click, result)
            else:
                await self._tell_clicker(click, result.message)
        except SlackError as error:
            log.warning("click_reply_failed", request_id=request_id, error=str(error))

    async def _feedback(self, click: Click) -> None:
        thanks = record_feedback(click, self._metrics)
        if thanks is None:
            return
        try:
            await self._tell_clicker(click, thanks)
        except SlackError as error:
            log.warning("feedback_reply_failed", user=click.user, error=str(error))

    async def _show_outcome(self, click: Click, result: ConfirmResult) -> None:
        blocks = outcome_blocks(result)
        if click.ephemeral or not (click.channel and click.message_ts):
            if click.response_url:
                body = {"replace_original": True, "text": result.message, "blocks": blocks}
                await self._web.respond(click.response_url, body)
            return
        await self._web.update_message(click.channel, click.message_ts, result.message, blocks)

    async def _tell_clicker(self, click: Click, text: str) -> None:
        if click.response_url:
            body = {"response_type": "ephemeral", "replace_original": False, "text": text}
            await self._web.respond(click.response_url, body)
        elif click.channel:
            await self._web.post_ephemeral(click.channel, click.user, text)
