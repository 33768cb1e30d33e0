"""Loa's aiohttp server: webhooks, signed media links, health."""
