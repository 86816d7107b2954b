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

Exact mode. A problem of hand-calculation size (at most EXACT_NUMBERS numbers in its
trace) is computed on :class:`solver.precise.Real` numbers instead of floats, by the
same code: every input is the decimal written, a sum that cancels is exactly 0, kinks
(relu, leaky_relu at z = 0, sign(W) for L1) and ties between classes are decided on
exact zeros, and saturated units keep their digits. The working precision P is 40
digits, more when a pre-activation is large (sigma(z) differs from 1 by e^-|z|, which
P must hold); the trace is computed at P and 2P digits and the two must agree to
AGREE (zeros and kinks alike), else P doubles. Work beyond EXACT_COST (units saturated
at |z| in the hundreds) runs in float64 instead. The numbers handed on are the 2P
values correctly rounded to float64, so every digit shown is right. Larger problems
run in float64 (about 15 significant digits, less after cancellations; the document
says so, and shows sums below 1e-12 of their terms as 0).
"""

import math
from dataclasses import dataclass, fields
from decimal import Decimal
from fractions import Fraction
from typing import NamedTuple

import numpy as np

from . import precise
from .errors import InputError
from .functions import (LOG_LOSSES, SIMPLIFIED_PAIRS, make_activation, make_loss, output_delta,
                        output_loss_terms)

#: problems whose trace holds at most this many numbers are computed exactly
EXACT_NUMBERS = 10_000
#: the working precision (significant digits) of exact mode to start from, and the
#: relative agreement required between the runs at P and 2P digits
EXACT_DIGITS = 40
AGREE = Decimal("1e-25")
#: the most work exact mode takes on, as numbers x (digits at 2P)^2 (about a second):
#: units saturated beyond it (|z| in the hundreds) are no hand calculation, and such a
#: problem runs in float64 like a large one
EXACT_COST = 100_000_000


@dataclass
class LayerStep:
    """Everything one layer computes in one update (b, grad_b, b_new None without biases;
    ``fprime`` is f'(z), None for softmax, whose Jacobian is applied instead)."""

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
    fprime: np.ndarray | None = None


@dataclass
class Update:
    """One parameter update: its samples (0-based), inputs, targets, layers and loss.

    ``loss`` is what the gradients are of: the per-sample losses reduced (sum or mean)
    plus ``penalty``, the regularization of the weights before the update.
    ``loss_terms`` holds each output unit's term of each sample's loss (units x
    samples); ``dE_dyhat`` is dE/dyhat, None where the output delta is a simplified
    pair (functions.SIMPLIFIED_PAIRS).
    """

    index: int
    samples: list
    input: np.ndarray
    target: np.ndarray
    layers: list
    loss: float
    sample_losses: np.ndarray
    penalty: float
    loss_terms: np.ndarray = None
    dE_dyhat: np.ndarray | None = None


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
    """A problem's updates, predictions and final parameters (float64 arrays).

    ``exact`` says every number is the exact value correctly rounded (exact mode,
    computed at ``digits`` significant digits); otherwise it is a float64 computation.
    """

    problem: object
    updates: list
    predictions: list
    weights: list
    biases: list | None
    exact: bool = False
    digits: int = 15


def forward(weights, biases, activations, x):
    """Pre-activations and activations of every layer for inputs x (columns).

    >>> from backprop_solver.functions import Sigmoid
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

    >>> penalty([np.array([[1e200]])], 0.0, 0.0), float(penalty([np.array([[3.0, -4.0]])], 0.5, 2.0))
    (0.0, 28.5)
    """
    total = 0.0
    for W in weights:
        if l2:
            total = total + (W * W).sum() * l2 / 2
        if l1:
            total = total + np.abs(W).sum() * l1
    return total


def reduction_factor(problem, n):
    """R for an update of ``n`` samples: 1/n for a batch mean, else 1 (sgd, batch sum)."""
    return 1.0 / n if problem.reduction == "mean" else 1.0


def weight_gradient(problem, W, delta, a_prev, r):
    """grad_W = r delta (a_prev)^T + l2 W + l1 sign(W), for one layer's weights W.

    >>> from backprop_solver.spec import parse
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


class Pass(NamedTuple):
    """One forward and backward pass (lists hold one array per layer 1..L)."""

    zs: list
    as_: list
    deltas: list
    grad_Ws: list
    grad_bs: list
    sample_losses: np.ndarray
    loss: float
    fprimes: list
    loss_terms: np.ndarray
    dE_dyhat: np.ndarray | None


def gradients(problem, weights, biases, x, y):
    """One update's forward and backward pass on samples x, y (columns), as a
    :class:`Pass`: float64 or exact-mode numbers, as the arrays given."""
    acts = [make_activation(n, s) for n, s in problem.activations]
    loss_fn = make_loss(problem.loss, problem.loss_param)
    zs, as_ = forward(weights, biases, acts, x)
    r = reduction_factor(problem, x.shape[1])
    if precise.is_exact(x) and r != 1:
        r = Fraction(1, x.shape[1])  # 1/n itself, not its rounded double
    L = len(weights)
    fprimes = [f.derivative(z, a) if f.elementwise else None for f, z, a in zip(acts, zs, as_)]
    deltas = [None] * L
    deltas[-1] = output_delta(acts[-1], loss_fn, zs[-1], as_[-1], y)
    for l in range(L - 2, -1, -1):
        deltas[l] = (weights[l + 1].T @ deltas[l + 1]) * fprimes[l]
    grad_Ws, grad_bs = [], []
    for l in range(L):
        a_prev = x if l == 0 else as_[l - 1]
        grad_Ws.append(weight_gradient(problem, weights[l], deltas[l], a_prev, r))
        grad_bs.append(None if biases is None else r * deltas[l].sum(axis=1))
    terms = output_loss_terms(acts[-1], loss_fn, zs[-1], as_[-1], y)
    sample_losses = terms.sum(axis=0)
    loss = r * sample_losses.sum() + penalty(weights, problem.l1, problem.l2)
    dE_dyhat = None if (acts[-1].name, loss_fn.name) in SIMPLIFIED_PAIRS else loss_fn.grad(as_[-1], y)
    return Pass(zs, as_, deltas, grad_Ws, grad_bs, sample_losses, loss, fprimes, terms, dE_dyhat)


def trace(problem, exact=None):
    """Run the problem's updates and predictions, recording every intermediate number.

    ``exact`` (default: for problems of at most EXACT_NUMBERS numbers) computes in
    exact mode, see the module docstring.

    >>> from backprop_solver.spec import load
    >>> t = trace(load("problems/seed001_q1_sigmoid_sgd.yaml"))
    >>> round(float(t.updates[0].layers[1].W_new[0, 0]), 6), t.exact
    (0.162647, True)
    """
    numbers, digits = count_numbers(problem), EXACT_DIGITS
    if not (numbers <= EXACT_NUMBERS if exact is None else exact):
        return _float(problem)
    while True:
        low = _exact(problem, digits)
        need = EXACT_DIGITS + math.ceil(2 * min(_largest_z(low), 1e6) / math.log(10))
        if need > digits:  # saturated units: e^-2|z| must fit in the precision
            if numbers * (2 * need) ** 2 > EXACT_COST:
                return _float(problem)  # units this saturated: not a hand calculation
            digits = need
            continue
        high = _exact(problem, 2 * digits)
        if _agree(low, high):
            return _as_float(high, exact=True)
        digits *= 2
        if numbers * (2 * digits) ** 2 > EXACT_COST:
            raise InputError(problem.file, "network.weights",
                             f"the numbers of this problem do not settle at {digits} significant digits "
                             f"(a cancellation loses them all); use smaller or fewer weights")


def _float(problem):
    """The trace in float64."""
    with np.errstate(all="ignore"):  # overflow is refused by _check_finite, with a message
        return _run(problem)


def count_numbers(problem):
    """How many numbers the trace of ``problem`` records (z, a, delta, gradients and
    parameters of every update, and the query points' passes)."""
    n = problem.X.shape[1]
    per_sample = sum(problem.sizes[1:])
    params = sum(problem.sizes[l] * (problem.sizes[l - 1] + 1) for l in range(1, len(problem.sizes)))
    updates = problem.steps * (n if problem.update == "sgd" else 1)
    per_update = 4 * params + 4 * per_sample * (1 if problem.update == "sgd" else n)
    queries = 0 if problem.predict is None else 2 * per_sample * problem.predict.shape[1]
    return updates * per_update + queries


def _exact(problem, digits):
    """The trace in exact mode at ``digits`` significant digits."""
    with precise.working(digits):
        return _run(problem, precise.array, digits)


def _run(problem, num=np.asarray, digits=15):
    """The trace, computed on the numbers ``num`` makes of the problem's float arrays
    (``digits``: their significant digits)."""
    p = problem
    weights = [num(W) for W in p.weights]
    biases = None if p.biases is None else [num(b) for b in p.biases]
    X, Y = num(p.X), num(p.Y)
    n = X.shape[1]
    batches = [[i] for i in range(n)] if p.update == "sgd" else [list(range(n))]
    eta = p.learning_rate
    updates = []
    for _ in range(p.steps):
        for samples in batches:
            x, y = X[:, samples], Y[:, samples]
            g = gradients(p, weights, biases, x, y)
            layers = []
            for l in range(len(weights)):
                W_new = weights[l] - eta * g.grad_Ws[l]
                b, b_new = (None, None) if biases is None else (
                    biases[l], biases[l] - eta * g.grad_bs[l] if p.train_biases else biases[l].copy())
                layers.append(LayerStep(l + 1, weights[l], b, g.zs[l], g.as_[l], g.deltas[l],
                                        g.grad_Ws[l], g.grad_bs[l], W_new, b_new, g.fprimes[l]))
            update = Update(len(updates) + 1, samples, x, y, layers, g.loss, g.sample_losses,
                            penalty(weights, p.l1, p.l2), g.loss_terms, g.dE_dyhat)
            if not precise.is_exact(x):
                _check_finite(p, update)
            updates.append(update)
            weights = [s.W_new for s in layers]
            biases = None if biases is None else [s.b_new for s in layers]
    preds = [] if p.predict is None else predict(p, weights, biases, num(p.predict))
    return Trace(p, updates, preds, weights, biases, exact=precise.is_exact(X), digits=digits)


def _arrays(t):
    """Every array of a trace, in a fixed order (for comparing two runs)."""
    for u in t.updates:
        for s in u.layers:
            yield from (getattr(s, f.name) for f in fields(s) if f.name != "layer")
        yield from (u.sample_losses, u.loss_terms, u.dE_dyhat, np.array([u.loss, u.penalty], dtype=object))
    for q in t.predictions:
        yield from (q.output, *q.z, *q.a)
        yield np.array([q.cls])


def _agree(low, high):
    """True when the runs at P and 2P digits agree: every number to AGREE relative, and
    the zeros (so the kinks) and the classes exactly."""
    for a, b in zip(_arrays(low), _arrays(high)):
        if a is None:
            continue
        for x, y in zip(np.ravel(a), np.ravel(b)):
            x, y = (v.v if isinstance(v, precise.Real) else Decimal(float(v)) for v in (x, y))
            if (x == 0) != (y == 0) or abs(x - y) > AGREE * abs(y):
                return False
    return True


def _largest_z(t):
    """The largest |z| of a trace's saturating units (updates and query points)."""
    acts = [make_activation(n, s) for n, s in t.problem.activations]
    zs = ([s.z for u in t.updates for s in u.layers if acts[s.layer - 1].saturates]
          + [z for q in t.predictions for f, z in zip(acts, q.z) if f.saturates])
    return max((abs(float(x)) for z in zs for x in np.ravel(z)), default=0.0)


def _as_float(t, exact):
    """The trace with every number as float64 (each exact value correctly rounded);
    an overflow to infinity is refused as in float mode."""
    f = precise.to_float
    updates = []
    for u in t.updates:
        layers = [LayerStep(s.layer, *(f(getattr(s, k.name)) for k in fields(s)[1:])) for s in u.layers]
        update = Update(u.index, u.samples, f(u.input), f(u.target), layers, float(u.loss),
                        f(u.sample_losses), float(u.penalty), f(u.loss_terms), f(u.dE_dyhat))
        _check_finite(t.problem, update)
        updates.append(update)
    preds = _check_queries(t.problem, [
        Prediction(f(q.input), f(q.output), q.cls, [f(z) for z in q.z], [f(a) for a in q.a])
        for q in t.predictions])
    return Trace(t.problem, updates, preds, [f(W) for W in t.weights],
                 None if t.biases is None else [f(b) for b in t.biases], exact=exact, digits=t.digits)


def predict(problem, weights, biases, X):
    """Outputs and classes of the query points X (columns) with the given parameters:
    arg-max, or yhat >= 0.5 for one unit (float64 or exact-mode numbers, as given)."""
    acts = [make_activation(n, s) for n, s in problem.activations]
    zs, as_ = forward(weights, biases, acts, X)
    out = as_[-1]
    classes = classify(out)
    preds = [Prediction(X[:, j], out[:, j], int(classes[j]),
                        [z[:, j] for z in zs], [a[:, j] for a in as_]) for j in range(out.shape[1])]
    return preds if precise.is_exact(X) else _check_queries(problem, preds)


def _check_queries(problem, preds):
    """The float64 predictions, refused where a query point's numbers overflowed (exact
    mode cannot overflow: it is checked once rounded to float64)."""
    for j, q in enumerate(preds):
        if not all(np.isfinite(v).all() for v in (*q.z, *q.a)):
            raise InputError(problem.file, f"predict[{j}]", "the output of this query point "
                                                            "overflows with the final parameters")
    return preds


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
    """The trace as the JSON object ``backprop trace`` prints (format 1; its keys are
    described in docs/problem-format.md, "The trace")."""
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
