"""Images from tool results (charts) into the Slack thread, and only a note about them to the model.

`ImageCollector` is the gateway as the agent sees it: each call's images are kept aside for the request that
made them, and the outcome the agent reads says the image was shown instead of carrying its bytes, so the
model answers from the numbers and refers to the chart. `upload_images` then puts them in the thread with
slack-sdk's `files_upload_v2` (files.getUploadURLExternal, the upload, files.completeUploadExternal), with
the chart's title as alt text for screen readers and for Slack's own preview.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from typing import Any

import aiohttp
import structlog
from slack_sdk.errors import SlackApiError, SlackClientError

from slack_client.errors import SlackError
from slack_client.models import Actor, ToolImage, ToolOutcome, ToolSpec
from slack_client.ports import ToolGateway
from slack_client.slack.web import SlackWeb

log = structlog.get_logger(__name__)

SHOWN_IN_THREAD = "The chart image is posted in the thread for the user; refer to it, do not describe its pixels."
MAX_REQUESTS_KEPT = 256  # images of requests that never took them (an answer that failed) are dropped
_EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/gif": "gif", "image/webp": "webp"}


def shown_note(outcome: ToolOutcome, note: str) -> ToolOutcome:
    """The outcome without its images, saying `note` where the model reads it (structured content or text)."""
    if outcome.structured is not None:
        structured: Mapping[str, Any] = {**outcome.structured, "image_shown": note}
        return dataclasses.replace(outcome, structured=structured, images=())
    return dataclasses.replace(outcome, text=f"{outcome.text}\n{note}", images=())


class ImageCollector:
    """A `ToolGateway` that keeps each request's images for whoever shows them (see `take`)."""

    def __init__(self, gateway: ToolGateway, note: str = SHOWN_IN_THREAD) -> None:
        self._gateway = gateway
        self._note = note
        self._images: OrderedDict[str, list[ToolImage]] = OrderedDict()

    def tools(self) -> tuple[ToolSpec, ...]:
        return self._gateway.tools()

    async def wait_ready(self, within: float) -> bool:
        return await self._gateway.wait_ready(within)

    async def call_tool(self, name: str, arguments: Mapping[str, Any], actor: Actor) -> ToolOutcome:
        outcome = await self._gateway.call_tool(name, arguments, actor)
        if not outcome.images:
            return outcome
        self._images.setdefault(actor.request_id, []).extend(outcome.images)
        self._images.move_to_end(actor.request_id)
        while len(self._images) > MAX_REQUESTS_KEPT:
            self._images.popitem(last=False)
        return shown_note(outcome, self._note)

    def take(self, request_id: str) -> tuple[ToolImage, ...]:
        """The images the calls of `request_id` returned, oldest first; forgotten once taken."""
        return tuple(self._images.pop(request_id, ()))


def image_filename(image: ToolImage, index: int) -> str:
    return f"chart-{index}.{_EXTENSIONS.get(image.mime_type, 'bin')}"


async def upload_images(web: SlackWeb, channel: str, thread_ts: str | None, images: Sequence[ToolImage]) -> list[str]:
    """Share each image in the thread (alt text from the chart's title); returns the Slack file ids.

    Raises `SlackError` on the first image Slack refuses; the ones before it stay shared.
    """
    file_ids = []
    for index, image in enumerate(images, start=1):
        try:
            response = await web.client.files_upload_v2(
                channel=channel,
                thread_ts=thread_ts,
                content=image.data,
                filename=image_filename(image, index),
                title=image.alt_text,
                alt_txt=image.alt_text,
            )
        except SlackApiError as error:
            raise SlackError(f"files.upload failed: {error.response.get('error', 'unknown error')}") from None
        except (SlackClientError, aiohttp.ClientError, TimeoutError) as error:
            raise SlackError(f"files.upload failed: {error}") from None
        shared = response.get("file") or {}
        file_ids.append(str(shared.get("id") or ""))
        log.info("image_uploaded", channel=channel, bytes=len(image.data), file_id=file_ids[-1])
    return file_ids
