"""The worked solution of a layered problem as a document (solver.document.model).

:func:`build` takes a trace and its derivations and returns the document: the problem,
the network drawn, the formulas, every update worked in full (forward pass, loss,
backward pass, gradients, new parameters), the loss per update, the predictions and
the final parameters. Rows that end in a quantity carry its key (update, layer,
quantity) for ``backprop verify --pdf``.

Numbers are shown to ``display.digits`` significant digits everywhere. A trace in
exact mode (solver.trace: problems of hand-calculation size) is shown as it is: its
zeros are exact and every other number is right to the last digit. For a float64
trace (large problems) one rule turns rounding noise into 0: a number computed by a
sum (a matrix product, W - eta * grad) is shown as 0 when its magnitude is below 1e-12
times the size of the terms it was summed from (the sum of their absolute values,
carried through the layers). Such a number is the rounding error of a cancellation,
not a value: doubles hold about 16 digits, so a result 12 orders of magnitude below
its terms carries no correct digit. No other number is ever hidden or changed.
"""

import math

import numpy as np

from ..errors import InputError, plural
from ..functions import ACTIVATIONS, LOG_LOSSES, LOSSES, make_activation
from ..trace import reduction_factor
from .model import (Align, Break, Caption, Center, Columns, Display, Document, Drawing, Edge,
                    Facts, Group, Heading, Keep, Math, MathTable, Matrix, Node, Para, Row, Skip, Styled,
                    Table, Tables, Tag, Title, Arrow, Box, Code, fmt, plain, shown, text)
from .notation import PRESETS, Notation, description_text

#: relative size below which a sum is shown as 0 (see the module docstring)
NOISE = 1e-12

#: largest matrix shown in full (when the line holds it, see Matrices); larger ones are
#: shortened with dots and given whole in the appendix
MAX_ROWS = 12
MAX_COLS = 12
#: rows and columns a shortened matrix shows (the first, the dots, the last)
SHORT = 8
#: the appendix lists matrices of up to APPENDIX_SIZE rows and columns, APPENDIX_NUMBERS
#: numbers in all (beyond, hand calculation is over: `backprop trace` has every number)
APPENDIX_SIZE = 24
APPENDIX_NUMBERS = 1500
#: columns and rows of one table of numbers (the weight table, the appendix)
TABLE_COLS = 6
TABLE_ROWS = 40

#: largest layer drawn unit by unit (each weight on its edge while no two labels meet)
DRAW_UNITS = 12

#: output activations whose values are class scores: a prediction gets its class
CLASS_SCORES = ("sigmoid", "softmax")

#: loss table rows before it shows every k-th update only
MAX_TABLE_ROWS = 400
#: query points whose forward pass is written out (the rest are in the table only)
PREDICTION_PASSES = 3

#: width of a display line in cm (at \small), beyond which a chain of matrices is broken
LINE_WIDTH = 13.5
#: widest matrix (estimated by :func:`width`) a line holds after its left side
MATRIX_WIDTH = 15.5

UPDATE_WORDS = {
    ("sgd", "sum"): "stochastic gradient descent: one update after each sample, in order",
    ("batch", "sum"): "batch gradient descent: one update from all samples, gradients summed",
    ("batch", "mean"): "batch gradient descent: one update from all samples, gradients averaged",
}


def chop(x, scale):
    """``x`` with every entry below NOISE times its ``scale`` set to 0 (see the module
    docstring); ``scale`` has x's shape (or broadcasts to it).

    >>> chop(np.array([1e-18, 0.5]), np.array([0.13, 0.5])).tolist()
    [0.0, 0.5]
    """
    x = np.asarray(x, dtype=float)
    return np.where(np.abs(x) < NOISE * np.asarray(scale), 0.0, x)


def width(a, digits=6, max_rows=MAX_ROWS, max_cols=MAX_COLS):
    """Estimated printed width (cm, at \\small) of the matrix ``a`` shown to ``digits``.

    >>> round(width(np.array([[0.5, 1.0]])), 2)
    1.78
    """
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    rows, cols = shown(a.shape[0], max_rows), shown(a.shape[1], max_cols)
    total = 0.4
    for j in cols:
        if j is None:
            total += 0.5
            continue
        chars = max(len(fmt(a[i, j], digits).replace(r" \cdot 10^", "e")) for i in rows if i is not None)
        total += chars * 0.17 + 0.35
    return total


class Matrices:
    """How the matrices of one document are shown (calling it gives (Math, width in cm)).

    A matrix of at most MAX_ROWS x MAX_COLS is shown in full if the line holds it
    (``budget`` cm); if only its transpose fits (a long row, a 6 x 10 matrix) it is
    written transposed, ``[...]^T``. Any other is shortened with dots to fit, labelled
    "in full: A1", and given whole in the appendix (:meth:`appendix`), one entry per
    distinct matrix named after the part of the document it first appears in (``where``).
    ``row_of`` = (matrix, k) makes a row the k-th of a matrix given whole (a sample's
    inputs: the entry is every sample's).
    """

    def __init__(self, digits):
        self.d = digits
        self.where = ""
        self.whole = {}  # (shape, bytes) -> (label, values, where)

    def __call__(self, a, budget=MATRIX_WIDTH, transpose=True, row_of=None):
        a = np.asarray(a, dtype=float)
        a = a[:, None] if a.ndim == 1 else a
        r, c = a.shape
        if r <= MAX_ROWS and c <= MAX_COLS:
            w = width(a, self.d, r, c)
            if w <= budget:
                return Math(Matrix(a, self.d, r, c)), w
            w = width(a.T, self.d, c, r) + 0.3
            if transpose and r < c and w <= budget:
                return Math(Matrix(a.T, self.d, c, r), r"^{\top}"), w
        cols = next((k for k in range(min(c, SHORT), 3, -1) if width(a, self.d, SHORT, k) <= budget), 3)
        whole = a if row_of is None else np.asarray(row_of[0], dtype=float)
        key, flipped = (whole.shape, whole.tobytes()), (whole.T.shape, whole.T.tobytes())
        if flipped in self.whole and key not in self.whole:  # shown before as its transpose
            label = self.whole[flipped][0] + " transposed"
        else:
            label = self.whole.setdefault(key, (f"A{len(self.whole) + 1}", whole, self.where))[0]
        if row_of is not None:
            label += f", row {row_of[1] + 1}"
        return (Math(rf"\underset{{\text{{in full: {label}}}}}{{", Matrix(a, self.d, SHORT, cols), "}"),
                width(a, self.d, SHORT, cols))

    def math(self, a, budget=MATRIX_WIDTH, transpose=True, row_of=None):
        return self(a, budget, transpose, row_of)[0]

    def appendix(self):
        """The appendix: every shortened matrix in full while APPENDIX_NUMBERS last, the
        rest named (none shortened: no blocks)."""
        if not self.whole:
            return []
        blocks = [Break(), Heading(("Appendix: matrices in full",)),
                  Para(("The matrices shortened with dots above, entry by entry (rows and columns "
                        "counted from 1).",)), Break()]
        room, unlisted = APPENDIX_NUMBERS, []
        for label, a, where in self.whole.values():
            r, c = a.shape
            about = f"{label} ({where}; {r} \u00d7 {c})"
            if a.size > room or max(r, c) > APPENDIX_SIZE:
                unlisted.append(about)
                continue
            room -= a.size
            blocks += [Para((Styled("bold", (label,)), f" ({where}; {r} \u00d7 {c})")), Break(),
                       number_tables(a, [str(i) for i in range(1, r + 1)], [str(j) for j in range(1, c + 1)],
                                     self.d), Break()]
        if unlisted:
            blocks.append(Para(("Too many numbers to list here (", Code("backprop trace"), " prints every one): "
                                + ", ".join(unlisted) + ".",)))
        return blocks


def number_tables(a, rows, cols, digits):
    """The matrix ``a`` as tables of numbers (at most TABLE_COLS columns and TABLE_ROWS
    rows each, set side by side), ``rows`` and ``cols`` labelling its rows and columns
    (text or Math)."""
    def cell(x):
        return (x,) if isinstance(x, (str, Math)) else tuple(x)

    tables = []
    for j0 in range(0, a.shape[1], TABLE_COLS):
        for i0 in range(0, a.shape[0], TABLE_ROWS):
            js, is_ = range(j0, min(j0 + TABLE_COLS, a.shape[1])), range(i0, min(i0 + TABLE_ROWS, a.shape[0]))
            tables.append(Table([("",)] + [cell(cols[j]) for j in js],
                                [[cell(rows[i])] + [(Math(fmt(a[i, j], digits)),) for j in js] for i in is_],
                                "r" * (len(js) + 1), top=True))
    return Tables(tables)


def numbers_note(trace):
    """What the document's numbers guarantee, in words (exact mode or float64).

    >>> from types import SimpleNamespace as S
    >>> numbers_note(S(exact=True, problem=S(digits=6)))
    'to 6 significant digits, every digit right (computed exactly from the numbers given)'
    """
    d = trace.problem.digits
    if trace.exact:
        return f"to {d} significant digits, every digit right (computed exactly from the numbers given)"
    return (f"to {d} significant digits, computed in double precision (a large problem): about 15 "
            r"digits are right, fewer after a cancellation; a sum below $10^{-12}$ of its terms "
            "is shown as 0")


def _outputs(p):
    """'output units', or 'output unit' for a network with one output."""
    return plural(p.sizes[-1], "output unit").partition(" ")[2]


def named(table, name, param):
    """An activation's or a loss's name as words, with its option: "elu (alpha 0.5)"."""
    option = table[name].option
    return name.replace("_", " ") + (f" ({option[0]} {fmt(param)})" if option else "")


def _act_name(a):
    return named(ACTIVATIONS, *a)


# ---------------------------------------------------------------------------------------
# the document


def build(trace, derivations):
    """The worked solution of a traced problem as a Document.

    ``derivations`` is ``solver.derive.derive_problem(problem)``: one entry per layer.
    """
    p = trace.problem
    if p.notation not in PRESETS:
        raise InputError(p.file, "display.notation", f"no notation preset called {p.notation!r}; "
                                                     f"known: {', '.join(PRESETS)}")
    n = Notation(p.notation)
    d = p.digits
    L = p.L
    acts = [make_activation(name, slope) for name, slope in p.activations]

    show = Matrices(d)
    show.where = "the problem"
    doc = Document()
    doc.add(Title(plain(p.title), ("Worked solution",)))
    if p.description:
        doc.add(Para(description_text(p.description)))

    # ---- 1. the problem, 2. the network
    formulas = _formulas(p, n, derivations, trace)
    n_updates = len(trace.updates)
    doc.add(*statement(p, n, show, formulas["E"], n_updates, numbers_note(trace)))

    # ---- 3. the formulas
    doc.add(Heading(("The formulas",), number="3"))
    for line in formulas["lines"]:
        doc.add(Para(line["text"]), *(line["blocks"] if line.get("blocks") is not None else
                                      [Display(Math(line["tex"]))]))
    doc.add(Break())

    # ---- 4. the updates
    out_d = derivations[-1]
    W_scale = [np.abs(W) for W in p.weights]
    b_scale = None if p.biases is None else [np.abs(b) for b in p.biases]
    b_scale = b_scale or [None] * L
    shown_updates = []
    for u in trace.updates:
        sc = noise_scales(p, u, acts, W_scale, b_scale, trace.exact)
        if len(shown_updates) < p.full_updates:
            show.where = f"update {u.index}"
            shown_updates.append(_update(p, n, show, u, acts, out_d, sc))
        W_scale, b_scale = sc["W_new"], sc["b_new"]
    doc.add(Heading(("The updates",), number="4"))
    if 0 < len(shown_updates) < n_updates:
        first = "the first is" if len(shown_updates) == 1 else f"the first {len(shown_updates)} are"
        doc.add(Para((f"There are {n_updates} updates; {first} worked in full, "
                      "the losses of all of them are in the table of section\u00a05.",)))
    if not shown_updates:
        doc.add(Para(("(No update is shown in full: ", Code("display.full_updates"), " is 0.)")))
    for blocks in shown_updates:
        doc.add(*blocks)
    doc.add(Break())

    # ---- 5. the loss per update
    if n_updates > 1:
        rows, step = _loss_table(trace, d)
        doc.add(Heading(("The loss per update",), number="5"))
        if step > 1:
            doc.add(Para((f"Every {step}th update is listed (and the last one).",)))
        doc.add(Tables([Table(["update", "loss"], [[(str(r["index"]),), (Math(r["loss"]),)] for r in chunk],
                              "rr", top=True)
                        for chunk in (rows[i:i + 30] for i in range(0, len(rows), 30))]))
    doc.add(Break())

    # ---- 6. predictions and final parameters
    W_final = {l: chop(trace.weights[l - 1], W_scale[l - 1]) for l in range(1, L + 1)}
    b_final = {l: None if trace.biases is None else chop(trace.biases[l - 1], b_scale[l - 1])
               for l in range(1, L + 1)}
    if trace.predictions:
        show.where = "predictions"
        yh = n.unit("yhat_unit", "L", "1")
        classes = p.activations[-1][0] in CLASS_SCORES or p.loss in LOG_LOSSES
        rule = ("the output unit with the largest value (units counted from 0)" if p.sizes[-1] > 1
                else rf"class 1 if ${yh} \ge 0.5$, class 0 otherwise")
        doc.add(Heading(("Predictions",), number="6" if n_updates > 1 else "5"),
                Para(text("With the final parameters" + ("; the class is " + rule if classes else "") + ".")))
        qs = trace.predictions[:100]
        inputs, outputs = np.array([q.input for q in qs]), np.array([q.output for q in qs])
        header = [r"\text{query}", rf"{n.x}^{{\top}}", rf"{n.yhat}^{{\top}}"] + [r"\text{class}"] * classes
        doc.add(MathTable(header,
                          [[Math(str(k)), show.math(q.input[None, :], LINE_WIDTH / 2, False, (inputs, k - 1)),
                            show.math(q.output[None, :], LINE_WIDTH / 3, False, (outputs, k - 1))]
                           + [Math(str(q.cls))] * classes for k, q in enumerate(qs, start=1)],
                          keys=[{2: (None, None, "output", k), **({3: (None, None, "class", k)} if classes else {})}
                                for k in range(1, len(qs) + 1)]))
        if len(trace.predictions) > 100:
            doc.add(Para((f"({plural(len(trace.predictions) - 100, 'more query point')} not listed.)",)))
        for k, q in enumerate(trace.predictions[:PREDICTION_PASSES], start=1):
            lines = _forward(n, show, acts, W_final, b_final,
                             {0: q.input[:, None], **{l: q.a[l - 1][:, None] for l in range(1, L + 1)}},
                             {l: q.z[l - 1][:, None] for l in range(1, L + 1)})
            doc.add(Break(), Para((Styled("bold", (f"Forward pass of query {k}",)), " (final parameters).")),
                    Group("small", [Align([Row(x) for x in lines])]))
    show.where = "final parameters"
    doc.add(Break(), Heading(("Final parameters",)),
            _parameters(p, n, show, [W_final[l] for l in range(1, L + 1)],
                        None if trace.biases is None else [b_final[l] for l in range(1, L + 1)]))
    doc.add(*show.appendix())
    return doc


def statement(p, n, show, loss_tex, n_updates, numbers=None):
    """Sections 1 (the problem: layers, settings, the loss, the initial parameters, the
    data) and 2 (the network drawn with its initial values): everything a problem states
    and nothing it asks for, so an exam's question sheet (solver.exam) shows these too.
    ``numbers`` is the line on what the numbers guarantee (a solution's), or None."""
    d, L = p.digits, p.L
    blocks = [Break(), Heading(("The problem",), number="1"), Break()]
    layers = Table(["layer", "activation", "units"],
                   [[str(l), ("input",) if l == 0 else (_act_name(p.activations[l - 1]),), str(p.sizes[l])]
                    for l in range(L + 1)], "clc")
    reg = regularization_words(p)
    facts = [
        (("loss",), (named(LOSSES, p.loss, p.loss_param),)),
        (("learning rate",), text(f"${n.eta} = {fmt(p.learning_rate)}$")),
        (("update",), (UPDATE_WORDS[(p.update, p.reduction)],)),
        (("passes",), (f"{p.steps} ({plural(n_updates, 'update')} in all)",)),
        (("regularization",), reg),
        (("biases",), ("none" if p.biases is None else "trained" if p.train_biases
                       else "fixed (used, never updated)",)),
        (("notation",), text(n.describe)),
    ] + ([(("numbers",), text(numbers))] if numbers else [])
    blocks += [Columns([("0.38", [layers]), ("0.58", [Facts(facts)])]), Break(), Skip("medium"),
               Para(text(f"The loss of one sample, over the $C = {p.sizes[-1]}$ {_outputs(p)}:")),
               Display(Math(loss_tex)),
               Para((Styled("bold", ("Initial parameters.",)),)),
               _parameters(p, n, show, p.weights, p.biases), Break()]
    data = _data_rows(p, show)
    more = "; the first ten and the last are shown" if data["n"] > 12 else ""
    blocks += [Para((Styled("bold", ("Training data",)), f" ({plural(data['n'], 'sample')}{more}).")),
               MathTable([r"\text{sample}", rf"{n.x}^{{\top}}", rf"{n.y}^{{\top}}"], data["rows"]), Break()]

    drawing, labelled = _figure(p, n, d)
    if labelled:
        caption = "Each edge carries its initial weight" + ("; each unit shows its initial bias $b$"
                                                             if p.biases is not None else "") + "."
    elif labelled is None:
        caption = ("The layers are too large to draw unit by unit; each block gives the layer's size "
                   "and activation, each arrow its weight matrix.")
    else:
        caption = ("The edges are too many to carry their weights; the tables below give them, one per "
                   "layer: the row of the unit an edge leaves, the column of the unit it enters"
                   + (" (row $b$: the biases)" if p.biases is not None else "") + ".")
    figure = [Center([drawing]), Para((Styled("small", text(caption)),))]
    tables = []
    if labelled is False:  # the tables too, while the whole fits on a page (about 20 cm)
        tables = [Break(), Group("small", [_weight_tables(p, n, d)])]
        height = max(p.sizes) * 1.1 + sum(min(s, TABLE_ROWS) + 3 for s in p.sizes[:-1]) * 0.45
        figure, tables = (figure + tables, []) if height < 20 else (figure, tables)
    blocks += [Heading(("The network",), number="2"), Keep(figure), Break()]
    if tables:
        blocks += [*tables, Break()]
    return blocks


def regularization_words(p):
    """The problem's regularization in words (a Facts entry), or "none"."""
    reg = ()
    if p.l2:
        reg += text(r"$\frac{\lambda_2}{2}\sum \lVert \mathbf{W}\rVert^2$ with $\lambda_2 = " + fmt(p.l2) + "$ ")
    if p.l1:
        reg += text(r"$\lambda_1 \sum |w|$ with $\lambda_1 = " + fmt(p.l1) + "$")
    return reg + (" (weights only)",) if reg else ("none",)


def loss_tex(n, derivations):
    """The loss of one sample as the document writes it (``derivations``: derive_problem's)."""
    return n.fill(rf"{n.loss} = " + derivations[-1]["E"])


def _parameters(p, n, show, Ws, bs):
    """The weight matrices (and bias vectors) of every layer: one layer per row, or one
    matrix per row when a layer's two do not fit on one line."""
    pairs = [(show(n.oriented(Ws[l - 1])), None if bs is None else show(bs[l - 1])) for l in range(1, p.L + 1)]
    apart = bs is not None and any(W[1] + b[1] + 3.0 > LINE_WIDTH for W, b in pairs)
    rows = []
    for l, (W, b) in enumerate(pairs, start=1):
        if b is None:
            rows.append(Row(Math(n.W(l), " &= ", W[0])))
        elif apart:
            rows += [Row(Math(n.W(l), " &= ", W[0])), Row(Math(n.b(l), " &= ", b[0]))]
        else:
            rows.append(Row(Math(n.W(l), " &= ", W[0], ", & ", n.b(l), " &= ", b[0])))
    return Align(rows, gap=None)


def _data_rows(p, show):
    n = p.X.shape[1]
    rows = []
    for k in shown(n, 12):
        if k is None:
            rows.append(None)
        else:
            y = show.math(p.Y[:, k][None, :], 0.4 * LINE_WIDTH, False, (p.Y.T, k))
            if k in p.targets_given_as_class:
                y += rf"\ (\text{{class }} {int(p.Y[:, k].argmax())})"
            rows.append([Math(str(k + 1)), show.math(p.X[:, k][None, :], 0.55 * LINE_WIDTH, False, (p.X.T, k)), y])
    return {"rows": rows, "n": n}


def _formulas(p, n, derivations, trace):
    """The general formulas of the problem as (text, TeX math) lines, notation filled in;
    a line whose formula is derived step by step (solver.derivations: the activations'
    derivatives, the loss gradient, the output delta, the gradients unit by unit and
    their shapes, dead ReLU units of the trace) holds the derivation's blocks instead."""
    from .. import derivations as steps
    from . import derivation

    L = p.L
    k = n.layer
    out = derivations[-1]
    lines = []
    how = {"one_output": p.sizes[-1] == 1}

    def add(words, tex, derived=None):
        lines.append({"text": words if isinstance(words, tuple) else text(words), "tex": tex,
                      "blocks": derived and derivation.blocks(derived, n, how, lead=False)})

    lines.append({"text": ("Each step of a derivation below is an equality that SymPy has checked; the "
                           "justification of a step stands beside it.",), "blocks": [Break()]})

    bias = (lambda l: " + " + n.b(l)) if p.biases is not None else (lambda l: "")
    add(rf"Forward pass, for each layer ${k} = 1, \dots, L$ (here $L = {L}$), starting from ${n.act(0)}$, the input:",
        rf"{n.pre(k)} = {n.Wx(k, n.act(f'{k}-1'))}{bias(k)}, \qquad {n.act(k)} = f_{{{k}}}\big({n.pre(k)}\big).")
    # activations and their derivatives (SymPy); softmax with cross-entropy derives the
    # Jacobian and the loss gradient within the output delta, so those two show results
    in_delta = (p.activations[-1][0], p.loss) == ("softmax", "cross_entropy")
    seen = []
    for l, (dv, a) in enumerate(zip(derivations, p.activations), start=1):
        if a in seen:
            continue
        seen.append(a)
        where = [j + 1 for j, b in enumerate(p.activations) if b == a]
        layers = "layer" + ("s " if len(where) > 1 else " ") + ", ".join(map(str, where))
        if a[0] == "softmax":
            add(rf"Activation of {layers}: softmax, and its Jacobian (derived by differentiating the quotient):",
                n.fill(r"YH_i = " + dv["f"] + r", \qquad " + dv["fprime"]),
                None if in_delta else steps.activation_derivative(*a))
        else:
            sym = dv["name"]
            form = (" written in terms of its own output" if dv["fprime_output_form"] else "")
            f_def = "" if dv["f"].startswith(sym) else rf"{sym}({n.arg}) = {dv['f']}, \qquad "
            add(text(f"Activation of {layers}: ", (_act_name(a),), f", and its derivative{form}:"),
                n.fill(rf"{f_def}{sym}'({n.arg}) = {dv['fprime']}", arg=True), steps.activation_derivative(*a))
    # the loss
    yh = n.unit("yhat_unit", "L", "i")
    add(rf"Loss of one sample, over the $C = {p.sizes[-1]}$ {_outputs(p)}, and its gradient:",
        n.fill(rf"{n.loss} = " + out["E"] + rf", \qquad \frac{{\partial {n.loss}}}{{\partial {yh}}} = " + out["dE"]),
        None if in_delta else steps.loss_derivative(p.loss, p.loss_param))
    ns = p.X.shape[1]
    if p.update == "batch":
        R = r"\frac{1}{n}\sum_{s=1}^{n}" if p.reduction == "mean" else r"\sum_{s=1}^{n}"
        add(rf"The update uses the {'mean' if p.reduction == 'mean' else 'sum'} over the $n = {ns}$ samples"
            + (" plus the regularization" if (p.l1 or p.l2) else "") + ":",
            rf"{n.loss}_{{\text{{batch}}}} = {R} {n.loss}_s" + _penalty_tex(p))
    elif p.l1 or p.l2:
        add("The loss minimised is that of the sample plus the regularization:",
            rf"{n.loss} + " + _penalty_tex(p)[3:])
    # output delta
    zL = n.unit("pre_unit", "L", "i")
    head = rf"\delta_i = \frac{{\partial {n.loss}}}{{\partial {zL}}}"
    kind = out["delta_kind"]
    onehot = bool(np.allclose(p.Y.sum(axis=0), 1.0, rtol=0, atol=1e-12))
    chain = rf" = \sum_{{k=1}}^{{C}} \frac{{\partial {n.loss}}}{{\partial YH_k}}\frac{{\partial YH_k}}{{\partial {zL}}}"
    derived = steps.output_delta(*p.activations[-1], p.loss, p.loss_param, onehot)
    if kind == "softmax_sum":
        tex = n.fill(head + chain + " = " + out["delta_general"])
        note = "the error at the output layer, step by step; "
        if onehot:
            tex += n.fill(" = " + out["delta"])
            note += rf"the targets of every sample sum to 1, which leaves ${n.yhat} - {n.y}$"
        else:
            note += "the targets do not all sum to 1, so the general form is used"
        add(note[0].upper() + note[1:] + ":", tex, derived)
    elif kind == "softmax_jacobian":
        add("The error at the output layer: the softmax Jacobian applied to the loss gradient:",
            n.fill(head + chain + " = " + out["delta"]), derived)
    else:
        tex = n.fill(head + rf" = \frac{{\partial {n.loss}}}{{\partial YH}}\, {out['name']}'({zL}) = " + out["delta"])
        note = ("; the derivative of the activation cancels" if out["delta_simplified"]
                and out["activation"] != "linear" else "")
        add(f"The error at the output layer, step by step{note}:", tex, derived)
    if L > 1:
        add(rf"Backward pass, for ${k} = L-1, \dots, 1$ (${n.had}$ is the element" "\u2010" "wise product):",
            rf"{n.delta(k)} = \big({n.WTd(f'{k}+1', n.delta(f'{k}+1'))}\big) {n.had} f_{{{k}}}'\big({n.pre(k)}\big).")
    R = ""
    if p.update == "batch":
        R = r"\frac{1}{n}" if p.reduction == "mean" else ""
    reg = (rf" + {fmt(p.l2)}\, {n.W(k)}" if p.l2 else "") + (rf" + {fmt(p.l1)}\, \operatorname{{sign}}({n.W(k)})" if p.l1 else "")
    cols = " (the columns are the samples, so the product sums over them)" if p.update == "batch" else ""
    gb = (rf", \qquad {n.grad(n.b(k))} = {R} {n.delta(k)}\, \mathbf{{1}}" if p.biases is not None and p.update == "batch"
          else (rf", \qquad {n.grad(n.b(k))} = {n.delta(k)}" if p.biases is not None else ""))
    add(f"Gradients{cols}:", rf"{n.grad(n.W(k))} = {R} {n.outer(n.delta(k), n.act(f'{k}-1'))}{reg}{gb}")
    bupd = ""
    if p.biases is not None and p.train_biases:
        bupd = rf", \qquad {n.b(k)} \leftarrow {n.b(k)} - {n.eta}\, {n.grad(n.b(k))}"
    add(rf"Update, with ${n.eta} = {fmt(p.learning_rate)}$:",
        rf"{n.W(k)} \leftarrow {n.W(k)} - {n.eta}\, {n.grad(n.W(k))}{bupd}")
    # where the backward pass and the gradients come from: unit by unit, and their shapes
    sizes = p.sizes if L <= 3 else None
    several = p.update == "batch" and p.X.shape[1] > 1  # (an update over several samples)
    per_sample = (f" For one sample: an update over several samples "
                  f"{'sums' if p.reduction == 'sum' else 'averages'} these over its samples." if several else "")
    for words, more, derived in (
            ("The gradients unit by unit" + ("" if sizes else " (any layer)") + ".", per_sample,
             steps.index_form(sizes, p.activations if sizes else None, p.biases is not None)),
            ("The shapes of the gradients.", "", steps.dimensions(p.sizes if L <= 8 else None, p.biases is not None))):
        lines.append({"text": (Styled("bold", (words,)),) + ((more,) if more else ()),
                      "blocks": [Break(), *derivation.blocks(derived, n, how)]})
    lines += _dead_units(p, n, trace, how)
    return {"lines": lines, "E": loss_tex(n, derivations)}


def _dead_units(p, n, trace, how):
    """Lines on the ReLU units of the updates shown whose pre-activation is <= 0 for
    every sample (solver.derivations.dead_units): which they are, and why their error
    and their gradients are 0 (checked against the trace's numbers)."""
    from .. import derivations as steps
    from . import derivation

    if trace is None:  # a training run (solver.training): no update is worked in full
        return []
    found = [(u, l, units) for u, l, units in steps.dead_units(trace) if u <= p.full_updates]
    if not found:
        return []
    said, regularized = [], False
    for u, l, units in found:
        s = trace.updates[u - 1].layers[l - 1]
        rows = [j - 1 for j in units]
        assert not np.asarray(s.delta, dtype=float)[rows].any(), "a dead unit with an error"
        regularized |= bool(np.asarray(s.grad_W, dtype=float)[rows].any())
        said.append(f"update {u}, layer {l}: unit" + ("s " if len(units) > 1 else " ") + ", ".join(map(str, units)))
    words = ("In the updates of section 4: " + "; ".join(said) + ". The pre-activation of each is at "
             "most 0 for every sample of its update, so its error is 0, and so is the gradient of the weights "
             "into it" + (" but for the regularization term" if regularized else "") + "; no error flows back "
             "through it. Why:")
    return [{"text": (Styled("bold", ("Dead ReLU units.",)),), "blocks": [Break(), Para(text(words)),
                                                                     *derivation.blocks(steps.dead_relu(), n, how)]}]


def _penalty_tex(p):
    t = ""
    if p.l2:
        t += rf" + \frac{{{fmt(p.l2)}}}{{2}} \sum_{{l}} \lVert \mathbf{{W}}_l \rVert^2"
    if p.l1:
        t += rf" + {fmt(p.l1)} \sum_{{l}} \lVert \mathbf{{W}}_l \rVert_1"
    return t


def _figure(p, n, d):
    """(drawing, labelled) of the network: every unit when no layer has more than
    DRAW_UNITS, each weight on its edge and each bias over its unit unless two labels
    would meet or a label would sit on another edge or unit (then ``labelled`` is False:
    the weights go in :func:`_weight_tables`); a block per layer for larger networks
    (``labelled`` is None)."""
    sizes = p.sizes
    L = p.L
    items = []
    if max(sizes) <= DRAW_UNITS:
        dx, dy = (4.6 if L <= 3 else 3.6), (1.3 if max(sizes) <= 6 else 1.1)
        at = {}
        for l, s in enumerate(sizes):
            for i in range(s):
                at[l, i] = (l * dx, (s - 1) / 2 * dy - i * dy)
                label = n.unit("x_unit", 0, i + 1) if l == 0 else n.unit("act_unit", l, i + 1)
                style = "inp" if l == 0 else ("outp" if l == L else "hid")
                items.append(Node(f"u{l}_{i}", *at[l, i], Math(label), style))
        tags = [] if p.biases is None else [
            Tag(f"u{l}_{i}", (Math("b=" + fmt(p.biases[l - 1][i], d)),))
            for l in range(1, L + 1) for i in range(sizes[l])]
        place = _placement(p, d, at)
        labelled = place is not None
        edges = [Edge(f"u{l - 1}_{j}", f"u{l}_{i}", *((Math(fmt(p.weights[l - 1][i, j], d)), place[l, i])
                                                     if labelled else ()))
                 for l in range(1, L + 1) for i in range(sizes[l]) for j in range(sizes[l - 1])]
        items += (tags if labelled else []) + edges
        for l in range(L + 1):
            top = (sizes[l] - 1) / 2 * dy + (1.05 if p.biases is not None and labelled else 0.8)
            what = "input" if l == 0 else _act_name(p.activations[l - 1]).split(" (")[0]
            items.append(Caption(l * dx, top, (f"layer {l}: {what}",)))
        return Drawing(items), labelled
    dx = 3.2
    for l, s in enumerate(sizes):
        h = 1.0 + 3.0 * math.log10(s) / math.log10(max(sizes))
        what = "input" if l == 0 else _act_name(p.activations[l - 1]).split(" (")[0]
        items.append(Box(f"B{l}", l * dx, 0, [(f"layer {l}",), (plural(s, "unit"),), (what,)], h))
        if l > 0:
            items.append(Arrow(f"B{l - 1}", f"B{l}", Math(n.W(l)), Math(n.shape(sizes[l], sizes[l - 1]))))
    return Drawing(items), None


#: a unit's radius and a label's height in a drawing (cm; TikZ styles unit, wt and bias)
UNIT_RADIUS = 0.425
LABEL_HEIGHT = 0.18


def _label_width(tex):
    """Estimated width (cm) of a \\tiny label of TeX math ``tex`` (a number, b=...)."""
    pts = {"-": 3.9, ".": 1.4, "=": 6.7, " ": 0.0}
    return (sum(pts.get(ch, 2.5) for ch in tex.replace(r"\cdot 10^", "e")) + 1.2) / 28.45


def _placement(p, d, at):
    """Where on its edge each weight's label goes, {(layer, unit it enters): pos}, or
    None when the drawing is too crowded for labels. The labels of the edges into one
    unit share a position along their edges, the one nearest to its default (the units
    of a layer spread from 0.2 to 0.75 of the way) where none of them would meet another
    label or a bias (closer than two characters side by side, or touching above), lie
    on another edge (which would it belong to?) or on a unit. ``at`` maps (layer, unit)
    to the unit's centre."""
    R, h = UNIT_RADIUS, LABEL_HEIGHT / 2
    place = {}
    for l in range(1, p.L + 1):
        W = p.weights[l - 1]
        rows, cols = W.shape
        ends = {}  # (i, j) -> the edge from unit j to unit i, border to border
        for i in range(rows):
            for j in range(cols):
                (x0, y0), (x1, y1) = at[l - 1, j], at[l, i]
                length = math.hypot(x1 - x0, y1 - y0)
                ux, uy = (x1 - x0) / length, (y1 - y0) / length
                ends[i, j] = (x0 + R * ux, y0 + R * uy), (x1 - (R + 0.035) * ux, y1 - (R + 0.035) * uy)
        placed = []  # boxes (centre, half width, half height): the biases, then the labels placed
        if p.biases is not None:  # over each unit of layer l (and l - 1), anchored at its top
            for k in (l - 1, l) if l > 1 else (l,):
                for i in range(p.sizes[k]):
                    x, y = at[k, i]
                    placed.append(((x, y + R + 0.145), _label_width("b=" + fmt(p.biases[k - 1][i], d)) / 2, 0.11))
        units = [at[k, i] for k in (l - 1, l) for i in range(p.sizes[k])]

        def meets(box, others):
            (cx, cy), w, hh = box
            return any(abs(cx - c2[0]) < w + w2 + 0.25 and abs(cy - c2[1]) < hh + h2 + 0.08
                       for c2, w2, h2 in others)

        for i in range(rows):
            default = 0.2 + 0.55 * i / (rows - 1) if rows > 1 else 0.5
            for pos in sorted((k / 20 for k in range(3, 17)), key=lambda q: (abs(q - default), q)):
                boxes = []
                for j in range(cols):
                    (ax, ay), (bx, by) = ends[i, j]
                    box = ((ax + pos * (bx - ax), ay + pos * (by - ay)), _label_width(fmt(W[i, j], d)) / 2, h)
                    if (meets(box, placed + boxes)
                            or any(abs(x - box[0][0]) < box[1] + R and abs(y - box[0][1]) < h + R for x, y in units)
                            or any(_crosses(seg, *box) for e, seg in ends.items() if e != (i, j))):
                        break
                    boxes.append(box)
                else:
                    place[l, i] = pos
                    placed += boxes
                    break
            else:
                return None
    return place


def _crosses(seg, c, hw, hh):
    """Whether the segment ``seg`` passes through the box of centre ``c``, half-sizes hw, hh
    (Liang-Barsky clipping)."""
    (x0, y0), (x1, y1) = seg
    t0, t1 = 0.0, 1.0
    for pk, qk in ((x0 - x1, x0 - (c[0] - hw)), (x1 - x0, c[0] + hw - x0),
                   (y0 - y1, y0 - (c[1] - hh)), (y1 - y0, c[1] + hh - y0)):
        if pk == 0:
            if qk < 0:
                return False
        elif pk < 0:
            t0 = max(t0, qk / pk)
        else:
            t1 = min(t1, qk / pk)
    return t0 < t1


def _weight_tables(p, n, d):
    """The initial weights (and biases) as tables, one per layer: a row for each unit an
    edge leaves (and b, the biases), a column for each unit it enters."""
    tables = []
    for l in range(1, p.L + 1):
        W = p.weights[l - 1].T
        rows = [Math(n.unit("x_unit", 0, j + 1) if l == 1 else n.unit("act_unit", l - 1, j + 1))
                for j in range(W.shape[0])]
        if p.biases is not None:
            W, rows = np.vstack([W, p.biases[l - 1][None, :]]), rows + [Math("b")]
        tables += number_tables(W, rows, [Math(n.unit("act_unit", l, i + 1)) for i in range(W.shape[1])], d).tables
    return Tables(tables)


def _chain(lhs, rel, formula, pieces, result, result_w, formula_w=3.0):
    """Align rows ``lhs rel formula = pieces = result`` as one Math, broken where too
    wide. ``pieces`` is a list of (operator, Matrix, width); a line break never
    separates an operator from its matrix."""
    lines = []
    cur = [f"{lhs} &{rel} {formula}" if formula else f"{lhs} &{rel}"]
    w = 1.5 + (formula_w if formula else 0)

    def ends(s):
        return isinstance(cur[-1], str) and cur[-1].endswith(s)

    if pieces:
        total = sum(pw + 0.5 for _, _, pw in pieces)
        if formula and w + total > LINE_WIDTH:
            lines.append(cur)
            cur, w = ["&="], 1.0
        elif formula:
            cur.append(" =")
        for op, t, pw in pieces:
            if w + pw > LINE_WIDTH and not ends("=") and not ends(r"\quad"):
                lines.append(cur)
                cur, w = [r"&\quad"], 1.5
            cur += [f" {op} ", t] if op else [" ", t]
            w += pw + 0.5
    if result is not None:
        if (pieces or formula) and w + result_w > LINE_WIDTH:
            lines.append(cur)
            cur = ["&= ", result]
        else:
            cur += [" = ", result] if (pieces or formula) else [" ", result]
    lines.append(cur)
    out = Math()
    for i, line in enumerate(lines):
        out = Math(out, *line) if i == 0 else Math(out, " \\\\\n", *line)
    return out


def noise_scales(p, u, acts, W_scale, b_scale, exact=False):
    """The sizes of the terms behind every number of update ``u`` (see the module
    docstring): carried forward through the layers, back through the deltas, and on to
    the new parameters. ``W_scale``/``b_scale`` are those of the parameters before it;
    the result holds those after it under "W_new"/"b_new". An exact trace has no
    rounding noise: every scale is 0, so :func:`chop` changes nothing."""
    L = p.L
    x = u.input
    r = reduction_factor(p, x.shape[1])
    layers = u.layers
    a_scale, z_scale, fprime, d_scale = {0: np.abs(x)}, {}, {}, {}
    for l in range(1, L + 1):
        s = layers[l - 1]
        zs = W_scale[l - 1] @ a_scale[l - 1] + (0 if s.b is None else b_scale[l - 1][:, None])
        z_scale[l] = zs
        if acts[l - 1].elementwise:
            fprime[l] = s.fprime
            # f(0) = 0 for these: a inherits the rounding noise of z (to first order)
            a_scale[l] = np.abs(fprime[l]) * zs + (0 if acts[l - 1].zero_at_0 else np.abs(s.a))
        else:
            a_scale[l] = np.abs(s.a)
    d_scale[L] = np.abs(layers[L - 1].delta)
    for l in range(L - 1, 0, -1):
        d_scale[l] = (W_scale[l].T @ d_scale[l + 1]) * np.abs(fprime[l])
    gW, gb, W_new, b_new = [], [], [], []
    for l in range(1, L + 1):
        s = layers[l - 1]
        g = r * (d_scale[l] @ a_scale[l - 1].T) + p.l2 * W_scale[l - 1] + p.l1
        gW.append(g)
        W_new.append(W_scale[l - 1] + p.learning_rate * g)
        if s.b is None:
            gb.append(None)
            b_new.append(None)
        else:
            gb.append(r * d_scale[l].sum(axis=1))
            b_new.append(b_scale[l - 1] + (p.learning_rate * gb[-1] if p.train_biases else 0))
    out = {"z": z_scale, "a": a_scale, "delta": d_scale, "gW": gW, "gb": gb,
           "W": W_scale, "b": b_scale, "W_new": W_new, "b_new": b_new}
    if exact:
        out = {k: ({i: 0 * v for i, v in m.items()} if isinstance(m, dict)
                   else [None if v is None else 0 * v for v in m]) for k, m in out.items()}
    return out


def _forward(n, show, acts, W, b, a, z, index=None):
    """Align rows of a forward pass, layer by layer: z = W a + b with the numbers, then
    a = f(z). ``W``, ``b`` (None without biases), ``z`` map layers 1..L to the matrices
    shown, ``a`` maps 0..L (``a[0]`` is the input)."""
    mw = show
    lines = []
    for l in range(1, len(acts) + 1):
        bias = f" + {n.b(l)}" if b[l] is not None else ""
        pieces = [("", *mw(W[l])), ("", *mw(a[l - 1]))]
        if b[l] is not None:
            pieces.append(("+", *mw(b[l])))
        lines.append(_chain(n.pre(l), "=", rf"{n.Wx(l, n.act(l - 1))}{bias}", pieces, *mw(z[l])))
        lines.append(_chain(n.act(l), "=", rf"{acts[l - 1].tex}\big({n.pre(l)}\big)", [],
                            *mw(a[l]), 2.0))
    return lines


def _update(p, n, show, u, acts, out_d, scales):
    """The blocks of one update: forward, loss, backward, gradients, new parameters
    (numbers chopped by the noise rule of the module)."""
    L = p.L
    i = u.index
    x = u.input
    ns = x.shape[1]
    r = reduction_factor(p, ns)
    layers = [None] + list(u.layers)
    d = show.d
    mw = show

    sc = scales
    z_scale, a_scale, d_scale = sc["z"], sc["a"], sc["delta"]
    fprime = {l: layers[l].fprime for l in range(1, L + 1)}
    W_show = {l: chop(layers[l].W, sc["W"][l - 1]) for l in range(1, L + 1)}
    b_show = {l: None if layers[l].b is None else chop(layers[l].b, sc["b"][l - 1]) for l in range(1, L + 1)}
    a_show = {0: x}
    for l in range(1, L + 1):
        a_show[l] = chop(layers[l].a, a_scale[l])
    delta_show = {l: chop(layers[l].delta, d_scale[l]) for l in range(1, L + 1)}

    forward = _forward(n, show, acts, W_show, b_show, a_show,
                       {l: chop(layers[l].z, z_scale[l]) for l in range(1, L + 1)})
    forward = [Row(m, (i, l, q)) for m, (l, q) in zip(forward, [(l, q) for l in range(1, L + 1) for q in "za"])]

    # ---- loss
    terms = u.loss_terms if np.isfinite(u.loss_terms).all() else None
    loss_rows = []
    for k in range(ns):
        tex = rf"{n.loss}" + (f"_{{{u.samples[k] + 1}}}" if ns > 1 else "") + " = "
        if (terms is not None and 1 < terms.shape[0] <= 8
                and np.isclose(terms[:, k].sum(), u.sample_losses[k], rtol=1e-9, atol=1e-300)):
            tex += " + ".join(("(" + fmt(t, d) + ")") if t < 0 else fmt(t, d) for t in terms[:, k]) + " = "
        loss_rows.append(Display(Math(tex + fmt(u.sample_losses[k], d))))
    if len(loss_rows) > 12:
        loss_rows = loss_rows[:10] + [Para((Math(r"\vdots"),))] + loss_rows[-1:]
    total = None
    if ns > 1 or u.penalty:
        what = ((r"\text{mean}" if p.reduction == "mean" else r"\text{sum}") + r"\text{ of the sample losses}"
                if ns > 1 else n.loss)
        penalty = rf" + \text{{penalty }} {fmt(u.penalty, d)}" if u.penalty else ""
        total = Display(Math(rf"{n.loss}_{{\text{{update}}}} = {what}{penalty} = {fmt(u.loss, d)}"),
                        key=(i, None, "loss"))
    else:
        loss_rows[0].key = (i, None, "loss")

    # ---- backward
    backward = []
    yv = u.target
    kind = out_d["delta_kind"]
    outL = layers[L]
    dt, dw = mw(delta_show[L])
    plain_delta = out_d["delta"] == "YH - YT" and (kind != "softmax_sum" or bool(
        np.allclose(yv.sum(axis=0), 1.0, rtol=0, atol=1e-12)))
    if plain_delta:
        backward.append(_chain(n.delta(L), "=", rf"{n.yhat} - {n.y}",
                               [("", *mw(outL.a)), ("-", *mw(yv))], dt, dw, 1.5))
    elif kind == "elementwise" and np.allclose(u.dE_dyhat * fprime[L], outL.delta, rtol=1e-9, atol=1e-300):
        backward.append(_chain(
            n.delta(L), "=", rf"\frac{{\partial {n.loss}}}{{\partial {n.yhat}}} {n.had} "
            rf"f_L'\big({n.pre('L')}\big)", [("", *mw(u.dE_dyhat)), (n.had, *mw(fprime[L]))], dt, dw))
    else:
        backward.append(_chain(n.delta(L), "=", None, [], dt, dw))
    for l in range(L - 1, 0, -1):
        backward.append(_chain(
            n.delta(l), "=", rf"\big({n.WTd(l + 1, n.delta(l + 1))}\big) {n.had} f'\big({n.pre(l)}\big)",
            [("", *mw(W_show[l + 1].T)), ("", *mw(delta_show[l + 1])), (n.had, *mw(fprime[l]))],
            *mw(delta_show[l]), 4.0))
    backward = [Row(m, (i, l, "delta")) for m, l in zip(backward, range(L, 0, -1))]

    # ---- gradients and new parameters
    grads, news = [], []
    R = fmt(r, d) + r" \cdot" if r != 1 else ""
    for l in range(1, L + 1):
        s = layers[l]
        prev = a_show[l - 1]
        gW = chop(s.grad_W, sc["gW"][l - 1])
        reg_f, reg_p = "", []
        if p.l2:
            reg_f += rf" + {fmt(p.l2, d)}\, {n.W(l)}"
            reg_p.append((rf"+ {fmt(p.l2, d)} \cdot", *mw(n.oriented(W_show[l]))))
        if p.l1:
            reg_f += rf" + {fmt(p.l1, d)} \operatorname{{sign}}({n.W(l)})"
            reg_p.append((rf"+ {fmt(p.l1, d)} \cdot", *mw(n.oriented(np.sign(s.W)))))
        R_f = r"\tfrac{1}{n}\, " if r != 1 else ""
        grads.append(Row(_chain(n.grad(n.W(l)), "=", rf"{R_f}{n.outer(n.delta(l), n.act(l - 1))}{reg_f}",
                                [(op, *mw(f)) for op, f in zip((R, ""), n.outer_factors(delta_show[l], prev))]
                                + reg_p, *mw(n.oriented(gW)), 3.5),
                         (i, l, "grad_W")))
        gb = None
        if s.grad_b is not None:
            gb = chop(s.grad_b, sc["gb"][l - 1])
            formula = rf"{R_f}{n.delta(l)}\, \mathbf{{1}}" if ns > 1 else n.delta(l)
            grads.append(Row(_chain(n.grad(n.b(l)), "=", formula, [], *mw(gb), 2.0), (i, l, "grad_b")))
        W_new = chop(s.W_new, sc["W_new"][l - 1])
        eta = fmt(p.learning_rate, d) + r" \cdot"
        news.append(Row(_chain(n.W(l), r"\leftarrow", "", [("", *mw(n.oriented(W_show[l]))), ("- " + eta, *mw(n.oriented(gW)))],
                               *mw(n.oriented(W_new)), 0.0), (i, l, "W_new")))
        if s.b_new is not None:
            if p.train_biases:
                b_new = chop(s.b_new, sc["b_new"][l - 1])
                news.append(Row(_chain(n.b(l), r"\leftarrow", "", [("", *mw(b_show[l])), ("- " + eta, *mw(gb))],
                                       *mw(b_new), 0.0), (i, l, "b_new")))
            else:
                news.append(Row(_chain(n.b(l), "=", None, [], *mw(b_show[l])) + r" \quad\text{(fixed)}",
                                (i, l, "b_new")))
    samples = ", ".join(str(k + 1) for k in u.samples[:20]) + (", …" if len(u.samples) > 20 else "")
    body = []
    if ns > 1:
        body.append(Para(("The " + str(ns) + " samples are the columns of the input and target matrices:",)))
    body += [Display(Math(n.x, " = ", show.math(x, LINE_WIDTH / 2), r", \qquad ", n.y, " = ",
                          show.math(yv, LINE_WIDTH / 2))),
             Para((Styled("bold", ("Forward pass.",)),)), Align(forward)]
    if ns > 1 and p.biases is not None:
        body.append(Para(("(The bias vector is added to every column.)",)))
    body += [Break(), Para((Styled("bold", ("Loss.",)),)), *loss_rows, *([total] if total else []),
             Break(), Para((Styled("bold", ("Backward pass.",)),)), Align(backward),
             Break(), Para((Styled("bold", ("Gradients.",)),)), Align(grads),
             Break(), Para(text(Styled("bold", ("New parameters",)), f", with ${n.eta} = {fmt(p.learning_rate, d)}$.")),
             Align(news)]
    note = (f"(sample{'s' if ns > 1 else ''} {samples})",)
    return [Heading((f"Update {u.index}",), level=2, note=note), Group("small", body)]


def _loss_table(trace, d):
    """(rows, step) of the loss per update: every update, or every step-th when many."""
    n = len(trace.updates)
    step = max(1, math.ceil(n / MAX_TABLE_ROWS))
    idx = list(range(0, n, step))
    if idx[-1] != n - 1:
        idx.append(n - 1)
    return [{"index": trace.updates[i].index, "loss": fmt(trace.updates[i].loss, d)} for i in idx], step
