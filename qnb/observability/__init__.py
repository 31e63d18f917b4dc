"""Observability (FR-012): structured JSON logs with context ids, a metrics registry with Prometheus
text and DuckDB sample rows, and the health report model."""

from .health import STATUSES, ComponentHealth, HealthReport
from .logs import (CONTEXT_FIELDS, ContextFilter, JsonFormatter, TextFormatter, bind, configure_logging,
                   current_context, ensure_libp2p_logging, get_logger, log_context, reset_logging, unbind)
from .metrics import DEFAULT_BUCKETS, PROMETHEUS_CONTENT_TYPE, STANDARD_METRICS, Counter, Gauge, Histogram, Metrics

__all__ = ["CONTEXT_FIELDS", "ContextFilter", "JsonFormatter", "TextFormatter", "bind", "unbind", "configure_logging", "reset_logging",
           "current_context", "ensure_libp2p_logging", "get_logger", "log_context",
           "Counter", "Gauge", "Histogram", "Metrics", "DEFAULT_BUCKETS", "PROMETHEUS_CONTENT_TYPE", "STANDARD_METRICS",
           "ComponentHealth", "HealthReport", "STATUSES"]
