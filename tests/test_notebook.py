"""docs/notebook.ipynb run for real (nbclient, an ipykernel kernel): each solution shows
itself as rich HTML output (MathJax-ready formulas, the network as SVG) beside its text."""

import xml.etree.ElementTree as ET

import nbclient
import nbformat
import pytest

from conftest import ROOT

NOTEBOOK = ROOT / "docs" / "notebook.ipynb"


@pytest.fixture(scope="module")
def outputs():
    nb = nbformat.read(NOTEBOOK, as_version=4)
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(NOTEBOOK.parent)}}).execute()
    return [c.outputs for c in nb.cells if c.cell_type == "code"]


def test_every_cell_runs_and_each_solution_displays_itself(outputs):
    assert not [o for cell in outputs for o in cell if o.output_type in ("error", "stream")
                and (o.output_type == "error" or o.name == "stderr")]
    solution, numbers, from_dict, graph, verification = [cell[-1]["data"] for cell in outputs]
    assert solution["text/plain"].startswith("<Solution: 5-3-2 sigmoid network")
    loss, delta = eval(numbers["text/plain"])  # (0.2516..., [[...], [...]])
    assert round(loss, 6) == 0.251693 and round(delta[0][0], 6) == -0.113937
    for data, title in ((solution, "5-3-2 sigmoid network"), (from_dict, "One sigmoid unit"),
                        (graph, "shared parameters")):
        html = data["text/html"]
        ET.fromstring(html)  # well-formed, the SVG included
        assert title in html and "<svg" in html and "<script" not in html
        assert r"\(" in html and r"\[" in html  # formulas for the notebook's MathJax
    assert "0.251693" in solution["text/html"]  # the loss, as the PDF shows it
    assert "WRONG" in verification["text/html"] and "claimed 0.2516, correct 0.251693" in verification["text/html"]
