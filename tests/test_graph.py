"""Graph problems (issue 5): networks written as equations, seed 003 exercises 1 to 4."""

import dataclasses
import json
import math

import numpy as np
import pytest
import sympy as sp
from click.testing import CliRunner

from backprop_solver import graph as G
from backprop_solver.cli import main
from backprop_solver.compile import compile_pdf
from backprop_solver.document import graph_tex as render

from conftest import GRAPH_PROBLEM, PROBLEMS, run_cli

EX1 = PROBLEMS / "seed003_ex1_relu_boundary.yaml"
EX2 = PROBLEMS / "seed003_ex2_logcosh.yaml"
EX3 = PROBLEMS / "seed003_ex3_tanh_multilayer.yaml"
EX4 = PROBLEMS / "seed003_ex4_shared_parameters.yaml"


def loss_at(problem, **changes):
    """E with some inputs, targets or parameters changed."""
    p = dataclasses.replace(problem, **{
        part: {n: changes.get(n, v) for n, v in getattr(problem, part).items()}
        for part in ("inputs", "targets", "parameters")})
    return G.evaluate(G.build(p))[G.LOSS_NAME]


def finite_difference(problem, name, h=1e-6):
    v = problem.leaves[name]
    return (loss_at(problem, **{name: v + h}) - loss_at(problem, **{name: v - h})) / (2 * h)


MIXED = {"graph": {
    "inputs": {"x1": 0.7, "x2": -1.3}, "targets": {"t": 0.25},
    "parameters": {"u": 0.4, "v": -0.8, "b": 0.1, "c": 1.5},
    "define": {"h1": "sigmoid(u*x1 + v*x2 + b)", "h2": "relu(c*x1 - v)",
               "h3": "log(1 + exp(h1*h2))", "h4": "tanh(u*h3) + 0.5*h1**2",
               "y": "sqrt(1 + h4**2) - Abs(v)*h2"},
    "loss": "log(cosh(y - t)) + (y - t)**2",
    "derivatives": ["u", "v", "b", "c", "x1", "x2"]}}


@pytest.mark.parametrize("source", [EX3, EX4, "mixed"])
def test_gradients_agree_with_finite_differences(source):
    p = G.parse(MIXED) if source == "mixed" else G.load(source)
    s = G.solve(p)
    leaves = [r for r in s.results if r.name in p.leaves]
    assert leaves
    for r in leaves:
        fd = finite_difference(p, r.name)
        assert r.value == pytest.approx(fd, rel=1e-6, abs=1e-8), r.name
    for name in p.parameters:
        if name not in p.derivatives:
            continue
        assert dict(G.to_json(s)["gradients"])[name] == pytest.approx(finite_difference(p, name), rel=1e-6)


def test_backward_pass_computes_each_node_once_in_reverse_order():
    s = G.solve(G.load(EX3))
    nodes = [st.node for st in s.steps]
    assert len(nodes) == len(set(nodes))
    order = s.graph.order
    assert nodes == sorted(nodes, key=order.index, reverse=True)
    # a3 gathers the two paths through z5 and z6 in one step (the seed's sum over layer 2)
    a3 = next(st for st in s.steps if st.node == "a3")
    assert [c for c, _, _ in a3.terms] == ["z5", "z6"]
    assert [len(path) for path in s.results[0].paths] == [7, 7]


def test_logcosh_symbolic_result_equals_the_seeds():
    """Seed 003 exercise 2 (c): dE/dw_i = 1/N sum_k tanh(y_k - t_k) x_i^(k)."""
    s = G.solve(G.load(EX2))
    r = next(r for r in s.results if r.name == "w[i]")
    x, y, t = (sp.IndexedBase(n, real=True) for n in "xyt")
    i, k = sp.Symbol("i", integer=True), sp.Symbol("k", integer=True)
    N = sp.Symbol("N", integer=True, positive=True)
    seed = sp.Sum(sp.tanh(y[k] - t[k]) * x[i, k], (k, 1, N)) / N
    assert sp.simplify(r.total - seed) == 0
    # (a): dE/dy = tanh(y - t) for one sample
    dy = next(r for r in s.results if r.name == "y")
    assert sp.simplify(dy.formula - sp.tanh(sp.Symbol("y", real=True) - sp.Symbol("t", real=True))) == 0


def test_logcosh_result_on_three_samples_equals_direct_differentiation():
    """The same with N = 3, d = 2 written out: differentiate E directly and compare."""
    s = G.solve(G.load(EX2))
    r = next(r for r in s.results if r.name == "w[i]")
    N, d = 3, 2
    w = sp.symbols("w1:3")
    X = [[sp.Symbol(f"x{j}_{n}") for n in range(1, N + 1)] for j in range(1, d + 1)]
    T = sp.symbols("t1:4")
    E = sum(sp.log(sp.cosh(sum(w[j] * X[j][n] for j in range(d)) - T[n])) for n in range(N)) / N
    xb, yb, tb = (sp.IndexedBase(n, real=True) for n in "xyt")
    i = sp.Symbol("i", integer=True)
    for comp in range(d):
        ours = r.total.subs({sp.Symbol("N", integer=True, positive=True): N, i: comp + 1}).doit()
        ours = ours.replace(lambda e: isinstance(e, sp.Indexed) and e.base == yb,
                            lambda e: sum(w[j] * X[j][int(e.indices[0]) - 1] for j in range(d)))
        ours = ours.replace(lambda e: isinstance(e, sp.Indexed) and e.base == tb,
                            lambda e: T[int(e.indices[0]) - 1])
        ours = ours.replace(lambda e: isinstance(e, sp.Indexed) and e.base == xb,
                            lambda e: X[int(e.indices[0]) - 1][int(e.indices[1]) - 1])
        direct = sp.diff(E, w[comp])
        rng = np.random.default_rng(comp)
        for _ in range(3):
            at = {v: sp.Float(rng.uniform(-1, 1)) for v in direct.free_symbols | ours.free_symbols}
            assert float(ours.xreplace(at)) == pytest.approx(float(direct.xreplace(at)), rel=1e-12)
        assert ours.free_symbols == direct.free_symbols


def test_shared_parameter_result_follows_the_multivariate_chain_rule():
    """Seed 003 exercise 4 (d): dE/dv = dE/dw13 dw13/dv + dE/dw24 dw24/dv."""
    p = G.load(EX4)
    s = G.solve(p)
    g = {r.name: r.value for r in s.results}
    v = p.parameters["v"]
    dw13 = math.exp(v) / (1 + math.exp(v))        # the seed's formulas
    dw24 = math.exp(-v) / (1 + math.exp(-v))
    assert g["v"] == pytest.approx(g["w13"] * dw13 + g["w24"] * dw24, rel=1e-12)
    # (b): dE/dw13 = 2 (y - t) * 1 * z3 * x1, at the numbers
    val = s.values
    assert g["w13"] == pytest.approx(2 * (val["y"] - val["t"]) * val["z3"] * val["x1"], rel=1e-12)
    # the same identity symbolically, without numbers
    q = dataclasses.replace(p, inputs={"x1": None, "x2": None}, targets={"t": None},
                            parameters={"v": None})
    f = {r.name: r.closed if r.closed is not None else r.formula for r in G.solve(q).results}
    vs = sp.Symbol("v", real=True)
    chain = f["w13"] * sp.diff(sp.log(1 + sp.exp(vs)), vs) + f["w24"] * sp.diff(-sp.log(1 + sp.exp(-vs)), vs)
    assert sp.simplify(f["v"] - chain) == 0


def test_relu_pieces_match_the_seed_sketch():
    """Seed 003 exercise 1: 8 patterns in the seed's order, (2) and (7) empty."""
    s = G.solve(G.load(EX1))
    x1, x2 = sp.symbols("x1 x2", real=True)
    assert [pc.conditions for pc in s.pieces] == [[x1, x2, x1 + x2]] * 8
    ge = [[True, True, True], [True, True, False], [True, False, True], [True, False, False],
          [False, True, True], [False, True, False], [False, False, True], [False, False, False]]
    assert [pc.pattern for pc in s.pieces] == ge
    assert [pc.number for pc in s.pieces if pc.empty] == [2, 7]
    outputs = {pc.number: pc.output for pc in s.pieces if not pc.empty}
    assert outputs == {1: 1, 3: 1 + x2, 4: 1 - x1, 5: 1 + x1, 6: 1 - x2, 8: 1}
    # the boundary: x2 = -1 for x1 >= 1 in (3), x1 = 1 for x2 <= -1 in (4), mirrored in (5), (6)
    seg = {pc.number: sorted(pc.boundary) for pc in s.pieces if pc.boundary}
    assert set(seg) == {3, 4, 5, 6}
    assert all(abs(b[1] + 1) < 1e-9 for b in seg[3]) and min(b[0] for b in seg[3]) == pytest.approx(1)
    assert all(abs(b[0] - 1) < 1e-9 for b in seg[4]) and max(b[1] for b in seg[4]) == pytest.approx(-1)


def test_trace_command_prints_values_and_gradients():
    code, out, err = run_cli("trace", EX4)
    assert code == 0, err
    data = json.loads(out)
    assert data["format"] == 1
    assert set(data["gradients"]) == {"w13", "w24", "v"}
    assert data["values"]["E"] == pytest.approx(4.310145704444137)
    assert data["updated"]["v"] == pytest.approx(0.5 - 0.1 * data["gradients"]["v"])


def test_check_accepts_graph_problems():
    code, out, err = run_cli("check", EX1, EX2, EX3, EX4)
    assert code == 0, err


@pytest.mark.parametrize("path", [EX1, EX2, EX3, EX4])
def test_seed003_documents_compile(path, tmp_path):
    tex = render(G.solve(G.load(path)))
    pdf = compile_pdf(tex, tmp_path / "doc.pdf", str(path))
    assert pdf.stat().st_size > 1000


BASE = GRAPH_PROBLEM


@pytest.mark.parametrize("old,new,key,words", [
    ("y: tanh(z)", "y: tanh(q)", "graph.define.y", "unknown name q"),
    ("z: w*x", "z: w*y", "graph.define.z", "before it is defined"),
    ("y: tanh(z)", "y: tanh(y)", "graph.define.y", "before it is defined"),
    ("y: tanh(z)", "y: __import__('os')", "graph.define.y", "not allowed"),
    ("y: tanh(z)", "y: z.func", "graph.define.y", "not allowed"),
    ("y: tanh(z)", "y: 'lambda q: q'", "graph.define.y", "not allowed"),
    ("y: tanh(z)", "y: lambda(z)", "graph.define.y", "unknown name lambda"),
    ("y: tanh(z)", "lambda: z", "graph.define.lambda", "reserved"),
    ("y: tanh(z)", "y: z < 1", "graph.define.y", "not allowed"),
    ("y: tanh(z)", "y: (z, z)", "graph.define.y", "plain expression"),
    ("y: tanh(z)", "y: exp", "graph.define.y", "must be called"),
    ("y: tanh(z)", "y: z*9**9**9**9", "graph.define.y", "too large"),
    ("y: tanh(z)", "y: z**100000", "graph.define.y", "larger than 1000"),
    ("y: tanh(z)", "y: tanh(z", "graph.define.y", "cannot read"),
    ("loss: (y - t)**2", "loss: 1/(y - y)", "graph.loss", "not finite"),
    ("  define:", "  derivatives: [q]\n  define:", "graph.derivatives[0]", "expected the name"),
    ("  targets: {t: 0.5}", "  targets: {w: 0.5}", "graph.parameters.w", "used twice"),
    ("  define:", "  boundary: y\n  define:", "graph.boundary", "two"),
])
def test_bad_graph_input_exits_2_with_the_key(problem_file, tmp_path, old, new, key, words):
    assert old in BASE
    path = problem_file(BASE.replace(old, new))
    for command in (["check"], ["trace"], ["trace", "-o", tmp_path / "out"],
                    ["solve", "-o", tmp_path / "out"]):
        run = CliRunner().invoke(main, [*map(str, command), str(path)])  # in-process: fast
        code, err = run.exit_code, run.stderr
        assert code == 2, (command, err)
        assert err.strip().splitlines()[0].startswith(f"{path}: {key}: "), err
        assert words in err, err
        assert "Traceback" not in err
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_values_that_overflow_are_an_input_error(problem_file):
    path = problem_file(BASE.replace("y: tanh(z)", "y: exp(exp(exp(z*100)))"))
    code, out, err = run_cli("trace", path)  # a real process: exit code and stderr as users see them
    assert code == 2 and "graph.define.y" in err and "finite" in err and "Traceback" not in err


def test_the_layered_trace_never_imports_sympy():
    import subprocess
    import sys
    code = ("import sys, json; from backprop_solver import cli; "
            "sys.argv=['backprop','trace','problems/seed001_q1_sigmoid_sgd.yaml']\n"
            "try: cli.main()\nexcept SystemExit: pass\n"
            "assert 'sympy' not in sys.modules, 'sympy imported'")
    run = subprocess.run([sys.executable, "-c", code], cwd=PROBLEMS.parent, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr


def test_trace_as_graph_agrees_with_the_layered_trace():
    """The two paths through the CLI: backprop trace and backprop trace --as-graph."""
    code, out, err = run_cli("trace", PROBLEMS / "seed001_q1_sigmoid_sgd.yaml")
    assert code == 0, err
    layered = json.loads(out)["updates"][0]
    code, out, err = run_cli("trace", "--as-graph", PROBLEMS / "seed001_q1_sigmoid_sgd.yaml")
    assert code == 0, err
    graph = json.loads(out)
    assert graph["values"]["E"] == pytest.approx(layered["loss"], rel=1e-12)
    for layer in layered["layers"]:
        l = layer["layer"]
        for j, row in enumerate(layer["grad_W"]):
            for i, g in enumerate(row):
                assert graph["gradients"][f"w{l}_{j + 1}_{i + 1}"] == pytest.approx(g, rel=1e-9)
        for j, g in enumerate(layer["grad_b"]):
            assert graph["gradients"][f"b{l}_{j + 1}"] == pytest.approx(g, rel=1e-9)
        for j, row in enumerate(layer["a"]):
            assert graph["values"][f"a{l}_{j + 1}"] == pytest.approx(row[0], rel=1e-12)


def test_batch_of_several_samples_is_refused_as_graph():
    code, out, err = run_cli("trace", "--as-graph", PROBLEMS / "seed001_q2b_tanh_batch.yaml")
    assert code == 2 and ": update: " in err and "Traceback" not in err


# --------------------------------------------------------------------------- the registry (issue 10)

from backprop_solver import functions as F  # noqa: E402

#: points on both sides of every kink, and on it (z = 0; for huber |d| = delta at 1)
POINTS = (-2.5, -1.0, -0.25, 0.0, 0.375, 1.0, 3.0)


def graph_forms():
    """(name, option value or None, text of its call on x) for every activation and loss
    of the registry with a graph form: with the option left out and with another value."""
    out = []
    for entry in [c() for c in F.ACTIVATIONS.values()] + list(F.LOSSES.values()):
        if entry.graph is None:
            continue
        out.append((entry.name, None, f"{entry.name}(x)"))
        if entry.option is not None:
            out.append((entry.name, 0.5, f"{entry.name}(x, 0.5)"))
    return out


def test_every_registry_function_with_a_graph_form_is_in_the_graph_language():
    names = {e.name for e in [c() for c in F.ACTIVATIONS.values()] + list(F.LOSSES.values())
             if e.graph is not None}
    assert names - {"tanh"} == set(G.registry_functions())
    assert names <= set(G.FUNCTIONS)
    assert {"relu", "leaky_relu", "elu", "sigmoid", "huber", "softplus", "swish", "linear"} <= names


@pytest.mark.parametrize("name, option, text", graph_forms())
def test_graph_function_value_and_derivative_are_the_layered_engines(name, option, text):
    """Each function of the graph language made from the registry: its value and its
    derivative at points around (and on) its kinks are the layered engine's, computed
    exactly in the graph and in floats there."""
    for z in POINTS:
        s = G.solve(G.parse({"graph": {"inputs": {"x": z}, "define": {"y": text}, "loss": "y",
                                       "derivatives": ["x"]}}))
        zs = np.array([[z]])
        if name in F.ACTIVATIONS:
            act = F.make_activation(name, option)
            value, slope = act.forward(zs), act.derivative(zs, act.forward(zs))
        else:  # a loss of one difference d = yhat - y: take y = 0
            loss = F.make_loss(name, option)
            value, slope = loss.terms(zs, 0 * zs), loss.grad(zs, 0 * zs)
        assert s.values["y"] == pytest.approx(float(value[0, 0]), rel=1e-12, abs=1e-300), (name, z)
        assert s.results[0].value == pytest.approx(float(slope[0, 0]), rel=1e-12, abs=1e-300), (name, z)


class Softsign(F.Activation):
    """z / (1 + |z|): an activation the graph package has never heard of."""

    name = "softsign"
    tex = r"\operatorname{softsign}"
    graph = "function"

    def forward(self, z):
        return z / (1 + np.abs(z))

    def derivative(self, z, a):
        return 1 / ((1 + np.abs(z)) * (1 + np.abs(z)))

    def formula(self, sp_, Z, P):
        return Z / (1 + sp_.Abs(Z))


class SquaredReLU(F.Activation):
    """relu(z)^2, written in the graph language's relu."""

    name = "squared_relu"
    graph = "written"

    def forward(self, z):
        return F.positive_part(z) ** 2

    def derivative(self, z, a):
        return 2 * F.positive_part(z)

    def graph_text(self, z):
        return f"relu({z})**2"


@pytest.fixture
def two_new_activations(monkeypatch):
    """The registry with two more activations, and the graph language made anew from it."""
    def fresh():
        G.registry_functions.cache_clear()
        G.function_names.cache_clear()
        G.functions.cache_clear()
        G.written.cache_clear()
        G.heavy.cache_clear()
    monkeypatch.setattr(F, "ACTIVATIONS", {**F.ACTIVATIONS, "softsign": Softsign, "squared_relu": SquaredReLU})
    import backprop_solver.graph.language as language
    monkeypatch.setattr(language, "ACTIVATIONS", F.ACTIVATIONS)
    fresh()
    yield
    monkeypatch.undo()
    fresh()


def test_an_activation_added_to_the_registry_is_a_graph_function(two_new_activations):
    for z in (-2.0, 0.0, 0.5):
        s = G.solve(G.parse({"graph": {"inputs": {"x": z}, "parameters": {"w": 1.5},
                                       "define": {"u": "softsign(w*x)", "v": "squared_relu(w*x)"},
                                       "loss": "u + v", "derivatives": ["w"]}}))
        assert s.values["u"] == pytest.approx(1.5 * z / (1 + abs(1.5 * z)), rel=1e-14)
        assert s.results[0].value == pytest.approx(z / (1 + abs(1.5 * z)) ** 2 + 2 * max(1.5 * z, 0) * z,
                                                   rel=1e-14, abs=1e-300)
    s = G.solve(G.parse({"graph": {"inputs": ["x"], "parameters": ["w"],
                                   "define": {"u": "softsign(w*x)"}, "loss": "u"}}))
    assert "softsign" in render(s)
    with pytest.raises(Exception, match="reserved"):
        G.parse({"graph": {"inputs": {"softsign": 1}, "define": {"y": "softsign"}}})
