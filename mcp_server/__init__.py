"""abcodex gateway: Art Battle data as MCP tools."""

__version__ = "0.1.0"
