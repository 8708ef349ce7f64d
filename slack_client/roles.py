"""Who holds which role: `RBAC_USER_MAP_JSON` first, then Slack user groups, then the policy's default.

Group membership comes from Slack (`usergroups.users.list`) and is cached; `sweep()` re-reads it on the
policy's interval so a change in Slack reaches the bot without a restart. Resolving a role never waits on
Slack: it reads the last snapshot.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Protocol

import anyio
import structlog

from slack_client.policy import Policy

log = structlog.get_logger(__name__)


class GroupDirectory(Protocol):
    """Where group membership comes from (the Slack adapter implements it)."""

    async def members_by_handle(self, handles: frozenset[str]) -> Mapping[str, frozenset[str]]:
        """Slack user ids in each user group named by handle."""
        ...


class RoleResolver:
    """Resolve a Slack user's role; one role per user, the first that applies."""

    def __init__(
        self,
        policy: Policy,
        user_map: Mapping[str, str],
        directory: GroupDirectory | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        policy.require_known_roles(user_map)
        self._policy = policy
        self._user_map = dict(user_map)
        self._directory = directory
        self._clock = clock
        self._group_roles: dict[str, str] = {}
        self.refreshed_at: float | None = None

    def role_of(self, user_id: str) -> str:
        """The user's role from the explicit map, their user group, or the default role."""
        explicit = self._user_map.get(user_id)
        if explicit is not None:
            return explicit
        return self._group_roles.get(user_id, self._policy.default_role)

    async def refresh_groups(self) -> None:
        """Re-read group membership; on failure keep the last snapshot and log."""
        if self._directory is None or not self._policy.user_groups:
            return
        handles = frozenset(self._policy.user_groups)
        try:
            members = await self._directory.members_by_handle(handles)
        except Exception:
            log.warning("user_groups_refresh_failed", exc_info=True)
            return
        roles: dict[str, str] = {}
        # Groups listed first in the policy win when a user is in several.
        for handle, role in reversed(list(self._policy.user_groups.items())):
            for user in members.get(handle, frozenset()):
                roles[user] = role
        self._group_roles = roles
        self.refreshed_at = self._clock()

    async def sweep(self) -> None:
        """Refresh group membership forever on the policy's interval (run as a background task)."""
        while True:
            await self.refresh_groups()
            await anyio.sleep(self._policy.group_sweep_seconds)
