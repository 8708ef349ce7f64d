"""SQL: one function per question, each one round trip, returning plain rows."""
