"""What Loa counts for its operators, in Prometheus' terms (served at `GET /metrics`).

Counters and the latency histogram are updated where things happen (the engine, the outbox
worker); the figures only the database knows (outbox depth and age, open questions, reports
waiting for review) are gauges set from the database when a scrape asks (bot/web/metrics.py).
Everything lives in one registry of Loa's own, so a test or a second app in the same process
reads the same figures, and nothing of prometheus-client's global default registry is served.

Labels are bounded on purpose: a channel name, an event kind, an outcome or a failure reason —
never a user, a chat or a text.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)

REGISTRY = CollectorRegistry(auto_describe=True)
ProcessCollector(registry=REGISTRY)
PlatformCollector(registry=REGISTRY)

UPDATES = Counter(
    "loa_updates",
    "Updates handled by the engine, by channel, kind of event and outcome "
    "(ok; failed: apologised and recorded; transient: left for redelivery).",
    ["channel", "kind", "outcome"],
    registry=REGISTRY,
)
HANDLER_SECONDS = Histogram(
    "loa_handler_seconds",
    "Time to handle one update in the engine (decoding, routing, the transaction), by channel.",
    ["channel"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
    registry=REGISTRY,
)
SEND_FAILURES = Counter(
    "loa_send_failures",
    "Outbox messages whose sending failed, by channel and reason "
    "(retry: tried again later; failed: given up; blocked: the user blocked the bot; "
    "error: the sender raised).",
    ["channel", "reason"],
    registry=REGISTRY,
)
OUTBOX_DEPTH = Gauge(
    "loa_outbox_depth",
    "Outbox messages due now and not sent yet (pending or being sent).",
    registry=REGISTRY,
)
OUTBOX_OLDEST_SECONDS = Gauge(
    "loa_outbox_oldest_pending_seconds",
    "How long the oldest pending outbox message has been due (0 when none is).",
    registry=REGISTRY,
)
OPEN_TICKETS = Gauge(
    "loa_open_tickets",
    "Villagers' questions waiting for an officer's answer.",
    registry=REGISTRY,
)
PENDING_REVIEWS = Gauge(
    "loa_pending_reviews",
    "Field reports submitted and waiting for an officer's review.",
    registry=REGISTRY,
)
