"""Exam sheets (issue 14): `backprop exam SHEET.yaml -o DIR` on the example sheet, checked
against the tool's own trace of each variant file, the question sheet's text, a rerun,
and Moodle's XML format (solver/moodle.py's tests port Moodle's own parsers)."""

import base64
import json
import re
import subprocess
import xml.etree.ElementTree as ET

import pytest
import yaml

from backprop_solver import exam, moodle, spec
from backprop_solver.api import Solution
from backprop_solver.document.model import fmt
from backprop_solver.errors import InputError

from conftest import PROBLEMS, run_cli

SHEET = PROBLEMS / "exam" / "midterm.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("exam") / "out"
    code, _, err = run_cli("exam", SHEET, "-o", out)
    assert code == 0, err
    assert "4 of 4 variants drawn and solved" in err
    return out


def test_every_output_is_there(built):
    names = sorted(p.relative_to(built).as_posix() for p in built.rglob("*") if p.is_file())
    assert names == ["answers.csv", "answers.json", "moodle.xml", "questions.pdf", "solutions.pdf"] + [
        f"variants/{v}/{q}.yaml" for v in range(1, 5) for q in ("q1_sigmoid_sgd", "q2_shared_parameters")]
    assert not [p for p in built.rglob(".*")], "a temporary file was left"


def test_the_answers_are_the_traces_of_the_variant_files(built):
    rows = json.loads((built / "answers.json").read_text())
    traces = {}
    for r in rows:
        key = (r["variant"], r["problem"])
        if key not in traces:
            traces[key] = Solution(*spec.read_problem(built / "variants" / str(r["variant"]) /
                                                       f"{r['problem']}.yaml")).trace
        assert exam.lookup(traces[key], r["quantity"]) == r["value"], r
    assert {r["problem"] for r in rows} == {"q1_sigmoid_sgd", "q2_shared_parameters"}
    quantities = {r["quantity"] for r in rows if r["problem"] == "q1_sigmoid_sgd"}
    assert {"updates[0].loss", "updates[0].layers[1].W_new[1][2]", "predictions[0].class"} <= quantities
    assert {"gradients.v", "updated.v"} <= {r["quantity"] for r in rows if r["problem"] == "q2_shared_parameters"}
    csv_rows = (built / "answers.csv").read_text().splitlines()
    assert csv_rows[0] == "variant,problem,quantity,value" and len(csv_rows) == len(rows) + 1


def test_the_variants_differ_and_stay_on_their_grids(built):
    weights = [yaml.safe_load((built / f"variants/{v}/q1_sigmoid_sgd.yaml").read_text())["network"]["weights"]
               for v in range(1, 5)]
    assert len({json.dumps(w) for w in weights}) == 4
    for w in weights:
        for x in (x for W in w for row in W for x in row):
            assert -0.5 <= x <= 0.5 and x != 0 and round(x * 10) == x * 10


def _text(pdf):
    out = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return out.replace("\u2212", "-")


def test_the_question_sheet_shows_no_answer(built):
    questions, solutions = _text(built / "questions.pdf"), _text(built / "solutions.pdf")
    assert questions.count("Variant ") >= 4 and "Tasks." in questions
    for heading in ("Worked solution", "The updates", "The backward pass", "Result", "Final parameters"):
        assert heading not in questions
    rows = json.loads((built / "answers.json").read_text())
    given = set(re.findall(r"-?\d+\.\d+", questions))
    shown = 0
    for r in rows:
        if isinstance(r["value"], float):
            s = fmt(r["value"], 6)
            if len(s.strip("-0.")) >= 4:  # a computed number, not one the problem gives
                assert s not in given, r
                shown += s in solutions
    assert shown > 50  # ... and the solutions show them


def test_the_same_seed_gives_the_same_variants(built, tmp_path):
    again = tmp_path / "again"
    exam.build(SHEET, again, tex_only=True)
    for f in ["answers.json", "answers.csv"] + [f"variants/{v}/{q}.yaml" for v in range(1, 5)
                                                 for q in ("q1_sigmoid_sgd", "q2_shared_parameters")]:
        assert (again / f).read_bytes() == (built / f).read_bytes(), f


def test_moodle_xml_follows_the_format(built):
    root = ET.fromstring((built / "moodle.xml").read_bytes())
    assert root.tag == "quiz"
    qs = list(root)
    categories = [q for q in qs if q.get("type") == "category"]
    assert [c.findtext("category/text") for c in categories] == [
        "$course$/top/Midterm: backpropagation by hand/q1_sigmoid_sgd",
        "$course$/top/Midterm: backpropagation by hand/q2_shared_parameters"]
    rows = json.loads((built / "answers.json").read_text())
    for q in (q for q in qs if q.get("type") != "category"):
        assert q.get("type") == "cloze"  # several numerical parts each
        name = q.findtext("name/text")
        problem, v = re.fullmatch(r"(\w+) variant (\d)", name).groups()
        text = q.findtext("questiontext/text")
        assert q.find("questiontext").get("format") == "html"
        blanks = re.findall(r"\{(\d+):NUMERICAL:=([^:}]+):([^}]+)\}", text)
        expected = [r for r in rows if r["problem"] == problem and r["variant"] == int(v)]
        assert len(blanks) == len(expected)
        for (_, value, tol), r in zip(blanks, expected):
            assert float(value) == r["value"]
            want = 0.0 if r["quantity"].endswith("class") else moodle.tolerance(r["value"], 4)
            assert float(tol) == pytest.approx(want, rel=1e-12, abs=0)
        if problem == "q1_sigmoid_sgd":
            (f,) = q.findall("questiontext/file")
            assert f.get("encoding") == "base64" and f"@@PLUGINFILE@@/{f.get('name')}" in text
            svg = ET.fromstring(base64.b64decode(f.text))
            assert svg.tag == "{http://www.w3.org/2000/svg}svg"
        assert "\\(" in text  # formulas for Moodle's MathJax filter


def test_verify_reads_a_variant_file(built, tmp_path):
    variant = built / "variants" / "2" / "q1_sigmoid_sgd.yaml"
    code, out, err = run_cli("trace", variant)
    (tmp_path / "claims.json").write_text(out)
    code, out, err = run_cli("verify", variant, tmp_path / "claims.json")
    assert code == 0, err


@pytest.mark.parametrize("change, key, words", [
    ({"variants": 0}, "variants", ["at least 1"]),
    ({"variants": 10_000}, "variants", ["at most 500"]),
    ({"problems": []}, "problems", ["expected a list of problems"]),
    ({"problems": [{"file": "nowhere.yaml"}]}, "", ["no such problem file"]),
    ({"problems": [{"file": "q1_sigmoid_sgd.yaml", "pionts": 3}]}, "problems[0].pionts", ["did you mean 'points'"]),
    ({"problems": ["q1_sigmoid_sgd.yaml", "q1_sigmoid_sgd.yaml"]}, "problems[1].file", ["named 'q1_sigmoid_sgd' too"]),
    ({"problems": [{"file": "q1_sigmoid_sgd.yaml", "require": {"no_dead": True}}]}, "problems[0].require.no_dead",
     ["unknown key"]),
    ({"problems": [{"file": "q1_sigmoid_sgd.yaml", "require": {"max_abs_z": 0.001}}]}, "problems[0].require",
     ["q1_sigmoid_sgd: no draw of variant 1 met the requirements", "failed in 100 of 100 draws"]),
    ({"seed": -1}, "seed", ["at least 0"]),
])
def test_bad_sheets_are_refused_in_one_line_and_write_nothing(tmp_path, change, key, words):
    sheet = yaml.safe_load(SHEET.read_text())
    sheet.update(change)
    for f in ("q1_sigmoid_sgd.yaml", "q2_shared_parameters.yaml"):
        (tmp_path / f).write_text((SHEET.parent / f).read_text())
    path = tmp_path / "sheet.yaml"
    path.write_text(yaml.safe_dump(sheet))
    with pytest.raises(InputError) as e:  # in process; the command prints this line (below)
        exam.build(path, tmp_path / "out")
    err = str(e.value)
    assert "\n" not in err and (f": {key}: " in err if key else True), err
    for w in words:
        assert w in err, err
    assert not (tmp_path / "out").exists()


def test_a_bad_sheet_is_one_line_from_the_command_and_writes_nothing(tmp_path):
    path = tmp_path / "sheet.yaml"
    path.write_text(yaml.safe_dump({"variants": 0, "problems": ["q1.yaml"]}))
    code, out, err = run_cli("exam", path, "-o", tmp_path / "out")
    assert code == 2 and err == f"{path}: variants: expected a whole number of at least 1, got 0\n", err
    assert not (tmp_path / "out").exists()


def test_every_kind_of_problem_goes_on_a_sheet(tmp_path):
    for f in ("seed000_ex2_task1_tanh_bce.yaml", "seed004_problem3_hessian.yaml"):
        (tmp_path / f).write_text((PROBLEMS / f).read_text())
    (tmp_path / "sheet.yaml").write_text(yaml.safe_dump({"title": "Kinds", "variants": 2, "problems": [
        {"file": "seed000_ex2_task1_tanh_bce.yaml", "points": 2}, {"file": "seed004_problem3_hessian.yaml"}]}))
    exam.build(tmp_path / "sheet.yaml", tmp_path / "out", tex_only=True)
    rows = json.loads((tmp_path / "out" / "answers.json").read_text())
    assert {r["quantity"] for r in rows} == {"runs[0].history[10000].loss", "runs[1].history[10000].loss"}
    root = ET.fromstring((tmp_path / "out" / "moodle.xml").read_bytes())
    kinds = [q.get("type") for q in root if q.get("type") != "category"]
    assert kinds == ["essay", "essay", "cloze", "cloze"]  # a derivation is graded by hand
    assert "Show: The derivative of tanh." in (tmp_path / "out" / "questions.tex").read_text()


def test_a_sheet_given_to_solve_says_to_use_exam():
    code, out, err = run_cli("check", SHEET)
    assert code == 2 and "this is an exam sheet" in err and "backprop exam" in err, err
