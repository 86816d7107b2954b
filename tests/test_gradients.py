"""Every gradient of the tracer against central finite differences of the loss.

For each activation (hidden and output), each loss, sgd, batch-sum, batch-mean and both
regularizers: d(loss)/d(parameter) from backpropagation agrees with
(E(p + h) - E(p - h)) / 2h, relative error below 1e-6 per parameter array.
"""

import itertools

import numpy as np
import pytest

from backprop_solver import spec, trace
from backprop_solver.functions import ACTIVATIONS, LOG_LOSSES, LOSSES, Softmax, output_delta, output_loss

HIDDEN = [a for a in ACTIVATIONS if a != "softmax"]
OUTPUT_FOR = {loss: (["sigmoid", "softmax"] if loss in LOG_LOSSES else list(ACTIVATIONS))
              for loss in LOSSES}
CASES = [(h, o, loss) for loss in LOSSES for o in OUTPUT_FOR[loss] for h in HIDDEN]
H = 1e-6


def make_problem(hidden, output, loss, update="sgd", reduction="sum", l1=0.0, l2=0.0,
                 soft_targets=False, seed=1):
    rng = np.random.default_rng(seed)
    sizes = [3, 4, 3]
    n = 3
    X = rng.uniform(-1, 1, (n, sizes[0]))
    if loss in LOG_LOSSES:
        if output == "softmax" and not soft_targets:
            Y = np.eye(sizes[-1])[rng.integers(0, sizes[-1], n)]
        else:
            Y = rng.uniform(0.05, 0.95, (n, sizes[-1]))
    else:
        Y = rng.uniform(-1, 1, (n, sizes[-1]))
    act = [{"leaky_relu": {"slope": 0.1}} if a == "leaky_relu" else a for a in (hidden, output)]
    data = {
        "network": {"sizes": sizes, "activation": act,
                    "weights": {"random": {"seed": seed, "low": -1, "high": 1}},
                    "biases": [rng.uniform(-.5, .5, 4).tolist(), rng.uniform(-.5, .5, 3).tolist()]},
        "loss": loss, "learning_rate": 0.1,
        "data": [{"x": x.tolist(), "y": y.tolist()} for x, y in zip(X, Y)],
        "update": update, "regularization": {"l1": l1, "l2": l2},
    }
    if update == "batch":
        data["reduction"] = reduction
    return spec.parse(data, "fd.yaml")


def check_against_finite_differences(p):
    """Compare the first update's gradients with central differences of its loss."""
    samples = [0] if p.update == "sgd" else list(range(p.X.shape[1]))
    x, y = p.X[:, samples], p.Y[:, samples]
    W = [w.copy() for w in p.weights]
    b = [v.copy() for v in p.biases]
    g = trace.gradients(p, W, b, x, y)
    gWs, gbs = g.grad_Ws, g.grad_bs

    def loss():
        return trace.gradients(p, W, b, x, y).loss

    for params, grads, kind in ((W, gWs, "W"), (b, gbs, "b")):
        for l, (P, G) in enumerate(zip(params, grads)):
            fd = np.zeros_like(P)
            for idx in np.ndindex(P.shape):
                old = P[idx]
                P[idx] = old + H
                up = loss()
                P[idx] = old - H
                down = loss()
                P[idx] = old
                fd[idx] = (up - down) / (2 * H)
            err = np.linalg.norm(G - fd) / max(np.linalg.norm(fd), np.linalg.norm(G), 1e-12)
            assert err < 1e-6, f"grad_{kind} of layer {l + 1}: relative error {err:.2e}\n{G}\n{fd}"


@pytest.mark.parametrize("hidden,output,loss", CASES, ids=["-".join(c) for c in CASES])
def test_every_activation_and_loss_sgd(hidden, output, loss):
    check_against_finite_differences(make_problem(hidden, output, loss))


@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("loss,output", [("squared_error", "tanh"), ("cross_entropy", "softmax"),
                                         ("binary_cross_entropy", "sigmoid"), ("log_cosh", "linear")])
def test_batch(loss, output, reduction):
    check_against_finite_differences(make_problem("tanh", output, loss, "batch", reduction))


@pytest.mark.parametrize("update,reduction", [("sgd", "sum"), ("batch", "sum"), ("batch", "mean")])
@pytest.mark.parametrize("l1,l2", [(0.0, 0.3), (0.2, 0.0), (0.1, 0.05)])
def test_regularization(update, reduction, l1, l2):
    check_against_finite_differences(make_problem("sigmoid", "sigmoid", "squared_error", update,
                                                  reduction, l1=l1, l2=l2))


@pytest.mark.parametrize("output,loss", [("softmax", "cross_entropy"), ("sigmoid", "cross_entropy"),
                                         ("softmax", "binary_cross_entropy")])
def test_soft_targets(output, loss):
    """Targets that are not one-hot: softmax + cross-entropy gives yhat * sum(y) - y."""
    check_against_finite_differences(make_problem("tanh", output, loss, soft_targets=True))


def test_regularization_penalises_weights_not_biases():
    p = make_problem("sigmoid", "sigmoid", "squared_error", l2=0.5)
    q = make_problem("sigmoid", "sigmoid", "squared_error")
    tp, tq = trace.trace(p), trace.trace(q)
    for sp, sq in zip(tp.updates[0].layers, tq.updates[0].layers):
        np.testing.assert_allclose(sp.grad_b, sq.grad_b)
        np.testing.assert_allclose(sp.grad_W - sq.grad_W, 0.5 * sp.W)
    assert tp.updates[0].penalty == pytest.approx(0.25 * sum((w ** 2).sum() for w in p.weights))


@pytest.mark.parametrize("loss", list(LOSSES))
def test_stable_losses_match_the_plain_formulas(loss):
    """The log-space output losses equal the textbook formulas where those are finite."""
    rng = np.random.default_rng(3)
    z = rng.uniform(-3, 3, (3, 4))
    y = rng.uniform(0.1, 0.9, (3, 4))
    for out in OUTPUT_FOR[loss]:
        act = ACTIVATIONS[out]()
        a = act.forward(z)
        np.testing.assert_allclose(output_loss(act, LOSSES[loss], z, a, y), LOSSES[loss].value(a, y),
                                   rtol=1e-12)
        np.testing.assert_allclose(output_delta(act, LOSSES[loss], z, a, y),
                                   act.backward(z, a, LOSSES[loss].grad(a, y)) if out != "softmax"
                                   else Softmax().backward(z, a, LOSSES[loss].grad(a, y)), rtol=1e-9)


@pytest.mark.parametrize("output,loss", itertools.product(["sigmoid", "softmax"], LOG_LOSSES))
def test_no_overflow_for_large_preactivations(output, loss):
    z = np.array([[800.0, -800.0], [-800.0, 0.0], [0.0, 800.0]])
    y = np.array([[0.0, 1.0], [1.0, 0.0], [0.0, 0.0]])
    act = ACTIVATIONS[output]()
    a = act.forward(z)
    E = output_loss(act, LOSSES[loss], z, a, y)
    delta = output_delta(act, LOSSES[loss], z, a, y)
    assert np.isfinite(E).all() and np.isfinite(delta).all()
    if output == "softmax":
        # Sample 1, z = (800, -800, 0), class 1: one output is 1 to double precision.
        # Cross-entropy: delta = a - y. BCE: E = -ln(1 - a_0) - ln a_1 - ln(1 - a_2)
        # ~ (z_0 - z_2) + (z_0 - z_1), so delta = (2, -1, -1), which the naive
        # formula (dividing by 1 - a_0 = 0) cannot give.
        np.testing.assert_allclose(delta[:, 0], a[:, 0] - y[:, 0] if loss == "cross_entropy"
                                   else [2.0, -1.0, -1.0], atol=1e-12)
    if (output, loss) == ("softmax", "cross_entropy"):
        # -ln softmax: sample 1 has class 1 at z = -800 against 800: loss 1600
        assert E[0] == pytest.approx(1600.0)
        np.testing.assert_allclose(delta, a - y)
