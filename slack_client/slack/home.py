"""The assistant's Home tab: what this user's role can ask, whether the data service is up, how to get more.

Published with `views.publish` each time the user opens the tab (`app_home_opened`), so it always shows
the tools the gateway lists now, filtered by the policy for the user's role, each with the example
question from `manifests/allowed-tools.yaml`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import structlog
from slack_sdk.models.blocks import (
    ContextBlock,
    DividerBlock,
    HeaderBlock,
    MarkdownTextObject,
    SectionBlock,
)

from slack_client.errors import SlackError
from slack_client.formatting import escape
from slack_client.models import ToolSpec
from slack_client.observability import Metrics
from slack_client.policy import Policy
from slack_client.ports import ToolGateway
from slack_client.roles import RoleResolver
from slack_client.slack.inbox import HELP_TEXT
from slack_client.slack.web import SlackWeb

log = structlog.get_logger(__name__)

# Opening the tab should not wait long on a gateway that is down: a short look, then say so.
_GATEWAY_WAIT = 1.0
_MAX_TOOLS_SHOWN = 80  # a Home view holds 100 blocks


class HomeTab:
    """Publish a user's Home view."""

    def __init__(
        self, web: SlackWeb, policy: Policy, roles: RoleResolver, gateway: ToolGateway, metrics: Metrics
    ) -> None:
        self._web, self._policy, self._roles = web, policy, roles
        self._gateway, self._metrics = gateway, metrics

    async def publish(self, user: str, team: str | None) -> None:
        if not _may_use(self._policy, team, user):
            blocks = _not_enabled(self._policy)
            reachable = None
        else:
            role = self._roles.role_of(user)
            reachable = await self._gateway.wait_ready(_GATEWAY_WAIT)
            tools = self._policy.tools_for(role, self._gateway.tools())
            blocks = home_blocks(self._policy, role, tools, reachable)
        try:
            await self._web.publish_home(user, blocks)
        except SlackError as error:
            log.warning("home_not_published", user=user, error=str(error))
            return
        state = "n/a" if reachable is None else "reachable" if reachable else "unreachable"
        self._metrics.home_views.labels(state).inc()


def home_blocks(policy: Policy, role: str, tools: Sequence[ToolSpec], reachable: bool) -> list[dict[str, Any]]:
    """The Home view's blocks for `role`, given the tools it may use now and the gateway's state."""
    description = policy.role_descriptions.get(role)
    about = f"Your role is *{escape(role)}*" + (f": {escape(description)}." if description else ".")
    status = (
        ":large_green_circle: The Art Battle data service is reachable."
        if reachable
        else ":red_circle: The Art Battle data service is not reachable right now; questions fail until it is back."
    )
    blocks: list[Any] = [
        HeaderBlock(text="What you can ask"),
        _section(about),
        ContextBlock(elements=[MarkdownTextObject(text=status)]),
        DividerBlock(),
        *(_section(_tool_line(policy, spec)) for spec in tools[:_MAX_TOOLS_SHOWN]),
    ]
    if not tools:
        blocks.append(_section("No tools are available to your role right now."))
    blocks += [DividerBlock(), HeaderBlock(text="How to ask"), _section(HELP_TEXT)]
    blocks += [HeaderBlock(text="Need more access?"), _section(escape(policy.access_help))]
    return [block.to_dict() for block in blocks]


def _may_use(policy: Policy, team: str | None, user: str) -> bool:
    # The Home tab belongs to no channel: a channel allow-list limits where questions are answered, not who
    # may see what they could ask.
    allowed = policy.access
    return (not allowed.teams or team in allowed.teams) and (not allowed.users or user in allowed.users)


def _not_enabled(policy: Policy) -> list[dict[str, Any]]:
    blocks = [
        HeaderBlock(text="Art Battle Assistant"),
        _section("The assistant is not enabled for you here."),
        _section(escape(policy.access_help)),
    ]
    return [block.to_dict() for block in blocks]


def _tool_line(policy: Policy, spec: ToolSpec) -> str:
    name = spec.title or spec.name.replace("_", " ").capitalize()
    rule = policy.rule_for(spec.name)
    example = rule.example if rule is not None and rule.example else spec.description.split(". ")[0]
    return f"*{escape(name)}*\n“{escape(example)}”"


def _section(text: str) -> SectionBlock:
    return SectionBlock(text=MarkdownTextObject(text=text))
