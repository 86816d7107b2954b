"""The package as a user installs it: the wheel ``pip wheel .`` builds, installed into a
new virtual environment without this checkout on its path, solving a problem to PDF
from an empty folder (the command, ``python -m backprop_solver`` and the Python API).
"""

import os
import shutil
import subprocess
import sys
import zipfile

import pytest

from conftest import PROBLEMS, ROOT

needs_tex = pytest.mark.skipif(shutil.which("pdflatex") is None, reason="pdflatex is not installed")


def run(cmd, cwd, env=None, timeout=600):
    p = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"{' '.join(map(str, cmd))}: exit {p.returncode}\n{p.stdout}\n{p.stderr}"
    return p.stdout + p.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("wheel")
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--disable-pip-version-check",
         str(ROOT), "-w", str(out)], cwd=out)
    (whl,) = out.glob("backprop_solver-*.whl")
    return whl


@pytest.fixture(scope="module")
def venv(wheel, tmp_path_factory):
    """A new virtual environment (no system site-packages) with the wheel installed."""
    where = tmp_path_factory.mktemp("venv") / "env"
    base = getattr(sys, "_base_executable", sys.executable)
    run([base, "-m", "venv", str(where)], cwd=where.parent)
    run([str(where / "bin" / "python"), "-m", "pip", "install", "-q", "--disable-pip-version-check",
         str(wheel)], cwd=where.parent)
    return where


def test_the_wheel_holds_the_package_and_its_house_style(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "backprop_solver/templates/preamble.tex" in names
    assert "backprop_solver/api.py" in names and "backprop_solver/graph/solve.py" in names
    assert any(n.endswith("licenses/LICENSE") for n in names)
    assert not any(n.startswith(("solver/", "tests/", "templates/")) for n in names)
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    for field in ("License-Expression: MIT", "Author: The backprop-solver maintainers", "Project-URL:",
                  "Classifier: Intended Audience :: Education", "Requires-Dist: sympy"):
        assert field in meta, field


@needs_tex
def test_installed_wheel_solves_from_an_empty_folder(venv, tmp_path):
    work = tmp_path / "empty"
    work.mkdir()
    shutil.copy(PROBLEMS / "seed001_q1_sigmoid_sgd.yaml", work / "q1.yaml")
    shutil.copy(PROBLEMS / "seed003_ex3_tanh_multilayer.yaml", work / "graph.yaml")
    # a student's own solver.py in the working folder must not get in the way
    (work / "solver.py").write_text("raise SystemExit('the wrong solver was imported')\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["BACKPROP_CACHE"] = str(tmp_path / "cache")
    bin_ = venv / "bin"

    out = run([str(bin_ / "backprop"), "solve", "q1.yaml", "graph.yaml", "-o", "pdf"], cwd=work, env=env)
    for name in ("q1", "graph"):
        assert (work / "pdf" / f"{name}.pdf").read_bytes().startswith(b"%PDF")
    assert "2 of 2 problem files done" in out
    out = run([str(bin_ / "python"), "-m", "backprop_solver", "check", "q1.yaml", "graph.yaml"], cwd=work, env=env)
    assert "2 of 2 problem files done" in out

    api = ("import backprop_solver as bp, json, sys\n"
           "s = bp.solve('q1.yaml')\n"
           "assert bp.__file__.startswith(sys.prefix), bp.__file__\n"
           "s.write_pdf('api.pdf')\n"
           "print(json.dumps(s.trace['updates'][0]['loss']))\n")
    assert float(run([str(bin_ / "python"), "-c", api], cwd=work, env=env).strip()) == pytest.approx(0.251693, abs=5e-7)
    assert (work / "api.pdf").read_bytes().startswith(b"%PDF")
