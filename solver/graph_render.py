"""Render stage of graph problems: a :class:`~solver.graph.Solution` in, LaTeX out.

Names are typeset as the exercises write them: ``w13`` -> w_{13}, ``z1_2`` -> z^{(1)}_{2}
(layer 1, unit 2), ``w1_2_3`` -> w^{(1)}_{2,3}, ``alpha`` -> \\alpha; a vector component
``x[i]`` -> x_i, and for sample k: ``y`` -> y_k, ``x[i]`` -> x_i^{(k)}.

The drawing places inputs in column 0 and every unit one column right of its furthest
input-side parent; parameters and functions of parameters only (shared weights) are
not nodes but edge labels: the edge n -> c carries dc/dn when c is linear in n.
"""

import re

from .graph import (LOSS_NAME, MAX_TIDY, SAMPLE_INDEX, _area, _clip, _derivative, _heavy, _plug,
                    _sympy, _tidy, node_of,
                    per_sample, variable)
from .render import _env, escape, fmt

GREEK = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota", "kappa",
         "mu", "nu", "xi", "rho", "sigma", "tau", "phi", "chi", "psi", "omega", "Gamma",
         "Delta", "Theta", "Lambda", "Xi", "Pi", "Sigma", "Phi", "Psi", "Omega"}
MAX_EDGE_LABELS = 20
#: largest graph drawn (nodes drawn, edges between them) and the room it may take (cm)
MAX_DRAWN = 200
MAX_DRAWN_EDGES = 2000
PAGE_WIDTH = 30.0  # (an overfull drawing up to this width is left as it is)
PAGE_HEIGHT = 40.0
#: ReLU units up to which the table of pieces lists every pattern with its conditions
#: (more: only the pieces of positive area, each with its pattern of signs)
FULL_TABLE_RELUS = 4
#: rows of one table of pieces (a longer list is split: a tabular does not break pages)
TABLE_ROWS = 28
_NAME_PARTS = re.compile(r"^([A-Za-z]+?)(\d*)((?:_[A-Za-z0-9]+)*)$")


def tex_name(name):
    """How a name is typeset.

    >>> [tex_name(n) for n in ("w13", "z1_2", "w1_2_3", "x_1", "y", "alpha", "lr")]
    ['w_{13}', 'z^{(1)}_{2}', 'w^{(1)}_{2,3}', 'x_{1}', 'y', '\\\\alpha', '\\\\mathit{lr}']
    """
    m = _NAME_PARTS.match(name)
    if not m:
        return r"\mathit{%s}" % name.replace("_", r"\_")
    base, digits, rest = m.groups()
    if base + digits in GREEK or (not digits and not rest and name in GREEK):
        base, digits = base + digits, ""
    base = "\\" + base if base in GREEK else base if len(base) == 1 else r"\mathit{%s}" % base
    subs = ",".join(rest.split("_")[1:]) if rest else ""
    if digits and subs:
        return f"{base}^{{({digits})}}_{{{subs}}}"
    if digits or subs:
        return f"{base}_{{{digits or subs}}}"
    return base


def _printer(graph):
    """A SymPy LaTeX printer that knows the graph's names, vectors and samples."""
    sp = _sympy()[0]
    from sympy.printing.latex import LatexPrinter
    vectors = set(graph.problem.vectors)
    loss_tex = "E_{%s}" % SAMPLE_INDEX if graph.problem.samples is not None else "E"

    class Printer(LatexPrinter):
        def _print_Symbol(self, s, style="plain"):
            return loss_tex if s.name == LOSS_NAME else tex_name(s.name)

        def _print_IndexedBase(self, b):
            return tex_name(b.name)

        def _print_Indexed(self, e):
            base = tex_name(e.base.name)
            ix = [self._print(i) for i in e.indices]
            if e.base.name in vectors:
                sub = f"{{{base}}}_{{{ix[0]}}}" if "_" in base else f"{base}_{{{ix[0]}}}"
                return sub + (f"^{{({ix[1]})}}" if len(ix) > 1 else "")
            return f"{{{base}}}^{{({ix[0]})}}" if "_" in base else f"{base}_{{{ix[0]}}}"

        def _as_ordered_terms(self, expr, order=None):
            terms = list(super()._as_ordered_terms(expr, order))
            first = next((i for i, t in enumerate(terms) if not t.could_extract_minus_sign()), 0)
            return terms[first:] + terms[:first]

        def _print_Mul(self, expr):
            c, rest = expr.as_coeff_Mul()
            if c < 0:
                factors = list(sp.Mul.make_args(rest))
                for i, f in enumerate(factors):
                    if isinstance(f, (sp.tanh, sp.sinh, sp.sin)) and f.args[0].is_Add:
                        flipped = sp.UnevaluatedExpr(f.func(-f.args[0], evaluate=False))
                        factors[i] = flipped
                        new = [-c] if c != -1 else []
                        return super()._print_Mul(sp.Mul(*new, *factors, evaluate=False))
            return super()._print_Mul(expr)

        def _print_UnevaluatedExpr(self, e):
            return self._print(e.args[0])

    return Printer({"mul_symbol": None, "fold_short_frac": False, "ln_notation": False})


class _Doc:
    """What the template needs, computed from a solution: LaTeX strings and numbers."""

    def __init__(self, s):
        self.s, self.g, self.p = s, s.graph, s.problem
        self.printer = _printer(self.g)
        self.numeric = self.p.numeric

    def tex(self, e):
        return self.printer.doprint(e)

    def num(self, v):
        return fmt(v, self.p.digits)

    def name(self, n):
        return self.tex(self.g.sym[n]) if n != LOSS_NAME else self.tex(_sympy()[0].Symbol(LOSS_NAME))

    def var(self, d):
        """The variable of a derivative name (w[i] -> w_i)."""
        return self.tex(variable(self.g, d)) if "[" in d else self.name(d)

    def dfrac(self, top, bottom):
        return r"\frac{\partial %s}{\partial %s}" % (top, bottom)

    # -- equations
    def equations(self):
        rows = []
        for n, v in self.p.leaves.items():
            kind = self.g.kind[n]
            if v is not None:
                rows.append((self.name(n), self.num(v), kind))
        defs = []
        for n in self.g.order:
            if n in self.g.expr:
                value = self.s.values.get(n)
                defs.append((self.name(n), self.tex(self.g.expr[n]),
                             None if value is None else self.num(value)))
        return rows, defs

    # -- derivatives
    def chain(self, r):
        """The chain rule of one derivative as a list of lines (one per path)."""
        var = self.var(r.name)
        lines = []
        for path in r.paths:
            factors = []
            for a, b in zip(path[1:][::-1], path[:-1][::-1]):
                factors.append(self.dfrac(self.name(a), self.var(r.name) if b == node_of(r.name) else self.name(b)))
            lines.append(" ".join(factors))
        return var, lines

    def local_rows(self):
        """Every local derivative used, in the order of the backward pass, two to a row."""
        rows = self._local_rows()
        return [rows[i:i + 2] for i in range(0, len(rows), 2)]

    def _local_rows(self):
        rows = []
        for st in self.s.steps:
            var = self._step_var(st.node)
            for c, f, v in st.terms:
                rows.append((self.dfrac(self.name(c), var), self.tex(f), None if v is None else self.num(v)))
        return rows

    def _step_var(self, n):
        d = next((d for d in self.p.derivatives if node_of(d) == n and "[" in d), None)
        return self.var(d) if d else self.name(n)

    def backward_rows(self):
        """dE/dn = sum_c dE/dc dc/dn, in symbols, then numbers or the simplified formula."""
        E = self.name(LOSS_NAME)
        rows = [(self.dfrac(E, E), "1", None)]
        adj_value = {LOSS_NAME: 1.0}
        for st in self.s.steps:
            var = self._step_var(st.node)
            lhs = self.dfrac(E, var)
            generic = " + ".join(
                self.dfrac(E, self.name(c)) + r"\," + self.dfrac(self.name(c), var) if c != LOSS_NAME
                else self.tex(f) for c, f, _ in st.terms)
            if self.numeric:
                nums = " + ".join(
                    (f"({self.num(adj_value[c])})" if c != LOSS_NAME else "") + f"({self.num(v)})"
                    for c, _, v in st.terms) if any(c != LOSS_NAME for c, _, _ in st.terms) else None
                adj_value[st.node] = st.value
                rows.append((lhs, generic, nums, self.num(st.value)))
            else:
                with_formulas = " + ".join(
                    self.dfrac(E, self.name(c)) + r"\," + self._paren(f) if c != LOSS_NAME
                    else self.tex(f) for c, f, _ in st.terms)
                same = with_formulas == generic
                rows.append((lhs, generic, None if same else with_formulas,
                             None if st.formula is None else self.tex(st.formula)))
        return rows[1:]

    def _paren(self, f):
        t = self.tex(f)
        return f"\\left({t}\\right)" if f.is_Add else t

    def results(self):
        out = []
        E = self.name(LOSS_NAME)
        for r in self.s.results:
            row = {"lhs": self.dfrac(E, self.var(r.name)), "value": None, "formula": None,
                   "closed": None, "total": None, "newp": None, "paths": self.chain(r)[1],
                   "n_paths": r.n_paths, "raw": False, "cse": None, "frozen": None}
            if r.value is not None:
                row["value"] = self.num(r.value)
            if r.formula is not None and (not self.numeric or _short(r.formula)):
                row["formula"] = self.tex(r.formula)
                row["raw"] = not r.tidy
            if r.closed is not None and (not self.numeric or _short(r.closed)):
                row["closed"] = self.tex(r.closed)
            if r.cse is not None and row["formula"] is not None:  # instead of the long formula
                pairs, reduced = r.cse
                row["cse"] = ([(self.tex(a), self.tex(b)) for a, b in pairs], self.tex(reduced))
                row["formula"] = None
            if r.total is not None:
                row["total"] = self.total(r)
            if r.new_value is not None and r.frozen:
                row["frozen"] = (self.name(r.name), self.num(self.p.parameters[r.name]))
            elif r.new_value is not None:
                row["newp"] = (self.name(r.name), fmt(self.p.learning_rate, self.p.digits),
                                 self.num(r.value), self.num(self.p.parameters[r.name]), self.num(r.new_value))
            out.append(row)
        return out

    def total(self, r):
        """(dE/dvar over all samples, its chain rule, its formula) with 1/N written in front."""
        sp = _sympy()[0]
        var, E = self.total_var(r), self.name(LOSS_NAME)
        per = node_of(r.name) in self.g.per_sample
        k, N = SAMPLE_INDEX, self.tex(_samples(self.p))
        rule = (r"\frac{\partial E}{\partial %s}\,%s" % (E, self.dfrac(E, var)) if per else
                r"\sum_{%s=1}^{%s} \frac{\partial E}{\partial %s}\,%s" % (k, N, E, self.dfrac(E, self.var(r.name))))
        factors = sp.Mul.make_args(r.total)
        den = [f.base for f in factors if f.is_Pow and f.exp == -1]
        num = sp.Mul(*[f for f in factors if not (f.is_Pow and f.exp == -1)])
        formula = (r"\frac{1}{%s} " % self.tex(sp.Mul(*den)) if den else "") + self._paren(num)
        return self.dfrac("E", var), rule, formula

    def total_var(self, r):
        sp = _sympy()[0]
        v = variable(self.g, r.name) if "[" in r.name else self.g.sym[r.name]
        if node_of(r.name) in self.g.per_sample:
            v = per_sample(self.g, v, sp.Symbol(SAMPLE_INDEX, integer=True))
        return self.tex(v)

    # -- drawing
    def drawing(self):
        """TikZ nodes and edges of the graph: (nodes, edges, scale); no nodes when the graph
        is too large to draw (MAX_DRAWN nodes, MAX_DRAWN_EDGES edges).

        Edge labels are left off when there are more than MAX_EDGE_LABELS of them (the
        equations give every weight); they would cover one another. A drawing wider or
        taller than the page is scaled down (scale below 1)."""
        g = self.g
        drawn = [n for n in g.order if g.kind[n] in ("input", "unit", "loss")]
        if len(drawn) > MAX_DRAWN or sum(len(g.parents[n]) for n in drawn) > MAX_DRAWN_EDGES:
            return [], [], 1.0
        depth = {}
        for n in drawn:
            ups = [depth[m] for m in g.parents[n] if m in depth]
            depth[n] = 1 + max(ups) if ups else 0
        last = max(depth.values())
        targets = [n for n in g.order if g.kind[n] == "target" and LOSS_NAME in g.expr]
        cols = {}
        for n in drawn:
            cols.setdefault(depth[n], []).append(n)
        pos = {}
        for d, ns in cols.items():
            for i, n in enumerate(ns):
                pos[n] = (2.6 * d, 1.5 * ((len(ns) - 1) / 2 - i))
        for i, n in enumerate(targets):  # right of E, which they feed
            pos[n] = (2.6 * last + 2.0, pos.get(LOSS_NAME, (0, 0))[1] + 1.2 * ((len(targets) - 1) / 2 - i))
        nodes, edges = [], []
        for n in drawn + targets:
            caption = ""
            labels = {}
            if n in g.expr:
                caption, labels = self._unit(n, [m for m in g.parents[n] if m in pos])
            style = {"input": "inp", "target": "inp", "loss": "loss"}.get(g.kind[n], "unit")
            nodes.append({"id": _id(n), "x": f"{pos[n][0]:.2f}", "y": f"{pos[n][1]:.2f}",
                          "label": self.name(n), "style": style, "caption": caption,
                          "side": "south"})
            for m in g.parents[n]:
                if m in pos:
                    edges.append({"a": _id(m), "b": _id(n), "label": labels.get(m, "")})
        if sum(1 for e in edges if e["label"]) > MAX_EDGE_LABELS:
            for e in edges:
                e["label"] = ""
        xs, ys = [x for x, _ in pos.values()], [y for _, y in pos.values()]
        scale = min(1.0, PAGE_WIDTH / (max(xs) - min(xs) + 2), PAGE_HEIGHT / (max(ys) - min(ys) + 2))
        return nodes, edges, scale

    def _unit(self, n, ups):
        """(caption, {parent: edge label}) for a unit c = f(sum_n w_n n + b)."""
        sp, relu, sigmoid, _ = _sympy()
        e = self.g.expr[n]
        if _heavy(e):  # (questions about it could take minutes: see graph._call)
            return "", {}
        names = {"relu": r"\operatorname{ReLU}", "tanh": r"\tanh", "sigmoid": r"\sigma"}
        act = e.func.__name__ if (len(e.args) == 1 and e.func.__name__ in names) else None
        lin = e.args[0] if act else e
        syms = [self.g.sym[m] for m in ups]
        try:
            if any(isinstance(s, sp.IndexedBase) for s in syms) or e.has(sp.Sum):
                raise TypeError
            coef = {m: _derivative(lin, s) for m, s in zip(ups, syms)}
            if any(c.has(*syms) for c in coef.values()):
                raise TypeError
            bias = _tidy(_plug(lin, {s: sp.Integer(0) for s in syms}, {}))[0]
        except TypeError:
            return (f"${self.tex(e)}$" if sp.count_ops(e) <= 12 else ""), {}
        cap = f"${names[act]}$" if act else (r"$\Sigma$" if lin.is_Add or len(ups) > 1 else "")
        if bias != 0:
            cap += f", $b = {self.tex(bias)}$"
        if not act and not lin.is_Add and len(ups) == 1 and coef[ups[0]] != 1:
            cap = ""
        if not act and not (lin.is_Add or lin.is_Mul or lin.is_Symbol):
            return (f"${self.tex(e)}$" if sp.count_ops(e) <= 12 else ""), {}
        return cap, {m: f"${self.tex(c)}$" for m, c in coef.items()}

    # -- ReLU pieces
    def pieces(self):
        """The rows of the table of pieces: every pattern with its conditions while there
        are at most FULL_TABLE_RELUS units, else the pieces of positive area only, each
        with its pattern of signs (2^10 rows would not fit in a document)."""
        x = [self.g.sym[n] for n in self.p.inputs]
        out = []
        compact = self.compact()
        for pc in self.s.pieces:
            if compact:
                if pc.empty:
                    continue
                conds = "(" + "".join("{+}" if on else "{-}" for on in pc.pattern) + ")"
            else:
                rel = {True: r"\geq", False: "<"}
                conds = r" \wedge ".join(f"({self.tex(c)} {rel[on]} 0)"
                                         for c, on in zip(pc.conditions, pc.pattern))
            if pc.empty:
                verdict = "empty"
            else:
                verdict = self._verdict(pc, x)
            out.append({"number": pc.number, "conds": conds, "empty": pc.empty,
                        "output": None if pc.empty else self.tex(pc.output), "verdict": verdict})
        return out

    def compact(self):
        return bool(self.s.pieces) and len(self.s.pieces[0].pattern) > FULL_TABLE_RELUS

    def _verdict(self, pc, x):
        sp = _sympy()[0]
        y = self.name(self.p.boundary)
        if not pc.output.free_symbols:
            sign = ">" if pc.output > 0 else "<" if pc.output < 0 else "="
            return f"${y} {sign} 0$ on the whole piece"
        if pc.boundary:
            var = x[1] if pc.output.coeff(x[1]) != 0 else x[0]
            a = pc.output.coeff(var)
            sol = sp.expand(-(pc.output - a * var) / a)  # the output is linear: solve by hand
            return f"boundary ${self.tex(var)} = {self.tex(sol)}$"
        cx = sum(q[0] for q in pc.polygon) / len(pc.polygon)
        cy = sum(q[1] for q in pc.polygon) / len(pc.polygon)
        v = float(pc.output.subs({x[0]: cx, x[1]: cy}))
        return f"${y} {'>' if v > 0 else '<'} 0$ on the whole piece"

    def plot(self):
        """TikZ of the pieces: regions coloured by the sign of the output, boundary thick."""
        if not self.s.pieces:
            return None
        x = [self.g.sym[n] for n in self.p.inputs]
        w = self.s.window
        scale = 3.0 / w
        fills, outlines, bounds, labels = [], [], [], []

        def path(poly):
            return " -- ".join(f"({px * scale:.3f},{py * scale:.3f})" for px, py in poly) + " -- cycle"

        for pc in self.s.pieces:
            if pc.empty:
                continue
            for sign, colour in ((1, "pos"), (-1, "neg")):
                part = _clip(pc.polygon, sign * pc.output, x)
                if _area(part) > 1e-9:
                    fills.append((colour, path(part)))
            outlines.append(path(pc.polygon))
            if pc.boundary:
                (ax, ay), (bx, by) = pc.boundary
                bounds.append(f"({ax * scale:.3f},{ay * scale:.3f}) -- ({bx * scale:.3f},{by * scale:.3f})")
            cx = sum(q[0] for q in pc.polygon) / len(pc.polygon)
            cy = sum(q[1] for q in pc.polygon) / len(pc.polygon)
            labels.append((f"{cx * scale:.3f}", f"{cy * scale:.3f}", pc.number))
        step = max(1, int(w // 3))
        ticks = [t for t in range(-int(w), int(w) + 1, step) if t != 0]
        return {"fills": fills, "outlines": outlines, "bounds": bounds, "labels": labels,
                "size": f"{3.0:.2f}", "ticks": [(f"{t * scale:.3f}", t) for t in ticks],
                "x1": self.name(list(self.p.inputs)[0]), "x2": self.name(list(self.p.inputs)[1]),
                "y": self.name(self.p.boundary)}


def _samples(p):
    sp = _sympy()[0]
    return sp.Symbol(p.samples) if isinstance(p.samples, str) else sp.Integer(p.samples)


def _short(e):
    return _sympy()[0].count_ops(e) <= 14


def _id(n):
    return "n" + re.sub(r"[^A-Za-z0-9]", "x", n)


def render(solution):
    """The LaTeX document of a solved graph problem."""
    d = _Doc(solution)
    p = solution.problem
    leaves, defs = d.equations()
    nodes, edges, scale = d.drawing()
    pieces = d.pieces()
    return _env().get_template("graph.tex.j2").render(
        title=escape(p.title), description=escape(p.description), numeric=p.numeric,
        leaves=leaves, defs=defs, nodes=nodes, edges=edges,
        scale=None if scale >= 1 else f"{scale:.3f}", n_drawn=len(solution.graph.order),
        samples=None if p.samples is None else (tex_name(p.samples) if isinstance(p.samples, str) else str(p.samples)),
        reduction=p.reduction, k=SAMPLE_INDEX,
        vectors=[(tex_name(n), tex_name(s) if isinstance(s, str) else s) for n, s in p.vectors.items()],
        has_loss=LOSS_NAME in solution.graph.expr, E=d.name(LOSS_NAME),
        locals=d.local_rows(), backward=d.backward_rows(), results=d.results(),
        learning_rate=None if p.learning_rate is None else fmt(p.learning_rate, p.digits),
        pieces=pieces, piece_tables=[pieces[i:i + TABLE_ROWS] for i in range(0, len(pieces), TABLE_ROWS)],
        compact=d.compact(), units=len(solution.pieces[0].pattern) if solution.pieces else 0,
        n_pieces=len(solution.pieces), plot=d.plot(), max_tidy=MAX_TIDY,
        untidy_steps=any(not st.tidy and st.formula is not None for st in solution.steps) and not p.numeric,
        boundary=None if p.boundary is None else d.name(p.boundary),
        inputs=[d.name(n) for n in p.inputs])
