"""The outbox: every proactive message is a row, sent later at the platforms' limits."""
