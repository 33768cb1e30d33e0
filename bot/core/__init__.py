"""The vocabulary every layer speaks: chat types, settings, clock, languages, logging.

Nothing here imports another part of Loa, so anything may import it.
"""
