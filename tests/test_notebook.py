"""The notebook runs top to bottom, so it cannot rot; its plots come out as images."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOK = Path(__file__).resolve().parent.parent / "notebooks" / "leapmotor_scenarios.ipynb"


def test_notebook_executes(tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), (
        "commit the notebook without outputs"
    )
    client = nbclient.NotebookClient(
        nb, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(tmp_path)}}
    )
    client.execute()  # raises CellExecutionError, with the cell and traceback, on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) == 3  # run, comparison, tornado
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "P(>= 1M in 2026)" in text and "growth.rate =" in text
    assert "P(>= 900k in 2026)" in text  # any target, from the stored totals
    assert "rw: 1y " in text and "scenario:base: " in text  # the calibration report
    tables = [o for o in outputs if "text/html" in o.get("data", {})]
    assert len(tables) >= 5  # frames render as HTML tables
