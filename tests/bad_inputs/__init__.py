"""The bad-input corpus: hostile, broken and odd inputs, each through the channel it targets.

Every case is a row in a table (`CASES` in each module), run by a few test functions: over real
HTTP against Loa's webhooks (`test_webhooks.py`), files users send through the Telegram fake
(`test_files.py`), and conversations through the engine (`test_conversation.py`). Each asserts
what the user reads (a polite answer in Vietnamese) or the HTTP status the platform gets, that
nothing crashed, and that nothing was stored that should not be.
"""
