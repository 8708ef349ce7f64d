"""abcodex Slack assistant: a thin MCP client."""
