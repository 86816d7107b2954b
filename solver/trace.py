"""Trace stage: run gradient descent on a checked problem and record every number.

For each update and each layer l = 1..L (samples as columns, no loops over units):

    forward     z^l = W^l a^(l-1) + b^l,      a^l = f_l(z^l),        a^0 = x
    output      delta^L = dE/dz^L             (see functions.output_delta)
    backward    delta^l = (W^(l+1))^T delta^(l+1) * f_l'(z^l)
    gradients   grad_W^l = R(delta^l (a^(l-1))^T) + l2 W^l + l1 sign(W^l)
                grad_b^l = R(sum over samples of delta^l)
    update      W^l <- W^l - eta grad_W^l,    b^l <- b^l - eta grad_b^l

where R is 1 (sgd, batch sum) or 1/n (batch mean over n samples). The columns of
delta are the per-sample dE_k/dz, before R is applied.
"""

from dataclasses import dataclass

import numpy as np

from .errors import InputError
from .functions import LOG_LOSSES, LOSSES, make_activation, output_delta, output_loss


@dataclass
class LayerStep:
    """Everything one layer computes in one update (b, grad_b, b_new None without biases)."""

    layer: int
    W: np.ndarray
    b: np.ndarray | None
    z: np.ndarray
    a: np.ndarray
    delta: np.ndarray
    grad_W: np.ndarray
    grad_b: np.ndarray | None
    W_new: np.ndarray
    b_new: np.ndarray | None


@dataclass
class Update:
    """One parameter update: its samples (0-based), inputs, targets, layers and loss.

    ``loss`` is what the gradients are of: the per-sample losses reduced (sum or mean)
    plus ``penalty``, the regularization of the weights before the update.
    """

    index: int
    samples: list
    input: np.ndarray
    target: np.ndarray
    layers: list
    loss: float
    sample_losses: np.ndarray
    penalty: float


@dataclass
class Prediction:
    """A query point's output and class with the final parameters; ``z[l-1]`` and
    ``a[l-1]`` are its pre-activation and activation of layer l (``a[-1]`` is ``output``)."""

    input: np.ndarray
    output: np.ndarray
    cls: int
    z: list = None
    a: list = None


@dataclass
class Trace:
    problem: object
    updates: list
    predictions: list
    weights: list
    biases: list | None


def forward(weights, biases, activations, x):
    """Pre-activations and activations of every layer for inputs x (columns).

    >>> from solver.functions import Sigmoid
    >>> zs, as_ = forward([np.full((1, 2), 0.5)], [np.zeros(1)], [Sigmoid()], np.array([[1.0], [1.0]]))
    >>> zs[0].tolist(), round(float(as_[0][0, 0]), 6)
    ([[1.0]], 0.731059)
    """
    zs, as_ = [], []
    a = x
    for l, (W, f) in enumerate(zip(weights, activations)):
        z = W @ a
        if biases is not None:
            z = z + biases[l][:, None]
        a = f.forward(z)
        zs.append(z)
        as_.append(a)
    return zs, as_


def penalty(weights, l1, l2):
    """(l2 / 2) sum W^2 + l1 sum |W| over every weight matrix (never the biases).

    A term whose coefficient is 0 is not computed (0 * inf would be NaN for huge weights).

    >>> penalty([np.array([[1e200]])], 0.0, 0.0), penalty([np.array([[3.0, -4.0]])], 0.5, 2.0)
    (0.0, 28.5)
    """
    return sum((0.5 * l2 * float((W * W).sum()) if l2 else 0.0) + (l1 * float(np.abs(W).sum()) if l1 else 0.0)
               for W in weights)


def reduction_factor(problem, n):
    """R for an update of ``n`` samples: 1/n for a batch mean, else 1 (sgd, batch sum)."""
    return 1.0 / n if problem.reduction == "mean" else 1.0


def weight_gradient(problem, W, delta, a_prev, r):
    """grad_W = r delta (a_prev)^T + l2 W + l1 sign(W), for one layer's weights W.

    >>> from solver.spec import parse
    >>> p = parse({"network": {"sizes": [1, 1], "activation": "linear", "weights": 2},
    ...            "loss": "squared_error", "learning_rate": 1, "data": [{"x": 1, "y": 0}],
    ...            "regularization": {"l2": 0.5}})
    >>> weight_gradient(p, np.array([[2.0]]), np.array([[3.0]]), np.array([[1.0]]), 1.0).tolist()
    [[4.0]]
    """
    g = r * (delta @ a_prev.T)
    if problem.l2:
        g = g + problem.l2 * W
    if problem.l1:
        g = g + problem.l1 * np.sign(W)
    return g


def gradients(problem, weights, biases, x, y):
    """One update's forward and backward pass on samples x, y (columns).

    Returns (zs, as_, deltas, grad_Ws, grad_bs, sample_losses, loss).
    """
    acts = [make_activation(n, s) for n, s in problem.activations]
    loss_fn = LOSSES[problem.loss]
    zs, as_ = forward(weights, biases, acts, x)
    r = reduction_factor(problem, x.shape[1])
    L = len(weights)
    deltas = [None] * L
    deltas[-1] = output_delta(acts[-1], loss_fn, zs[-1], as_[-1], y)
    for l in range(L - 2, -1, -1):
        deltas[l] = acts[l].backward(zs[l], as_[l], weights[l + 1].T @ deltas[l + 1])
    grad_Ws, grad_bs = [], []
    for l in range(L):
        a_prev = x if l == 0 else as_[l - 1]
        grad_Ws.append(weight_gradient(problem, weights[l], deltas[l], a_prev, r))
        grad_bs.append(None if biases is None else r * deltas[l].sum(axis=1))
    sample_losses = output_loss(acts[-1], loss_fn, zs[-1], as_[-1], y)
    loss = r * float(sample_losses.sum()) + penalty(weights, problem.l1, problem.l2)
    return zs, as_, deltas, grad_Ws, grad_bs, sample_losses, loss


def trace(problem):
    """Run the problem's updates and predictions, recording every intermediate number.

    >>> from solver.spec import load
    >>> t = trace(load("problems/seed001_q1_sigmoid_sgd.yaml"))
    >>> round(float(t.updates[0].layers[1].W_new[0, 0]), 6)
    0.162647
    """
    p = problem
    weights = [W.copy() for W in p.weights]
    biases = None if p.biases is None else [b.copy() for b in p.biases]
    n = p.X.shape[1]
    batches = [[i] for i in range(n)] if p.update == "sgd" else [list(range(n))]
    with np.errstate(all="ignore"):  # overflow is refused by _check_finite, with a message
        updates = []
        for _ in range(p.steps):
            for samples in batches:
                x, y = p.X[:, samples], p.Y[:, samples]
                zs, as_, deltas, gWs, gbs, sample_losses, loss = gradients(p, weights, biases, x, y)
                layers = []
                for l in range(len(weights)):
                    W_new = weights[l] - p.learning_rate * gWs[l]
                    b, b_new = (None, None) if biases is None else (
                        biases[l], biases[l] - p.learning_rate * gbs[l] if p.train_biases else biases[l].copy())
                    layers.append(LayerStep(l + 1, weights[l], b, zs[l], as_[l], deltas[l],
                                            gWs[l], gbs[l], W_new, b_new))
                update = Update(len(updates) + 1, samples, x, y, layers, loss, sample_losses,
                                penalty(weights, p.l1, p.l2))
                _check_finite(p, update)
                updates.append(update)
                weights = [s.W_new for s in layers]
                biases = None if biases is None else [s.b_new for s in layers]
        return Trace(p, updates, predict(p, weights, biases), weights, biases)


def predict(problem, weights, biases):
    """Outputs and classes for the problem's query points: arg-max, or yhat >= 0.5 for one unit."""
    if problem.predict is None:
        return []
    acts = [make_activation(n, s) for n, s in problem.activations]
    zs, as_ = forward(weights, biases, acts, problem.predict)
    out = as_[-1]
    bad = np.flatnonzero(~np.isfinite(np.concatenate(zs + as_)).all(axis=0))
    if bad.size:
        raise InputError(problem.file, f"predict[{bad[0]}]", "the output of this query point "
                                                             "overflows with the final parameters")
    classes = classify(out)
    return [Prediction(problem.predict[:, j], out[:, j], int(classes[j]),
                       [z[:, j] for z in zs], [a[:, j] for a in as_]) for j in range(out.shape[1])]


def classify(out):
    """The class of each output column: arg-max, or yhat >= 0.5 for a single output unit.

    >>> classify(np.array([[0.59438], [0.477189]])).tolist(), classify(np.array([[0.3, 0.5]])).tolist()
    ([0], [0, 1])
    """
    return (out[0] >= 0.5).astype(int) if out.shape[0] == 1 else out.argmax(axis=0)


def _check_finite(problem, update):
    """Refuse to show a trace whose numbers overflowed (never a silent inf or NaN)."""
    for s in update.layers:
        for name in ("z", "a", "delta", "grad_W", "grad_b", "W_new", "b_new"):
            v = getattr(s, name)
            if v is not None and not np.isfinite(v).all():
                key = "network.weights" if update.index == 1 else "learning_rate"
                raise InputError(problem.file, key,
                                 f"the numbers overflowed in update {update.index}, layer {s.layer} "
                                 f"({name} is not finite); the weights or the learning rate are too "
                                 f"large to trace")
    if not np.isfinite(update.loss):
        if not np.isfinite(update.penalty):
            cause = "the regularization overflows for weights this large"
        elif problem.loss in LOG_LOSSES:
            cause = "the pre-activations of the output are too large"
        else:
            cause = "the outputs are too large for the loss"
        raise InputError(problem.file, "loss", f"the loss of update {update.index} is not finite ({cause})")


def _list(v):
    return None if v is None else v.tolist()


def to_json(t):
    """The trace as the JSON object of the public contract (format 1)."""
    return {
        "format": 1,
        "problem": t.problem.to_dict(),
        "updates": [{
            "index": u.index,
            "samples": u.samples,
            "input": u.input.tolist(),
            "target": u.target.tolist(),
            "layers": [{
                "layer": s.layer, "W": s.W.tolist(), "b": _list(s.b), "z": s.z.tolist(),
                "a": s.a.tolist(), "delta": s.delta.tolist(), "grad_W": s.grad_W.tolist(),
                "grad_b": _list(s.grad_b), "W_new": s.W_new.tolist(), "b_new": _list(s.b_new),
            } for s in u.layers],
            "loss": u.loss,
            "sample_losses": u.sample_losses.tolist(),
            "penalty": u.penalty,
        } for u in t.updates],
        "predictions": [{"input": p.input.tolist(), "output": p.output.tolist(), "class": p.cls}
                        for p in t.predictions],
    }
