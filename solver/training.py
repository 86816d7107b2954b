"""Training runs: many passes over the data, recorded as a summary (``record: summary``).

The updates are those of solver.trace (the same :func:`solver.trace.gradients`, in
float64), but instead of every number the run keeps, per pass over the data,

    history[k] = (loss, test_loss, train_accuracy, test_accuracy)

with the parameters after pass k (k = 0: before training): ``loss`` is the mean
per-sample loss over the training points and ``test_loss`` over the test points, both
without the regularization penalty; an accuracy is the share of points whose class
(arg-max, or yhat >= 0.5 for one output unit) is the target's. Accuracies are NaN (null
in the trace) where the targets are not classes, test values where there is no test set.
Memory holds one pass's arrays and the history, whatever the number of steps.

``compare`` runs the problem once per setting (regularization or learning rate), and
``analysis: {hessian: true}`` adds, at each run's final parameters, the Hessian of the
mean training loss in the weights (solver.hessian) and its eigenvalues.
"""

from dataclasses import dataclass, replace

import numpy as np

from .errors import InputError
from .functions import make_activation, make_loss, output_loss_terms
from .trace import classify, forward, gradients, predict

#: the columns of a run's history
HISTORY = ("loss", "test_loss", "train_accuracy", "test_accuracy")


@dataclass
class Run:
    """One training run: its ``label`` and settings (``l1``, ``l2``, ``learning_rate``),
    its history ((steps + 1) x 4, columns HISTORY) and final parameters; with the
    Hessian analysis, the Hessian of the mean training loss in the weights there, its
    eigenvalues (descending) and the gradient's norm (how near a minimum the run ended)."""

    label: str
    l1: float
    l2: float
    learning_rate: float
    history: np.ndarray
    weights: list
    biases: list | None
    hessian: np.ndarray | None = None
    eigenvalues: np.ndarray | None = None
    gradient_norm: float | None = None


@dataclass
class Training:
    """A problem's training runs (one, or one per compared setting) and the query points'
    predictions with the first run's final parameters."""

    problem: object
    runs: list
    predictions: list


def is_classification(Y):
    """True when targets Y (columns) are classes: 0/1 for one output unit, one-hot columns
    for several (so an accuracy means something).

    >>> is_classification(np.array([[0.0, 1.0]])), is_classification(np.array([[0.3, 1.0]]))
    (True, False)
    """
    if not np.isin(Y, (0.0, 1.0)).all():
        return False
    return Y.shape[0] == 1 or bool((Y.sum(axis=0) == 1).all())


def target_classes(Y):
    """The class of each target column: y itself for one output unit, else the arg-max."""
    return Y[0].astype(int) if Y.shape[0] == 1 else Y.argmax(axis=0)


class _Scorer:
    """Mean loss and accuracy of a set of points (columns X, Y) for given parameters."""

    def __init__(self, problem, X, Y):
        self.acts = [make_activation(n, s) for n, s in problem.activations]
        self.loss = make_loss(problem.loss, problem.loss_param)
        self.X, self.Y = X, Y
        self.classes = target_classes(Y) if is_classification(Y) else None

    def of_pass(self, sample_losses, a):
        """(mean loss, accuracy) from these points' losses and outputs a."""
        acc = np.nan if self.classes is None else (classify(a) == self.classes).mean()
        return sample_losses.mean(), acc

    def __call__(self, weights, biases):
        zs, as_ = forward(weights, biases, self.acts, self.X)
        return self.of_pass(output_loss_terms(self.acts[-1], self.loss, zs[-1], as_[-1], self.Y).sum(axis=0),
                            as_[-1])


def settings(problem):
    """The problem once per run: with each compared setting, or itself alone."""
    if problem.compare is None:
        label = "the problem's settings"
        return [(label, problem)]
    out = []
    for s in problem.compare:
        changed = {k: s[k] for k in ("l1", "l2", "learning_rate") if k in s}
        out.append((s["label"], replace(problem, compare=None, **changed)))
    return out


def train(problem, progress=None):
    """Every run of a problem recorded as a summary (see the module docstring).

    ``progress(done, total)``, if given, is called now and then with the passes done
    over all runs.

    >>> from backprop_solver.spec import parse
    >>> p = parse({"network": {"sizes": [1, 1], "activation": "linear", "weights": 0, "biases": None},
    ...            "loss": "squared_error", "learning_rate": 0.5, "record": "summary",
    ...            "data": [{"x": 1, "y": 2}], "steps": 2})
    >>> train(p).runs[0].history[:, 0].tolist()   # w: 0, 1, 1.5; loss (w - 2)^2 / 2
    [2.0, 0.5, 0.125]
    """
    runs = []
    todo = settings(problem)
    for i, (label, p) in enumerate(todo):
        def step_done(k, i=i):
            if progress is not None:
                progress(i * p.steps + k, len(todo) * p.steps)
        history, weights, biases = _run(p, step_done)
        run = Run(label, p.l1, p.l2, p.learning_rate, history, weights, biases)
        if problem.hessian:
            from .hessian import hessian
            unpenalised = replace(p, l1=0.0, l2=0.0, reduction="mean", update="batch")
            H = hessian(unpenalised, weights, biases, p.X, p.Y)
            run.hessian = H
            run.eigenvalues = np.linalg.eigvalsh(H)[::-1]
            grads = gradients(unpenalised, weights, biases, p.X, p.Y).grad_Ws
            run.gradient_norm = float(np.sqrt(sum((g * g).sum() for g in grads)))
        runs.append(run)
    first = runs[0]
    preds = [] if problem.predict is None else predict(problem, first.weights, first.biases, problem.predict)
    return Training(problem, runs, preds)


def _run(p, step_done):
    """One run's history and final parameters (float64)."""
    weights = [W.copy() for W in p.weights]
    biases = None if p.biases is None else [b.copy() for b in p.biases]
    train_score = _Scorer(p, p.X, p.Y)
    test_score = None if p.X_test is None else _Scorer(p, p.X_test, p.Y_test)
    history = np.full((p.steps + 1, len(HISTORY)), np.nan)
    n, eta = p.X.shape[1], p.learning_rate
    batch = p.update == "batch"
    every = max(1, p.steps // 100)
    with np.errstate(all="ignore"):  # overflow is refused below, with a message
        for k in range(p.steps + 1):
            if batch:
                if k == p.steps:
                    history[k, 0], history[k, 2] = train_score(weights, biases)
                else:  # the step's own forward pass scores the parameters it starts from
                    g = gradients(p, weights, biases, p.X, p.Y)
                    history[k, 0], history[k, 2] = train_score.of_pass(g.sample_losses, g.as_[-1])
            else:
                history[k, 0], history[k, 2] = train_score(weights, biases)
            if test_score is not None:
                history[k, 1], history[k, 3] = test_score(weights, biases)
            if not np.isfinite(history[k, :2][~np.isnan(history[k, :2])]).all():
                raise InputError(p.file, "learning_rate" if k else "network.weights",
                                 f"the loss is not finite after {k} of {p.steps} steps; the weights or the "
                                 f"learning rate are too large to train with")
            if k == p.steps:
                break
            for j in ([None] if batch else range(n)):
                if not batch:
                    g = gradients(p, weights, biases, p.X[:, j:j + 1], p.Y[:, j:j + 1])
                weights = [W - eta * gW for W, gW in zip(weights, g.grad_Ws)]
                if biases is not None and p.train_biases:
                    biases = [b - eta * gb for b, gb in zip(biases, g.grad_bs)]
            if k % every == 0:
                step_done(k + 1)
    for W in weights:
        if not np.isfinite(W).all():
            raise InputError(p.file, "learning_rate", "the weights overflowed during training; the learning "
                                                      "rate is too large")
    return history, weights, biases


def history_json(history):
    """A run's history as the trace lists it: one entry per pass, None for NaN."""
    out = []
    for k, row in enumerate(history):
        entry = {"step": k}
        entry.update({name: None if np.isnan(v) else float(v) for name, v in zip(HISTORY, row)})
        out.append(entry)
    return out


def _parameters(weights, biases):
    return [{"layer": l + 1, "W": W.tolist(), "b": None if biases is None else biases[l].tolist()}
            for l, W in enumerate(weights)]


def _run_json(run):
    out = {"history": history_json(run.history), "parameters": _parameters(run.weights, run.biases)}
    if run.eigenvalues is not None:
        out["hessian"] = {"eigenvalues": run.eigenvalues.tolist(), "gradient_norm": run.gradient_norm}
    return out


def to_json(t):
    """The summary trace ``backprop trace`` prints (keys in docs/problem-format.md, "The
    trace of a training run"): ``history``, ``parameters`` (and ``hessian``) of the one
    run, or ``runs`` each with its ``settings`` for compare; ``predictions`` as in the
    full trace."""
    out = {"format": 1, "problem": t.problem.to_dict(), "record": "summary"}
    if t.problem.compare is None:
        out.update(_run_json(t.runs[0]))
    else:
        out["runs"] = [{"settings": {"label": r.label, "l1": r.l1, "l2": r.l2, "learning_rate": r.learning_rate},
                        **_run_json(r)} for r in t.runs]
    out["predictions"] = [{"input": q.input.tolist(), "output": q.output.tolist(), "class": q.cls}
                          for q in t.predictions]
    return out
