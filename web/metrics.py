"""Prometheus metrics at `GET /metrics` (only when `METRICS_ENABLED=true`).

- the GraphQL operation, error and denial counters kept by `schema/metrics.py`
- `espace_outbox_backlog`: mails queued and not yet sent (counted at scrape time)

With several workers, set `PROMETHEUS_MULTIPROC_DIR` so every worker's counts are summed.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.responses import Response

from infra.mail_sender import pending_count


class _Backlog(Collector):
    def __init__(self, count: int) -> None:
        self.count = count

    def collect(self) -> Iterable[Metric]:
        gauge = GaugeMetricFamily("espace_outbox_backlog", "Mails queued and not yet sent")
        gauge.add_metric([], self.count)
        yield gauge


def _process_registry() -> CollectorRegistry:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return REGISTRY


async def metrics_endpoint(request: Request) -> Response:
    """The Prometheus text exposition of this process (or of all workers, see above)."""
    backlog = CollectorRegistry(auto_describe=False)
    backlog.register(_Backlog(await pending_count()))
    body = generate_latest(_process_registry()) + generate_latest(backlog)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
