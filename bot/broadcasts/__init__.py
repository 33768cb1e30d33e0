"""Broadcasts and polls: audiences, queuing each recipient's copy, figures, answers, results."""
