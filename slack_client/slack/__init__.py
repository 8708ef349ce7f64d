"""Slack adapters: the Web API client, Socket Mode and Events API transports, and the assistant use case."""
