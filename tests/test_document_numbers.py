"""The document shows the trace's own numbers, whatever the layer sizes.

Answer keys have shipped quietly wrong when a hidden layer changed size. Here, for
networks of several shapes (hidden layers wider and narrower than their neighbours,
random distinct weights), every matrix of every update shown in full, the final
parameters and the predictions must appear in the LaTeX exactly as the trace's numbers
formatted to display.digits: a number taken from the wrong layer, sample or update
would be missing. (A matrix too wide for the line may be written as its transpose, with
a ^T: the same numbers.)
"""

import numpy as np
import pytest

from conftest import PROBLEMS
from backprop_solver import derive, document, spec, trace
from backprop_solver.document import latex, layered
from backprop_solver.document.model import Matrix

SHAPES = [
    ([3, 5, 4, 2], ["tanh", "relu", "sigmoid"], "squared_error"),
    ([2, 1, 6, 3], ["sigmoid", "leaky_relu", "softmax"], "cross_entropy"),
    ([4, 7, 1], ["softplus", "sigmoid"], "binary_cross_entropy"),
    ([1, 3, 3, 3, 1], ["tanh", "tanh", "linear", "linear"], "log_cosh"),
]


def problem(sizes, acts, loss, update, notation, digits, seed=3):
    rng = np.random.default_rng(seed)
    n = 3
    X = rng.uniform(-1, 1, (n, sizes[0]))
    if loss == "cross_entropy":
        Y = [int(c) for c in rng.integers(0, sizes[-1], n)]
    elif loss == "binary_cross_entropy":
        Y = rng.integers(0, 2, (n, sizes[-1])).tolist()
    else:
        Y = rng.uniform(-1, 1, (n, sizes[-1])).tolist()
    data = {"network": {"sizes": sizes, "activation": acts,
                        "weights": {"random": {"seed": seed, "low": -1, "high": 1}},
                        "biases": [rng.uniform(-0.5, 0.5, k).tolist() for k in sizes[1:]]},
            "loss": loss, "learning_rate": 0.2, "update": update,
            "data": [{"x": x.tolist(), "y": y} for x, y in zip(X, Y)],
            "steps": 2, "predict": rng.uniform(-1, 1, (2, sizes[0])).tolist(),
            "display": {"notation": notation, "digits": digits}}
    if update == "batch":
        data["reduction"] = "mean"
    return spec.parse(data, "shapes.yaml")


def in_full(values, digits, tex):
    """Whether ``tex`` shows the matrix ``values`` in full (or its transpose, with ^T)."""
    a = np.asarray(values)
    return (latex.matrix(Matrix(a, digits)) in tex
            or latex.matrix(Matrix(a[None, :] if a.ndim == 1 else a.T, digits)) + r"^{\top}" in tex)


@pytest.mark.parametrize("update", ["sgd", "batch"])
@pytest.mark.parametrize("notation,digits", [("default", 6), ("bracket", 4), ("netout", 9)])
@pytest.mark.parametrize("sizes,acts,loss", SHAPES, ids=["-".join(map(str, s[0])) for s in SHAPES])
def test_every_number_shown_is_the_traces(sizes, acts, loss, update, notation, digits):
    p = problem(sizes, acts, loss, update, notation, digits)
    t = trace.trace(p)
    tex = document.layered_tex(t, derive.derive_problem(p))
    shown = t.updates[:p.full_updates]
    assert shown, "the problem should show at least one update in full"
    for u in shown:
        for s in u.layers:
            for q in ("W", "b", "z", "a", "delta", "grad_W", "grad_b", "W_new", "b_new"):
                assert in_full(getattr(s, q), digits, tex), f"update {u.index}, layer {s.layer}: {q} is not shown"
    for W, b in zip(t.weights, t.biases):
        assert in_full(W, digits, tex) and in_full(b, digits, tex)
    for k, pr in enumerate(t.predictions):
        for y in pr.output:
            assert document.fmt(y, digits) in tex
        if k < layered.PREDICTION_PASSES:  # the query point's forward pass is written out
            for z, a in zip(pr.z, pr.a):
                assert in_full(z, digits, tex) and in_full(a, digits, tex)


def test_seed001_q1b_query_forward_pass_is_shown():
    """Seed 001 (b) works the query point's forward pass; so does the document."""
    p = spec.load(PROBLEMS / "seed001_q1_sigmoid_sgd.yaml")
    tex = document.layered_tex(trace.trace(p), derive.derive_problem(p))
    for numbers in (["0.198989"] * 3, ["0.549584"] * 3, ["0.382101", "-0.0913066"], ["0.59438", "0.477189"]):
        assert latex.matrix(Matrix(np.array(numbers, dtype=float), 6)) in tex
