"""Notation: how symbols and names are written.

- the presets of a layered problem (``display.notation``): the symbols a course writes
  for pre-activations, activations, weights, deltas and the loss. A preset changes
  symbols, numbering and the orientation weight matrices are shown in, never numbers.
  Each symbol is TeX math;
- the names and formulas of a graph problem (:func:`tex_name`, :func:`printer`), and
  the formulas between ``$`` signs of any problem's description
  (:func:`description_text`).
"""

import re
from types import SimpleNamespace

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
    "default": {  # tilde-z (net input) and z (output), W^(l) numbered from 0
        "describe": "pre\u2010activations" r" $\tilde{\mathbf{z}}^{(k)}$, activations $\mathbf{z}^{(k)}$ "
                    r"with $\mathbf{z}^{(0)} = \mathbf{x}$, parameters $\mathbf{W}^{(l)}, \mathbf{b}^{(l)}$ "
                    r"numbered from 0 (layer $k$ uses $\mathbf{W}^{(k-1)}$)",
        "pre": r"\tilde{\mathbf{z}}^{(@)}", "act": r"\mathbf{z}^{(@)}", "W": r"\mathbf{W}^{(@)}",
        "b": r"\mathbf{b}^{(@)}", "delta": r"\boldsymbol{\delta}^{(@)}", "shift": -1,
        "pre_unit": r"\tilde{z}^{(@)}_{#}", "act_unit": r"z^{(@)}_{#}",
        "loss": r"\mathcal{L}", "had": r"\odot", "x": r"\mathbf{x}", "x_unit": "x_{#}",
        "yhat": r"\hat{\mathbf{y}}", "y": r"\mathbf{y}", "yhat_unit": r"\hat{y}_{#}",
        "y_unit": "y_{#}", "arg": "x", "eta": r"\eta", "layer": "k",
    },
    "bracket": {  # z^[l] (net input), x^[l] (output), w^[l] numbered from 1
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
    "ij": {  # z (pre-activation) and x (activation) per layer, w_{i,j} from unit i to unit j
        "describe": r"pre‐activations $\mathbf{z}^{(l)}$, activations $\mathbf{x}^{(l)}$ with "
                    r"$\mathbf{x}^{(0)}$ the input, layers numbered from 1; $w^{(l)}_{i,j}$ is the weight "
                    r"from unit $i$ of layer $l-1$ to unit $j$ of layer $l$, so $\mathbf{W}^{(l)}$ has a row "
                    r"per unit of layer $l-1$ and is shown as the transpose of the problem file's matrix, "
                    r"and $\mathbf{z}^{(l)} = \mathbf{W}^{(l)\top} \mathbf{x}^{(l-1)} + \mathbf{b}^{(l)}$",
        "pre": r"\mathbf{z}^{(@)}", "act": r"\mathbf{x}^{(@)}", "W": r"\mathbf{W}^{(@)}",
        "b": r"\mathbf{b}^{(@)}", "delta": r"\boldsymbol{\delta}^{(@)}", "shift": 0,
        "pre_unit": r"z^{(@)}_{#}", "act_unit": r"x^{(@)}_{#}",
        "loss": r"\mathcal{L}", "had": r"\odot", "x": r"\mathbf{x}^{(0)}", "x_unit": r"x^{(0)}_{#}",
        "yhat": r"\hat{\mathbf{y}}", "y": r"\mathbf{y}", "yhat_unit": r"\hat{y}_{#}",
        "y_unit": "y_{#}", "arg": "z", "eta": r"\eta", "layer": "l",
        "transpose": True, "grad": "partial",
    },
}


class Notation:
    """Symbol makers for one preset: ``n.W(2)``, ``n.act("l-1")``, ``n.yhat_unit("i")``.

    A preset with ``transpose`` writes W^(l) with a row per unit of layer l-1 (w_{i,j}
    from unit i to unit j): the transpose of the engine's matrix, whose rows are the
    units of layer l. Every weight-shaped matrix shown goes through :meth:`oriented`,
    and the products through :meth:`Wx` (forward), :meth:`WTd` (backward) and
    :meth:`outer` (gradients), so the formulas and the numbers agree in either
    orientation.
    """

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
        if self.name == "bracket" or self.p.get("grad") == "partial":
            return rf"\frac{{\partial {self.p['loss']}}}{{\partial {sym}}}"
        return rf"\nabla_{{{sym}}} {self.p['loss']}"

    @property
    def transpose(self):
        return self.p.get("transpose", False)

    def oriented(self, M):
        """A weight matrix (or its gradient) of the engine (rows: the units of layer l) as
        this notation shows it: transposed for a ``transpose`` preset.

        >>> import numpy as np
        >>> Notation("ij").oriented(np.array([[1, 2, 3]])).shape, Notation("default").oriented(np.ones((1, 3))).shape
        ((3, 1), (1, 3))
        """
        return M.T if self.transpose else M

    def Wx(self, l, x):
        """The weighted input of layer l from the activations ``x``: W x, or W^T x.

        >>> print(Notation("ij").Wx(2, "a"))
        {\\mathbf{W}^{(2)}}^{\\top} a
        """
        return rf"{self.W(l)}^{{\top}} {x}" if self.transpose else rf"{self.W(l)}\, {x}"

    def WTd(self, l, d):
        """The deltas ``d`` of layer l sent back through its weights: W^T d, or W d."""
        return rf"{self.W(l)}\, {d}" if self.transpose else rf"{self.W(l)}^{{\top}} {d}"

    def outer(self, d, x):
        """The gradient of a weight matrix from the deltas ``d`` and the inputs ``x`` of its
        layer: d x^T, or x d^T (as TeX)."""
        return rf"{x}\, \big({d}\big)^{{\top}}" if self.transpose else rf"{d}\, \big({x}\big)^{{\top}}"

    def outer_factors(self, d, x):
        """The two matrices of :meth:`outer`, in its order: (d, x^T), or (x, d^T)."""
        return (x, d.T) if self.transpose else (d, x.T)

    def shape(self, rows, cols):
        """The size of a weight matrix of the engine as this notation shows it (TeX)."""
        return rf"{cols} \times {rows}" if self.transpose else rf"{rows} \times {cols}"

    def fill(self, tex, unit="i", out_layer="L", arg=False):
        """Replace the derivation tokens (see solver.derive) by this notation's symbols.

        ``unit`` "" writes the one output unit of a network with one output, unnamed: a
        sum over the output units of bare symbols would read as C times the term, so
        the sum (and MSE's 1/C) is left out there, C being 1.
        """
        if unit == "":
            tex = tex.replace(r"\frac{1}{CC} \sum_{i=1}^{CC} ", "").replace(r"\sum_{i=1}^{CC} ", "")
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
# names and formulas of graph problems (and of the formulas in descriptions)

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "varepsilon", "zeta", "eta", "theta", "vartheta",
         "iota", "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "varrho", "sigma", "tau", "upsilon",
         "phi", "varphi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma",
         "Upsilon", "Phi", "Psi", "Omega"}
#: accents written after a letter: yhat -> \hat{y}, ytilde -> \tilde{y}, zbar -> \bar{z}
ACCENTS = {"hat": r"\hat", "tilde": r"\tilde", "bar": r"\bar"}
#: the loss of a graph problem as TeX, by the names of ``display.loss`` (solver.graph.LOSS_SYMBOLS)
LOSS_TEX = {"E": "E", "L": r"\mathcal{L}"}
_NAME_PARTS = re.compile(r"^([A-Za-z]+?)(\d*)((?:_[A-Za-z0-9]+)*)$")
_ACCENTED = re.compile(r"^([A-Za-z]|%s)(%s)$" % ("|".join(sorted(GREEK, key=len, reverse=True)),
                                                 "|".join(ACCENTS)))


def tex_name(name):
    """How a name is typeset: as exercises write it.

    >>> [tex_name(n) for n in ("w13", "z1_2", "w1_2_3", "x_1", "y", "alpha", "lr")]
    ['w_{13}', 'z^{(1)}_{2}', 'w^{(1)}_{2,3}', 'x_{1}', 'y', '\\\\alpha', '\\\\mathit{lr}']
    >>> [tex_name(n) for n in ("yhat", "y_hat_2", "ytilde", "zbar1", "rho3", "w1_i_j")]
    ['\\\\hat{y}', '\\\\hat{y}_{2}', '\\\\tilde{y}', '\\\\bar{z}_{1}', '\\\\rho_{3}', 'w^{(1)}_{i,j}']
    """
    m = _NAME_PARTS.match(name)
    if not m:
        return r"\mathit{%s}" % name.replace("_", r"\_")
    base, digits, rest = m.groups()
    subs = rest.split("_")[1:] if rest else []
    if base + digits in GREEK or (not digits and not rest and name in GREEK):
        base, digits = base + digits, ""
    accent = None
    if subs and subs[0] in ACCENTS and not digits and (len(base) == 1 or base in GREEK):
        accent, subs = subs[0], subs[1:]  # y_hat -> \hat{y}
    elif _ACCENTED.match(base):
        base, accent = _ACCENTED.match(base).groups()
    letter = "\\" + base if base in GREEK else base if len(base) == 1 else r"\mathit{%s}" % base
    if accent:
        letter = f"{ACCENTS[accent]}{{{letter}}}"
    subs = ",".join(subs)
    if digits and subs:
        return f"{letter}^{{({digits})}}_{{{subs}}}"
    if digits or subs:
        return f"{letter}_{{{digits or subs}}}"
    return letter


def printer(vectors=(), loss="E", written=False, prefer=()):
    """A SymPy LaTeX printer of graph formulas: names by :func:`tex_name`, the components
    of the ``vectors`` as x_i (and x_i^(k) for sample k), the loss E as ``loss`` (TeX).

    ``written``: the expression as written (parsed in WRITTEN or LOOSE mode, see
    solver.graph.ExpressionParser): terms and factors in their order, decimals as
    written (0.5, not 1/2). Else SymPy's order, with a leading term that is not
    negative, and an odd or even function (tanh, cosh, ...) of a difference written the
    way round the problem writes it: SymPy turns tanh(y - t) into -tanh(t - y), which
    is printed tanh(y - t) again when y - t is in ``prefer`` (else when it takes a
    minus sign away).
    """
    from sympy.printing.latex import LatexPrinter

    from ..graph import LOSS_NAME, decimal_tex, sympy_functions
    sp = sympy_functions()[0]
    vectors = set(vectors)

    class Printer(LatexPrinter):
        def _print_Symbol(self, s, style="plain"):
            return loss if s.name == LOSS_NAME else tex_name(s.name)

        def _print_IndexedBase(self, b):
            return tex_name(b.name)

        def _print_Indexed(self, e):
            base = tex_name(e.base.name)
            ix = [self._print(i) for i in e.indices]
            if e.base.name in vectors:
                sub = f"{{{base}}}_{{{ix[0]}}}" if "_" in base else f"{base}_{{{ix[0]}}}"
                return sub + (f"^{{({ix[1]})}}" if len(ix) > 1 else "")
            return f"{{{base}}}^{{({ix[0]})}}" if "_" in base else f"{base}_{{{ix[0]}}}"

        def _print_Function(self, e, exp=None):
            if isinstance(e, sp.core.function.AppliedUndef):  # rho(x1), swish(z) as written
                args = ", ".join(self._print(a) for a in e.args)
                name = e.func.__name__
                if name == "Sum" and len(e.args) in (2, 3):  # a description's Sum(x_k, k[, N])
                    body, k = (self._print(a) for a in e.args[:2])
                    top = f"=1}}^{{{self._print(e.args[2])}}}" if len(e.args) == 3 else "}"
                    return rf"\sum_{{{k}{top} {body}"
                f = ("\\" + name if name in ("max", "min") else tex_name(name) if len(name) == 1 or name in GREEK
                     else r"\operatorname{%s}" % name)
                tex = rf"{f}\left({args}\right)"
                return tex if exp is None else rf"{tex}^{{{exp}}}"
            return super()._print_Function(e, exp)

        def _print_UnevaluatedExpr(self, e):
            return self._print(e.args[0])

        if written:
            def _print_Rational(self, r):  # 0.5 as written (1e-40 and 1/3 as SymPy writes them)
                return decimal_tex(SimpleNamespace(_print=super()._print_Rational), r)

            def _print_Add(self, e, order=None):
                out = ""
                for i, term in enumerate(e.args):
                    neg, body = _negated(sp, term)
                    tex = self._print(body)
                    if neg and (body.is_Add or tex.startswith("-")):
                        tex = rf"\left({tex}\right)"
                    out += ("- " if neg else "") if i == 0 else (" - " if neg else " + ")
                    out += tex
                return out

            def _print_Mul(self, e):
                neg, body = _negated(sp, e)
                if neg:
                    tex = self._print(body)
                    return "- " + (rf"\left({tex}\right)" if body.is_Add else tex)
                # left to right, as read: a/b*c is (a/b) c, a*c/b is (a c)/b
                parts, num = [], []
                for f in e.args:
                    if f.is_Pow and f.exp == -1:
                        if num or not parts:
                            parts.append(([*num] or [sp.Integer(1)], [f.base]))
                        else:
                            parts[-1][1].append(f.base)  # a/b/c
                        num = []
                    else:
                        num.append(f)
                parts += [([f], None) for f in num]
                out = []
                for top, bottom in parts:
                    if bottom is None:
                        out.append(self._factors(top, out))
                    else:
                        out.append(r"\frac{%s}{%s}" % (self._factors(top), self._factors(bottom)))
                return " ".join(out)

            def _factors(self, fs, before=()):
                """Factors side by side (a number after another factor with \\cdot)."""
                out = ""
                for i, f in enumerate(fs):
                    tex = self._print(f)
                    if (f.is_Add and len(fs) + len(before) > 1) or ((i or before) and tex.startswith("-")):
                        tex = rf"\left({tex}\right)"
                    later = i or before
                    out += ("" if not i else " ") + (r"\cdot " if later and (f.is_Number or tex[0].isdigit()) else "")
                    out += tex
                return out

            def _print_Pow(self, e):
                if e.exp.is_Rational and not e.exp.is_Integer:
                    base = self._print(e.base)
                    if not (e.base.is_Symbol or e.base.is_Function):
                        base = rf"\left({base}\right)"
                    return f"{base}^{{{self._print(e.exp)}}}"
                return super()._print_Pow(e)
        else:
            def _as_ordered_terms(self, expr, order=None):
                terms = [_oriented(sp, t, prefer) for t in super()._as_ordered_terms(expr, order)]
                first = next((i for i, t in enumerate(terms) if not t.could_extract_minus_sign()), 0)
                return terms[first:] + terms[:first]

            def orient(self, e):
                """e with its odd and even functions the preferred way round (see printer)."""
                return _oriented(sp, e, prefer)

            def _print_Mul(self, expr):
                new = _oriented(sp, expr, prefer)
                return super()._print_Mul(new) if new is expr or not new.is_Mul else self._print(new)

    settings = {"mul_symbol": None, "fold_short_frac": False, "ln_notation": False}
    if written:
        settings["order"] = "none"
    return Printer(settings)


_ODD, _EVEN = ("tanh", "sinh", "sin"), ("cosh", "cos")


def _oriented(sp, e, prefer):
    """The product e with each odd or even function of a sum turned the preferred way
    round (see :func:`printer`), the sign moved to the coefficient; e itself if none is."""
    if not e.is_Mul:
        return e
    c, rest = e.as_coeff_Mul()
    factors = list(sp.Mul.make_args(rest))
    changed = False
    for i, f in enumerate(factors):
        name = type(f).__name__
        if name in _ODD + _EVEN and f.args[0].is_Add:
            a = f.args[0]
            if -a in prefer or (a not in prefer and c < 0 and name in _ODD):
                factors[i] = sp.UnevaluatedExpr(f.func(-a, evaluate=False))
                c, changed = (-c if name in _ODD else c), True
    if not changed:
        return e
    return sp.Mul(*([] if c == 1 else [c]), *factors, evaluate=False)


def _negated(sp, e):
    """(True, x) for an expression written -x (a Mul led by -1, a negative number), else (False, e)."""
    if e.is_Mul and e.args and e.args[0] == -1:
        rest = e.args[1:]
        return True, rest[0] if len(rest) == 1 else sp.Mul(*rest, evaluate=False)
    if e.is_Number and e < 0:
        return True, -e
    return False, e


#: a formula of a description: the text between two $ signs
_FORMULA = re.compile(r"\$([^$\n]{1,2000})\$")
_RELATION = re.compile(r"(<=|>=|=|<|>)")
_RELATION_TEX = {"<=": r"\le", ">=": r"\ge", "=": "=", "<": "<", ">": ">"}


def description_text(words, names=(), vectors=None, loss="E"):
    """A problem's description as text pieces (solver.document.model): each ``$...$`` a
    formula in the graph expression language (``$rho(x1)$``, ``$x_i^(k)$``, ``$y = w*x$``)
    typeset through the same parser and printer as the graph's equations; every other
    character plain text (escaped by the writer). A formula that does not read stays
    plain text, its dollar signs included. ``names``/``vectors``: the graph's, so that
    ``x[i]`` of a vector prints as its components do.

    >>> description_text("E = $rho(x1) + yhat$; costs $5")
    ('E = ', Math('\\\\rho\\\\left(x_{1}\\\\right) + \\\\hat{y}'), '; costs $5')
    """
    from .model import Math
    if not words:
        return ()
    if "$" not in words:
        return (str(words),)
    pieces, pos = [], 0
    parse = None
    for m in _FORMULA.finditer(words):
        if parse is None:
            parse = _description_parser(names, vectors or {}, loss)
        tex = parse(m.group(1))
        if tex is None:
            continue
        if m.start() > pos:
            pieces.append(words[pos:m.start()])
        pieces.append(Math(tex))
        pos = m.end()
    if pos < len(words):
        pieces.append(words[pos:])
    return tuple(pieces)


def _description_parser(names, vectors, loss):
    """A function formula text -> TeX (or None when it does not read)."""
    from ..graph import LOOSE, ExpressionParser
    known = set(names)
    ex = ExpressionParser(vectors, [n for n in known if n not in vectors])
    p = printer(vectors, loss, written=True)

    def parse(formula):
        sides = _RELATION.split(formula)
        out = []
        for i, side in enumerate(sides):
            if i % 2:
                out.append(f" {_RELATION_TEX[side]} ")
                continue
            try:
                out.append(p.doprint(ex.parse(side, known, LOOSE)))
            except (ValueError, RecursionError, TypeError):
                return None
        return "".join(out)

    return parse
