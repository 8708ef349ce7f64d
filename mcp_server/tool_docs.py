"""The tool reference (`docs/tools.md`), generated from what the gateway registers, so it cannot drift.

`abcodex-gateway tools --markdown` prints it: every tool (the payment tool included: the gateway is built
with mutating tools on) with its scope, description, arguments (type, bounds, default) and the fields of its
answer, then the prompts. The gateway is built from default settings that ignore the environment and is
never started, so the text is the same wherever it is generated. tests/test_tool_docs.py regenerates it and
compares it with the file.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from mcp_types import Prompt, Tool

from mcp_server.app import build_gateway
from mcp_server.settings import GatewaySettings

SCOPE_ORDER = ("read", "people", "finance", "payments", "ops")
REGENERATE = "uv run --frozen abcodex-gateway tools --markdown > docs/tools.md"
_DECIMAL_PATTERN = r"^-?\d+(\.\d+)?$"
_MAX_DEPTH = 4
_BOUNDS = (
    ("minimum", "≥ {}"),
    ("exclusiveMinimum", "> {}"),
    ("maximum", "≤ {}"),
    ("exclusiveMaximum", "< {}"),
    ("minLength", "at least {} {characters}"),
    ("maxLength", "at most {} {characters}"),
    ("pattern", "matches `{}`"),
)


@dataclass(frozen=True)
class Reference:
    tools: list[tuple[Tool, str]]  # each tool with its scope
    prompts: list[Prompt]


async def gateway_reference() -> Reference:
    """Every tool the gateway registers (payments on), by scope, and its prompts."""
    gateway = build_gateway(GatewaySettings.model_construct(enable_mutating_tools=True))
    tools: list[tuple[Tool, str]] = [
        (tool, str(gateway.registry.scope_of(tool.name))) for tool in await gateway.mcp.list_tools()
    ]
    tools.sort(key=lambda entry: SCOPE_ORDER.index(entry[1]))  # stable: registration order within a scope
    return Reference(tools, await gateway.mcp.list_prompts())


def markdown(reference: Reference) -> str:
    lines = [
        "# Tool reference",
        "",
        f"Generated from the tools the gateway registers: `{REGENERATE}`. Do not edit by hand;",
        "`tests/test_tool_docs.py` fails when this file is stale. A token sees and calls only the tools of its",
        "scopes; `process_artist_payment` is registered only with `ENABLE_MUTATING_TOOLS=true`.",
        "",
        "| tool | scope | what it answers |",
        "| --- | --- | --- |",
    ]
    lines += [f"| [`{t.name}`](#{t.name}) | `{scope}` | {_cell(_first_sentence(t))} |" for t, scope in reference.tools]
    for tool, scope in reference.tools:
        lines += ["", *_tool_section(tool, scope)]
    if reference.prompts:
        lines += ["", "## Prompts", "", "| prompt | arguments | what it asks for |", "| --- | --- | --- |"]
        for prompt in reference.prompts:
            arguments = ", ".join(f"`{a.name}`" + ("" if a.required else "?") for a in prompt.arguments or [])
            lines.append(f"| `{prompt.name}` | {arguments} | {_cell(prompt.description or '')} |")
        lines += ["", "A prompt is listed only to a client that may call one of its tools, and names only those."]
    return "\n".join(lines) + "\n"


def tool_list(reference: Reference) -> str:
    """One line per tool: name and scope (what `abcodex-gateway tools` prints without --markdown)."""
    return "".join(f"{tool.name:28} {scope}\n" for tool, scope in reference.tools)


def _tool_section(tool: Tool, scope: str) -> list[str]:
    hints = tool.annotations
    kind = "read-only" if hints and hints.read_only_hint else "changes data (destructive)"
    lines = [f"## {tool.name}", "", f"Scope `{scope}`, {kind}.", "", " ".join((tool.description or "").split())]
    lines += ["", "**Arguments**", ""]
    arguments = list(_arguments(tool.input_schema))
    if arguments:
        lines += [
            "| argument | type | required | bounds | default | description |",
            "| --- | --- | --- | --- | --- | --- |",
        ]
        lines += arguments
    else:
        lines.append("None.")
    if tool.output_schema:
        lines += ["", "**Answer** (`structuredContent`)", "", "| field | type | description |", "| --- | --- | --- |"]
        lines += [f"| `{path}` | {kind} | {_cell(text)} |" for path, kind, text in _fields(tool.output_schema)]
    return lines


def _arguments(schema: Mapping[str, Any]) -> Iterator[str]:
    required = set(schema.get("required") or ())
    for name, node in (schema.get("properties") or {}).items():
        default = f"`{_json(node['default'])}`" if "default" in node else ""
        yield (
            f"| `{name}` | {_type(node, schema)} | {'yes' if name in required else 'no'} | {_bounds(node)} "
            f"| {default} | {_cell(node.get('description', ''))} |"
        )


def _fields(
    schema: Mapping[str, Any], node: Mapping[str, Any] | None = None, prefix: str = "", depth: int = 0
) -> Iterator[tuple[str, str, str]]:
    """(dotted path, type, description) for every field, nested objects and list items spelled out."""
    node = _resolved(node if node is not None else schema, schema)
    for name, sub in (node.get("properties") or {}).items():
        path = f"{prefix}{name}"
        yield path, _type(sub, schema), sub.get("description") or _resolved(sub, schema).get("description", "")
        if depth >= _MAX_DEPTH:
            continue
        inner, suffix = _object_inside(sub, schema)
        if inner is not None:
            yield from _fields(schema, inner, f"{path}{suffix}.", depth + 1)


def _object_inside(node: Mapping[str, Any], root: Mapping[str, Any]) -> tuple[Mapping[str, Any] | None, str]:
    """The object schema a field holds (itself, its list's items, or its non-null option), and the path suffix."""
    for option in (_resolved(each, root) for each in [node, *node.get("anyOf", [])]):
        if "properties" in option:
            return option, ""
        items = _resolved(option.get("items") or {}, root)
        if "properties" in items:
            return items, "[]"
    return None, ""


def _type(node: Mapping[str, Any], root: Mapping[str, Any]) -> str:
    node = _resolved(node, root)
    if "anyOf" in node:
        return " \\| ".join(_type(option, root) for option in node["anyOf"])
    if "enum" in node or "const" in node:
        return "one of " + ", ".join(f"`{_json(v)}`" for v in node.get("enum", [node.get("const")]))
    kind = node.get("type")
    if kind == "array":
        return f"list of {_type(node.get('items') or {}, root)}"
    if kind == "object" and isinstance(node.get("additionalProperties"), Mapping):
        return f"map of {_type(node['additionalProperties'], root)}"
    return _scalar_type(node, kind)


def _scalar_type(node: Mapping[str, Any], kind: Any) -> str:
    if kind == "string" and node.get("pattern") == _DECIMAL_PATTERN:
        return "decimal string"
    if kind == "string" and "format" in node:
        return f"string ({node['format']})"
    if isinstance(kind, list):
        return " \\| ".join(map(str, kind))
    return str(kind or "any")


def _bounds(node: Mapping[str, Any]) -> str:
    found = []
    for option in [node, *node.get("anyOf", [])]:
        found += [
            template.format(option[key], characters="character" if option[key] == 1 else "characters")
            for key, template in _BOUNDS
            if key in option
        ]
    return _cell(", ".join(found))


def _resolved(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        return {**root["$defs"][ref.removeprefix("#/$defs/")], **{k: v for k, v in node.items() if k != "$ref"}}
    return node


def _first_sentence(tool: Tool) -> str:
    text = " ".join((tool.description or "").split())
    end = text.find(". ")
    return text if end < 0 else text[: end + 1]


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _json(value: Any) -> str:
    return "null" if value is None else str(value).lower() if isinstance(value, bool) else str(value)
