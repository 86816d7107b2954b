"""The document of a training run (solver.training): the problem and its data, the
network, the formulas, then what training did: the loss curves (training and test), the
accuracy, the decision boundary over the input plane (two inputs), the final
parameters; for ``compare`` the runs side by side (curves, a table, the networks drawn
with line widths by |w| as in the TensorFlow Playground, with the count of weights near
zero, and their decision boundaries); with ``analysis: {hessian: true}`` seed 004's
argument on L2 regularization with the run's own Hessian.

Numbers are float64 (a training run is no hand calculation) and shown to
``display.digits`` significant digits.
"""

import numpy as np

from ..errors import plural
from ..functions import LOSSES, make_activation
from ..trace import classify, forward
from ..training import is_classification, target_classes
from .layered import (LINE_WIDTH, Matrices, UPDATE_WORDS, _act_name, _data_rows, _figure, _formulas,
                      _outputs, _parameters, named, regularization_words)
from .model import (Break, Center, Chart, Columns, Display, Document, Dots, Drawing, Edge, Facts, Heading,
                    Keep, Line, Math, MathTable, Node, Para, Regions, Styled, Table, Title, fmt, plain, text)
from .notation import Notation, description_text

#: |w| below which a weight counts as near zero (in the table of a comparison)
NEAR_ZERO = 0.01
#: cells per side of the decision-boundary grid
GRID = 120
#: largest layer drawn unit by unit with weighted edges
DRAW_UNITS = 12
#: samples of a problem without a dataset that its document lists
MAX_LISTED_SAMPLES = 40
#: the largest Hessian shown as a matrix (with its eigenvectors), in weights
MAX_SHOWN_HESSIAN = 6
#: weights listed one by one in the Hessian view (beyond, their norms only)
MAX_LISTED_WEIGHTS = 40
#: losses that are quadratic in the outputs (with linear layers: exactly quadratic in the weights)
QUADRATIC_LOSSES = ("squared_error", "sum_squared_error", "mean_squared_error")

#: the features of solver.datasets.FEATURES as TeX
FEATURE_TEX = {"x1": "x_{1}", "x2": "x_{2}", "x1^2": "x_1^2", "x2^2": "x_2^2", "x1*x2": "x_1 x_2",
               "sin(x1)": r"\sin x_1", "sin(x2)": r"\sin x_2"}

#: what the generators of solver.datasets are called in words
DATASET_WORDS = {
    "moons": "two moons (scikit-learn's make_moons)",
    "circles": "two circles (scikit-learn's make_circles)",
    "blobs": "Gaussian blobs (scikit-learn's make_blobs)",
    "xor": "XOR (the TensorFlow Playground's)",
    "spiral": "two spirals (the TensorFlow Playground's)",
    "csv": "a CSV file",
}


def build(training, derivations=None):
    """The document of a training run (solver.training.Training)."""
    p = training.problem
    n = Notation(p.notation)
    d = p.digits
    show = Matrices(d)
    doc = Document()
    doc.add(Title(plain(p.title), ("Training run" if p.compare is None else "Training runs compared",)))
    if p.description:
        doc.add(Para(description_text(p.description)))

    # ---- 1. the problem
    L = p.L
    layers = Table(["layer", "activation", "units"],
                   [[str(l), ("input",) if l == 0 else (_act_name(p.activations[l - 1]),), str(p.sizes[l])]
                    for l in range(L + 1)], "clc")
    facts = [
        (("loss",), (named(LOSSES, p.loss, p.loss_param),)),
        (("learning rate",), text(f"${n.eta} = {fmt(p.learning_rate)}$") if not _compares(p, "learning_rate")
         else ("one per run, see below",)),
        (("update",), (UPDATE_WORDS[(p.update, p.reduction)],)),
        (("steps",), (f"{p.steps:,} passes over the training points",)),
        (("regularization",), text(r"one per run (below): L1 of strength $\lambda_1$ adds $\lambda_1 \sum |w|$ to "
                                    r"each update's loss, L2 of strength $\lambda_2$ adds $\frac{\lambda_2}{2} \sum w^2$; "
                                    "weights only, never biases")
         if _compares(p, "regularization") else regularization_words(p)),
        (("biases",), ("none" if p.biases is None else "trained" if p.train_biases
                       else "fixed (used, never updated)",)),
        (("data",), text(_data_words(p))),
        (("numbers",), (f"computed in double precision and shown to {d} significant digits",)),
    ]
    doc.add(Break(), Heading(("The problem",), number="1"), Break(),
            Columns([("0.38", [layers]), ("0.58", [Facts(facts)])]), Break())
    if p.compare is not None:
        doc.add(Para(("The runs: ",) + tuple(f"{'; ' if i else ''}{r.label}" for i, r in enumerate(training.runs))
                     + (". Everything else is the same in each.",)), Break())
    if p.dataset is None and p.X.shape[1] <= MAX_LISTED_SAMPLES:
        data = _data_rows(p, show)
        doc.add(Para((Styled("bold", ("Training data",)), f" ({plural(data['n'], 'sample')}).")),
                MathTable([r"\text{sample}", rf"{n.x}^{{\top}}", rf"{n.y}^{{\top}}"], data["rows"]), Break())

    # ---- 2. the network and the formulas
    drawing, labelled = _figure(p, n, d)
    caption = ("The network before training" + (", each edge with its initial weight." if labelled else ".")
               + ("" if labelled else " The initial weights are drawn at random as the problem says."))
    doc.add(Heading(("The network",), number="2"), Keep([Center([drawing]), Para((Styled("small", (caption,)),))]),
            Break())
    if derivations is not None:
        formulas = _formulas(p, n, derivations, None)
        doc.add(Heading(("The formulas",), number="3"),
                Para(text(f"The loss of one sample, over the $C = {p.sizes[-1]}$ {_outputs(p)}:")),
                Display(Math(formulas["E"])))
        for line in formulas["lines"]:
            doc.add(Para(line["text"]), *(line["blocks"] if line.get("blocks") is not None else
                                          [Display(Math(line["tex"]))]))
        doc.add(Break())

    # ---- 4. training
    number = 4 if derivations is not None else 3
    doc.add(Heading(("Training",), number=str(number)))
    if p.compare is None:
        doc.add(*_one_run(p, training.runs[0], n, show))
    else:
        doc.add(*_compared(p, training.runs, n))
    if training.predictions:
        doc.add(Break(), Heading(("Predictions",), level=2),
                Para(("With the final parameters" + (" of the first run" if p.compare else "") + ".",)),
                MathTable([r"\text{query}", rf"{n.x}^{{\top}}", rf"{n.yhat}^{{\top}}", r"\text{class}"],
                          [[Math(str(k)), show.math(q.input[None, :], LINE_WIDTH / 2, False),
                            show.math(q.output[None, :], LINE_WIDTH / 3, False), Math(str(q.cls))]
                           for k, q in enumerate(training.predictions[:100], start=1)]))
    if p.hessian:
        doc.add(Break(), *_hessian_view(p, training.runs, n, number + 1))
    doc.add(*show.appendix())
    return doc


def _compares(p, what):
    return p.compare is not None and p.compare[0]["what"] == what


def _data_words(p):
    """Where the points come from, in words."""
    n, m = p.X.shape[1], 0 if p.X_test is None else p.X_test.shape[1]
    split = (f"{n:,} for training" + (f", the last {m:,} for testing" if m else ", no test set"))
    if p.dataset is None:
        return f"{plural(n, 'training sample')} as listed" + (f" and {plural(m, 'test sample')}" if m else "")
    opts = ", ".join(f"{k} {v}" for k, v in p.dataset["options"].items() if k != "n")
    words = f"{p.dataset['n']:,} points of {DATASET_WORDS[p.dataset['name']]}" + (f" ({opts})" if opts else "") \
        + f": {split}"
    if p.dataset.get("features"):
        names = [FEATURE_TEX.get(f, f) for f in p.dataset["features"]]
        words += ("; the network's inputs are the features " + ", ".join(
            f"$x_{{{i}}} = {t}$" if t != f"x_{{{i}}}" else f"${t}$" for i, t in enumerate(names, start=1))
                  + " of each point $(x_1, x_2)$")
    return words


# ---- one run ---------------------------------------------------------------------------


def _curves(runs, train, test):
    """Each run's history column ``train`` (solid) and, where there is a test set,
    column ``test`` (dashed), over the steps."""
    items = []
    for i, r in enumerate(runs):
        k = np.arange(len(r.history)).tolist()
        name = "" if len(runs) == 1 else f"{r.label}: "
        items.append(Line(k, r.history[:, train].tolist(), (f"{name}training",), i))
        if not np.isnan(r.history[:, test]).all():
            items.append(Line(k, r.history[:, test].tolist(), (f"{name}test",), i, dashed=True))
    return items


def _loss_chart(runs, what, width=7.2, title=None):
    """The training and test loss of each run over the steps (log axis for a wide range)."""
    items = _curves(runs, 0, 1)
    values = np.concatenate([np.asarray(i.ys) for i in items])
    values = values[np.isfinite(values)]
    low, top = float(values.min()), float(values.max())
    log = low > 0 and top / low > 50
    y_range = (low / 1.2, top * 1.2) if log else (0.0, top * 1.05 or 1.0)
    return Chart(items, (0, len(runs[0].history) - 1), y_range, ("step",), (what,), width=width,
                 height=5.0, log_y=log, title=title)


def _accuracy_chart(runs, width=7.2, title=None):
    """The training and test accuracy of each run over the steps."""
    return Chart(_curves(runs, 2, 3), (0, len(runs[0].history) - 1), (0.0, 1.0), ("step",), ("accuracy",),
                 width=width, height=5.0, title=title)


def _milestones(steps):
    """The steps a history table lists: 0, 1, 2, 5, 10, 20, 50, ... and the last."""
    out, k = [0], 1
    while k < steps:
        out += [s for s in (k, 2 * k, 5 * k) if s < steps]
        k *= 10
    return out + [steps]


def _percent(x):
    return "--" if np.isnan(x) else f"{100 * x:.1f}\\,\\%"


def _one_run(p, run, n, show):
    d = p.digits
    h = run.history
    classes = is_classification(p.Y)
    test = p.X_test is not None
    blocks = [Para(text(_result_words(p, run)))]
    charts = [_loss_chart([run], "mean loss")]
    if classes:
        charts.append(_accuracy_chart([run]))
    blocks += [Break(), Center([Columns([(f"{0.98 / len(charts):.2f}", [c]) for c in charts])]),
               Para((Styled("small", ("The mean loss per training point" + (" (solid) and per test point (dashed)"
                                                                           if test else "")
                                      + " after each step (step 0: before training), without the "
                                        "regularization term" + (", and the share of points classified "
                                                                 "correctly" if classes else "") + ".",)),)),
               Break()]
    header = ["step", "loss"] + ["test loss"] * test + ["accuracy"] * classes + ["test accuracy"] * (classes and test)
    rows = []
    for k in _milestones(p.steps):
        row = [(f"{k:,}",), (Math(fmt(h[k, 0], d)),)]
        row += [(Math(fmt(h[k, 1], d)),)] if test else []
        row += [(Math(_percent(h[k, 2])),)] * classes + [(Math(_percent(h[k, 3])),)] * (classes and test)
        rows.append(row)
    blocks += [Center([Table(header, rows, "r" * len(header))]), Break()]
    if _plane(p) is not None:
        blocks += [Heading(("The decision boundary",), level=2), Center([_boundary(p, run)]),
                   Para((Styled("small", text(_boundary_caption(p))),)), Break()]
    blocks += [Heading(("Final parameters",), level=2),
               _parameters(p, n, show, run.weights, run.biases)]
    return blocks


def _result_words(p, run):
    h = run.history
    test = p.X_test is not None
    words = (f"After {p.steps:,} steps the mean loss is ${fmt(h[-1, 0], p.digits)}$ on the training points"
             + (f" and ${fmt(h[-1, 1], p.digits)}$ on the test points" if test else "")
             + f" (before training: ${fmt(h[0, 0], p.digits)}$" + (f" and ${fmt(h[0, 1], p.digits)}$" if test else "")
             + ").")
    if test:
        k = int(np.nanargmin(h[:, 1]))
        if h[-1, 1] > 1.05 * h[k, 1] and k < len(h) - 1:
            words += (f" The test loss is lowest at step {k:,} (${fmt(h[k, 1], p.digits)}$) and rises after it while "
                      "the training loss still falls: the network begins to fit the training points at the cost "
                      "of the test points (overfitting); stopping near that step would generalise better.")
    if not np.isnan(h[-1, 2]):
        words += f" Accuracy: ${_percent(h[-1, 2])}$ of the {p.X.shape[1]:,} training points"
        if p.X_test is not None:
            words += f" and ${_percent(h[-1, 3])}$ of the {p.X_test.shape[1]:,} test points"
        words += "."
    return words


def _boundary_caption(p):
    rule = (r"class 1 where $\hat{y} \ge 0.5$" if p.sizes[-1] == 1 else "the class of the largest output")
    return (f"The input plane coloured by the class the trained network gives ({rule}); the training points "
            "filled" + (", the test points hollow" if p.X_test is not None else "") + ", each in its target's "
            "colour; a cross marks each point the network classifies wrongly.")


def _plane(p):
    """(training points, test points or None) in the input plane (x1, x2): the inputs of a
    two-input network, or the points a dataset's features were computed from; None if
    there is no such plane or the targets are no classes."""
    if not is_classification(p.Y):
        return None
    if p.dataset is not None and p.dataset.get("plane") is not None:
        return p.dataset["plane"]
    return (p.X, p.X_test) if p.sizes[0] == 2 else None


def _boundary(p, run, width=8.0, title=None, legend=True):
    """The decision regions over the data's bounding box (GRID x GRID cells) with the points."""
    from ..datasets import features

    P, P_test = _plane(p)
    X = P if P_test is None else np.hstack([P, P_test])
    lo, hi = X.min(axis=1), X.max(axis=1)
    pad = 0.08 * np.maximum(hi - lo, 1e-9)
    lo, hi = lo - pad, hi + pad
    xs = lo[0] + (np.arange(GRID) + 0.5) * (hi[0] - lo[0]) / GRID
    ys = lo[1] + (np.arange(GRID) + 0.5) * (hi[1] - lo[1]) / GRID
    gx, gy = np.meshgrid(xs, ys)  # row r: y = ys[r], from the bottom
    acts = [make_activation(name, s) for name, s in p.activations]
    grid = np.vstack([gx.ravel(), gy.ravel()])
    if p.dataset is not None and p.dataset.get("features"):
        grid = features(p.dataset["features"], grid.T).T
    with np.errstate(all="ignore"):
        _, as_ = forward(run.weights, run.biases, acts, grid)
    cells = classify(as_[-1]).reshape(GRID, GRID).tolist()
    items = [Regions(float(lo[0]), float(hi[0]), float(lo[1]), float(hi[1]), cells),
             Dots(P[0].tolist(), P[1].tolist(), target_classes(p.Y).tolist(),
                  label=("training",) if legend else None)]
    if P_test is not None:
        items.append(Dots(P_test[0].tolist(), P_test[1].tolist(), target_classes(p.Y_test).tolist(),
                          hollow=True, label=("test",) if legend else None))
    wrong = []  # a cross on each point the network gets wrong
    for plane, X, Y in ((P, p.X, p.Y), (P_test, p.X_test, p.Y_test)):
        if plane is not None:
            with np.errstate(all="ignore"):
                out = forward(run.weights, run.biases, acts, X)[1][-1]
            wrong += [plane[:, j] for j in np.flatnonzero(classify(out) != target_classes(Y))]
    if wrong:
        items.append(Dots([float(q[0]) for q in wrong], [float(q[1]) for q in wrong], [0] * len(wrong), cross=True))
    height = width * float((hi[1] - lo[1]) / (hi[0] - lo[0]))
    height = min(max(height, 0.5 * width), 1.2 * width)
    return Chart(items, (float(lo[0]), float(hi[0])), (float(lo[1]), float(hi[1])), Math("x_1"), Math("x_2"),
                 width=width, height=height, title=title)


# ---- runs compared --------------------------------------------------------------------


def _weights_of(run):
    return np.concatenate([W.ravel() for W in run.weights])


def _compared(p, runs, n):
    d = p.digits
    classes = is_classification(p.Y)
    test = p.X_test is not None
    blocks = [Para(("Each run starts from the same parameters and trains on the same points.",)), Break()]
    width = 15.5 / min(len(runs), 3) - 0.4
    charts = [_loss_chart([r], "mean loss", width=width, title=(r.label,)) for r in runs]
    blocks += _side_by_side(charts)
    blocks.append(Para((Styled("small", ("The mean loss per training point (solid)" + (" and per test point "
                                                                                        "(dashed)" if test else "")
                                         + " after each step, without the regularization term.",)),)))
    header = ["run", "loss"] + ["test loss"] * test + ["accuracy"] * classes + ["test acc."] * (classes and test) \
        + [text(r"$\sum |w|$"), text(r"$\sum w^2$"), text(f"$|w| < {NEAR_ZERO:g}$")]
    rows = []
    for r in runs:
        h, w = r.history[-1], _weights_of(r)
        row = [(r.label,), (Math(fmt(h[0], d)),)] + ([(Math(fmt(h[1], d)),)] if test else [])
        row += [(Math(_percent(h[2])),)] * classes + [(Math(_percent(h[3])),)] * (classes and test)
        row += [(Math(fmt(np.abs(w).sum(), d)),), (Math(fmt((w * w).sum(), d)),),
                (f"{int((np.abs(w) < NEAR_ZERO).sum())} of {w.size}",)]
        rows.append(row)
    blocks += [Break(), Para(text(f"After {p.steps:,} steps:")), Center([Table(header, rows, "l" + "r" * (len(header) - 1))]),
               Break(), *_comparison_words(p, runs), Break()]
    if max(p.sizes) <= DRAW_UNITS:
        biggest = max(float(np.abs(_weights_of(r)).max()) for r in runs) or 1.0
        blocks += [Heading(("The trained weights",), level=2)]
        for r in runs:  # one a line: thin and missing edges are what the picture is for
            blocks += [Keep([Center([_weighted_network(p, r, biggest)]), Center([Para((r.label,))])]), Break()]
        blocks.append(Para((Styled("small", (
            "Each edge drawn with a width proportional to |w| (the same scale in every run), blue where w > 0 "
            f"and orange where w < 0, as the TensorFlow Playground draws them; weights with |w| < {NEAR_ZERO:g} "
            "are barely visible.",)),)))
        blocks.append(Break())
    if _plane(p) is not None:
        blocks += [Heading(("The decision boundaries",), level=2)]
        blocks += _side_by_side([_boundary(p, r, width=width, title=(r.label,), legend=False) for r in runs])
        blocks += [Para((Styled("small", text(_boundary_caption(p))),)), Break()]
    return blocks


def _comparison_words(p, runs):
    """What the table shows, in words: which run generalises best, and for a comparison
    of regularizations which makes weights zero (L1) and which makes them small (L2)."""
    d = min(p.digits, 4)
    h = {r.label: r.history[-1] for r in runs}
    words = []
    if p.X_test is not None:
        best = min(runs, key=lambda r: h[r.label][1])
        worst = max(runs, key=lambda r: h[r.label][1])
        words.append(f"The test loss is lowest with {best.label} (${fmt(h[best.label][1], d)}$) and highest with "
                     f"{worst.label} (${fmt(h[worst.label][1], d)}$).")
        fits = min(runs, key=lambda r: h[r.label][0])
        if fits is worst and len(runs) > 1:
            words.append(f"{worst.label.capitalize()} fits the training points best (loss ${fmt(h[worst.label][0], d)}$) "
                         "and the test points worst: it overfits.")
    if _compares(p, "regularization"):
        w = {r.label: _weights_of(r) for r in runs}
        sparse = max(runs, key=lambda r: int((np.abs(w[r.label]) < NEAR_ZERO).sum()))
        small = min(runs, key=lambda r: float((w[r.label] ** 2).sum()))
        if sparse.l1 > 0:
            k = int((np.abs(w[sparse.label]) < NEAR_ZERO).sum())
            words.append(rf"{sparse.label} leaves the most weights near zero ({k} of {w[sparse.label].size} below "
                         rf"{NEAR_ZERO:g}): its gradient term $\lambda_1 \operatorname{{sign}}(w)$ pulls every weight "
                         "towards 0 by the same amount, however small, so weights the loss does not need end at 0 "
                         "(sparsity).")
        if small.l2 > 0:
            words.append(rf"{small.label} has the smallest sum of squares (${fmt((w[small.label] ** 2).sum(), d)}$): "
                         rf"its term $\lambda_2 w$ shrinks each weight in proportion to its size, so all become "
                         "smaller but few reach 0.")
    return [Para(text(" ".join(words)))] if words else []


def _side_by_side(items, captions=None):
    """Charts or drawings in rows of at most three."""
    blocks = []
    for i in range(0, len(items), 3):
        row = items[i:i + 3]
        share = f"{0.98 / len(row):.2f}"
        cols = []
        for j, item in enumerate(row):
            cell = [Center([item])]
            if captions:
                cell.append(Center([Para(captions[i + j])]))
            cols.append((share, cell))
        blocks += [Keep([Columns(cols)]), Break()]
    return blocks


def _weighted_network(p, run, biggest):
    """The network with each edge's width by |w| (largest: 3 pt) and its colour by sign."""
    sizes = p.sizes
    dx, dy = 1.6, 0.55
    items = []
    for l, s in enumerate(sizes):
        for i in range(s):
            items.append(Node(f"u{l}_{i}", l * dx, (s - 1) / 2 * dy - i * dy, Math(""), "dot"))
    for l in range(1, len(sizes)):
        W = run.weights[l - 1]
        for i in range(sizes[l]):
            for j in range(sizes[l - 1]):
                w = float(W[i, j])
                items.append(Edge.weighted(f"u{l - 1}_{j}", f"u{l}_{i}", w, biggest))
    return Drawing(items, styles="network")


# ---- the Hessian view (seed 004, problem 3) ---------------------------------------------


def _mu(p, l2):
    """The L2 strength mu of the argument for the penalty (l2/2) sum w^2 of this problem:
    the mean loss plus (mu/2)|w|^2 is what the updates minimise (sgd and batch mean:
    mu = l2; batch sum: the summed loss, so mu = l2 / n)."""
    return l2 / p.X.shape[1] if (p.update == "batch" and p.reduction == "sum") else l2


def _hessian_view(p, runs, n, number):
    d = p.digits
    plain_runs = [r for r in runs if r.l1 == 0 and r.l2 == 0]
    l2_runs = [r for r in runs if r.l1 == 0 and r.l2 > 0]
    star = plain_runs[0] if plain_runs else runs[0]
    lam = star.eigenvalues
    blocks = [Heading(("Regularization seen through the Hessian",), number=str(number)),
              Para(text(
                  r"Let $\mathbf{w}$ be the vector of all weights" + (" (biases held fixed at the run's final values)"
                                                                         if p.biases is not None else "") + ", "
                  "layer by layer, each matrix row by row, and "
                  r"$\mathcal{L}(\mathbf{w})$ the mean training loss without regularization. Near a minimum "
                  r"$\mathbf{w}^\star$ it is, to second order,")),
              Display(Math(r"\mathcal{L}(\mathbf{w}) \approx \mathcal{L}(\mathbf{w}^\star) + \tfrac{1}{2}"
                           r"(\mathbf{w}-\mathbf{w}^\star)^{\top} \mathbf{H} (\mathbf{w}-\mathbf{w}^\star),"
                           r"\qquad H_{ij} = \frac{\partial^2 \mathcal{L}}{\partial w_i\, \partial w_j}.")),
              Para(text(r"Adding $\frac{\mu}{2}\lVert\mathbf{w}\rVert^2$ and setting the gradient to zero gives "
                        r"$\mathbf{H}(\mathbf{w}-\mathbf{w}^\star) + \mu\mathbf{w} = \mathbf{0}$, so with "
                        r"$\mathbf{H} = \mathbf{Q}\boldsymbol{\Lambda}\mathbf{Q}^{\top}$ ($\mathbf{Q}$ orthonormal, "
                        r"$\boldsymbol{\Lambda}$ the eigenvalues $\lambda_1 \ge \lambda_2 \ge \dots$)")),
              Display(Math(r"\tilde{\mathbf{w}} = (\mathbf{H} + \mu\mathbf{I})^{-1}\mathbf{H}\mathbf{w}^\star"
                           r" = \mathbf{Q}(\boldsymbol{\Lambda} + \mu\mathbf{I})^{-1}\boldsymbol{\Lambda}"
                           r"\mathbf{Q}^{\top}\mathbf{w}^\star, \qquad \bigl((\boldsymbol{\Lambda} + \mu\mathbf{I})^{-1}"
                           r"\boldsymbol{\Lambda}\bigr)_{ii} = \frac{\lambda_i}{\lambda_i + \mu}.")),
              Para(text(r"Along an eigenvector with $\lambda_i \gg \mu$ the factor is close to 1 and the weight "
                        r"keeps its value; along one with $\lambda_i \ll \mu$ it is close to 0 and that component "
                        r"of $\mathbf{w}^\star$ is removed.")), Break()]
    where = (f"the final weights of the run without regularization ({star.label})" if plain_runs and p.compare
             else "the final weights of the run")
    negative = int((lam < -1e-9 * max(abs(lam).max(), 1e-300)).sum())
    blocks.append(Para(text(
        rf"Here $\mathbf{{w}}^\star$ is {where}: {plural(lam.size, 'weight')}, the gradient of $\mathcal{{L}}$ there has "
        rf"norm ${fmt(star.gradient_norm, 3)}$" + (
            f", and $\\mathbf{{H}}$ has {plural(negative, 'negative eigenvalue')}: $\\mathbf{{w}}^\\star$ is not a "
            "minimum, and the quadratic model holds only roughly." if negative else
            r", and every eigenvalue of $\mathbf{H}$ is at least 0, as at a minimum."))))
    mus = [(r, _mu(p, r.l2)) for r in l2_runs]
    H = star.hessian
    Q = np.linalg.eigh(H)[1][:, ::-1]  # the eigenvectors as columns, from the largest eigenvalue
    if lam.size <= MAX_SHOWN_HESSIAN:
        show = Matrices(d)
        blocks += [Break(), Display(Math(r"\mathbf{H} = ", show.math(H), r", \qquad \mathbf{Q} = ", show.math(Q))),
                   Para(text(r"Column $i$ of $\mathbf{Q}$ is the eigenvector of $\lambda_i$ (its sign is arbitrary)."))]
    if not mus:  # the eigenvalues alone (with an L2 run, its table below holds them)
        rows = [[Math(str(i + 1)), Math(fmt(v, d))] for i, v in enumerate(lam[:MAX_LISTED_WEIGHTS])]
        blocks += [Break(), Center([MathTable([r"i", r"\lambda_i"], rows)])]
        if lam.size > MAX_LISTED_WEIGHTS:
            blocks.append(Para((f"({lam.size - MAX_LISTED_WEIGHTS} smaller eigenvalues not listed; "
                                "the trace has all of them.)",)))
        blocks.append(Para(text("To compare with an actual L2 run, give "
                                "compare: {regularization: [none, {l2: ...}]}.")))
        return blocks
    if p.update == "batch" and p.reduction == "sum":
        blocks.append(Para(text(r"The updates minimise the summed loss plus $\frac{s}{2}\sum w^2$ ($s$ the run's L2 "
                                rf"strength), that is $n$ times the mean loss plus $\frac{{s}}{{2n}}\sum w^2$: so "
                                rf"$\mu = s/n$ with $n = {p.X.shape[1]}$.")))
    else:
        blocks.append(Para(text(r"The updates minimise the mean loss plus $\frac{\mu}{2}\sum w^2$ with $\mu$ the "
                                r"run's L2 strength.")))
    w_star = _weights_of(star)
    for r, mu in mus:
        predicted = Q @ ((lam / (lam + mu)) * (Q.T @ w_star))
        actual = _weights_of(r)
        gap = np.linalg.norm(predicted - actual) / max(np.linalg.norm(actual), 1e-300)
        blocks += [Break(), Para((Styled("bold", (f"The run with {r.label}",)),
                                  *text(rf" ($\mu = {fmt(mu, d)}$): the weights the quadratic model predicts, "
                                       rf"$\tilde{{\mathbf{{w}}}}$, beside those the run reached, $\mathbf{{w}}_{{L2}}$, "
                                       "in the coordinates of the eigenvectors (component i along the i-th "
                                       "eigenvector, whose eigenvalue is above) and "
                                       rf"as weights; they differ by ${fmt(100 * gap, 3)}\,\%$ of "
                                       rf"$\lVert\mathbf{{w}}_{{L2}}\rVert$."))), Break()]
        k = min(lam.size, MAX_LISTED_WEIGHTS)
        eig_rows = [[Math(str(i + 1)), Math(fmt(v, d)), Math(fmt((Q.T @ w_star)[i], d)),
                     Math(fmt(v / (v + mu), d)), Math(fmt((Q.T @ predicted)[i], d)),
                     Math(fmt((Q.T @ actual)[i], d))] for i, v in enumerate(lam[:k])]
        names = _weight_names(p, n)
        w_rows = [[Math(names[i]), Math(fmt(w_star[i], d)), Math(fmt(predicted[i], d)), Math(fmt(actual[i], d))]
                  for i in range(min(w_star.size, MAX_LISTED_WEIGHTS))]
        blocks += [Center([MathTable([r"i", r"\lambda_i", r"(\mathbf{Q}^{\top}\mathbf{w}^\star)_i",
                                      r"\lambda_i / (\lambda_i+\mu)", r"(\mathbf{Q}^{\top}\tilde{\mathbf{w}})_i",
                                      r"(\mathbf{Q}^{\top}\mathbf{w}_{L2})_i"], eig_rows)]), Break(),
                   Center([MathTable([r"\text{weight}", r"w^\star", r"\tilde{w}", r"w_{L2}"], w_rows)])]
        if w_star.size > MAX_LISTED_WEIGHTS:
            blocks.append(Para((f"(The first {MAX_LISTED_WEIGHTS} of {w_star.size} components and weights; "
                                "the trace has every final weight.)",)))
    if all(name == "linear" for name, _ in p.activations) and p.loss in QUADRATIC_LOSSES:
        blocks += [Break(), Para(text("Every layer here is linear and the loss is a squared error, so the loss is "
                                      "exactly quadratic in the weights: the model is no approximation, and the "
                                      "prediction meets the L2 run up to how far the runs converged."))]
    return blocks


def _weight_names(p, n):
    """The name of each weight in w (layer by layer, row-major), in the notation."""
    names = []
    for l in range(1, p.L + 1):
        for i in range(p.sizes[l]):
            for j in range(p.sizes[l - 1]):
                a, b = (j + 1, i + 1) if n.transpose else (i + 1, j + 1)
                names.append(rf"w^{{({n.param_index(l)})}}_{{{a}{b}}}")
    return names
