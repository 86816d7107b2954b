"""Render stage: a trace and its derivations in, LaTeX source out.

The small helpers at the top (:func:`fmt`, :func:`escape`, :func:`matrix`, :func:`chop`)
are public so that other documents (graph problems) format numbers and text the same
way. :func:`render` fills ``templates/solution.tex.j2`` (Jinja2 with LaTeX-friendly
delimiters: ``\\VAR{...}``, ``\\BLOCK{...}``, ``\\#{...}``).

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
from pathlib import Path

import numpy as np

from .errors import InputError
from .functions import ACTIVATIONS, LOSSES, make_activation
from .trace import reduction_factor

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: the static preamble of every layered document (``backprop solve`` starts pdflatex on
#: it before the body is rendered; see solver.compile.start)
PREAMBLE_FILE = TEMPLATES / "preamble.tex"

#: relative size below which a sum is shown as 0 (see the module docstring)
NOISE = 1e-12

#: largest matrix shown in full; larger ones are elided with dots
MAX_ROWS = 8
MAX_COLS = 8

#: largest layer drawn unit by unit, with each weight on its edge
DRAW_UNITS = 6

#: loss table rows before it shows every k-th update only
MAX_TABLE_ROWS = 400
#: query points whose forward pass is written out (the rest are in the table only)
PREDICTION_PASSES = 3


# ---------------------------------------------------------------------------------------
# numbers, text, matrices


def fmt(x, digits=6, tex=True):
    r"""``x`` to ``digits`` significant digits: the one number formatter of every
    document and report. LaTeX math by default; ``tex=False`` gives plain text
    (``2.5e-07``) for the terminal.

    >>> fmt(0.16264651, 6), fmt(-2.5e-7, 3), fmt(1.0), fmt(-0.0), fmt(-2.5e-7, 3, tex=False)
    ('0.162647', '-2.5 \\cdot 10^{-7}', '1', '0', '-2.5e-07')
    """
    x = float(x)
    if x == 0 or not math.isfinite(x):
        if not math.isfinite(x):
            raise ValueError(f"cannot show the number {x}")
        return "0"
    s = f"{x:.{digits}g}"
    if "e" in s and tex:
        mant, exp = s.split("e")
        return rf"{mant} \cdot 10^{{{int(exp)}}}"
    return s


_ESCAPES = {
    "\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "$": r"\$", "&": r"\&", "#": r"\#",
    "%": r"\%", "_": r"\texttt{\char95}", "^": r"\texttt{\char94}", "~": r"\texttt{\char126}",
    "<": r"\ensuremath{<}", ">": r"\ensuremath{>}", "|": r"\ensuremath{|}",
    '"': r"\texttt{\char34}", "\n": " ", "\r": " ",
    "\t": " ", "-": "-{}",
}

#: characters outside ASCII that are written with LaTeX commands (others become [U+XXXX])
_UNICODE = {
    "η": r"\ensuremath{\eta}", "σ": r"\ensuremath{\sigma}", "δ": r"\ensuremath{\delta}",
    "α": r"\ensuremath{\alpha}", "β": r"\ensuremath{\beta}", "γ": r"\ensuremath{\gamma}",
    "λ": r"\ensuremath{\lambda}", "μ": r"\ensuremath{\mu}", "θ": r"\ensuremath{\theta}",
    "φ": r"\ensuremath{\varphi}", "ϕ": r"\ensuremath{\phi}", "ε": r"\ensuremath{\varepsilon}",
    "Σ": r"\ensuremath{\Sigma}", "∂": r"\ensuremath{\partial}", "∇": r"\ensuremath{\nabla}",
    "×": r"\ensuremath{\times}", "·": r"\ensuremath{\cdot}", "−": r"\ensuremath{-}",
    "–": "--", "—": "---", "→": r"\ensuremath{\to}", "←": r"\ensuremath{\leftarrow}",
    "≤": r"\ensuremath{\le}", "≥": r"\ensuremath{\ge}", "≈": r"\ensuremath{\approx}",
    "…": r"\dots{}", "‘": "`", "’": "'", "“": "``", "”": "''", "°": r"\ensuremath{^\circ}",
    "ŷ": r"\ensuremath{\hat{y}}", "²": r"\ensuremath{^2}", "³": r"\ensuremath{^3}",
}


def escape(text):
    r"""Plain text from a problem file, made safe for LaTeX: every special character is
    printed literally, nothing in it is ever run as a command.

    >>> escape(r"\input{/etc/passwd} costs $5 & 10%")
    '\\textbackslash{}input\\{/etc/passwd\\} costs \\$5 \\& 10\\%'
    """
    out = []
    for ch in str(text):
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 128:
            out.append(ch if ch.isprintable() else " ")
        elif ch in _UNICODE:
            out.append(_UNICODE[ch])
        elif ch in _LATIN:
            out.append(ch)  # accented Latin letters: LaTeX's utf8 input handles them
        else:
            out.append(f"[U+{ord(ch):04X}]")
    return "".join(out)


_LATIN = set("ÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝàáâãäåçèéêëìíîïñòóôõöùúûüýÿĀāĂăĆćČčĎďĒēĚěĞğĪīŁłŃńŇňŌōŐőŘřŚśŠšŤťŪūŮůŰűŹźŻżŽž")


def chop(x, scale):
    """``x`` with every entry below NOISE times its ``scale`` set to 0 (see the module
    docstring); ``scale`` has x's shape (or broadcasts to it).

    >>> chop(np.array([1e-18, 0.5]), np.array([0.13, 0.5])).tolist()
    [0.0, 0.5]
    """
    x = np.asarray(x, dtype=float)
    return np.where(np.abs(x) < NOISE * np.asarray(scale), 0.0, x)


def _pick(n, limit):
    """Indices shown of n (None marks the dots): all if n <= limit."""
    if n <= limit:
        return list(range(n))
    head = limit - 2
    return list(range(head)) + [None, n - 1]


def matrix(a, digits=6, max_rows=MAX_ROWS, max_cols=MAX_COLS):
    r"""A vector (as a column) or matrix as a LaTeX bmatrix, elided with dots when large.

    >>> matrix(np.array([0.5, 1.0]))
    '\\begin{bmatrix} 0.5 \\\\ 1 \\end{bmatrix}'
    >>> matrix(np.arange(20.0)).count(r"\vdots")
    1
    """
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    rows, cols = _pick(a.shape[0], max_rows), _pick(a.shape[1], max_cols)
    lines = []
    for i in rows:
        cells = []
        for j in cols:
            if i is None and j is None:
                cells.append(r"\ddots")
            elif i is None:
                cells.append(r"\vdots")
            elif j is None:
                cells.append(r"\cdots")
            else:
                cells.append(fmt(a[i, j], digits))
        lines.append(" & ".join(cells))
    return r"\begin{bmatrix} " + r" \\ ".join(lines) + r" \end{bmatrix}"


def shape(a):
    """'rows x cols' of an array, for captions of elided matrices."""
    a = np.asarray(a)
    return rf"{a.shape[0]} \times {a.shape[1] if a.ndim > 1 else 1}"


# ---------------------------------------------------------------------------------------
# notation presets


def _up(template, shift=0):
    """A function layer -> symbol; ``shift`` renumbers (-1: weights numbered from 0)."""
    def f(l):
        return "{" + template.replace("@", _shift(l, shift)) + "}"
    return f


def _shift(l, shift):
    """Layer label ``l`` (a number, or text such as 'k', 'k+1', 'L') moved by ``shift``."""
    if isinstance(l, int):
        return str(l + shift)
    if shift == 0:
        return l
    if l.endswith("+1"):
        return l[:-2]
    if l.endswith("-1"):
        return l[:-2] + "-2"
    return f"{l}-1"


#: symbol sets, keyed by the names in solver.spec.NOTATIONS; '@' stands for the layer,
#: '#' for the unit. A preset changes symbols (and numbering), never numbers.
PRESETS = {
    "default": {  # seed 000: tilde-z, z, W^(l) numbered from 0
        "describe": r"pre-activations $\tilde{\mathbf{z}}^{(k)}$, activations $\mathbf{z}^{(k)}$ "
                    r"with $\mathbf{z}^{(0)} = \mathbf{x}$, parameters $\mathbf{W}^{(l)}, \mathbf{b}^{(l)}$ "
                    r"numbered from 0 (layer $k$ uses $\mathbf{W}^{(k-1)}$)",
        "pre": r"\tilde{\mathbf{z}}^{(@)}", "act": r"\mathbf{z}^{(@)}", "W": r"\mathbf{W}^{(@)}",
        "b": r"\mathbf{b}^{(@)}", "delta": r"\boldsymbol{\delta}^{(@)}", "shift": -1,
        "pre_unit": r"\tilde{z}^{(@)}_{#}", "act_unit": r"z^{(@)}_{#}",
        "loss": r"\mathcal{L}", "had": r"\odot", "x": r"\mathbf{x}", "x_unit": "x_{#}",
        "yhat": r"\hat{\mathbf{y}}", "y": r"\mathbf{y}", "yhat_unit": r"\hat{y}_{#}",
        "y_unit": "y_{#}", "arg": "x", "eta": r"\eta", "layer": "k",
    },
    "bracket": {  # seed 001: z^[l], x^[l], w^[l] numbered from 1
        "describe": r"nets $z^{[\ell]}$, layer outputs $x^{[\ell]}$ with $x^{[0]}$ the input, "
                    r"parameters $w^{[\ell]}, b^{[\ell]}$ numbered from 1",
        "pre": r"z^{[@]}", "act": r"x^{[@]}", "W": r"w^{[@]}", "b": r"b^{[@]}",
        "delta": r"\delta^{[@]}", "shift": 0, "pre_unit": r"z^{[@]}_{#}", "act_unit": r"x^{[@]}_{#}",
        "loss": "E", "had": r"\circ", "x": r"x^{[0]}", "x_unit": r"x^{[0]}_{#}",
        "yhat": r"x^{[L]}", "y": "y", "yhat_unit": r"x^{[L]}_{#}", "y_unit": "y_{#}",
        "arg": "z", "eta": r"\eta", "layer": r"\ell",
    },
    "netout": {  # textbook style: net and out per unit
        "describe": r"net inputs $\mathit{net}^{(l)}$, outputs $\mathit{out}^{(l)}$ with "
                    r"$\mathit{out}^{(0)}$ the input, parameters $W^{(l)}, b^{(l)}$ numbered from 1",
        "pre": r"\mathit{net}^{(@)}", "act": r"\mathit{out}^{(@)}", "W": r"W^{(@)}",
        "b": r"b^{(@)}", "delta": r"\delta^{(@)}", "shift": 0,
        "pre_unit": r"\mathit{net}^{(@)}_{#}", "act_unit": r"\mathit{out}^{(@)}_{#}",
        "loss": r"E_{\mathrm{total}}", "had": r"\odot", "x": r"\mathit{out}^{(0)}",
        "x_unit": r"\mathit{out}^{(0)}_{#}", "yhat": r"\mathit{out}^{(L)}",
        "y": r"\mathit{target}", "yhat_unit": r"\mathit{out}^{(L)}_{#}",
        "y_unit": r"\mathit{target}_{#}", "arg": "x", "eta": r"\eta", "layer": "l",
    },
}


class Notation:
    """Symbol makers for one preset: ``n.W(2)``, ``n.act("l-1")``, ``n.yhat_unit("i")``."""

    def __init__(self, name):
        if name not in PRESETS:
            raise KeyError(name)
        self.name = name
        self.p = PRESETS[name]

    def __getattr__(self, key):
        p = self.__dict__["p"]
        if key not in p:
            raise AttributeError(key)
        if key in ("x", "y", "yhat", "loss"):
            return "{" + p[key] + "}"
        return p[key]

    def W(self, l):
        return _up(self.p["W"], self.p["shift"])(l)

    def b(self, l):
        return _up(self.p["b"], self.p["shift"])(l)

    def param_index(self, l):
        return _shift(l, self.p["shift"])

    def pre(self, l):
        return _up(self.p["pre"])(l)

    def act(self, l):
        return _up(self.p["act"])(l) if l not in (0, "0") else "{" + self.p["x"] + "}"

    def delta(self, l):
        return _up(self.p["delta"])(l)

    def unit(self, key, l, i):
        return self.p[key].replace("@", str(l)).replace("#", str(i))

    def grad(self, sym):
        if self.name == "bracket":
            return rf"\frac{{\partial E}}{{\partial {sym}}}"
        return rf"\nabla_{{{sym}}} {self.p['loss']}"

    def fill(self, tex, unit="i", out_layer="L", arg=False):
        """Replace the derivation tokens (see solver.derive) by this notation's symbols."""
        L = out_layer
        y = lambda i: self.p["y_unit"].replace("#", i)
        yh = lambda i: "{" + self.p["yhat_unit"].replace("#", i).replace("@", "L") + "}"
        z = lambda i: "{" + self.p["pre_unit"].replace("@", str(L)).replace("#", i) + "}"
        g = lambda i: rf"\frac{{\partial {self.p['loss']}}}{{\partial {yh(i)}}}"
        for k in ("k", "j", "i"):
            tex = (tex.replace(f"YH_{k}", yh(k)).replace(f"YT_{k}", "{" + y(k) + "}")
                   .replace(f"ZZ_{k}", z(k)).replace(f"GG_{k}", g(k)))
        tex = tex.replace("YH", yh(unit)).replace("YT", "{" + y(unit) + "}").replace("GG", g(unit))
        tex = tex.replace("ZZ", self.p["arg"] if arg else z(unit))
        return tex.replace("CC", "C")


# ---------------------------------------------------------------------------------------
# the document


def _env():
    """The Jinja2 environment: LaTeX-friendly delimiters, compiled templates cached on
    disk next to the derivations (so a warm run does not recompile them)."""
    import jinja2

    from .files import cache_dir

    cache = None
    try:
        folder = cache_dir() / "templates"
        folder.mkdir(parents=True, exist_ok=True)
        cache = jinja2.FileSystemBytecodeCache(str(folder))
    except OSError:
        pass
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(TEMPLATES)), bytecode_cache=cache,
        block_start_string=r"\BLOCK{", block_end_string="}",
        variable_start_string=r"\VAR{", variable_end_string="}",
        comment_start_string=r"\#{", comment_end_string="}",
        line_comment_prefix="%#", trim_blocks=True, lstrip_blocks=True,
        autoescape=False, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)


UPDATE_WORDS = {
    ("sgd", "sum"): "stochastic gradient descent: one update after each sample, in order",
    ("batch", "sum"): "batch gradient descent: one update from all samples, gradients summed",
    ("batch", "mean"): "batch gradient descent: one update from all samples, gradients averaged",
}


def render(trace, derivations, annotate=None):
    """The worked solution of a traced problem as LaTeX source.

    ``derivations`` is ``solver.derive.derive_problem(problem)``: one entry per layer.
    ``annotate``, if given, is called with the template's context just before the
    template is filled, and may add to its LaTeX strings (``backprop verify --pdf``
    puts claimed numbers beside the correct ones this way, see solver.verify).
    """
    p = trace.problem
    if p.notation not in PRESETS:
        raise InputError(p.file, "display.notation", f"no notation preset called {p.notation!r}; "
                                                     f"known: {', '.join(PRESETS)}")
    n = Notation(p.notation)
    d = p.digits
    L = p.L
    out_d = derivations[-1]
    acts = [make_activation(name, slope) for name, slope in p.activations]

    def M(a):
        return matrix(a, d)

    ctx = {"esc": escape, "fmt": lambda x: fmt(x, d), "M": M, "n": n, "p": p, "L": L,
           "shape": shape}
    ctx["title"] = escape(p.title)
    ctx["description"] = escape(p.description)
    ctx["update_words"] = UPDATE_WORDS[(p.update, p.reduction)]
    ctx["numbers"] = numbers_note(trace)
    ctx["loss_name"] = _named(LOSSES, p.loss, p.loss_param)

    # ---- the problem
    ctx["layers"] = [{"l": l, "units": p.sizes[l],
                      "activation": "input" if l == 0 else _act_name(p.activations[l - 1])}
                     for l in range(L + 1)]
    ctx["params"] = [{"l": l, "W": M(p.weights[l - 1]), "Wsym": n.W(l), "Wshape": shape(p.weights[l - 1]),
                      "b": None if p.biases is None else M(p.biases[l - 1]), "bsym": n.b(l)}
                     for l in range(1, L + 1)]
    ctx["data"] = _data_rows(p, d)
    ctx["formulas"] = _formulas(p, n, derivations)
    ctx["figure"] = _figure(p, n, d)

    # ---- the updates
    W_scale = [np.abs(W) for W in p.weights]
    b_scale = None if p.biases is None else [np.abs(b) for b in p.biases]
    b_scale = b_scale or [None] * L
    ctx["updates"] = []
    for u in trace.updates:
        sc = noise_scales(p, u, acts, W_scale, b_scale, trace.exact)
        if len(ctx["updates"]) < p.full_updates:
            ctx["updates"].append(_update(p, n, d, u, acts, out_d, sc))
        W_scale, b_scale = sc["W_new"], sc["b_new"]
    ctx["n_updates"] = len(trace.updates)
    ctx["loss_table"], ctx["table_step"] = _loss_table(trace, d)

    # ---- predictions and final parameters
    ctx["predictions"] = [{"x": matrix(q.input[None, :], d, max_cols=6),
                           "yhat": matrix(q.output[None, :], d, max_cols=6), "cls": q.cls}
                          for q in trace.predictions[:100]]
    ctx["more_predictions"] = max(0, len(trace.predictions) - 100)
    yh = n.unit("yhat_unit", "L", "1")
    ctx["class_rule"] = ("the output unit with the largest value (units counted from 0)" if p.sizes[-1] > 1
                         else rf"class 1 if ${yh} \ge 0.5$, class 0 otherwise")
    W_final = {l: chop(trace.weights[l - 1], W_scale[l - 1]) for l in range(1, L + 1)}
    b_final = {l: None if trace.biases is None else chop(trace.biases[l - 1], b_scale[l - 1])
               for l in range(1, L + 1)}
    ctx["prediction_passes"] = [
        {"k": k, "lines": _forward(n, d, acts, W_final, b_final,
                                   {0: q.input[:, None], **{l: q.a[l - 1][:, None] for l in range(1, L + 1)}},
                                   {l: q.z[l - 1][:, None] for l in range(1, L + 1)})}
        for k, q in enumerate(trace.predictions[:PREDICTION_PASSES], start=1)]
    ctx["final"] = [{"l": l, "Wsym": n.W(l), "W": M(W_final[l]), "bsym": n.b(l),
                     "b": None if b_final[l] is None else M(b_final[l])} for l in range(1, L + 1)]
    if annotate is not None:
        annotate(ctx)
    body = _env().get_template("solution.tex.j2").render(**ctx)
    return PREAMBLE_FILE.read_text(encoding="utf-8") + body


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


def _act_name(a):
    return _named(ACTIVATIONS, *a)


def _named(table, name, param):
    """An activation's or a loss's name as words, with its option: "elu (alpha 0.5)"."""
    option = table[name].option
    return name.replace("_", " ") + (f" ({option[0]} {fmt(param)})" if option else "")


def _data_rows(p, d):
    n = p.X.shape[1]
    rows = []
    for k in _pick(n, 12):
        if k is None:
            rows.append(None)
        else:
            rows.append({"k": k + 1, "x": matrix(p.X[:, k][None, :], d),
                         "y": matrix(p.Y[:, k][None, :], d),
                         "cls": (int(p.Y[:, k].argmax()) if k in p.targets_given_as_class else None)})
    return {"rows": rows, "n": n}


def _formulas(p, n, derivations):
    """The general formulas of the problem as (text, LaTeX) lines, notation filled in."""
    L = p.L
    k = n.layer
    out = derivations[-1]
    lines = []

    def add(text, tex):
        lines.append({"text": text, "tex": tex})

    bias = (lambda l: " + " + n.b(l)) if p.biases is not None else (lambda l: "")
    add(rf"Forward pass, for each layer ${k} = 1, \dots, L$ (here $L = {L}$), starting from ${n.act(0)}$, the input:",
        rf"{n.pre(k)} = {n.W(k)}\, {n.act(f'{k}-1')}{bias(k)}, \qquad {n.act(k)} = f_{{{k}}}\big({n.pre(k)}\big).")
    # activations and their derivatives (SymPy)
    seen = []
    for l, (dv, a) in enumerate(zip(derivations, p.activations), start=1):
        if a in seen:
            continue
        seen.append(a)
        where = [j + 1 for j, b in enumerate(p.activations) if b == a]
        layers = "layer" + ("s " if len(where) > 1 else " ") + ", ".join(map(str, where))
        if a[0] == "softmax":
            add(rf"Activation of {layers}: softmax, and its Jacobian (derived by differentiating the quotient):",
                n.fill(r"YH_i = " + dv["f"] + r", \qquad " + dv["fprime"]))
        else:
            sym = dv["name"]
            form = (" written in terms of its own output" if dv["fprime_output_form"] else "")
            f_def = "" if dv["f"].startswith(sym) else rf"{sym}({n.arg}) = {dv['f']}, \qquad "
            add(rf"Activation of {layers}: {escape(_act_name(a))}, and its derivative{form}:",
                n.fill(rf"{f_def}{sym}'({n.arg}) = {dv['fprime']}", arg=True))
    # the loss
    yh = n.unit("yhat_unit", "L", "i")
    add(rf"Loss of one sample, over the $C = {p.sizes[-1]}$ output units, and its gradient:",
        n.fill(rf"{n.loss} = " + out["E"] + rf", \qquad \frac{{\partial {n.loss}}}{{\partial {yh}}} = " + out["dE"]))
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
    if kind == "softmax_sum":
        tex = n.fill(head + chain + " = " + out["delta_general"])
        note = "the error at the output layer (SymPy); "
        if onehot:
            tex += n.fill(" = " + out["delta"])
            note += r"the targets of every sample sum to 1, which leaves $\hat{y} - y$"
        else:
            note += "the targets do not all sum to 1, so the general form is used"
        add(note[0].upper() + note[1:] + ":", tex)
    elif kind == "softmax_jacobian":
        add("The error at the output layer: the softmax Jacobian applied to the loss gradient (checked by SymPy):",
            n.fill(head + chain + " = " + out["delta"]))
    else:
        tex = n.fill(head + rf" = \frac{{\partial {n.loss}}}{{\partial YH}}\, {out['name']}'({zL}) = " + out["delta"])
        note = ("; the derivative of the activation cancels" if out["delta_simplified"]
                and out["activation"] != "linear" else "")
        add(f"The error at the output layer, derived and simplified by SymPy{note}:", tex)
    if L > 1:
        add(rf"Backward pass, for ${k} = L-1, \dots, 1$ (${n.had}$ is the element-wise product):",
            rf"{n.delta(k)} = \big({n.W(f'{k}+1')}^{{\top}} {n.delta(f'{k}+1')}\big) {n.had} f_{{{k}}}'\big({n.pre(k)}\big).")
    R = ""
    if p.update == "batch":
        R = r"\frac{1}{n}" if p.reduction == "mean" else ""
    reg = (rf" + {fmt(p.l2)}\, {n.W(k)}" if p.l2 else "") + (rf" + {fmt(p.l1)}\, \operatorname{{sign}}({n.W(k)})" if p.l1 else "")
    cols = " (the columns are the samples, so the product sums over them)" if p.update == "batch" else ""
    gb = (rf", \qquad {n.grad(n.b(k))} = {R} {n.delta(k)}\, \mathbf{{1}}" if p.biases is not None and p.update == "batch"
          else (rf", \qquad {n.grad(n.b(k))} = {n.delta(k)}" if p.biases is not None else ""))
    add(f"Gradients{cols}:", rf"{n.grad(n.W(k))} = {R} {n.delta(k)}\, \big({n.act(f'{k}-1')}\big)^{{\top}}{reg}{gb}")
    bupd = ""
    if p.biases is not None and p.train_biases:
        bupd = rf", \qquad {n.b(k)} \leftarrow {n.b(k)} - {n.eta}\, {n.grad(n.b(k))}"
    add(rf"Update, with ${n.eta} = {fmt(p.learning_rate)}$:",
        rf"{n.W(k)} \leftarrow {n.W(k)} - {n.eta}\, {n.grad(n.W(k))}{bupd}")
    return {"lines": lines, "E": n.fill(rf"{n.loss} = " + out["E"])}


def _penalty_tex(p):
    t = ""
    if p.l2:
        t += rf" + \frac{{{fmt(p.l2)}}}{{2}} \sum_{{l}} \lVert \mathbf{{W}}_l \rVert^2"
    if p.l1:
        t += rf" + {fmt(p.l1)} \sum_{{l}} \lVert \mathbf{{W}}_l \rVert_1"
    return t


def _figure(p, n, d):
    """TikZ code of the network: units and weighted edges when small, blocks otherwise."""
    sizes = p.sizes
    L = p.L
    lines = []
    if max(sizes) <= DRAW_UNITS:
        dx, dy = (4.6 if L <= 3 else 3.6), 1.3
        for l, s in enumerate(sizes):
            for i in range(s):
                y = (s - 1) / 2 * dy - i * dy
                if l == 0:
                    label = n.unit("x_unit", 0, i + 1)
                else:
                    label = n.unit("act_unit", l, i + 1)
                style = "inp" if l == 0 else ("outp" if l == L else "hid")
                lines.append(rf"\node[{style}] (u{l}_{i}) at ({l * dx:.2f},{y:.2f}) {{${label}$}};")
                if l > 0 and p.biases is not None:
                    lines.append(rf"\node[bias, anchor=south, inner sep=1pt] at (u{l}_{i}.north) {{$b={fmt(p.biases[l - 1][i], d)}$}};")
        for l in range(1, L + 1):
            W = p.weights[l - 1]
            rows, cols = W.shape
            for i in range(rows):
                for j in range(cols):
                    # the labels of the edges into unit i stand in one column of their
                    # own, so no two labels meet
                    pos = 0.2 + 0.55 * i / (rows - 1) if rows > 1 else 0.5
                    lines.append(rf"\draw[edge] (u{l - 1}_{j}) -- node[wt, pos={pos:.2f}] "
                                 rf"{{${fmt(W[i, j], d)}$}} (u{l}_{i});")
        for l in range(L + 1):
            top = (sizes[l] - 1) / 2 * dy + (1.05 if p.biases is not None else 0.8)
            what = "input" if l == 0 else _act_name(p.activations[l - 1]).split(" (")[0]
            lines.append(rf"\node[laycap] at ({l * dx:.2f},{top:.2f}) {{layer {l}: {escape(what)}}};")
        return {"tikz": "\n".join(lines), "detailed": True}
    dx = 3.2
    for l, s in enumerate(sizes):
        h = 1.0 + 3.0 * math.log10(s) / math.log10(max(sizes))
        what = "input" if l == 0 else _act_name(p.activations[l - 1]).split(" (")[0]
        lines.append(rf"\node[block, minimum height={h:.2f}cm] (B{l}) at ({l * dx:.2f},0) "
                     rf"{{\begin{{tabular}}{{c}}layer {l}\\{s} units\\{escape(what)}\end{{tabular}}}};")
        if l > 0:
            lines.append(rf"\draw[->, thick] (B{l - 1}) -- node[above, font=\scriptsize] "
                         rf"{{${n.W(l)}$}} node[below, font=\scriptsize] {{${sizes[l]} \times {sizes[l - 1]}$}} (B{l});")
    return {"tikz": "\n".join(lines), "detailed": False}


#: width of a display line in cm (at \small), beyond which a chain of matrices is broken
LINE_WIDTH = 13.5


def width(a, digits=6, max_rows=MAX_ROWS, max_cols=MAX_COLS):
    """Estimated printed width (cm, at \\small) of ``matrix(a, digits)``.

    >>> round(width(np.array([[0.5, 1.0]])), 2)
    1.78
    """
    a = np.asarray(a, dtype=float)
    if a.ndim == 1:
        a = a[:, None]
    rows, cols = _pick(a.shape[0], max_rows), _pick(a.shape[1], max_cols)
    total = 0.4
    for j in cols:
        if j is None:
            total += 0.5
            continue
        chars = max(len(fmt(a[i, j], digits).replace(r" \cdot 10^", "e")) for i in rows if i is not None)
        total += chars * 0.17 + 0.35
    return total


def _chain(lhs, rel, formula, pieces, result, result_w, formula_w=3.0):
    """Align lines ``lhs rel formula = pieces = result``, broken where too wide.

    ``pieces`` is a list of (operator, matrix LaTeX, width); a line break never separates
    an operator from its matrix.
    """
    lines = []
    cur = f"{lhs} &{rel} {formula}" if formula else f"{lhs} &{rel}"
    w = 1.5 + (formula_w if formula else 0)
    if pieces:
        total = sum(pw + 0.5 for _, _, pw in pieces)
        if formula and w + total > LINE_WIDTH:
            lines.append(cur)
            cur, w = "&=", 1.0
        else:
            cur += " =" if formula else ""
        for op, t, pw in pieces:
            if w + pw > LINE_WIDTH and not cur.endswith("=") and not cur.endswith(r"\quad"):
                lines.append(cur)
                cur, w = r"&\quad", 1.5
            cur += f" {op} {t}" if op else f" {t}"
            w += pw + 0.5
    if result is not None:
        if (pieces or formula) and w + result_w > LINE_WIDTH:
            lines.append(cur)
            cur = f"&= {result}"
        else:
            cur += f" = {result}" if (pieces or formula) else f" {result}"
    lines.append(cur)
    return " \\\\\n".join(lines)


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


def _forward(n, d, acts, W, b, a, z):
    """Align lines of a forward pass, layer by layer: z = W a + b with the numbers, then
    a = f(z). ``W``, ``b`` (None without biases), ``z`` map layers 1..L to the matrices
    shown, ``a`` maps 0..L (``a[0]`` is the input)."""
    def mw(m):
        return matrix(m, d), width(m, d)

    lines = []
    for l in range(1, len(acts) + 1):
        bias = f" + {n.b(l)}" if b[l] is not None else ""
        pieces = [("", *mw(W[l])), ("", *mw(a[l - 1]))]
        if b[l] is not None:
            pieces.append(("+", *mw(b[l])))
        lines.append(_chain(n.pre(l), "=", rf"{n.W(l)}\, {n.act(l - 1)}{bias}", pieces, *mw(z[l])))
        lines.append(_chain(n.act(l), "=", rf"{acts[l - 1].tex}\big({n.pre(l)}\big)", [],
                            *mw(a[l]), 2.0))
    return lines


def _update(p, n, d, u, acts, out_d, scales):
    """Everything shown for one update, as align lines: forward, loss, backward,
    gradients, new parameters (numbers chopped by the noise rule of the module)."""
    L = p.L
    x = u.input
    ns = x.shape[1]
    r = reduction_factor(p, ns)
    layers = [None] + list(u.layers)

    def mw(a):
        return matrix(a, d), width(a, d)

    sc = scales
    z_scale, a_scale, d_scale = sc["z"], sc["a"], sc["delta"]
    fprime = {l: layers[l].fprime for l in range(1, L + 1)}
    W_show = {l: chop(layers[l].W, sc["W"][l - 1]) for l in range(1, L + 1)}
    b_show = {l: None if layers[l].b is None else chop(layers[l].b, sc["b"][l - 1]) for l in range(1, L + 1)}
    a_show = {0: x}
    for l in range(1, L + 1):
        a_show[l] = chop(layers[l].a, a_scale[l])
    delta_show = {l: chop(layers[l].delta, d_scale[l]) for l in range(1, L + 1)}

    forward = _forward(n, d, acts, W_show, b_show, a_show,
                       {l: chop(layers[l].z, z_scale[l]) for l in range(1, L + 1)})

    # ---- loss
    outL = layers[L]
    terms = u.loss_terms if np.isfinite(u.loss_terms).all() else None
    loss_rows = []
    for k in range(ns):
        row = {"k": u.samples[k] + 1, "value": fmt(u.sample_losses[k], d), "terms": None}
        if (terms is not None and 1 < terms.shape[0] <= 8
                and np.isclose(terms[:, k].sum(), u.sample_losses[k], rtol=1e-9, atol=1e-300)):
            row["terms"] = " + ".join(("(" + fmt(t, d) + ")") if t < 0 else fmt(t, d) for t in terms[:, k])
        loss_rows.append(row)
    if len(loss_rows) > 12:
        loss_rows = loss_rows[:10] + [None] + loss_rows[-1:]
    loss = {"rows": loss_rows, "total": fmt(u.loss, d), "penalty": fmt(u.penalty, d) if u.penalty else None,
            "ns": ns, "reduction": p.reduction}

    # ---- backward
    backward = []
    yv = u.target
    kind = out_d["delta_kind"]
    dt, dw = mw(delta_show[L])
    plain = out_d["delta"] == "YH - YT" and (kind != "softmax_sum" or bool(
        np.allclose(yv.sum(axis=0), 1.0, rtol=0, atol=1e-12)))
    if plain:
        backward.append(_chain(n.delta(L), "=", rf"{n.yhat} - {n.y}",
                               [("", *mw(outL.a)), ("-", *mw(yv))], dt, dw, 1.5))
    elif kind == "elementwise":
        g = u.dE_dyhat
        fp = fprime[L]
        if np.allclose(g * fp, outL.delta, rtol=1e-9, atol=1e-300):
            backward.append(_chain(
                n.delta(L), "=", rf"\frac{{\partial {n.loss}}}{{\partial {n.yhat}}} {n.had} "
                rf"f_L'\big({n.pre('L')}\big)", [("", *mw(g)), (n.had, *mw(fp))], dt, dw))
        else:
            backward.append(_chain(n.delta(L), "=", None, [], dt, dw))
    else:
        backward.append(_chain(n.delta(L), "=", None, [], dt, dw))
    for l in range(L - 1, 0, -1):
        backward.append(_chain(
            n.delta(l), "=", rf"\big({n.W(l + 1)}^{{\top}} {n.delta(l + 1)}\big) {n.had} f'\big({n.pre(l)}\big)",
            [("", *mw(W_show[l + 1].T)), ("", *mw(delta_show[l + 1])), (n.had, *mw(fprime[l]))],
            *mw(delta_show[l]), 4.0))

    # ---- gradients and new parameters
    grads, news = [], []
    R = fmt(r, d) + r" \cdot" if r != 1 else ""
    for l in range(1, L + 1):
        s = layers[l]
        prev = a_show[l - 1]
        gW_scale = sc["gW"][l - 1]
        gW = chop(s.grad_W, gW_scale)
        reg_f, reg_p = "", []
        if p.l2:
            reg_f += rf" + {fmt(p.l2, d)}\, {n.W(l)}"
            reg_p.append((rf"+ {fmt(p.l2, d)} \cdot", *mw(W_show[l])))
        if p.l1:
            reg_f += rf" + {fmt(p.l1, d)} \operatorname{{sign}}({n.W(l)})"
            reg_p.append((rf"+ {fmt(p.l1, d)} \cdot", *mw(np.sign(s.W))))
        R_f = r"\tfrac{1}{n}\, " if r != 1 else ""
        grads.append(_chain(n.grad(n.W(l)), "=", rf"{R_f}{n.delta(l)} \big({n.act(l - 1)}\big)^{{\top}}{reg_f}",
                            [(R, *mw(delta_show[l])), ("", *mw(prev.T))] + reg_p, *mw(gW), 3.5))
        gb = None
        if s.grad_b is not None:
            gb_scale = sc["gb"][l - 1]
            gb = chop(s.grad_b, gb_scale)
            formula = rf"{R_f}{n.delta(l)}\, \mathbf{{1}}" if ns > 1 else n.delta(l)
            grads.append(_chain(n.grad(n.b(l)), "=", formula, [], *mw(gb), 2.0))
        W_new = chop(s.W_new, sc["W_new"][l - 1])
        eta = fmt(p.learning_rate, d) + r" \cdot"
        news.append(_chain(n.W(l), r"\leftarrow", "", [("", *mw(W_show[l])), ("- " + eta, *mw(gW))],
                           *mw(W_new), 0.0))
        if s.b_new is not None:
            if p.train_biases:
                b_new = chop(s.b_new, sc["b_new"][l - 1])
                news.append(_chain(n.b(l), r"\leftarrow", "", [("", *mw(b_show[l])), ("- " + eta, *mw(gb))],
                                   *mw(b_new), 0.0))
            else:
                news.append(_chain(n.b(l), "=", None, [], *mw(b_show[l])) + r" \quad\text{(fixed)}")
    samples = ", ".join(str(k + 1) for k in u.samples[:20]) + (", \\dots" if len(u.samples) > 20 else "")
    return {"index": u.index, "samples": samples, "ns": ns, "x": matrix(x, d), "y": matrix(yv, d),
            "forward": forward, "loss": loss, "backward": backward, "grads": grads, "news": news,
            "eta": fmt(p.learning_rate, d)}


def _loss_table(trace, d):
    """(rows, step) of the loss per update: every update, or every step-th when many."""
    n = len(trace.updates)
    step = max(1, math.ceil(n / MAX_TABLE_ROWS))
    idx = list(range(0, n, step))
    if idx[-1] != n - 1:
        idx.append(n - 1)
    return [{"index": trace.updates[i].index, "loss": fmt(trace.updates[i].loss, d)} for i in idx], step
