"""End to end in a real browser: JupyterLab on 127.0.0.1 (random port, token auth), the quickstart
opened in headless Chromium driven by playwright, all cells run, the job and DAG widgets rendered
by JupyterLab's widget manager, a screenshot saved to test-artifacts/ (NB-1, NB-3)."""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from nb_support import wait_for

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync"]

pytestmark = pytest.mark.browser


def _ensure_chromium() -> None:
    """Use Debian's chromium; install it with scripts/setup-browser.sh when missing (root + apt)."""
    if CHROMIUM.exists():
        return
    proc = subprocess.run(["bash", str(ROOT / "scripts" / "setup-browser.sh")], capture_output=True, text=True,
                          timeout=900)
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} not found and could not be installed: {(proc.stdout + proc.stderr).strip()[-400:]}")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ready(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


@pytest.fixture
def lab(tmp_path):
    """A JupyterLab server over a temporary copy of notebooks/, stopped (by its pid) afterwards."""
    _ensure_chromium()
    root = tmp_path / "lab"
    shutil.copytree(ROOT / "notebooks", root)
    port, token = _free_port(), secrets.token_hex(16)
    out = tmp_path / "quickstart.json"
    env = dict(os.environ, QNB_NB_STORE=str(tmp_path / "browser.duckdb"), QNB_NB_OUT=str(out),
               JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "runtime"))
    log = (tmp_path / "lab.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root}",
         "--LabApp.expose_app_in_browser=True", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
         "jupyterlab.NeverCheckForUpdate", "--LabApp.extension_manager=readonly",
         "--ServerApp.allow_remote_access=False"]
        + (["--allow-root"] if os.geteuid() == 0 else []),
        cwd=root, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for(lambda: proc.poll() is not None or _ready(f"http://127.0.0.1:{port}/api/status?token={token}"),
                 timeout=60, step=0.2)
        if proc.poll() is not None:
            pytest.fail(f"jupyter lab exited: {(tmp_path / 'lab.log').read_text()[-2000:]}")
        yield {"url": f"http://127.0.0.1:{port}", "token": token, "out": out, "log": tmp_path / "lab.log"}
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def test_quickstart_in_jupyterlab(lab):
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
    shot = ARTIFACTS / "quickstart-dag-widget.png"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.goto(f"{lab['url']}/lab/tree/01-quickstart.ipynb?token={lab['token']}")
            page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext.session "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel "
                                   "&& window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                                   ".connectionStatus === 'connected'", timeout=60_000)
            page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
            # rendered by JupyterLab's widget manager (a widget box), not the static HTML fallback
            page.wait_for_selector(".jupyter-widgets.qnb-job", timeout=90_000)
            page.wait_for_selector(".jupyter-widgets.qnb-dag svg.qnb-dag-svg", timeout=90_000)
            # run-all stops at the first failing cell: the file written by a late cell proves none failed
            wait_for(lambda: lab["out"].exists(), timeout=90, step=0.2)
            page.wait_for_function("() => document.querySelector('.jupyter-widgets.qnb-job')"
                                   ".textContent.includes('COMPLETED')", timeout=60_000)
            page.locator(".qnb-job").first.scroll_into_view_if_needed()
            page.screenshot(path=str(ARTIFACTS / "quickstart-job-widget.png"))
            page.locator(".qnb-dag").first.scroll_into_view_if_needed()
            page.screenshot(path=str(shot))
            job_text = page.locator(".jupyter-widgets.qnb-job").first.text_content()
            frags = page.locator(".jupyter-widgets.qnb-dag .qnb-frag").count()
        finally:
            browser.close()
    assert "COMPLETED" in job_text
    ids = json.loads(lab["out"].read_text())["jobs"]
    assert len(ids) == 2 and frags >= 2
    for png in (shot, ARTIFACTS / "quickstart-job-widget.png"):
        assert png.exists() and png.stat().st_size > 10_000
