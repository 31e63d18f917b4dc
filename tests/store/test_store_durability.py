"""FR-010 "nothing accepted is lost": a writer process is SIGKILLed mid-stream; every row its
``flush()`` confirmed before the kill is in the file when it is opened again."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from qnb.store import Store, verify_audit

CHILD = r"""
import datetime as dt, sys
from qnb.store import Store, StoreWriter
store = Store.open(sys.argv[1])
w = StoreWriter(store, batch_ms=2, batch_max=64)
i = 0
while True:
    for _ in range(40):
        w.insert("jobs", {"job_id": f"j{i:07d}", "state": "QUEUED", "submitted_at": dt.datetime(2024, 1, 1),
                          "parameters": {"i": i}})
        w.append_audit("submitted", f"j{i:07d}", {"i": i})
        i += 1
    w.flush(60)
    print(i, flush=True)          # everything below i is committed
"""


@pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL")
def test_rows_confirmed_by_flush_survive_sigkill(db_path):
    proc = subprocess.Popen([sys.executable, "-c", CHILD, str(db_path)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    confirmed = 0
    try:
        for line in proc.stdout:              # wait for a condition (rows confirmed), not for time
            confirmed = int(line)
            if confirmed >= 400:
                break
        assert confirmed >= 400, proc.stderr.read()
        os.kill(proc.pid, signal.SIGKILL)     # the child is still writing unconfirmed rows now
    finally:
        proc.kill()
        proc.wait(30)
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL

    with Store.open(db_path) as store:
        ids = [int(r[0][1:]) for r in store.sql("SELECT job_id FROM jobs ORDER BY job_id").rows]
        # every confirmed row is there, and batches commit in queue order: what survived is a prefix
        assert len(ids) >= confirmed
        assert ids == list(range(len(ids)))
        seqs = store.sql("SELECT seq FROM audit_events ORDER BY seq").rows
        assert len(seqs) >= confirmed and [s for (s,) in seqs] == list(range(1, len(seqs) + 1))
        check = verify_audit(store.reader())
        assert check.ok and check.checked == len(seqs)
