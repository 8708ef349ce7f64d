"""Test support: a real Postgres and a real gateway for the suite."""
