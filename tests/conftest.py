"""Shared test helpers: paths, running the CLI, comparing with printed numbers."""

import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = ROOT / "problems"

#: a small graph problem that the bad-input tests of graph files change one line of
GRAPH_PROBLEM = """graph:
  inputs: {x: 1.0}
  targets: {t: 0.5}
  parameters: {w: 0.3}
  define:
    z: w*x
    y: tanh(z)
  loss: (y - t)**2
"""


def printed_tolerance(text):
    """Half a unit in the last digit written: '0.0994943' -> 5e-8, '-0.2' -> 0.05, '0' -> 0.5."""
    exponent = Decimal(text.strip()).as_tuple().exponent
    return 0.5 * 10.0 ** exponent


def assert_printed(actual, printed, what=""):
    """Every entry of ``actual`` agrees with the seed's printed number to the digits printed.

    ``printed`` is a string of numbers, rows separated by ';' (as the seed's bmatrix rows).
    """
    rows = [r.split() for r in printed.strip().split(";")]
    actual = np.atleast_2d(np.asarray(actual, dtype=float))
    if actual.shape[0] == 1 and len(rows) > 1 and all(len(r) == 1 for r in rows):
        actual = actual.T
    assert actual.shape == (len(rows), len(rows[0])), f"{what}: shape {actual.shape} vs printed {len(rows)}x{len(rows[0])}"
    for i, row in enumerate(rows):
        for j, text in enumerate(row):
            tol = printed_tolerance(text) * (1 + 1e-9)
            assert abs(actual[i, j] - float(text)) <= tol, (
                f"{what}[{i},{j}] = {actual[i, j]!r} does not round to the printed {text}")


def run_cli(*args, cwd=ROOT):
    """Run ``python -m backprop_solver ARGS`` as a real process: (exit code, stdout, stderr)."""
    p = subprocess.run([sys.executable, "-m", "backprop_solver", *map(str, args)], cwd=cwd,
                       capture_output=True, text=True, timeout=300)
    return p.returncode, p.stdout, p.stderr


@pytest.fixture
def problem_file(tmp_path):
    """Write YAML text to a temporary problem file and return its path."""
    def write(text, name="problem.yaml"):
        path = tmp_path / name
        path.write_text(text)
        return path
    return write
