"""`abcodex-slackbot` (and `python -m slack_client`): check the settings, then run the assistant."""

from __future__ import annotations

import asyncio
import sys

import uvloop

from slack_client.errors import ConfigError
from slack_client.observability import configure_logging
from slack_client.policy import load_policy
from slack_client.settings import load_settings


def main() -> None:
    """Exit 2 with a message naming the variable when a setting is wrong; 0 after a graceful stop."""
    try:
        settings = load_settings()
        settings.require_slack()
        policy = load_policy(settings.allowed_tools_file)
        policy.require_known_roles(settings.rbac_user_map, defined_in=str(settings.allowed_tools_file))
    except ConfigError as error:
        print(f"abcodex-slackbot: {error}", file=sys.stderr)
        raise SystemExit(2) from None
    configure_logging(settings.log_level, settings.log_format)
    # Imported once the settings are known good, so a configuration error is reported in a blink.
    from slack_client.app import serve  # noqa: PLC0415

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:  # uvloop: less CPU per request
        runner.run(serve(settings, policy))


if __name__ == "__main__":
    main()
