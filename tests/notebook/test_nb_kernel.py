"""The ``qnb`` kernel spec, its installer and CLI, and a notebook run on a real ipykernel started
from that spec through nbclient: the extension is preloaded (no ``%load_ext``), widgets come out
as widget views with HTML fallbacks, and the pump runs on the kernel's own loop (NB-1..NB-3)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import duckdb
import nbformat
import pytest
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

from kernels_ext import SPEC_DIR, install, kernel_spec
from qnb.cli import main as cli_main
from qnb.errors import ConfigError

from nb_support import BELL, WIDGET_MIME



def test_committed_spec_preloads_the_extension():
    spec = json.loads((SPEC_DIR / "kernel.json").read_text())
    assert spec["argv"][1:] == ["-m", "ipykernel_launcher", "-f", "{connection_file}", "--ext=qnb"]
    assert spec["display_name"] == "qnb (Python 3)" and spec["language"] == "python"


def test_installed_spec_points_at_this_interpreter(tmp_path):
    path = install(prefix=str(tmp_path))
    assert Path(path) == tmp_path / "share" / "jupyter" / "kernels" / "qnb"
    found = KernelSpecManager(kernel_dirs=[str(Path(path).parent)]).get_kernel_spec("qnb")
    assert found.argv[0] == sys.executable and "--ext=qnb" in found.argv
    assert kernel_spec(python="/opt/py/bin/python")["argv"][0] == "/opt/py/bin/python"


def test_cli_install_json(tmp_path, capsys):
    assert cli_main(["kernel", "install", "--prefix", str(tmp_path), "--name", "qnb-test", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["name"] == "qnb-test" and (Path(out["installed"]) / "kernel.json").exists()


def test_install_rejects_conflicting_locations_and_bad_names(tmp_path):
    with pytest.raises(ConfigError, match="at most one"):
        install(user=True, prefix=str(tmp_path))
    with pytest.raises(ConfigError, match="invalid kernel name"):
        install(prefix=str(tmp_path), name="no spaces please")
    with pytest.raises(SystemExit) as e:        # argparse's own mutual exclusion in the CLI
        cli_main(["kernel", "install", "--user", "--sys-prefix"])
    assert e.value.code == 2


def _outputs(cell) -> list[dict]:
    return [o for o in cell.get("outputs", [])]


def test_notebook_on_the_qnb_kernel(tmp_path, monkeypatch):
    install(prefix=str(tmp_path / "env"))
    monkeypatch.setenv("JUPYTER_PATH", str(tmp_path / "env" / "share" / "jupyter"))
    store = tmp_path / "kernel.duckdb"
    cells = [
        f"%qnb start --nodes 3 --qubits-per-node 4 --seed 3 --store {store}",    # no %load_ext: preloaded
        f"%%qsubmit --shots 200 --name kernel-bell -o r\n{BELL}",
        "from qnb.notebook import DagWidget\nDagWidget(_qjob)",
        "from qnb.notebook import JobWidget\nbell_src = r.job_id and _qjob.mesh.sql("
        "'select circuit_source from jobs where job_id = ?', [r.job_id]).rows[0][0]\n"
        "j = %qsubmit bell_src --no-wait --quiet --shots 100 --name kernel-live\n"
        "v = JobWidget(j)\nprint('scheduled', v.watch())",
        "import asyncio\nwhile not v.finished:\n    await asyncio.sleep(0.05)\nprint('pumped', v.state, v.progress)",
        "print('ids', r.job_id, j.id)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nb.metadata["kernelspec"] = {"name": "qnb", "display_name": "qnb (Python 3)", "language": "python"}
    NotebookClient(nb, kernel_name="qnb", timeout=120, resources={"metadata": {"path": str(tmp_path)}}).execute()

    submit_out = [o for o in _outputs(nb.cells[1]) if o["output_type"] == "display_data"]
    assert submit_out and WIDGET_MIME in submit_out[0]["data"]
    assert "qnb-job" in submit_out[0]["data"]["text/html"]
    dag_out = [o for o in _outputs(nb.cells[2]) if o["output_type"] == "execute_result"]
    assert "qnb-dag-svg" in dag_out[0]["data"]["text/html"] and WIDGET_MIME in dag_out[0]["data"]
    text = "".join(o.get("text", "") for c in nb.cells[3:] for o in _outputs(c) if o["output_type"] == "stream")
    assert "scheduled True" in text                 # cells run with the kernel's asyncio loop running
    assert "pumped COMPLETED 1.0" in text           # ... and the pump updated the view on that loop
    ids = text.split("ids ", 1)[1].split()
    # the kernel has exited (nbclient shut it down): the DuckDB file is ours to open
    with duckdb.connect(str(store), read_only=True) as con:
        states = dict(con.execute("select job_id, state from jobs").fetchall())
    assert states.get(ids[0]) == "COMPLETED" and states.get(ids[1]) == "COMPLETED"
