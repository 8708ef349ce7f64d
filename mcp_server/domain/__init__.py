"""What the tools compute, apart from MCP wiring and from SQL."""
