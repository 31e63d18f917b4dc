"""CLI clients on a private network (FR-014): `qnb health/submit --coordinator` use the mesh's PSK."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

pytestmark = pytest.mark.slow

PSK = "ab" * 32


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QNB_")}
    env.update(QNB_LOGGING__DESTINATION="none", **extra)
    return env


def test_cli_clients_reach_a_psk_coordinator_only_with_the_key(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "qnb", "coordinator", "--store", str(tmp_path / "c.duckdb"),
                             "--nodes", "2", "--qubits-per-node", "3"], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=_env(QNB_MESH__PSK=PSK))
    try:
        addr = proc.stdout.readline().strip()
        assert "/p2p/" in addr, f"coordinator did not start (exit {proc.poll()})"
        ok = subprocess.run([sys.executable, "-m", "qnb", "health", "--coordinator", addr, "--json"],
                            capture_output=True, text=True, timeout=60, env=_env(QNB_MESH__PSK=PSK))
        assert ok.returncode == 0, ok.stderr
        assert json.loads(ok.stdout)["components"]["registry"]["detail"] == "2/2 nodes fresh and available"
        sub = subprocess.run([sys.executable, "-m", "qnb", "submit", "ghz_5", "--coordinator", addr, "--wait",
                              "--shots", "32", "--json"], capture_output=True, text=True, timeout=120,
                             env=_env(QNB_MESH__PSK=PSK))
        assert sub.returncode == 0, sub.stderr
        res = json.loads(sub.stdout)
        assert res["status"] == "COMPLETED" and sum(res["counts"].values()) == 32
        # without the key the connection cannot even be established
        bad = subprocess.run([sys.executable, "-m", "qnb", "health", "--coordinator", addr, "--json"],
                             capture_output=True, text=True, timeout=120, env=_env())
        assert bad.returncode != 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
