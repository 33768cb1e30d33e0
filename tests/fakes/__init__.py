"""Fake Bot API servers (Telegram, Zalo) on 127.0.0.1 for end-to-end channel tests."""
