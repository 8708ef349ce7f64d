"""abcodex gateway: Art Battle data as MCP tools."""
