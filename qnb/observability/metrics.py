"""Metrics registry without dependencies: counters, gauges, fixed-bucket histograms (FR-012).

Why our own: the runtime needs a handful of metrics rendered as Prometheus text for ``GET /metrics``
and sampled as rows into DuckDB ``metrics_samples``; both views come from one registry so a
scrape and a SQL query agree. All operations are thread-safe (one lock per metric).

Success rate is derived, not stored:
``qnb_jobs_total{state="COMPLETED"} / (qnb_jobs_total{state="COMPLETED"} + qnb_jobs_total{state="FAILED"})``
(:meth:`Metrics.success_rate`; the store view ``metrics_success_rate`` computes the same over time).
``qnb_jobs_total{state}`` counts jobs *entering* each state, so ``state="QUEUED"`` is "submitted".
"""

from __future__ import annotations

import datetime as _dt
import math
import re
import threading
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

__all__ = ["Counter", "Gauge", "Histogram", "Metrics", "DEFAULT_BUCKETS", "PROMETHEUS_CONTENT_TYPE",
           "STANDARD_METRICS"]

PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
DEFAULT_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
_NAME = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*\Z")
_LABEL = re.compile(r"[a-zA-Z_][a-zA-Z0-9_]*\Z")


def _fmt(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _escape_help(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\n", "\\n")


def _labelstr(pairs: Sequence[tuple[str, str]]) -> str:
    if not pairs:
        return ""
    return "{" + ",".join(f'{k}="{_escape_label(v)}"' for k, v in pairs) + "}"


class _Metric:
    type = ""

    def __init__(self, name: str, help: str, labelnames: Iterable[str] = ()) -> None:
        if not _NAME.match(name):
            raise ValueError(f"invalid metric name {name!r}")
        self.name, self.help = name, help
        self.labelnames = tuple(labelnames)
        for label in self.labelnames:
            if not _LABEL.match(label) or label.startswith("__") or label == "le":
                raise ValueError(f"invalid label name {label!r} for metric {name}")
        self._lock = threading.Lock()
        self._values: dict[tuple[str, ...], Any] = {}
        if not self.labelnames:
            self._values[()] = self._zero()

    def _zero(self) -> Any:
        return 0.0

    def _key(self, labels: dict[str, Any]) -> tuple[str, ...]:
        if set(labels) != set(self.labelnames):
            raise ValueError(f"metric {self.name} takes labels {list(self.labelnames)}, got {sorted(labels)}")
        return tuple(str(labels[n]) for n in self.labelnames)

    def labels(self, **labels: Any) -> _Child:
        """The child series for these label values (``m.labels(state="FAILED").inc()``)."""
        return _Child(self, self._key(labels))

    def value(self, **labels: Any) -> Any:
        """Current value of one series (0 if never touched)."""
        with self._lock:
            return self._values.get(self._key(labels), self._zero())

    def _series(self) -> list[tuple[tuple[tuple[str, str], ...], Any]]:
        with self._lock:
            items = sorted(self._values.items())
            return [(tuple(zip(self.labelnames, key)), self._copy(v)) for key, v in items]

    def _copy(self, value: Any) -> Any:
        return value

    def _samples(self) -> Iterator[tuple[str, tuple[tuple[str, str], ...], float]]:
        for pairs, value in self._series():
            yield self.name, pairs, value


class _Child:
    """A bound label set of one metric; forwards to the parent with the key resolved once."""

    __slots__ = ("_metric", "_key")

    def __init__(self, metric: _Metric, key: tuple[str, ...]) -> None:
        self._metric, self._key = metric, key

    def inc(self, amount: float = 1.0) -> None:
        self._metric._inc_key(self._key, amount)

    def dec(self, amount: float = 1.0) -> None:
        self._metric._dec_key(self._key, amount)

    def set(self, value: float) -> None:
        self._metric._set_key(self._key, value)

    def observe(self, value: float) -> None:
        self._metric._observe_key(self._key, value)


class Counter(_Metric):
    """Monotonic count; ``inc(amount, **labels)``."""

    type = "counter"

    def inc(self, amount: float = 1.0, /, **labels: Any) -> None:
        self._inc_key(self._key(labels), amount)

    def _inc_key(self, key: tuple[str, ...], amount: float) -> None:
        if amount < 0:
            raise ValueError(f"counter {self.name} cannot decrease (inc by {amount})")
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def _dec_key(self, key, amount):  # pragma: no cover - guarded API misuse
        raise TypeError(f"counter {self.name} has no dec()")

    _set_key = _observe_key = _dec_key


class Gauge(_Metric):
    """A value that goes up and down; ``set``, ``inc``, ``dec`` with ``**labels``."""

    type = "gauge"

    def set(self, value: float, /, **labels: Any) -> None:
        self._set_key(self._key(labels), value)

    def inc(self, amount: float = 1.0, /, **labels: Any) -> None:
        self._inc_key(self._key(labels), amount)

    def dec(self, amount: float = 1.0, /, **labels: Any) -> None:
        self._inc_key(self._key(labels), -amount)

    def _set_key(self, key: tuple[str, ...], value: float) -> None:
        with self._lock:
            self._values[key] = float(value)

    def _inc_key(self, key: tuple[str, ...], amount: float) -> None:
        with self._lock:
            self._values[key] = self._values.get(key, 0.0) + amount

    def _dec_key(self, key: tuple[str, ...], amount: float) -> None:
        self._inc_key(key, -amount)

    def _observe_key(self, key, value):  # pragma: no cover - guarded API misuse
        raise TypeError(f"gauge {self.name} has no observe()")


class Histogram(_Metric):
    """Fixed upper bounds (seconds by default); ``observe(value, **labels)``."""

    type = "histogram"

    def __init__(self, name: str, help: str, labelnames: Iterable[str] = (),
                 buckets: Sequence[float] = DEFAULT_BUCKETS) -> None:
        bounds = sorted(float(b) for b in buckets if not math.isinf(b))
        if not bounds or len(set(bounds)) != len(bounds):
            raise ValueError(f"histogram {name} needs distinct finite bucket bounds")
        self.buckets = tuple(bounds)
        super().__init__(name, help, labelnames)

    def _zero(self) -> list:
        return [[0] * len(self.buckets), 0.0, 0]     # non-cumulative bucket counts, sum, count

    def _copy(self, value: list) -> list:
        return [list(value[0]), value[1], value[2]]

    def observe(self, value: float, /, **labels: Any) -> None:
        self._observe_key(self._key(labels), value)

    def _observe_key(self, key: tuple[str, ...], value: float) -> None:
        value = float(value)
        with self._lock:
            state = self._values.get(key)
            if state is None:
                state = self._values[key] = self._zero()
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    state[0][i] += 1
                    break
            state[1] += value
            state[2] += 1

    def _inc_key(self, key, amount):  # pragma: no cover - guarded API misuse
        raise TypeError(f"histogram {self.name} has no inc()")

    _set_key = _dec_key = _inc_key

    def value(self, **labels: Any) -> dict:
        """``{"buckets": {le: cumulative count}, "sum": s, "count": n}`` of one series."""
        with self._lock:
            state = self._copy(self._values.get(self._key(labels), self._zero()))
        return {"buckets": dict(zip([*self.buckets, math.inf], _cumulative(state))), "sum": state[1], "count": state[2]}

    def _samples(self) -> Iterator[tuple[str, tuple[tuple[str, str], ...], float]]:
        for pairs, state in self._series():
            for bound, cum in zip([*self.buckets, math.inf], _cumulative(state)):
                yield f"{self.name}_bucket", (*pairs, ("le", _fmt(bound))), float(cum)
            yield f"{self.name}_sum", pairs, state[1]
            yield f"{self.name}_count", pairs, float(state[2])


def _cumulative(state: list) -> list[int]:
    out, total = [], 0
    for c in state[0]:
        total += c
        out.append(total)
    out.append(state[2])    # +Inf bucket = every observation
    return out


STANDARD_METRICS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    # (attribute, type, help, labels) -- the names the runtime uses; metric name = "qnb_" + attribute
    ("queue_depth", "gauge", "Jobs waiting in the coordinator queue.", ()),
    ("jobs_total", "counter", "Jobs entering each lifecycle state (QUEUED = submitted).", ("state",)),
    ("job_latency_seconds", "histogram", "Submit-to-terminal-state latency of jobs.", ()),
    ("fragment_latency_seconds", "histogram", "Wall time of one fragment attempt as seen by the coordinator.", ()),
    ("fragment_overhead_seconds", "histogram", "Fragment wall time minus simulated quantum work (NFR-004).", ()),
    ("retries_total", "counter", "Fragment attempts after the first on the same node.", ("node",)),
    ("fallbacks_total", "counter", "Fragments re-planned onto another node after exhausting retries.", ()),
    ("failures_total", "counter", "Failed attempts and jobs by reason (timeout, node_error, planning, ...).",
     ("reason",)),
    ("node_fidelity", "gauge", "Latest advertised fidelity of a node by kind (1q, 2q, readout).", ("node", "kind")),
    ("node_available", "gauge", "1 if the node is registered and not stale, else 0.", ("node",)),
    ("adverts_total", "counter", "Advertisements received by result (accepted, rejected, stale).", ("result",)),
)


class Metrics:
    """A registry. ``Metrics()`` pre-registers :data:`STANDARD_METRICS` as attributes
    (``m.jobs_total``, ``m.queue_depth``, ...); ``Metrics(standard=False)`` starts empty."""

    def __init__(self, *, standard: bool = True) -> None:
        self._lock = threading.Lock()
        self._metrics: dict[str, _Metric] = {}
        if standard:
            for attr, kind, help_text, labels in STANDARD_METRICS:
                make = {"counter": self.counter, "gauge": self.gauge, "histogram": self.histogram}[kind]
                setattr(self, attr, make(f"qnb_{attr}", help_text, labels))

    def _register(self, cls: type, name: str, help: str, labelnames: Iterable[str], **kw: Any) -> Any:
        labelnames = tuple(labelnames)
        with self._lock:
            existing = self._metrics.get(name)
            if existing is not None:
                if type(existing) is not cls or existing.labelnames != labelnames:
                    raise ValueError(f"metric {name} already registered as {existing.type} with labels "
                                     f"{list(existing.labelnames)}")
                return existing
            metric = self._metrics[name] = cls(name, help, labelnames, **kw)
            return metric

    def counter(self, name: str, help: str, labelnames: Iterable[str] = ()) -> Counter:
        return self._register(Counter, name, help, labelnames)

    def gauge(self, name: str, help: str, labelnames: Iterable[str] = ()) -> Gauge:
        return self._register(Gauge, name, help, labelnames)

    def histogram(self, name: str, help: str, labelnames: Iterable[str] = (),
                  buckets: Sequence[float] = DEFAULT_BUCKETS) -> Histogram:
        return self._register(Histogram, name, help, labelnames, buckets=buckets)

    def get(self, name: str) -> _Metric:
        return self._metrics[name]

    def __iter__(self) -> Iterator[_Metric]:
        with self._lock:
            return iter(list(self._metrics.values()))

    def render_prometheus(self) -> str:
        """Prometheus text exposition format 0.0.4 (serve with :data:`PROMETHEUS_CONTENT_TYPE`)."""
        lines: list[str] = []
        for metric in self:
            lines.append(f"# HELP {metric.name} {_escape_help(metric.help)}")
            lines.append(f"# TYPE {metric.name} {metric.type}")
            for name, pairs, value in metric._samples():
                lines.append(f"{name}{_labelstr(pairs)} {_fmt(value)}")
        return "\n".join(lines) + "\n"

    def snapshot(self, ts: _dt.datetime | None = None, *, buckets: bool = True) -> list[dict]:
        """Rows ``{"ts", "name", "labels", "value"}`` for the store's ``metrics_samples`` table
        (histograms as ``_bucket`` (if ``buckets``), ``_sum`` and ``_count`` rows, like the text format)."""
        ts = ts or _dt.datetime.now(_dt.timezone.utc)
        rows = []
        for metric in self:
            for name, pairs, value in metric._samples():
                if not buckets and name.endswith("_bucket") and isinstance(metric, Histogram):
                    continue
                rows.append({"ts": ts, "name": name, "labels": dict(pairs), "value": float(value)})
        return rows

    def success_rate(self) -> float | None:
        """COMPLETED / (COMPLETED + FAILED) from ``qnb_jobs_total``; None before any job finished."""
        jobs = self._metrics.get("qnb_jobs_total")
        if jobs is None:
            return None
        ok, failed = jobs.value(state="COMPLETED"), jobs.value(state="FAILED")
        return ok / (ok + failed) if ok + failed else None
