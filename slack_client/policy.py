"""The tool policy from `manifests/allowed-tools.yaml`: who may use the bot, which tools, and how.

A tool the gateway lists but the file does not name gets the file's `unknown_tools` rule; the shipped
file says `deny`, so a new gateway tool stays invisible to the model until someone writes its rule.
The same file holds what Slack shows around the answers, so it is edited without code: each tool's
`example` question and the `access_help` sentence (the Home tab), and each role's `suggested_prompts`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import yaml

from slack_client.errors import ConfigError
from slack_client.models import ToolSpec

Risk = Literal["low", "medium", "high"]
REDACTION_KINDS = frozenset({"email", "phone", "card"})
MAX_SUGGESTED_PROMPTS = 4
DEFAULT_ACCESS_HELP = "Ask a Slack admin if you need access to more."


@dataclass(frozen=True, slots=True)
class ToolRule:
    """How one tool may be used."""

    risk: Risk = "low"
    roles: frozenset[str] = frozenset()
    needs_confirmation: bool = False
    max_calls_per_request: int = 3
    redact: frozenset[str] = REDACTION_KINDS
    drop_fields: frozenset[str] = frozenset()
    example: str | None = None
    """One question a user could ask that this tool answers (shown on the Home tab)."""


@dataclass(frozen=True, slots=True)
class SuggestedPrompt:
    """A prompt Slack offers when a user opens the assistant: a short title, and the question it sends."""

    title: str
    message: str


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds on one request, plus the rate limits."""

    max_rounds: int = 6
    max_tool_calls: int = 8
    max_tokens: int = 40_000
    max_seconds: float = 60.0
    max_request_chars: int = 2_000
    max_response_chars: int = 12_000
    max_tool_result_chars: int = 16_000
    user_burst: int = 6
    user_per_minute: float = 6.0
    channel_burst: int = 20
    channel_per_minute: float = 30.0


@dataclass(frozen=True, slots=True)
class Access:
    """Allow-lists; an empty list allows everyone."""

    teams: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    users: frozenset[str] = frozenset()


@dataclass(frozen=True, slots=True)
class Policy:
    """The whole policy file, validated."""

    tools: Mapping[str, ToolRule]
    unknown_tools: ToolRule | None = None
    default_role: str = "staff"
    roles: tuple[str, ...] = ("staff",)
    user_groups: Mapping[str, str] = field(default_factory=dict)
    access: Access = field(default_factory=Access)
    limits: Limits = field(default_factory=Limits)
    group_sweep_seconds: float = 300.0
    role_descriptions: Mapping[str, str] = field(default_factory=dict)
    suggested_prompts: Mapping[str, tuple[SuggestedPrompt, ...]] = field(default_factory=dict)
    access_help: str = DEFAULT_ACCESS_HELP

    def rule_for(self, name: str) -> ToolRule | None:
        """The rule for `name`, the unknown-tools default, or None when it is denied."""
        return self.tools.get(name, self.unknown_tools)

    def allows_tool(self, role: str, name: str) -> bool:
        rule = self.rule_for(name)
        return rule is not None and role in rule.roles

    def tools_for(self, role: str, listed: Iterable[ToolSpec]) -> tuple[ToolSpec, ...]:
        """The tools the gateway lists that `role` may use: the only ones offered to the model."""
        return tuple(spec for spec in listed if self.allows_tool(role, spec.name))

    def needs_confirmation(self, spec: ToolSpec) -> bool:
        """A human must confirm when the policy says so or the gateway marks the tool destructive."""
        rule = self.rule_for(spec.name)
        return spec.destructive or (rule is not None and rule.needs_confirmation)

    def denied_tools(self, role: str, listed: Iterable[ToolSpec]) -> tuple[str, ...]:
        """Known tools this role may not use (to tell the user politely what they can't do)."""
        return tuple(s.name for s in listed if self.rule_for(s.name) and not self.allows_tool(role, s.name))

    def access_allowed(self, team: str | None, channel: str | None, user: str) -> bool:
        checks = ((self.access.teams, team), (self.access.channels, channel), (self.access.users, user))
        return all(not allowed or value in allowed for allowed, value in checks)

    def require_known_roles(self, user_map: Mapping[str, str], defined_in: str = "the tool policy") -> None:
        """Refuse a `RBAC_USER_MAP_JSON` naming a role this policy does not define: its users would get no tools."""
        for user, role in user_map.items():
            if role not in self.roles:
                raise ConfigError(
                    f"RBAC_USER_MAP_JSON gives {user} the role {role!r}, which {defined_in} does not define "
                    f"(roles: {', '.join(self.roles)})"
                )


def load_policy(path: Path) -> Policy:
    """Read and validate the policy file; a `ConfigError` names what is wrong."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        raise ConfigError(f"ALLOWED_TOOLS_FILE {path}: {error}") from None
    try:
        return parse_policy(raw)
    except (TypeError, ValueError, KeyError) as error:
        raise ConfigError(f"ALLOWED_TOOLS_FILE {path}: {error}") from None


def parse_policy(raw: Any) -> Policy:
    """Build a `Policy` from the parsed YAML document."""
    if not isinstance(raw, dict):
        raise TypeError("the policy must be a mapping")
    raw_roles = raw.get("roles") or ("staff",)
    roles = tuple(str(r) for r in raw_roles)
    tools = {str(name): _rule(name, body, roles) for name, body in (raw.get("tools") or {}).items()}
    unknown = raw.get("unknown_tools", "deny")
    limits = raw.get("limits") or {}
    default_role = str(raw.get("default_role", roles[0]))
    _known_role(default_role, roles, "default_role")
    groups = {str(k): _known_role(str(v), roles, f"user_groups.{k}") for k, v in (raw.get("user_groups") or {}).items()}
    return Policy(
        tools=tools,
        unknown_tools=None if unknown == "deny" else _rule("unknown_tools", unknown, roles),
        default_role=default_role,
        roles=roles,
        user_groups=groups,
        access=_access(raw.get("access") or {}),
        limits=Limits(**{k: v for k, v in limits.items() if k != "group_sweep_seconds"}),
        group_sweep_seconds=float(limits.get("group_sweep_seconds", 300.0)),
        role_descriptions={str(k): str(v) for k, v in raw_roles.items()} if isinstance(raw_roles, dict) else {},
        suggested_prompts=_suggested_prompts(raw.get("suggested_prompts") or {}, roles),
        access_help=str(raw.get("access_help") or DEFAULT_ACCESS_HELP),
    )


def _rule(name: str, body: Any, roles: Sequence[str]) -> ToolRule:
    if not isinstance(body, dict):
        raise TypeError(f"tool {name}: expected a mapping")
    risk = body.get("risk", "low")
    if risk not in ("low", "medium", "high"):
        raise ValueError(f"tool {name}: risk must be low, medium or high")
    redact = frozenset(body.get("redact", sorted(REDACTION_KINDS)))
    if not redact <= REDACTION_KINDS:
        raise ValueError(f"tool {name}: redact accepts {sorted(REDACTION_KINDS)}")
    return ToolRule(
        risk=risk,
        roles=frozenset(_known_role(str(r), roles, f"tool {name}") for r in body.get("roles") or ()),
        needs_confirmation=bool(body.get("needs_confirmation", False)),
        max_calls_per_request=int(body.get("max_calls_per_request", 3)),
        redact=redact,
        drop_fields=frozenset(body.get("drop_fields") or ()),
        example=str(body["example"]) if body.get("example") else None,
    )


def _suggested_prompts(raw: Any, roles: Sequence[str]) -> dict[str, tuple[SuggestedPrompt, ...]]:
    """Per role, one to `MAX_SUGGESTED_PROMPTS` prompts, each a `title` and a `message` (Slack shows four at most)."""
    if not isinstance(raw, dict):
        raise TypeError("suggested_prompts: expected a mapping of role to prompts")
    prompts: dict[str, tuple[SuggestedPrompt, ...]] = {}
    for role, items in raw.items():
        where = f"suggested_prompts.{role}"
        _known_role(str(role), roles, where)
        if not isinstance(items, list) or not 1 <= len(items) <= MAX_SUGGESTED_PROMPTS:
            raise ValueError(f"{where}: expected a list of 1 to {MAX_SUGGESTED_PROMPTS} prompts")
        if not all(isinstance(i, dict) and i.get("title") and i.get("message") for i in items):
            raise ValueError(f"{where}: each prompt needs a title and a message")
        prompts[str(role)] = tuple(SuggestedPrompt(str(i["title"]), str(i["message"])) for i in items)
    return prompts


def _known_role(role: str, roles: Sequence[str], where: str) -> str:
    if role not in roles:
        raise ValueError(f"{where}: unknown role {role!r} (roles: {', '.join(roles)})")
    return role


def _access(raw: Mapping[str, Any]) -> Access:
    return Access(
        teams=frozenset(raw.get("teams") or ()),
        channels=frozenset(raw.get("channels") or ()),
        users=frozenset(raw.get("users") or ()),
    )
