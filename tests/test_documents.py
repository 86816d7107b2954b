"""Worked-solution documents: `backprop solve` (issue 3).

The PDFs are turned into text with pdftotext and searched for the seed solutions' key
numbers; SymPy's output deltas are checked against the trace's numbers for every
activation/loss pair; user text must come out literally; a warm run never imports SymPy.
"""

import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from backprop_solver import api, cli, compile as cp, derive, document, spec, trace as tr
from backprop_solver.document import latex, layered, notation
from backprop_solver.errors import InputError
from backprop_solver.functions import ACTIVATIONS, LOG_LOSSES, LOSSES, make_activation, output_delta, sigmoid

ROOT = Path(__file__).resolve().parent.parent
PROBLEMS = sorted((ROOT / "problems").glob("*.yaml"))
def needs_tex(test):
    """Marks tests that run pdflatex and pdftotext. They are never skipped: scripts/setup.sh
    installs TeX Live, and a machine without it must fail these tests, not hide them."""
    return test


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A private derivation cache for the whole module."""
    path = tmp_path_factory.mktemp("cache")
    old = os.environ.get("BACKPROP_CACHE")
    os.environ["BACKPROP_CACHE"] = str(path)
    yield path
    if old is None:
        os.environ.pop("BACKPROP_CACHE", None)
    else:
        os.environ["BACKPROP_CACHE"] = old


@pytest.fixture(scope="module")
def solved(cache, tmp_path_factory):
    """Every problem in problems/ solved once into one folder: (result, folder)."""
    out = tmp_path_factory.mktemp("output")
    result = CliRunner().invoke(cli.main, ["solve", str(ROOT / "problems"), "-o", str(out)])
    return result, out


def pdf_text(path):
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


def solve_one(tmp_path, data, name="p", extra=()):
    f = tmp_path / f"{name}.yaml"
    f.write_text(yaml.safe_dump(data), encoding="utf-8")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["solve", str(f), "-o", str(out), *extra])
    return result, out / f"{name}.pdf", out / f"{name}.tex"


SMALL = {"network": {"sizes": [2, 2, 1], "activation": "sigmoid", "weights": 0.5, "biases": 0.1},
         "loss": "squared_error", "learning_rate": 1, "data": [{"x": [1, 0], "y": 1}]}


# ------------------------------------------------------------------------ every problem

@needs_tex
def test_every_problem_compiles(solved):
    result, out = solved
    assert result.exit_code == 0, result.output
    for f in PROBLEMS:
        assert (out / f"{f.stem}.pdf").stat().st_size > 1000, f.name
        assert (out / f"{f.stem}.tex").exists()
    assert not list(out.glob(".*part")), "a partial file was left behind"


@needs_tex
@pytest.mark.parametrize("stem, numbers", [
    # seed 001 question 1: new weights and the query point's output
    ("seed001_q1_sigmoid_sgd", ["0.162647", "0.0994943", "0.59438", "0.477189", "0.549834",
                                "0.16495", "0.541144", "−0.113937", "0.13437", "0.0261188"]),
    # question 2 (b): batch update, gradients summed, eta = 0.1
    ("seed001_q2b_tanh_batch", ["0.0972207", "0.105095", "0.126545", "0.106888", "0.102661",
                                "0.111043", "−0.975823", "−0.0266062", "−0.110426"]),
    # question 3: softmax + cross-entropy; hidden deltas exactly 0
    ("seed001_q3_softmax_ce_batch", ["0.124779", "0.0459927", "−0.170772", "0.0875221",
                                     "0.0954007", "0.117077", "−0.666667"]),
])
def test_seed_numbers_in_pdf(solved, stem, numbers):
    text = pdf_text(solved[1] / f"{stem}.pdf")
    for x in numbers:
        assert x in text, f"{x} missing from {stem}.pdf"


@needs_tex
def test_rounding_noise_shows_as_zero(solved):
    """Seed 001 q3: delta^[2] is exactly 0 (float64 leaves 1e-18-sized rounding noise);
    the seed (and we) print 0."""
    p = spec.load(ROOT / "problems/seed001_q3_softmax_ce_batch.yaml")
    hidden = tr.trace(p, exact=False).updates[0].layers[1].delta
    assert 0 < np.abs(hidden).max() < 1e-15  # in floats the raw numbers are noise
    assert not tr.trace(p).updates[0].layers[1].delta.any()  # exact mode: zeros
    tex = (solved[1] / "seed001_q3_softmax_ce_batch.tex").read_text()
    assert "e-1" not in tex and r"10^{-1" not in tex  # no 1e-18 anywhere


def test_chop_never_hides_a_real_small_number():
    # a tiny delta from a saturated sigmoid is real: its scale is itself, not 1
    assert layered.chop(np.array([9e-14]), np.array([9e-14]))[0] == 9e-14
    assert layered.chop(np.array([1e-18]), np.array([0.1]))[0] == 0


# ------------------------------------------------------------------------ escaping

@needs_tex
@pytest.mark.parametrize("title", [r"\input{/etc/passwd}", r"$\x^", r"50% & #1 ~a_b {c} <d> |e| \\ \end{document}"])
def test_title_comes_out_as_literal_text(tmp_path, cache, title):
    data = dict(SMALL, title=title, description=r"\def\x{y} \write18{rm -rf /}")
    result, pdf, tex = solve_one(tmp_path, data)
    assert result.exit_code == 0, result.output
    text = pdf_text(pdf)
    assert title in text
    assert r"\write18{rm -rf /}" in text
    assert r"\input{/etc/passwd}" not in tex.read_text() or title != r"\input{/etc/passwd}"


def test_escape_leaves_no_command():
    for s in [r"\input{/etc/passwd}", r"$\x^", "%^&_#~{}\\"]:
        e = latex.escape(s)
        # every backslash in the result starts one of our fixed commands
        assert re.sub(r"\\(textbackslash\{\}|[{}$&#%]|texttt\{\\char\d+\}|ensuremath\{[<>|]\})", "", e).count("\\") == 0


# ------------------------------------------------------------------------ SymPy vs trace

def _pairs():
    for a in ACTIVATIONS:
        for loss in LOSSES:
            yield a, loss


def _sym(expr):
    import sympy as sp
    names = {k: sp.Symbol(k) for k in derive.TOKENS}
    return sp.sympify(expr, locals=dict(names, sigma=sp.Function("sigma")))


def _eval(expr, yh, y, z):
    import sympy as sp
    YH, YT, ZZ, CC = sp.symbols("YH YT ZZ CC")
    e = _sym(expr).subs(CC, yh.shape[0])
    f = sp.lambdify((YH, YT, ZZ), e, modules=[{"sigma": sigmoid}, "numpy"])
    return np.broadcast_to(f(yh, y, z), yh.shape).astype(float)


@pytest.mark.parametrize("act, loss", list(_pairs()))
def test_derived_output_delta_matches_trace(cache, act, loss):
    slope = 0.1 if act == "leaky_relu" else None
    d = derive.derive(act, slope, loss)
    rng = np.random.default_rng(1)
    C = 3
    z = rng.normal(size=(C, 4)) * 1.5
    f = make_activation(act, slope)
    a = f.forward(z)
    y = np.eye(C)[:, rng.integers(0, C, 4)] if act == "softmax" else rng.uniform(0.05, 0.95, (C, 4))
    if loss in LOG_LOSSES and act not in ("sigmoid", "softmax"):
        # spec refuses these pairs (outputs outside (0, 1)); check the formula against the
        # engine's output_delta on outputs that happen to lie in (0, 1)
        z = rng.uniform(0.1, 0.9, (C, 4))
        a = f.forward(z)
        want = output_delta(f, LOSSES[loss], z, a, y)
        np.testing.assert_allclose(_eval(d["delta_expr"], a, y, z), want, rtol=1e-9, atol=1e-12)
        return
    # the trace's own numbers for this pair
    act_spec = {"leaky_relu": {"slope": slope}} if slope else act
    hidden = "sigmoid"
    problem = spec.parse({
        "network": {"sizes": [2, 3, C], "activation": [hidden, act_spec],
                    "weights": {"random": {"seed": 3, "low": -2, "high": 2}}, "biases": 0.2},
        "loss": loss, "learning_rate": 0.1,
        "data": [{"x": [1.0, -0.5], "y": y[:, k].tolist()} for k in range(4)],
        "update": "batch"})
    step = tr.trace(problem).updates[0].layers[-1]
    z, a, want = step.z, step.a, step.delta
    if d["delta_kind"] == "softmax_jacobian":
        g = _eval(d["dE_expr"], a, y, z)
        got = a * (g - (a * g).sum(axis=0, keepdims=True))
    elif d["delta_kind"] == "softmax_sum":
        got = _eval(d["delta_expr"], a, y, z)  # one-hot targets: yhat - y
        import sympy as sp
        general = _sym(d["delta_general_expr"]).subs(sp.Symbol("YS"), 1)
        assert sp.simplify(general - _sym(d["delta_expr"])) == 0
    else:
        got = _eval(d["delta_expr"], a, y, z)
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-12)


def test_simplified_deltas_read_as_people_write_them(cache):
    assert derive.derive("softmax", None, "cross_entropy")["delta"] == "YH - YT"
    assert derive.derive("sigmoid", None, "binary_cross_entropy")["delta"] == "YH - YT"
    assert derive.derive("linear", None, "log_cosh")["delta"] == r"\tanh{\left(YH - YT \right)}"
    sig = derive.derive("sigmoid", None, "squared_error")
    assert sig["fprime"] == r"\sigma{\left(ZZ \right)} \left(1 - \sigma{\left(ZZ \right)}\right)"
    assert derive.derive("tanh", None, "squared_error")["fprime"] == r"1 - \tanh^{2}{\left(ZZ \right)}"


def test_derivations_are_cached_on_disk(cache):
    derive.derive("tanh", None, "log_cosh")
    files = list(cache.glob(f"v{derive.VERSION}_tanh__log_cosh.json"))
    assert len(files) == 1


def test_warm_run_never_imports_sympy(tmp_path):
    env = dict(os.environ, BACKPROP_CACHE=str(tmp_path / "cache"))
    problem = str(ROOT / "problems/seed001_q1_sigmoid_sgd.yaml")
    code = ("import sys\nfrom backprop_solver.cli import main\n"
            f"try:\n    main(['solve', {problem!r}, '-o', {str(tmp_path / 'o')!r}, '--tex-only', '-q'])\n"
            "except SystemExit as e:\n    assert e.code == 0, e.code\n"
            "print('sympy' in sys.modules)\n")
    cold = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    warm = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, cwd=ROOT)
    assert cold.stdout.strip() == "True", cold.stderr
    assert warm.stdout.strip() == "False", warm.stderr


# ------------------------------------------------------------------------ notation

@pytest.mark.parametrize("stem", ["seed001_q1_sigmoid_sgd", "seed000_ex2_two_moons"])
def test_notation_changes_symbols_never_numbers(cache, stem):
    problem = spec.load(ROOT / f"problems/{stem}.yaml")
    t = tr.trace(problem)
    texts = {}
    for name in spec.NOTATIONS:
        problem.notation = name
        texts[name] = document.layered_tex(t, derive.derive_problem(problem))
    numbers = {k: re.findall(r"-?\d+\.\d+", v) for k, v in texts.items()}
    assert numbers["default"] == numbers["bracket"] == numbers["netout"]
    assert r"\tilde{\mathbf{z}}" in texts["default"] and r"\mathbf{W}^{(0)}" in texts["default"]
    assert "z^{[1]}" in texts["bracket"] and "w^{[1]}" in texts["bracket"]
    assert r"\mathit{net}" in texts["netout"] and r"\mathit{out}" in texts["netout"]


def test_every_preset_is_defined():
    assert set(notation.PRESETS) == set(spec.NOTATIONS)


@needs_tex
@pytest.mark.parametrize("notation", spec.NOTATIONS)
def test_every_preset_compiles(tmp_path, cache, notation):
    data = dict(SMALL, display={"notation": notation, "digits": 4})
    result, pdf, tex = solve_one(tmp_path, data)
    assert result.exit_code == 0, result.output
    assert "0.5" in pdf_text(pdf)


# ------------------------------------------------------------------------ size

@needs_tex
def test_large_network_gives_a_short_document(tmp_path, cache):
    data = {"title": "784-128-10", "network": {"sizes": [784, 128, 10], "activation": ["relu", "softmax"],
                                               "weights": {"random": {"seed": 0, "low": -0.05, "high": 0.05}}},
            "loss": "cross_entropy", "learning_rate": 0.1,
            "data": [{"x": [((i * 7 + k) % 13) / 13 for i in range(784)], "y": k % 10} for k in range(3)],
            "predict": [[0.5] * 784]}
    result, pdf, tex = solve_one(tmp_path, data, "big")
    assert result.exit_code == 0, result.output
    pages = pdf_text(pdf).count("\f")
    assert pages <= 25, pages
    assert r"\vdots" in tex.read_text() and r"\cdots" in tex.read_text()


@needs_tex
def test_many_updates_end_in_a_loss_table(tmp_path, cache):
    data = dict(SMALL, steps=40, data=[{"x": [1, 0], "y": 1}, {"x": [0, 1], "y": 0}],
                display={"full_updates": 2})
    result, pdf, tex = solve_one(tmp_path, data)
    assert result.exit_code == 0, result.output
    text = pdf_text(pdf)
    assert "Update 2" in text and "Update 3" not in text
    assert "The loss per update" in text and re.search(r"\b80\s+\d\.\d+", text)


# ------------------------------------------------------------------------ errors

def test_latex_error_exits_2_without_partial_pdf(tmp_path, cache, monkeypatch):
    f = tmp_path / "p.yaml"
    f.write_text(yaml.safe_dump(SMALL))
    monkeypatch.setattr(api.Solution, "tex", "\\documentclass{article}\\begin{document}\\undefinedthing\\end{document}")
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["solve", str(f), "-o", str(out)])
    assert result.exit_code == 2
    assert "Undefined control sequence" in result.output
    assert not list(out.glob("*.pdf")) and not list(out.glob("*.tex")) and not list(out.glob(".*"))


def test_bad_problem_exits_2(tmp_path, cache):
    result, pdf, tex = solve_one(tmp_path, dict(SMALL, learning_rate=-1))
    assert result.exit_code == 2 and "learning_rate" in result.output
    assert not pdf.exists()


@needs_tex
def test_early_started_latex_reports_errors_and_leaves_nothing(tmp_path, cache):
    pre = latex.preamble()
    pdf = tmp_path / "out" / "x.pdf"
    for _ in range(2):  # without, then with the cached format
        pending = cp.start(pre)
        with pytest.raises(InputError, match="Undefined control sequence"):
            pending.finish(pre + "\\begin{document}\\undefinedthing\\end{document}\n", pdf, "x.yaml")
        assert not pdf.exists() and not list(tmp_path.glob("out/.*"))
        ok = cp.start(pre).finish(pre + "\\begin{document}fine\\end{document}\n", pdf, "x.yaml")
        assert ok.exists() and "fine" in pdf_text(ok)
        pdf.unlink()


def test_cancelled_latex_is_stopped(cache):
    pending = cp.start(latex.preamble())
    proc = pending.proc
    pending.cancel()
    assert proc is None or proc.poll() is not None


FEATURES = {
    "reg_mean": dict(SMALL, update="batch", reduction="mean", regularization={"l1": 0.01, "l2": 0.1},
                     data=[{"x": [1, 0], "y": 1}, {"x": [0, 1], "y": 0}]),
    "fixed_biases_leaky": dict(SMALL, network=dict(SMALL["network"], train_biases=False,
                                                   activation=[{"leaky_relu": {"slope": 0.2}}, "linear"])),
    "no_biases_softplus_logcosh": dict(SMALL, loss="log_cosh",
                                       network=dict(SMALL["network"], biases=None, activation="softplus")),
    "softmax_soft_targets": {"network": {"sizes": [2, 3], "activation": "softmax", "weights": 0.3},
                             "loss": "cross_entropy", "learning_rate": 0.5,
                             "data": [{"x": [1, 2], "y": [0.2, 0.2, 0.2]}], "predict": [[0, 1]]},
    "softmax_squared": {"network": {"sizes": [2, 3], "activation": "softmax", "weights": 0.3},
                        "loss": "mean_squared_error", "learning_rate": 0.5,
                        "data": [{"x": [1, 2], "y": [0, 1, 0]}]},
    "relu_deep_digits3": {"network": {"sizes": [3, 4, 4, 4, 2], "activation": "relu",
                                      "weights": {"random": {"seed": 2}}}, "loss": "sum_squared_error",
                          "learning_rate": 0.01, "data": [{"x": [1, -1, 2], "y": [0, 1]}],
                          "display": {"digits": 3, "notation": "netout"}},
}


@needs_tex
def test_feature_combinations_compile(tmp_path, cache):
    folder = tmp_path / "problems"
    folder.mkdir()
    for name, data in FEATURES.items():
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(data))
    out = tmp_path / "out"
    result = CliRunner().invoke(cli.main, ["solve", str(folder), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert f"{len(FEATURES)} of {len(FEATURES)} problem files done" in result.output
    soft = pdf_text(out / "softmax_soft_targets.pdf")
    assert "do not all sum to 1" in soft  # the general softmax delta, not yhat - y
    assert "(fixed)" in pdf_text(out / "fixed_biases_leaky.pdf")
