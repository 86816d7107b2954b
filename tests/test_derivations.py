"""Derivations written step by step, every step checked by SymPy (solver.steps).

Every derivation the documents use is built here without the cache, so each of its
steps is proved again; a wrong step must raise, never be printed. The softmax with
cross-entropy derivation must read in the PDF as the worked solution writes it (the
chain rule over the outputs, -y_i/yhat_i, the Jacobian with the Kronecker delta, the
sum, one-hot targets); problem files that ask for derivations alone need no numbers;
the layered documents point out dead ReLU units.
"""

import json
import re
import subprocess

import numpy as np
import pytest
import sympy as sp

import backprop_solver as bp
from conftest import PROBLEMS, run_cli
from backprop_solver import derivations as D
from backprop_solver import spec, trace
from backprop_solver.document import derivation
from backprop_solver.document.notation import PRESETS, Notation
from backprop_solver.functions import ACTIVATIONS, LOG_LOSSES, LOSSES
from backprop_solver.steps import Chain, Step, StepError, check, equal

OPTIONS = {"leaky_relu": 0.01, "elu": 1.0, "huber": 1.0}

#: the problem files that ask for derivations alone, and the seed task each answers
DERIVATION_FILES = ["seed000_ex1_task1_softmax_ce_delta.yaml", "seed000_ex1_tasks2_3_shapes_dead_relu.yaml",
                    "seed002_ex1_task1_softmax_ce_delta.yaml", "seed003_ex2_logcosh_derivations.yaml",
                    "seed000_ex2_task1_tanh_bce.yaml", "seed004_problem2_index_form.yaml"]


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("BACKPROP_CACHE", str(tmp_path / "cache"))


def pairs():
    """Every output activation with every loss it may meet (the cross-entropies need
    sigmoid or softmax outputs)."""
    for a in ACTIVATIONS:
        for l in LOSSES:
            if l in LOG_LOSSES and a not in ("sigmoid", "softmax"):
                continue
            if a not in ("sigmoid", "softmax", "tanh", "relu") and l not in ("squared_error", "log_cosh"):
                continue  # the rest meet two losses: their f' is the only new part
            yield a, l


# ---------------------------------------------------------------------------------------
# every step checks


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_every_activation_derivative_checks(name):
    d = D._activation(name, OPTIONS.get(name)).check()
    chains = [p for p in d.parts if isinstance(p, Chain)]
    assert chains and all(len(c.steps) >= 1 for c in chains)


@pytest.mark.parametrize("name", list(LOSSES))
def test_every_loss_derivative_checks(name):
    D._loss(name, OPTIONS.get(name)).check()


@pytest.mark.parametrize("act,loss", list(pairs()))
def test_every_output_delta_checks(act, loss):
    for onehot in ((True, False) if (act, loss) == ("softmax", "cross_entropy") else (True,)):
        D._output_delta(act, OPTIONS.get(act), loss, OPTIONS.get(loss), onehot).check()


@pytest.mark.parametrize("sizes,acts,biases", [
    (None, None, True), ([4, 5, 1], [("sigmoid", None)] * 2, False),
    ([5, 3, 2], [("tanh", None), ("softmax", None)], True), ([4, 4, 3, 3], [("tanh", None)] * 3, True)])
def test_index_form_checks(sizes, acts, biases):
    D._index_form(sizes, acts, biases).check()


def test_the_network_derivations_check():
    D._dimensions(None).check()
    D._dimensions([5, 3, 2]).check()
    D._dead_relu().check()
    for reduction in ("mean", "sum"):
        D._batch("log_cosh", None, reduction, linear=False).check()
        D._batch("squared_error", None, reduction, linear=True).check()


def test_the_steps_people_write():
    """The forms the exercises ask for: tanh through sinh and cosh, sigma (1 - sigma),
    yhat - y for sigmoid with binary cross-entropy, tanh(y - t) for log cosh."""
    def rhs(d):
        return [r["rhs"] for p in d["parts"] if "rows" in p for r in p["rows"]]

    tanh = rhs(D.activation_derivative("tanh"))
    assert any(r"\sinh" in r and r"\cosh" in r for r in tanh) and tanh[-1] == r"1 - \tanh^{2}{\left(ZZ \right)}"
    assert rhs(D.activation_derivative("sigmoid"))[-1] == r"\sigma{\left(ZZ \right)} \left(1 - \sigma{\left(ZZ \right)}\right)"
    assert rhs(D.output_delta("sigmoid", None, "binary_cross_entropy"))[-1] == "YH - YT"
    logcosh = rhs(D.loss_derivative("log_cosh"))
    assert r"\frac{1}{\cosh u} \cdot \sinh u \cdot 1" in logcosh and logcosh[-1] == r"\tanh{\left(YH - YT \right)}"
    relu = D.activation_derivative("relu")
    assert any("kink" in p.get("text", "") for p in relu["parts"])


# ---------------------------------------------------------------------------------------
# a wrong step is a bug raised at build time


def test_a_wrong_step_raises():
    x = sp.Symbol("x")
    check(Chain("f'", sp.diff(sp.tanh(x), x), [Step(r"1 - \tanh^2 x", 1 - sp.tanh(x) ** 2)]))
    with pytest.raises(StepError, match="does not follow"):
        check(Chain("f'", sp.diff(sp.tanh(x), x), [Step(r"1 + \tanh^2 x", 1 + sp.tanh(x) ** 2)]))
    # one wrong instance of an indexed step is enough
    with pytest.raises(StepError, match="'j': 1"):
        check(Chain("d", lambda I: I["j"], [Step("0", 0)], [{"j": 0}, {"j": 1}]))


def test_a_wrong_step_in_the_registry_raises(monkeypatch):
    """A slip in an activation's own steps (sigma' = sigma (1 + sigma)) stops the build."""
    def wrong(self, sp, Z):
        s = 1 / (1 + sp.exp(-Z))
        return [Step(r"\sigma (1 + \sigma)", s * (1 + s), "a slip")]

    monkeypatch.setattr(ACTIVATIONS["sigmoid"], "derivation", wrong)
    with pytest.raises(StepError):
        D._activation("sigmoid", None).check()
    with pytest.raises(StepError):
        D.activation_derivative("sigmoid")  # through the cache: nothing stored, nothing printed


def test_equal_decides_where_simplify_cannot():
    x, y = sp.symbols("x y")
    assert equal(sp.Piecewise((x, x > 0), (0, True)) * 2, sp.Piecewise((2 * x, x > 0), (0, True)))
    assert not equal(sp.Piecewise((x, x > 0), (0, True)), sp.Piecewise((x, x >= 1), (0, True)))
    assert equal(sp.tanh(x - y), sp.sinh(x - y) / sp.cosh(x - y))
    assert not equal(sp.exp(x) / (1 + sp.exp(x)), 1 / (1 + sp.exp(x)))
    f = sp.Function("f")
    assert not equal(f(x) + x, f(x) + 1.000001 * x)
    assert not equal(f(x) * sp.exp(x), f(x) * (1 + x))  # an undefined function has no numbers: no guessing


def test_matrix_steps_compare_every_entry():
    x = sp.Symbol("x")
    assert equal(sp.Matrix([x, 2 * x]), sp.Matrix([x, x + x]))
    assert not equal(sp.Matrix([x, 2 * x]), sp.Matrix([x, 3 * x]))


# ---------------------------------------------------------------------------------------
# the documents


def test_every_token_is_filled_in_every_preset():
    """No derivation leaves a token (@..., YH, ZZ, CC) in any notation."""
    ds = [D.activation_derivative("softmax"), D.activation_derivative("tanh"), D.loss_derivative("log_cosh"),
          D.output_delta("softmax", None, "cross_entropy"), D.output_delta("relu", None, "huber", 1.0),
          D.output_delta("softmax", None, "squared_error"), D.index_form(), D.index_form([4, 5, 1], None, False),
          D.dimensions(), D.dimensions([3, 2]), D.dead_relu(), D.batch_chain_rule("log_cosh"),
          D.linear_model_gradient("log_cosh")]
    for name in PRESETS:
        n = Notation(name)
        for d in ds:
            for ctx in ({}, {"out_layer": "2", "one_output": True}):
                data = json.dumps(derivation.steps_json(d, n, ctx))
                assert not re.search(r"@[A-Za-z]|YH|YT|ZZ|CC|GG", data), (name, d["name"], data[:300])


def pdf_text(path):
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True,
                          check=True).stdout


def test_softmax_ce_reads_as_the_worked_solution(tmp_path):
    """Seed 000 exercise 1 task 1 (and seed 002's worked solution): the steps in order."""
    pdf = bp.solve(PROBLEMS / "seed000_ex1_task1_softmax_ce_delta.yaml").write_pdf(tmp_path / "s.pdf")
    words = " ".join(pdf_text(pdf).split())
    order = ["the chain rule, through every output", "= 1/u", "the quotient rule",
             "Kronecker delta", "the two factors above", "cancels", "one-hot target", "one-hot target"]
    at = 0
    for w in order:
        found = words.find(w, at)
        assert found >= 0, f"{w!r} missing after position {at}: {words[at:at + 300]}"
        at = found + len(w)
    tex = bp.solve(PROBLEMS / "seed000_ex1_task1_softmax_ce_delta.yaml").tex
    for step in [r"-\frac{{y_{i}}}{{\hat{y}_{i}}}", r"{\hat{y}_{i}} \left(\delta_{ij} - {\hat{y}_{j}}\right)",
                 r"-\sum_{i=1}^{C} {y_{i}} \left(\delta_{ij} - {\hat{y}_{j}}\right)",
                 r"{\hat{y}_{j}} - {y_{j}}", r"{\hat{\mathbf{y}}} - {\mathbf{y}}"]:
        assert step in tex, step
    assert tex.index(r"\delta_{ij}\, e^") < tex.index(r"{\hat{y}_{j}} - {y_{j}}")


@pytest.mark.parametrize("name", DERIVATION_FILES)
def test_each_derivation_file_asks_for_derivations_alone(name):
    # (every file of problems/ is solved to PDF by tests/test_documents.py and test_pages.py)
    s = bp.solve(PROBLEMS / name)
    assert s.kind == "derivation" and s.trace["numbers"] is None and s.trace["derivations"]


def test_derivation_files_need_no_numbers(tmp_path):
    s = bp.solve({"derive": [{"output_delta": {"activation": "sigmoid", "loss": "binary_cross_entropy"}},
                             {"activation_derivative": "tanh"}, "dimensions"]})
    assert s.kind == "derivation" and "derivations: output_delta" in repr(s)
    t = s.trace
    assert t["numbers"] is None and [d["name"] for d in t["derivations"]] == [
        "output_delta", "activation_derivative", "dimensions"]
    last = t["derivations"][0]["parts"][-1]["steps"][-1]
    assert last["rhs"] == r"{\hat{y}_{i}} - {y_{i}}"
    assert r"\text{the chain rule" in s.html  # the HTML writer shows the justifications too
    code, out, err = run_cli("trace", PROBLEMS / "seed003_ex2_logcosh_derivations.yaml")
    assert code == 0 and json.loads(out)["derivations"][2]["name"] == "linear_model_gradient"
    code, out, err = run_cli("check", PROBLEMS / "seed000_ex1_task1_softmax_ce_delta.yaml")
    assert code == 0 and "derivations: output_delta" in err


@pytest.mark.parametrize("text,where,says", [
    ("derive: [outptu_delta]\n", "derive[0]", "did you mean 'output_delta'"),
    ("derive: [{activation_derivative: tahn}]\n", "derive[0].activation_derivative.activation",
     "did you mean 'tanh'"),
    ("derive: [output_delta]\n", "derive[0].output_delta", "name the output activation"),
    ("derive: [output_delta]\nnetwork: {activation: tanh}\nloss: cross_entropy\n", "derive[0].output_delta",
     "use sigmoid or softmax"),
    ("derive: [index_form]\nlearning_rat: 1\n", "learning_rat", "did you mean"),
    ("derive: [{loss_derivative: {loss: mse}}]\n", "derive[0].loss_derivative.loss", "mean_squared_error"),
    ("derive: [{batch_chain_rule: {reduction: avg}}]\nloss: log_cosh\n", "derive[0].batch_chain_rule.reduction",
     "expected one of mean, sum"),
])
def test_bad_derivation_files_exit_2(problem_file, text, where, says):
    code, out, err = run_cli("check", problem_file(text))
    assert code == 2 and f": {where}: " in err and says in err, err
    assert err.count("\n") == 1


def test_layered_documents_derive_their_formulas():
    tex = bp.solve(PROBLEMS / "seed004_4_5_1_sigmoid.yaml").tex
    assert r"\text{the chain rule" in tex and r"\text{the quotient rule" not in tex
    assert r"\frac{d}{dz} \left(1 + e^{-z}\right)^{-1}" in tex  # sigma' step by step
    # the exercise's equation (11), unit by unit, in its own notation (preset ij)
    assert r"{\delta^{(2)}_{1}}\, {W^{(2)}_{j,1}}\, \sigma'\big({z^{(1)}_" in tex


def test_dead_relu_units_are_pointed_out():
    data = {"network": {"sizes": [2, 2, 1], "activation": ["relu", "sigmoid"],
                        "weights": [[[1, 1], [-1, -1]], [[0.5, 0.5]]], "biases": 0},
            "loss": "squared_error", "learning_rate": 0.1,
            "data": [{"x": [1, 2], "y": 1}, {"x": [0.5, 0], "y": 0}], "update": "batch"}
    p = spec.parse(data)
    t = trace.trace(p)
    assert D.dead_units(t) == [(1, 1, [2])]
    s = t.updates[0].layers[0]
    assert not np.asarray(s.delta, dtype=float)[1].any() and not np.asarray(s.grad_W, dtype=float)[1].any()
    tex = bp.solve(data).tex
    assert "Dead ReLU units." in tex and "In the updates of section 4: update 1, layer 1: unit 2." in tex
    assert r"{\delta^{(k)}_{j}} &= \Big(" in tex
    data["network"]["weights"][0] = [[1, 1], [1, 1]]
    assert "Dead ReLU units" not in bp.solve(data).tex


def test_derive_with_data_is_refused(problem_file):
    text = (PROBLEMS / "seed001_q1_sigmoid_sgd.yaml").read_text() + "derive: [output_delta]\n"
    code, out, err = run_cli("check", problem_file(text))
    assert code == 2 and ": derive: derive asks for derivations alone" in err, err


def test_a_network_without_biases_has_no_bias_gradient_to_shape():
    from backprop_solver import api

    bias_row = "\\text{the shape of }"  # a weight's row says "(n x 1)(1 x m): the shape of"
    tex = api.solve("problems/seed004_4_5_1_sigmoid.yaml").tex  # biases: none
    assert "\\text{: the shape of }" in tex and bias_row not in tex
    assert api.solve("problems/seed001_q1_sigmoid_sgd.yaml").tex.count(bias_row) == 2
