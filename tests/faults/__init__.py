"""Fault tests: kills, a database restarted, a platform down, a full disk (issue 14)."""
