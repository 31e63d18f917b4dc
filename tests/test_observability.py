"""FR-012: JSON logs with context ids (also across trio tasks and threads), the metrics registry
(checked with prometheus_client's own text parser), and the health report."""

from __future__ import annotations

import json
import logging
import math
import threading

import pytest
import trio

from qnb.config import LoggingSettings
from qnb.errors import ConfigError
from qnb.observability import (STANDARD_METRICS, ComponentHealth, HealthReport, Metrics, bind, configure_logging,
                               current_context, ensure_libp2p_logging, get_logger, log_context, reset_logging, unbind)


@pytest.fixture
def logfile(tmp_path):
    path = tmp_path / "qnb.jsonl"
    configure_logging(LoggingSettings(destination=str(path), level="DEBUG"))
    yield path
    reset_logging()


def records(path) -> list[dict]:
    for h in logging.getLogger("qnb").handlers:
        h.flush()
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_json_record_fields_and_context(logfile):
    log = get_logger("runtime")
    assert log.name == "qnb.runtime"
    with log_context(job_id="j1", correlation_id="c1"):
        with log_context(fragment_id=3, node_id="n2", request_id=None):
            log.info("dispatching %s", "frag", extra={"attempt": 2})
        log.warning("outer")
    log.error("no context")
    inner, outer, bare = records(logfile)
    assert inner["msg"] == "dispatching frag" and inner["level"] == "INFO" and inner["logger"] == "qnb.runtime"
    assert (inner["job_id"], inner["fragment_id"], inner["node_id"], inner["correlation_id"], inner["attempt"]) \
        == ("j1", 3, "n2", "c1", 2)
    assert "request_id" not in inner                               # None values are left out
    assert outer["job_id"] == "j1" and "fragment_id" not in outer
    assert not {"job_id", "correlation_id"} & set(bare)
    assert inner["ts"].endswith("Z") and inner["ts"][10] == "T"


def test_reset_restores_propagation_for_other_handlers(caplog):
    configure_logging(LoggingSettings(destination="none"))
    get_logger("hidden").warning("swallowed")
    reset_logging()
    get_logger("seen").warning("reaches caplog")
    assert [r.getMessage() for r in caplog.records] == ["reaches caplog"]
    assert not [h for h in logging.getLogger("libp2p").handlers if getattr(h, "_qnb_handler", False)]


def test_bind_and_unbind():
    token = bind(job_id="b1")
    assert current_context() == {"job_id": "b1"}
    unbind(token)
    assert current_context() == {}


def qnb_handler() -> logging.Handler:
    (handler,) = [h for h in logging.getLogger("qnb").handlers if getattr(h, "_qnb_handler", False)]
    return handler


def test_exceptions_and_bad_format_args_do_not_break_logging(logfile, tmp_path, capfd, monkeypatch):
    """qnb's handler and both formatters survive a bad %-format call: the record is still written,
    handleError is never reached and nothing like "--- Logging error ---" appears on stderr.

    Records with bad args go straight to *our* handler (built as log.info would build them): pytest 9.2
    (unlike 9.0) also attaches its capture handler to non-propagating loggers such as ``qnb``, and that
    handler raises on bad args on purpose, so a plain log.info() here would test pytest's handler."""
    log = get_logger("qnb.x")

    def emit(handler: logging.Handler, msg: str, *args) -> None:
        handler.handle(log.makeRecord(log.name, logging.INFO, __file__, 0, msg, args, None))

    try:
        raise ValueError("kaput")
    except ValueError:
        log.exception("failed")                                  # the real logger path, well-formed
    handler = qnb_handler()
    failed = []
    monkeypatch.setattr(handler, "handleError", failed.append)   # any exception inside emit() lands here
    emit(handler, "two args %s %s", "only one")
    emit(handler, "%d items", "not a number")
    log.info("still logging")                                    # the handler keeps working afterwards
    recs = records(logfile)
    assert failed == []
    assert recs[0]["msg"] == "failed" and "ValueError: kaput" in recs[0]["exc"]
    assert "two args %s %s" in recs[1]["msg"] and "only one" in recs[1]["msg"]
    assert "%d items" in recs[2]["msg"] and "not a number" in recs[2]["msg"]
    assert [r["msg"] for r in recs[3:]] == ["still logging"]

    text_log = tmp_path / "qnb.log"
    configure_logging(LoggingSettings(destination=str(text_log), level="DEBUG", format="text"))
    handler = qnb_handler()
    monkeypatch.setattr(handler, "handleError", failed.append)
    emit(handler, "two args %s %s", "only one")
    handler.flush()
    assert failed == []
    assert "qnb.x: two args %s %s" in text_log.read_text() and "only one" in text_log.read_text()
    assert "Logging error" not in capfd.readouterr().err


async def test_trio_tasks_keep_their_own_context(logfile):
    log = get_logger("trio")

    async def job(job_id: str) -> None:
        with log_context(job_id=job_id):
            for i in range(3):
                log.info("step %d", i)
                await trio.sleep(0)                               # interleave with the other task
            await trio.to_thread.run_sync(lambda: log.info("in worker thread"))

    with log_context(correlation_id="root"):
        async with trio.open_nursery() as n:
            n.start_soon(job, "A")
            n.start_soon(job, "B")
    recs = records(logfile)
    assert len(recs) == 8
    for r in recs:
        assert r["correlation_id"] == "root"                      # inherited from the spawner
        assert r["job_id"] in ("A", "B")
    by_job = {j: [r["msg"] for r in recs if r["job_id"] == j] for j in "AB"}
    assert by_job["A"] == by_job["B"] == ["step 0", "step 1", "step 2", "in worker thread"]
    assert current_context() == {}


def test_configure_is_idempotent_and_tames_libp2p(logfile):
    configure_logging(LoggingSettings(destination=str(logfile), level="DEBUG"))
    configure_logging(LoggingSettings(destination=str(logfile), level="DEBUG"))
    qnb_handlers = [h for h in logging.getLogger("qnb").handlers if getattr(h, "_qnb_handler", False)]
    lp_handlers = [h for h in logging.getLogger("libp2p").handlers if getattr(h, "_qnb_handler", False)]
    assert len(qnb_handlers) == 1 and lp_handlers == qnb_handlers
    get_logger("once").info("exactly once")
    logging.getLogger("libp2p.pubsub.gossipsub").warning("pending message queue exceeded")   # tamed to ERROR
    logging.getLogger("libp2p.network.swarm").warning("dial failed")                         # kept, as JSON
    logging.getLogger("libp2p.network.swarm").info("chatter")                                # below WARNING
    msgs = [r["msg"] for r in records(logfile)]
    assert msgs == ["exactly once", "dial failed"]


def test_libp2p_import_reset_is_repaired(logfile):
    import libp2p.utils.logging as lp_logging   # noqa: F401  (importing libp2p runs its setup_logging)
    lp_logging.setup_logging()                  # what `import libp2p` does: clears handlers, propagate off
    assert not [h for h in logging.getLogger("libp2p").handlers if getattr(h, "_qnb_handler", False)]
    ensure_libp2p_logging()
    logging.getLogger("libp2p.host").error("after repair")
    assert [r["msg"] for r in records(logfile)] == ["after repair"]


def test_destinations_none_and_stderr_from_threads(capfd, tmp_path):
    configure_logging(LoggingSettings(destination="none"))
    get_logger("quiet").error("nobody hears this")
    assert capfd.readouterr().err == ""
    configure_logging(LoggingSettings(destination="stderr", format="text"))
    try:
        th = threading.Thread(target=lambda: get_logger("bg").warning("from a background thread"))
        th.start()
        th.join()
        get_logger("fg").warning("from the main thread")
        out, err = capfd.readouterr()
        assert out == ""
        assert "WARNING qnb.bg: from a background thread" in err and "qnb.fg: from the main thread" in err
    finally:
        reset_logging()
    with pytest.raises(ConfigError) as e:
        configure_logging(level="CHATTY")
    assert e.value.key == "logging.level"


# ----------------------------------------------------------------------------------------- metrics

def parse(text: str) -> dict:
    from prometheus_client.parser import text_string_to_metric_families
    out = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_standard_metrics_exist_with_types_and_labels():
    m = Metrics()
    expected = {"qnb_queue_depth": ("gauge", ()), "qnb_jobs_total": ("counter", ("state",)),
                "qnb_job_latency_seconds": ("histogram", ()), "qnb_fragment_latency_seconds": ("histogram", ()),
                "qnb_fragment_overhead_seconds": ("histogram", ()), "qnb_retries_total": ("counter", ("node",)),
                "qnb_fallbacks_total": ("counter", ()), "qnb_failures_total": ("counter", ("reason",)),
                "qnb_node_fidelity": ("gauge", ("node", "kind")), "qnb_node_available": ("gauge", ("node",)),
                "qnb_adverts_total": ("counter", ("result",))}
    assert {x.name: (x.type, x.labelnames) for x in m} == expected
    assert len(STANDARD_METRICS) == len(expected)


def test_prometheus_text_parses_and_carries_the_values():
    m = Metrics()
    m.jobs_total.inc(state="COMPLETED")
    m.jobs_total.labels(state="COMPLETED").inc(2)
    m.jobs_total.inc(state="FAILED")
    m.queue_depth.set(7)
    m.queue_depth.dec(2)
    m.node_fidelity.set(0.97, node='n"1\\x\ny', kind="2q")            # every character that needs escaping
    for v in (0.003, 0.02, 100.0):
        m.job_latency_seconds.observe(v)
    text = m.render_prometheus()
    assert "# TYPE qnb_jobs_total counter" in text and "# HELP qnb_queue_depth " in text
    got = parse(text)
    assert got[("qnb_jobs_total", (("state", "COMPLETED"),))] == 3
    assert got[("qnb_jobs_total", (("state", "FAILED"),))] == 1
    assert got[("qnb_queue_depth", ())] == 5
    assert got[("qnb_node_fidelity", (("kind", "2q"), ("node", 'n"1\\x\ny')))] == 0.97
    # cumulative buckets: 0.003 <= 0.005; 0.02 <= 0.025; 100 only in +Inf
    b = lambda le: got[("qnb_job_latency_seconds_bucket", (("le", le),))]   # noqa: E731
    assert (b("0.0025"), b("0.005"), b("0.025"), b("60.0"), b("+Inf")) == (0, 1, 2, 2, 3)
    assert got[("qnb_job_latency_seconds_count", ())] == 3
    assert got[("qnb_job_latency_seconds_sum", ())] == pytest.approx(100.023)
    assert text.endswith("\n")


def test_snapshot_rows_and_success_rate():
    m = Metrics()
    assert m.success_rate() is None
    m.jobs_total.inc(3, state="COMPLETED")
    m.jobs_total.inc(1, state="FAILED")
    m.jobs_total.inc(5, state="QUEUED")                              # not terminal: ignored
    assert m.success_rate() == 0.75
    m.fragment_latency_seconds.observe(0.2)
    rows = m.snapshot()
    assert len({r["ts"] for r in rows}) == 1
    by = {(r["name"], json.dumps(r["labels"], sort_keys=True)): r["value"] for r in rows}
    assert by[("qnb_jobs_total", '{"state": "QUEUED"}')] == 5.0
    assert by[("qnb_fragment_latency_seconds_count", "{}")] == 1.0
    assert by[("qnb_fragment_latency_seconds_bucket", '{"le": "0.25"}')] == 1.0
    assert not any(r["name"].endswith("_bucket") for r in m.snapshot(buckets=False))


def test_metric_misuse_is_refused():
    m = Metrics()
    with pytest.raises(ValueError, match="cannot decrease"):
        m.jobs_total.inc(-1, state="X")
    with pytest.raises(ValueError, match="takes labels"):
        m.jobs_total.inc(job="X")
    with pytest.raises(ValueError, match="already registered"):
        m.gauge("qnb_jobs_total", "clash", ("state",))
    assert m.counter("qnb_jobs_total", "same", ("state",)) is m.jobs_total
    with pytest.raises(ValueError, match="invalid metric name"):
        m.counter("bad-name", "x")
    with pytest.raises(ValueError, match="invalid label"):
        m.counter("ok_total", "x", ("le",))


def test_metrics_are_thread_safe():
    m = Metrics()

    def work() -> None:
        for _ in range(5000):
            m.retries_total.inc(node="n1")
            m.fragment_latency_seconds.observe(0.001)
    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert m.retries_total.value(node="n1") == 20000
    assert m.fragment_latency_seconds.value()["count"] == 20000
    assert m.fragment_latency_seconds.value()["buckets"][math.inf] == 20000


# ------------------------------------------------------------------------------------------ health

def test_health_status_is_derived_from_components():
    ok = HealthReport.build({"registry": "ok", "store": ("ok", "3 ms"), "runtime": {"status": "ok"}})
    assert ok.status == "ok"
    deg = HealthReport.build({"registry": "ok", "store": ComponentHealth("degraded", "writer backlog 900")})
    assert deg.status == "degraded"
    down = HealthReport.build({"registry": "down", "store": "ok"})
    assert down.status == "down"
    soft = HealthReport.build({"registry": "ok", "api": "down"}, critical={"registry"})
    assert soft.status == "degraded"
    with pytest.raises(ValueError, match="not one of"):
        HealthReport.build({"x": "fine"})


def test_health_json_and_text():
    r = HealthReport.build({"registry": ("degraded", "1 of 5 nodes stale")},
                           nodes=[{"node_id": "Qm1", "name": "n00", "status": "ok", "fidelity_2q": 0.98},
                                  {"node_id": "Qm2", "name": "n01", "status": "stale"}])
    j = json.loads(json.dumps(r.to_json()))
    assert j["status"] == "degraded" and j["components"]["registry"] == {"status": "degraded",
                                                                         "detail": "1 of 5 nodes stale"}
    assert [n["name"] for n in j["nodes"]] == ["n00", "n01"] and "ts" in j
    text = r.to_text()
    assert text.splitlines()[0] == "qnb health: DEGRADED"
    assert "1 of 5 nodes stale" in text and "fidelity_2q=0.98" in text and "n01" in text
