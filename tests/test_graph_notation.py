"""Notation of graph documents (issue 12): names as exercises write them (yhat, a script
L, w1_i_j, Greek), the equations in their written order, formulas in descriptions, pages
without tautologies, every requested result in the PDF; and the layered notation preset
whose weights run from unit i to unit j."""

import re
import shutil
import subprocess

import pytest
import yaml

import backprop_solver as bp
from backprop_solver import graph as G
from backprop_solver.document import model as m
from backprop_solver.document.notation import description_text, tex_name

from conftest import PROBLEMS, run_cli

EX2 = PROBLEMS / "seed003_ex2_logcosh.yaml"
EX4 = PROBLEMS / "seed003_ex4_shared_parameters.yaml"
pdftotext = pytest.mark.skipif(not (shutil.which("pdflatex") and shutil.which("pdftotext")),
                               reason="needs pdflatex and pdftotext")


def tex_of(data):
    """The LaTeX of a graph problem given as a mapping."""
    return bp.solve(data).tex


def pdf_text(path, tmp_path):
    """The text of the PDF `backprop solve` writes for a problem file."""
    code, out, err = run_cli("solve", path, "-o", tmp_path)
    assert code == 0, err
    pdf = tmp_path / (path.stem + ".pdf")
    return subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True, text=True, check=True).stdout


# ---------------------------------------------------------------------------------------
# names


@pytest.mark.parametrize("name,tex", [
    ("yhat", r"\hat{y}"), ("xhat", r"\hat{x}"), ("ytilde", r"\tilde{y}"), ("zbar", r"\bar{z}"),
    ("y_hat", r"\hat{y}"), ("yhat2", r"\hat{y}_{2}"), ("alphahat", r"\hat{\alpha}"),
    ("alpha", r"\alpha"), ("rho", r"\rho"), ("rho1", r"\rho_{1}"), ("Omega", r"\Omega"),
    ("varphi", r"\varphi"), ("w1_i_j", r"w^{(1)}_{i,j}"), ("w13", "w_{13}"), ("lr", r"\mathit{lr}"),
])
def test_names_print_as_exercises_write_them(name, tex):
    assert tex_name(name) == tex


def test_hats_greek_and_a_script_L_in_the_document():
    tex = tex_of({"graph": {
        "inputs": {"x": 1.0}, "targets": {"y": 0.5}, "parameters": {"w1_1_1": 0.3, "rho": 2},
        "define": {"z1_1": "w1_1_1*x", "yhat": "sigmoid(rho*z1_1)"}, "loss": "0.5*(yhat - y)**2"},
        "display": {"loss": "L"}})
    assert r"\hat{y} &= \sigma\left(\rho z^{(1)}_{1}\right)" in tex
    assert r"\frac{\partial \mathcal{L}}{\partial \hat{y}}" in tex
    assert r"\mathcal{L} &= 0.5 \left(\hat{y} - y\right)^{2}" in tex
    assert "{yhat" not in tex and "$yhat" not in tex and "partial E" not in tex


def test_the_loss_symbol_is_checked(problem_file):
    path = problem_file("graph: {inputs: {x: 1}, parameters: {w: 1}, define: {y: w*x}, loss: y**2}\n"
                        "display: {loss: Q}\n")
    code, out, err = run_cli("check", path)
    assert code == 2 and err.startswith(f"{path}: display.loss: expected one of E, L") and "Traceback" not in err


@pytest.mark.parametrize("where,text,key", [
    ("define", "y: w1[i,j]*x", "graph.define.y"),
    ("vector", "y: Sum(w1[i,j]*x[j], j)", "graph.define.y"),
    ("derivative", "y: w1*x", "graph.derivatives[0]"),
])
def test_an_index_form_is_refused_with_what_to_write(problem_file, where, text, key):
    vectors = "  vectors: {x: d, w1: d}\n" if where == "vector" else ""
    derivs = '  derivatives: ["w1[i,j]"]\n' if where == "derivative" else ""
    path = problem_file(f"graph:\n  inputs: [x]\n  parameters: [w1]\n{vectors}  define:\n    {text}\n"
                        f"  loss: y**2\n{derivs}")
    for command in (["check"], ["solve", "-o", path.parent / "out"]):
        code, out, err = run_cli(*command, path)
        assert code == 2 and "Traceback" not in err, err
        (line,) = err.strip().splitlines()[:1]
        assert line == (f"{path}: {key}: w1[i,j] is not a name: write w1_i_j (one quantity, typeset "
                        "w^(1)_{i,j}), or a vector's component with one index, w1[i]"), line


def test_an_indexed_name_works_as_a_name():
    tex = tex_of({"graph": {"inputs": {"x_i": 2}, "parameters": {"w1_i_j": 0.5},
                            "define": {"z1_j": "w1_i_j*x_i"}, "loss": "z1_j**2"}})
    assert r"z^{(1)}_{j} &= w^{(1)}_{i,j} x_{i} = 1" in tex


# ---------------------------------------------------------------------------------------
# the equations as written


def test_equations_keep_the_order_they_are_written_in():
    tex = tex_of({"graph": {
        "inputs": {"x1": 1.0}, "targets": {"t": 3.0}, "parameters": {"w13": 0.5, "v": 0.1},
        "define": {"z3": "x1*w13", "a3": "0.5*z3**2", "y": "a3 - v", "c": "cosh(y - t)"},
        "loss": "log(c) + 1/2*(t - y)**2"}})
    body = tex.split(r"\begin{document}")[1]
    assert r"z_{3} &= x_{1} w_{13} = 0.5" in body
    assert r"a_{3} &= 0.5 z_{3}^{2} = 0.125" in body
    assert r"y &= a_{3} - v" in body
    assert r"c &= \cosh{\left(y - t \right)}" in body
    assert r"E &= \log{\left(c \right)} + \frac{1}{2} \left(t - y\right)^{2}" in body
    assert "t - y \\right)}" not in body.replace(r"\left(t - y\right)^{2}", "")  # never cosh(t - y)
    # the derivatives stay tidy, with y - t as written: tanh(y - t), not -tanh(t - y)
    assert r"\frac{\partial c}{\partial y} &= \sinh{\left(y - t \right)}" in body


def test_seed003_ex2_prints_log_cosh_of_y_minus_t():
    body = bp.solve(str(EX2)).tex.split(r"\begin{document}")[1]
    assert r"E_{k} &= \log{\left(\cosh{\left(y - t \right)} \right)}" in body
    assert "t - y" not in body and r"\tanh{\left(\sum_{j=1}^{d} w_{j} x_{j} - t \right)}" in body
    # also in results broken over lines: a_3 w_57 (1 - a_5^2) tanh(y - t), not -... tanh(t - y)
    body = bp.solve(str(PROBLEMS / "seed003_ex3_all_derivatives.yaml")).tex.split(r"\begin{document}")[1]
    assert "t - y" not in body and r"&= a_{3} w_{57} \left(1 - a_{5}^{2}\right) \tanh{\left(y - t \right)}" in body


# ---------------------------------------------------------------------------------------
# formulas in descriptions


def test_a_description_holds_formulas_between_dollar_signs():
    pieces = description_text("with $rho(x1) = max(0, x1)$ and $x_i^(k)$ for 5$ & 10% _ {x} \\",
                              names=["x1"])
    assert pieces == ("with ", m.Math(r"\rho\left(x_{1}\right) = \max\left(0, x_{1}\right)"), " and ",
                      m.Math("x_{i}^{(k)}"), " for 5$ & 10% _ {x} \\")


@pytest.mark.parametrize("formula", ["$\\input{x}$", "$a b$", "$x}$", "$1 +$", "$__import__('os')$"])
def test_a_formula_that_does_not_read_stays_escaped_text(formula):
    assert description_text(f"see {formula}.") == (f"see {formula}.",)
    tex = tex_of({"description": f"see {formula}.", "graph": {"inputs": {"x": 1}, "define": {"y": "2*x"}}})
    body = tex.split(r"\begin{document}")[1]
    assert r"see \$" in body and "\\input{" not in body and "$x}$" not in body


def test_descriptions_of_graph_and_layered_problems_typeset_their_formulas():
    tex = tex_of({"description": "The output $yhat = Sum(w[i]*x[i]^(k), i)$ of sample $k$.",
                  "graph": {"inputs": ["x"], "parameters": ["w"], "vectors": {"x": "d", "w": "d"},
                            "define": {"yhat": "Sum(w[j]*x[j], j)"}}})
    assert r"The output $\hat{y} = \sum_{i=1}^{d} w_{i} x_{i}^{(k)}$ of sample $k$." in tex
    layered = bp.solve({"description": "Weights $w1_i_j$ from unit $i$ to unit $j$; 100$ & more.",
                        "network": {"sizes": [2, 1], "activation": "sigmoid", "weights": 0.5},
                        "loss": "squared_error", "learning_rate": 1, "data": [{"x": [1, 0], "y": [1]}]})
    assert r"Weights $w^{(1)}_{i,j}$ from unit $i$ to unit $j$; 100\$ \& more." in layered.tex


# ---------------------------------------------------------------------------------------
# pages


SOFTMAX = {"graph": {"inputs": ["z"], "targets": ["y"], "vectors": {"z": "C", "y": "C"},
                     "define": {"s": "Sum(exp(z[i]), i)"}, "loss": "-Sum(y[i]*log(exp(z[i])/s), i)",
                     "derivatives": ["z[j]"]}}


def test_a_direct_derivative_has_a_symbol_of_its_own():
    body = tex_of(SOFTMAX).split(r"\begin{document}")[1].replace("\\\\*", "\\\\")  # (\\* keeps lines together)
    total, direct = r"\frac{\partial E}{\partial z_{j}}", r"\frac{\partial^{\mathrm{direct}} E}{\partial z_{j}}"
    assert (f"{total} &= " r"\frac{\partial E}{\partial s} \frac{\partial s}{\partial z_{j}} \\ &\quad + "
            f"{direct}") in body
    assert f"{direct} &= - y_{{j}}" in body
    assert "+ -" not in body and "+ - " not in body
    assert r"\,e^{z_{j}} - y_{j}" in body


def test_no_step_says_nothing():
    body = bp.solve(str(EX2)).tex.split(r"\begin{document}")[1]
    taut = r"\frac{\partial E_{k}}{\partial y} &= \frac{\partial E_{k}}{\partial y}" + "\n"
    assert taut not in body and not re.search(r"&= \\frac\{\\partial E_\{k\}\}\{\\partial y\}\s*\\end", body)
    body = bp.solve(str(EX4)).tex.split(r"\begin{document}")[1]
    assert "= 1 = 1" not in body and "&= 1 = 1" not in body
    for a, b in re.findall(r"&= ([^=\\&]+?) = ([^=\\&]+?)(?: \\\\|\n|$)", body):
        assert a.strip() != b.strip(), (a, b)


@pdftotext
def test_every_requested_result_is_in_the_pdf(tmp_path):
    """Seed 003 ex 4 (d): the analytic dE/dv, in the trace and in the PDF."""
    assert bp.solve(str(EX4)).trace["formulas"]["v"] == \
        "2*x1*z3*(-t + y)*exp(v)/(exp(v) + 1) + 2*x2*z4*(-t + y)/(exp(v) + 1)"
    result = " ".join(pdf_text(EX4, tmp_path).split("Result")[1].split())
    assert "∂E 2x1 z3 (y − t) ev 2x2 z4 (y − t) = + ∂v ev + 1 ev + 1 = 0.45512" in result, result


def test_long_results_are_broken_over_lines():
    p = G.from_layered_problem(bp.spec.load(PROBLEMS / "seed001_q2a_tanh_sgd.yaml"), "q2a.yaml")
    doc = bp.solve(str(PROBLEMS / "seed001_q2a_tanh_sgd.yaml"), as_graph=True).document
    rows = [r for b in m.walk(doc.blocks) if isinstance(b, m.Align) for r in b.rows]
    assert len(p.derivatives) == 47
    lines = [line for r in rows for line in "".join(map(str, r.math)).split("\\\\")]
    widest = max(lines, key=len)
    assert len(widest) < 600, widest
    assert any(r"\right." in "".join(map(str, r.math)) for r in rows)


def test_a_quantity_without_a_path_to_the_loss_gives_a_document(tmp_path):
    """A ReLU boundary problem with a tanh unit and a parameter that does not reach E: check
    passes, and so does solve (it used to end in an empty align, a LaTeX error)."""
    path = tmp_path / "tanh.yaml"
    path.write_text(yaml.safe_dump({"graph": {
        "inputs": {"x1": 1, "x2": 2}, "targets": {"t": 1}, "parameters": {"w": 0.5},
        "define": {"h1": "relu(w*x1)", "a": "tanh(x2)", "y": "1 - h1"},
        "loss": "(a - t)**2", "boundary": "y"}}))
    assert run_cli("check", path)[0] == 0
    code, out, err = run_cli("solve", path, "--tex-only", "-o", tmp_path)
    assert code == 0 and "Traceback" not in err, err
    tex = (tmp_path / "tanh.tex").read_text()
    assert not re.search(r"\\begin\{align\*\}\s*\\end\{align\*\}", tex)
    assert r"No path leads from $w$ to $E$" in tex
    if shutil.which("pdflatex"):
        code, out, err = run_cli("solve", path, "-o", tmp_path)
        assert code == 0 and "Traceback" not in err, err


# ---------------------------------------------------------------------------------------
# the layered preset whose weights run from unit i to unit j


IJ = {"network": {"sizes": [3, 2, 1], "activation": "sigmoid",
                  "weights": [[[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]], [[0.7, 0.8]]], "biases": 0},
      "loss": "squared_error", "learning_rate": 1, "data": [{"x": [1, 2, 3], "y": [1]}],
      "display": {"notation": "ij"}}


def _bmatrix(a):
    return r"\begin{bmatrix} " + r" \\ ".join(" & ".join(m.fmt(v) for v in row) for row in a) + r" \end{bmatrix}"


def test_the_ij_preset_shows_w_from_unit_i_to_unit_j():
    import numpy as np
    s = bp.solve(IJ)
    tex = re.sub(" +", " ", s.tex)
    W1 = np.array(IJ["network"]["weights"][0])
    # the weights in the preset's orientation: a row per unit of layer l-1 (the file's matrix transposed)
    assert r"{\mathbf{W}^{(1)}} &= " + _bmatrix(W1.T) in tex
    assert "the transpose of the problem file" in tex.replace("\n", " ")
    # the formulas say so: z = W^T x + b, delta = (W delta) * f', dL/dW = x delta^T
    assert r"{\mathbf{z}^{(l)}} = {\mathbf{W}^{(l)}}^{\top} {\mathbf{x}^{(l-1)}} + {\mathbf{b}^{(l)}}" in tex
    assert r"\big({\mathbf{W}^{(l+1)}}\, {\boldsymbol{\delta}^{(l+1)}}\big)" in tex
    assert (r"\frac{\partial \mathcal{L}}{\partial {\mathbf{W}^{(l)}}} = {\mathbf{x}^{(l-1)}}\, "
            r"\big({\boldsymbol{\delta}^{(l)}}\big)^{\top}") in tex
    # the numbers are the engine's, transposed: the gradient and the new weights
    layer = s.trace["updates"][0]["layers"][0]
    g, new = np.array(layer["grad_W"]), np.array(layer["W_new"])
    assert r"\frac{\partial \mathcal{L}}{\partial {\mathbf{W}^{(1)}}} &= {\mathbf{x}^{(0)}}\, " in tex
    assert _bmatrix(g.T) in tex and _bmatrix(new.T) in tex
    assert r"{\mathbf{W}^{(1)}} &\leftarrow " + _bmatrix(W1.T) in tex
    # the trace is the same in every notation
    other = bp.solve({**IJ, "display": {"notation": "default"}}).trace
    assert other["updates"] == s.trace["updates"]


def test_the_ij_preset_is_a_known_name(problem_file):
    path = problem_file("network: {sizes: [2, 1], activation: sigmoid, weights: 0.5}\nloss: squared_error\n"
                        "learning_rate: 1\ndata: [{x: [1, 0], y: [1]}]\ndisplay: {notation: ijk}\n")
    code, out, err = run_cli("check", path)
    assert code == 2 and "display.notation: expected one of default, bracket, netout, ij" in err


def test_as_graph_names_its_weights_clearly():
    tex = bp.solve(str(PROBLEMS / "seed001_q1_sigmoid_sgd.yaml"), as_graph=True).tex
    assert (r"In the equations $w^{(1)}_{j,i}$ is the weight into unit $j$ of layer 1 from unit $i$ of the "
            r"layer before (row $j$, column $i$ of the problem file's matrix)") in " ".join(tex.split())
    assert r"$z^{(1)}_{j} = \sum_{i} w^{(1)}_{j,i} x_{i} + b^{(1)}_{j}$" in tex


def test_threads_share_one_set_of_graph_functions():
    """A folder is solved in threads: the first problems made the language's SymPy functions
    at once, each its own relu class, and a boundary problem with tanh that check passes
    failed in solve ('not piecewise linear': its relu was not the relu looked for)."""
    code = ("import threading\nfrom backprop_solver.graph import symbolic\nseen = []\n"
            "ts = [threading.Thread(target=lambda: seen.append(id(symbolic.functions()['relu']))) for _ in range(8)]\n"
            "[t.start() for t in ts]\n[t.join() for t in ts]\nprint(len(set(seen)))\n")
    import sys
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "1"


def test_a_folder_of_boundary_problems_with_tanh_solves_in_threads(tmp_path):
    folder = tmp_path / "problems"
    folder.mkdir()
    for k in range(8):
        (folder / f"p{k}.yaml").write_text(yaml.safe_dump({"graph": {
            "inputs": {"x1": 1, "x2": 2}, "targets": {"t": 1}, "parameters": {"w": 0.5 + k},
            "define": {"g": "tanh(w)", "h": "relu(w*x1)", "y": "h - relu(x2)"},
            "loss": "(g - t)**2", "boundary": "y"}}))
    assert run_cli("check", folder)[0] == 0
    code, out, err = run_cli("solve", folder, "--tex-only", "-j", "4", "-o", tmp_path / "out")
    assert code == 0 and "Traceback" not in err and len(list((tmp_path / "out").glob("*.tex"))) == 8, err
