"""backprop verify on graph problems (issue 12): claims on values, gradients and updated
parameters, errors carried forward along the graph, the reports and the annotated PDF.

The problem is problems/seed003_ex4_shared_parameters.yaml (x1 = 1, x2 = 2, t = 3,
v = 0.5; w13 = log(1 + e^v), w24 = -log(1 + e^-v), z3 = x1 w13, z4 = x2 w24,
a3 = z3^2 / 2, a4 = z4^2 / 2, y = a3 + a4, E = (y - t)^2, eta = 0.1) unless said.
"""

import json
import math
import shutil
import subprocess

import pytest

import backprop_solver as bp
from conftest import PROBLEMS, run_cli

EX4 = PROBLEMS / "seed003_ex4_shared_parameters.yaml"
EX3 = PROBLEMS / "seed003_ex3_all_derivatives.yaml"
SLIP = PROBLEMS / "claims" / "seed003_ex4_sign_slip.claims.yaml"

#: ex4's numbers, to 6 digits, as a hand calculation writes them
FORWARD = {"w13": 0.974077, "w24": -0.474077, "z3": 0.974077, "z4": -0.948154,
           "a3": 0.474413, "a4": 0.449498, "y": 0.923911, "E": 4.31015}
BACKWARD = {"y": -4.15218, "a3": -4.15218, "a4": -4.15218, "z3": -4.04454, "z4": 3.9369,
            "w13": -4.04454, "w24": 7.87381, "v": 0.45512}


@pytest.fixture
def claims_file(problem_file):
    """Write YAML text to a temporary claims file (conftest's problem_file, another name)."""
    return lambda text, name="claims.yaml": problem_file(text, name)


def statuses(v):
    """{(section, name): status} of every claim that is not ok."""
    return {(r.key.section, r.key.node): r.status for r in v.results if r.status != "ok"}


# ---------------------------------------------------------------- the trace as claims

GRAPH_PROBLEMS = [p for p in sorted(PROBLEMS.glob("*.yaml")) if "\ngraph:" in "\n" + p.read_text()]


@pytest.mark.parametrize("problem", GRAPH_PROBLEMS, ids=lambda p: p.stem)
def test_the_graph_trace_is_a_claims_file_every_number_ok(problem, tmp_path):
    code, out, _ = run_cli("trace", problem)
    trace = json.loads(out)
    (tmp_path / "t.json").write_text(out)
    code, out, err = run_cli("verify", problem, tmp_path / "t.json", "--json")
    summary = json.loads(out)["summary"]
    numbers = len(trace["values"]) + len(trace["gradients"]) + len(trace["updated"])
    assert code == 0 and err == "" and summary["ok"] == summary["total"] == numbers


def test_a_hand_calculation_right_to_six_digits_is_ok():
    v = bp.verify(EX4, {"values": FORWARD, "gradients": BACKWARD, "updated": {"v": 0.454488}})
    assert v.ok and v.summary["total"] == 17


# ---------------------------------------------------------------- carried forward

def test_the_forward_pass_carries_a_copied_wrong_value():
    # a4 copied as 0.494498 (digits swapped); y = a3 + a4 and E = (y - t)^2 follow from it
    claims = {"values": {**FORWARD, "a4": 0.494498, "y": 0.968911, "E": 4.12532}}
    v = bp.verify(EX4, claims)
    assert statuses(v) == {("values", "a4"): "wrong", ("values", "y"): "carried_forward",
                           ("values", "E"): "carried_forward"}
    y = next(r for r in v.results if r.key.node == "y")
    assert [str(k) for k in y.from_inputs] == ["a4"] and y.recomputed == pytest.approx(0.968911)


def test_a_wrong_value_from_right_inputs_is_wrong_not_carried():
    v = bp.verify(EX4, {"values": {**FORWARD, "a4": 0.494498, "y": 0.95}})  # 0.968911 follows
    assert statuses(v) == {("values", "a4"): "wrong", ("values", "y"): "wrong"}
    v = bp.verify(EX4, {"values": {**FORWARD, "y": 0.968911}})  # its inputs are right
    assert statuses(v) == {("values", "y"): "wrong"}


def test_the_backward_pass_carries_a_wrong_gradient_to_the_update():
    # the example: dE/dz4 written with the sign dropped, the rest computed from it
    v = bp.verify(EX4, SLIP)
    assert statuses(v) == {("gradients", "z4"): "wrong", ("gradients", "w24"): "carried_forward",
                           ("gradients", "v"): "carried_forward", ("updated", "v"): "carried_forward"}
    dv = next(r for r in v.results if r.key == type(r.key)("gradients", "v"))
    assert [str(k) for k in dv.from_inputs] == ["dE/dw24"]
    assert dv.recomputed == pytest.approx(-4.04454 / (1 + math.exp(-0.5)) - 7.87381 / (1 + math.exp(0.5)))


def test_a_gradient_carries_a_wrong_value_in_its_local_derivative():
    # ex3: dE/dz3 = dE/da3 (1 - a3^2); with a3 claimed wrong and dE/dz3 computed from it,
    # dE/dz3 is carried forward from a3 (the local derivative as the document writes it)
    s = bp.solve(EX3).trace
    a3 = 0.55  # tanh(0.5) = 0.462117
    dz3 = s["gradients"]["w13"] / 0.5 / (1 - s["values"]["a3"] ** 2) * (1 - a3 ** 2)  # dE/da3 (1 - a3^2)
    dz3_written = f"{dz3:.6g}"
    v = bp.verify(EX3, {"values": {"a3": a3}, "gradients": {"z3": float(dz3_written)}})
    assert statuses(v) == {("values", "a3"): "wrong", ("gradients", "z3"): "carried_forward"}
    # a gradient claimed from a wrong value it does not use is wrong
    v = bp.verify(EX3, {"values": {"a4": 0.55}, "gradients": {"z3": float(dz3_written)}})
    assert statuses(v) == {("values", "a4"): "wrong", ("gradients", "z3"): "wrong"}


def test_tolerance_as_for_layered_claims():
    claims = {"values": {"y": 0.9238}, "tolerance": {"abs": 1e-3}}
    assert bp.verify(EX4, claims).ok
    assert not bp.verify(EX4, {"values": {"y": 0.9238}}).ok  # 4 digits written: 0.92375..0.92385
    assert bp.verify(EX4, {"values": {"y": 0.92}}).ok


# ---------------------------------------------------------------- reports

def test_text_report_names_dE_dnode_and_the_key_path():
    code, out, err = run_cli("verify", EX4, SLIP)
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[0] == "dE/dz4: WRONG   [gradients.z4]"
    assert lines[1] == "    dE/dz4: claimed -3.9369, correct 3.9369"
    assert "dE/dw24: carried forward   [gradients.w24]" in lines
    assert "    follows from the claimed dE/dz4" in lines
    assert "v (updated): carried forward   [updated.v]" in lines
    assert lines[-1] == ("17 claimed quantities (tolerance: the digits written): "
                         "13 ok, 1 wrong, 3 carried forward, 0 wrong shape")
    code, out, _ = run_cli("verify", EX4, SLIP, "-a")
    assert out.splitlines()[0] == "w13: ok   [values.w13]"


def test_json_report():
    code, out, err = run_cli("verify", EX4, SLIP, "--json")
    data = json.loads(out)
    assert code == 1 and err == ""
    assert data["summary"] == {"ok": 13, "wrong": 1, "carried_forward": 3, "wrong_shape": 0, "total": 17}
    by = {r["key"]: r for r in data["results"]}
    assert list(by)[:8] == [f"values.{n}" for n in FORWARD]  # in the order of computation
    assert by["gradients.z4"] == {"section": "gradients", "name": "z4", "status": "wrong", "claimed": -3.9369,
                                  "expected": pytest.approx(3.9369041250028247), "key": "gradients.z4",
                                  "differ": [[]]}
    w24 = by["gradients.w24"]
    assert w24["status"] == "carried_forward" and w24["from"] == ["dE/dz4"]
    assert w24["recomputed"] == pytest.approx(-7.8738) and w24["expected"] == pytest.approx(7.873808250005649)
    assert by["updated.v"]["from"] == ["dE/dv"]


def test_api_verification():
    v = bp.verify(str(EX4), {"gradients": {"z4": -3.9369, "w24": -7.87381}})
    assert repr(v) == "<Verification: 1 wrong, 1 carried_forward>"
    assert not v.ok and v.summary["total"] == 2
    assert v.report().startswith("dE/dz4: WRONG   [gradients.z4]")
    assert [r["status"] for r in v.to_json()["results"]] == ["wrong", "carried_forward"]
    assert bp.verify(EX4, {"values": {"y": 0.923911}}).ok


# ---------------------------------------------------------------- the annotated document

def test_pdf_source_puts_each_claim_beside_its_number(tmp_path):
    v = bp.verify(EX4, SLIP)
    tex = v.write_pdf(tmp_path / "checked.tex").read_text()
    assert tex.count(r"\checkmark") >= 13 + 1  # the ticks, and the legend's
    assert r"\textcolor{red}{\text{claimed (wrong):}}\ \textcolor{red}{-3.9369}" in tex
    assert r"\textcolor{orange!85!black}{\text{claimed (carried forward):}}\ \textcolor{orange!85!black}{-7.87381}" in tex
    # the update is a sentence: the claim follows it as words, in orange
    assert r"\textcolor{orange!85!black}{claimed (carried forward):} $\textcolor{orange!85!black}{1.04903}$" in tex
    assert r"\item \texttt{gradients.z4} \textcolor{red}{wrong:} dE/dz4: claimed -{}3.9369, correct 3.9369" in tex


@pytest.mark.skipif(not shutil.which("pdflatex") or not shutil.which("pdftotext"), reason="needs TeX, poppler")
def test_pdf_compiles_and_shows_the_claims(tmp_path):
    code, _, err = run_cli("verify", EX4, SLIP, "--pdf", tmp_path / "checked.pdf")
    assert code == 1 and err == ""
    text = subprocess.run(["pdftotext", "-layout", tmp_path / "checked.pdf", "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "claimed (wrong): −3.9369" in text
    assert "claimed (carried forward): −7.87381" in text and "claimed (carried forward): −5.49025" in text
    assert "The claims checked" in text and "17 claimed quantities: 13 ok, 1 wrong, 3 carried forward" in text
    assert "gradients.w24 carried forward: dE/dw24 follows from the claimed dE/dz4" in text


@pytest.mark.skipif(not shutil.which("pdflatex"), reason="needs TeX")
@pytest.mark.parametrize("problem, claims", [
    (EX4, SLIP),
    (PROBLEMS / "seed001_q1_sigmoid_sgd.yaml", PROBLEMS / "claims" / "seed001_q1_mistyped.claims.yaml"),
    (PROBLEMS / "seed001_q2b_tanh_batch.yaml", PROBLEMS.parent / "tests" / "claims" / "seed001_q2b.claims.yaml")],
    ids=["graph", "layered", "layered-shapes"])
def test_the_list_of_claims_stays_in_the_margins(problem, claims, tmp_path):
    # the closing list ran 50-90pt into the margin: each item now starts with its key path
    bp.verify(problem, claims).write_pdf(tmp_path / "c.tex")
    subprocess.run(["pdflatex", "-interaction=nonstopmode", "-no-shell-escape", "c.tex"], cwd=tmp_path,
                   capture_output=True, timeout=120)
    log = (tmp_path / "c.log").read_text(errors="replace")
    assert "Overfull" not in log.split("The claims checked")[-1] and "Overfull \\hbox" not in log


# ---------------------------------------------------------------- bad claims: exit 2

@pytest.mark.parametrize("text, message", [
    ("values: {z33: 0.5}", "values.z33: unknown name z33; did you mean z3?"),
    ("values: {h: 0.5}", "values.h: unknown name h; the problem's names are x1, x2, t, v, w13, w24, z3, z4, "
                         "a3, a4, y, E"),
    ("gradients: {W13: 1}", "gradients.W13: unknown name W13; did you mean w13?"),
    ("values: {y: [0.9, 0.1]}", "values.y: expected one number (y is a number), got a list"),
    ("values: {y: .nan}", "values.y: expected a finite number, got .nan"),
    ("values: {y: null}", "values.y: expected a number, got nothing (null)"),
    ("values: {y: high}", "values.y: expected a number or a list of numbers, got the text 'high'"),
    ("values: [y, 0.9]", "values: expected a mapping of names to numbers ({z3: 0.5}), got a list"),
    ("gradients: {x1: 1}", "gradients.x1: dE/dx1 is not computed: the backward pass goes from E to the "
                           "derivatives asked for (graph.derivatives: w13, w24, v)"),
    ("updated: {w13: 1}", "updated.w13: w13 is not updated: the update changes v"),
    ("updated: {vv: 1}", "updated.vv: unknown name vv; did you mean v?"),
    ("updates: []", "updates: this is a graph problem: its claims are values, gradients and updated"),
    ("value: {y: 1}", "value: unknown key (did you mean 'values'?)"),
    ("tolerance: 3", "tolerance: expected written, {abs: 1e-4} or {rel: 1e-3}, got the number 3"),
])
def test_bad_claims_are_refused_with_file_and_key(claims_file, text, message):
    path = claims_file(text)
    with pytest.raises(bp.InputError) as e:
        bp.verify(EX4, path)
    assert str(e.value).startswith(f"{path}: {message}")


def test_bad_claims_exit_2_with_one_line(claims_file):
    path = claims_file("gradients: {W13: 1}")
    code, out, err = run_cli("verify", EX4, path)
    assert (code, out, err) == (2, "", f"{path}: gradients.W13: unknown name W13; did you mean w13?\n")


@pytest.mark.parametrize("problem, text, message", [
    (EX3, "updated: {w13: 1}", "updated.w13: no parameter is updated: the problem has no learning_rate"),
    (PROBLEMS / "seed003_ex2_logcosh.yaml", "values: {y: 1}", "values.y: the problem gives no numbers (symbolic)"),
    # a layered problem refuses a graph problem's claims the same way
    (PROBLEMS / "seed001_q1_sigmoid_sgd.yaml", "values: {y: 1}",
     "values: this is a layered problem: its claims are updates and predictions")])
def test_claims_a_problem_cannot_have(claims_file, problem, text, message):
    path = claims_file(text)
    with pytest.raises(bp.InputError) as e:
        bp.verify(problem, path)
    assert str(e.value).startswith(f"{path}: {message}")


def test_a_recomputation_without_a_finite_value_is_wrong_not_a_crash(problem_file):
    # log of a claimed negative number: the recomputation has no value, the claim is wrong
    p = problem_file("graph:\n  inputs: {x: 2.0}\n  parameters: {w: 1.0}\n  define:\n"
                     "    z: w*x\n    y: log(z)\n  loss: y**2\n")
    v = bp.verify(p, {"values": {"z": -1.0, "y": 0.5}, "gradients": {"z": 1e308}})
    assert statuses(v) == {("values", "z"): "wrong", ("values", "y"): "wrong", ("gradients", "z"): "wrong"}
