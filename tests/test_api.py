"""The Python API (solver/api.py): bp.solve and bp.verify agree with the commands, and
refuse bad input with the same one-line InputError."""

import json
import shutil
import xml.etree.ElementTree as ET

import pytest
import yaml

import backprop_solver as bp
from conftest import GRAPH_PROBLEM, PROBLEMS, ROOT, run_cli

Q1 = PROBLEMS / "seed001_q1_sigmoid_sgd.yaml"
SMALL = {"network": {"sizes": [2, 1], "activation": "sigmoid", "weights": 0.5},
         "loss": "squared_error", "learning_rate": 1, "data": [{"x": [1, 0], "y": 1}]}


def test_the_trace_is_what_backprop_trace_prints():
    code, out, err = run_cli("trace", Q1)
    assert code == 0, err
    assert json.loads(json.dumps(bp.solve(Q1).trace)) == json.loads(out)


def test_the_tex_is_what_backprop_solve_writes(tmp_path):
    code, _, err = run_cli("solve", "--tex-only", Q1, "-o", tmp_path)
    assert code == 0, err
    assert bp.solve(str(Q1)).tex == (tmp_path / (Q1.stem + ".tex")).read_text()


def test_a_mapping_is_a_problem_file_without_a_file(tmp_path):
    f = tmp_path / "small.yaml"
    f.write_text(yaml.safe_dump(SMALL))
    from_file, from_dict = bp.solve(f), bp.solve(SMALL)
    assert from_file.trace["updates"] == from_dict.trace["updates"]
    assert (from_file.title, from_dict.title) == ("small", "Problem")
    assert "Problem" in from_dict.tex and "<problem>" not in from_dict.tex
    graph = bp.solve(yaml.safe_load(GRAPH_PROBLEM))
    assert graph.kind == "graph" and graph.title == "Problem"


def test_stages_run_once_and_on_demand():
    s = bp.solve(SMALL)
    assert "document" not in vars(s) and "tex" not in vars(s)
    s.trace
    assert "document" not in vars(s)
    html = s.html
    doc = s.document
    assert s.tex and s.document is doc and s.html is html
    ET.fromstring(html)


def test_bad_input_raises_the_commands_one_line():
    with pytest.raises(bp.InputError) as e:
        bp.solve(dict(SMALL, network=dict(SMALL["network"], sizes=[2, 0])))
    assert str(e.value).startswith("<problem>: network.sizes[1]: ")
    assert e.value.file == "<problem>" and e.value.key == "network.sizes[1]"
    with pytest.raises(bp.InputError, match=r"nothing\.yaml: "):
        bp.solve("nothing.yaml")
    with pytest.raises(TypeError, match="a problem is a file path or a mapping"):
        bp.solve(42)


def test_write_pdf_and_write_tex(tmp_path):
    s = bp.solve(SMALL)
    assert s.write_tex(tmp_path / "a.tex").read_text() == s.tex
    if shutil.which("pdflatex"):
        assert s.write_pdf(tmp_path / "a.pdf").read_bytes().startswith(b"%PDF")


def test_verify_takes_files_or_mappings_and_agrees_with_the_command():
    claims = ROOT / "problems" / "claims" / "seed001_q1_mistyped.claims.yaml"
    code, out, _ = run_cli("verify", "--json", Q1, claims)
    from_files = bp.verify(Q1, claims)
    assert code == 1 and not from_files.ok
    assert json.loads(json.dumps(from_files.to_json())) == json.loads(out)
    as_data = yaml.safe_load(claims.read_text())
    assert bp.verify(Q1, as_data).summary == from_files.summary
    ok = bp.verify(SMALL, {"updates": [{"index": 1, "loss": 0.0713}]})
    assert ok.ok and repr(ok) == "<Verification: 1 ok>"
    with pytest.raises(bp.InputError, match=r"^<claims>: updates\[0\]"):
        bp.verify(SMALL, {"updates": [{"loss": 0.08}]})


def test_without_pdflatex_a_pdf_is_one_line_saying_what_to_do(tmp_path):
    import os
    import subprocess
    import sys

    env = dict(os.environ, PATH=str(tmp_path))  # no pdflatex on it
    p = subprocess.run([sys.executable, "-m", "backprop_solver", "solve", str(Q1), "-o", str(tmp_path / "out")],
                       env=env, capture_output=True, text=True, timeout=120)
    assert p.returncode == 2 and p.stderr.count("\n") == 1
    assert "pdflatex is not installed (see the README's Install section; --tex-only" in p.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").iterdir())
    with pytest.raises(bp.InputError, match="pdflatex is not installed"):
        os.environ["PATH"], saved = str(tmp_path), os.environ["PATH"]
        try:
            bp.solve(SMALL).write_pdf(tmp_path / "x.pdf")
        finally:
            os.environ["PATH"] = saved
    with pytest.raises(bp.InputError, match=r"cannot write .*x\.tex"):
        (tmp_path / "file").write_text("")
        bp.solve(SMALL).write_tex(tmp_path / "file" / "x.tex")
