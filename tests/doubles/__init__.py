"""Test doubles that speak the real wire protocol of an external system (never patches)."""
