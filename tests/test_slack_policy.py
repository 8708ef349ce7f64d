"""The tool policy, roles and rate limits: who may use which tool, and how often."""

from __future__ import annotations

import pytest

from slack_client.errors import ConfigError
from slack_client.policy import load_policy, parse_policy
from slack_client.ratelimit import RateLimiter
from slack_client.roles import RoleResolver
from tests.slack_fixtures import shipped_policy, tool

pytest_plugins = ["tests.slack_fixtures"]

LISTED = [tool("get_live_voting_status"), tool("get_payment_summary"), tool("process_artist_payment"), tool("drop_db")]


def test_staff_are_offered_only_the_read_tools_their_role_allows():
    offered = [s.name for s in shipped_policy().tools_for("staff", LISTED)]
    assert offered == ["get_live_voting_status"]


def test_finance_is_offered_payments_but_never_an_unknown_tool():
    offered = [s.name for s in shipped_policy().tools_for("finance", LISTED)]
    assert offered == ["get_live_voting_status", "get_payment_summary", "process_artist_payment"]


def test_a_tool_the_file_does_not_name_is_denied_by_default():
    policy = shipped_policy()
    assert policy.rule_for("drop_db") is None
    assert all(not policy.allows_tool(role, "drop_db") for role in policy.roles)


def test_unknown_tools_can_be_allowed_by_an_explicit_default_rule():
    policy = parse_policy({"roles": ["staff"], "unknown_tools": {"roles": ["staff"]}, "tools": {}})
    assert policy.allows_tool("staff", "anything_new")


def test_payment_needs_confirmation_by_policy_and_a_destructive_tool_by_its_annotation():
    policy = shipped_policy()
    assert policy.needs_confirmation(tool("process_artist_payment", read_only=True))
    assert policy.needs_confirmation(tool("get_live_voting_status", read_only=False))
    assert not policy.needs_confirmation(tool("get_live_voting_status"))


def test_a_policy_naming_an_unknown_role_is_refused_with_the_file_named(tmp_path):
    path = tmp_path / "policy.yaml"
    path.write_text("roles: [staff]\ntools:\n  x:\n    roles: [wizard]\n")
    with pytest.raises(ConfigError, match=r"policy.yaml.*unknown role 'wizard'"):
        load_policy(path)


def test_a_user_map_naming_a_role_the_policy_does_not_define_is_refused_not_left_without_tools():
    with pytest.raises(ConfigError, match=r"U9 the role 'superuser'.*\(roles: staff, producer, finance, admin\)"):
        RoleResolver(shipped_policy(), {"U1": "finance", "U9": "superuser"})


def test_a_missing_policy_file_is_a_config_error_naming_the_setting(tmp_path):
    with pytest.raises(ConfigError, match="ALLOWED_TOOLS_FILE"):
        load_policy(tmp_path / "absent.yaml")


def test_allow_lists_admit_only_listed_teams_channels_and_users():
    policy = parse_policy({"roles": ["staff"], "access": {"channels": ["C1"], "users": []}})
    assert policy.access_allowed("T1", "C1", "U1")
    assert not policy.access_allowed("T1", "C2", "U1")


class Directory:
    def __init__(self, members):
        self.members = members
        self.asked = 0

    async def members_by_handle(self, handles):
        self.asked += 1
        return {h: frozenset(self.members.get(h, ())) for h in handles}


async def test_roles_come_from_the_user_map_then_user_groups_then_the_default():
    policy = parse_policy({"roles": ["staff", "finance"], "user_groups": {"money": "finance"}})
    directory = Directory({"money": ["U2", "U3"]})
    roles = RoleResolver(policy, {"U3": "staff"}, directory)
    await roles.refresh_groups()
    assert [roles.role_of(u) for u in ("U1", "U2", "U3")] == ["staff", "finance", "staff"]


async def test_a_failing_group_lookup_keeps_the_last_known_membership():
    policy = parse_policy({"roles": ["staff", "finance"], "user_groups": {"money": "finance"}})

    class Flaky(Directory):
        async def members_by_handle(self, handles):
            self.asked += 1
            if self.asked > 1:
                raise RuntimeError("slack down")
            return await super().members_by_handle(handles)

    roles = RoleResolver(policy, {}, Flaky({"money": ["U2"]}))
    await roles.refresh_groups()
    await roles.refresh_groups()
    assert roles.role_of("U2") == "finance"


def test_a_user_over_their_burst_waits_and_then_gets_through():
    now = [0.0]
    limits = shipped_policy().limits
    limiter = RateLimiter(limits, clock=lambda: now[0])
    admitted = [limiter.try_acquire("U1", "C1") == 0 for _ in range(limits.user_burst + 1)]
    assert admitted == [True] * limits.user_burst + [False]
    now[0] += 60 / limits.user_per_minute
    assert limiter.try_acquire("U1", "C1") == 0


def test_a_busy_channel_limits_everyone_in_it_but_not_other_channels():
    limits = parse_policy({"roles": ["staff"], "limits": {"channel_burst": 2, "user_burst": 10}}).limits
    limiter = RateLimiter(limits, clock=lambda: 0.0)
    assert limiter.try_acquire("U1", "C1") == 0
    assert limiter.try_acquire("U2", "C1") == 0
    assert limiter.try_acquire("U3", "C1") > 0
    assert limiter.try_acquire("U3", "C2") == 0
