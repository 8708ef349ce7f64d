"""👍/👎 on an answer: logged with the answer's request id and counted, so a bad answer can be found again.

The buttons' values are `good:<request id>` / `bad:<request id>` (`blocks.feedback_block`); the request id
is the one in the answer's `request` log line, which holds its tools, rounds and tokens.
"""

from __future__ import annotations

import structlog

from slack_client.observability import Metrics
from slack_client.slack.blocks import FEEDBACK_VERDICTS
from slack_client.slack.inbox import Click

log = structlog.get_logger(__name__)

_THANKS = {
    "good": "Thanks, glad that helped.",
    "bad": "Thanks for telling me. Someone will look at this answer (ref `{request_id}`).",
}


def record_feedback(click: Click, metrics: Metrics) -> str | None:
    """Log and count a feedback click; the sentence to thank the clicker with, or None for a value not ours."""
    verdict, _, request_id = click.value.partition(":")
    if verdict not in FEEDBACK_VERDICTS or not request_id:
        log.warning("feedback_unreadable", user=click.user, value=click.value[:40])
        return None
    metrics.feedback.labels(verdict).inc()
    log.info("feedback", request_id=request_id, verdict=verdict, user=click.user, channel=click.channel)
    return _THANKS[verdict].format(request_id=request_id)
