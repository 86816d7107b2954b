"""The worked solution of a graph problem as a document (solver.document.model).

Names are typeset as the exercises write them: ``w13`` -> w_{13}, ``z1_2`` -> z^{(1)}_{2}
(layer 1, unit 2), ``w1_2_3`` -> w^{(1)}_{2,3}, ``alpha`` -> \\alpha; a vector component
``x[i]`` -> x_i, and for sample k: ``y`` -> y_k, ``x[i]`` -> x_i^{(k)}.

The document has the sections of a layered one, in the same house style: the network
(its equations, values and drawing), the chain rule (paths and local derivatives), the
backward pass, the result, and for a ReLU network with two inputs its linear pieces and
decision boundary.

The drawing places inputs in column 0 and every unit one column right of its furthest
input-side parent; parameters and functions of parameters only (shared weights) are
not nodes but edge labels: the edge n -> c carries dc/dn when c is linear in n.
"""

import re

from .. import graph as g_
from ..graph import LOSS_NAME, MAX_TIDY, SAMPLE_INDEX, node_of, per_sample, variable
from .model import (Align, Axes, Break, Center, Document, Drawing, Edge, Heading, Label, Math,
                    Node, Para, Region, Row, Segment, Table, Tag, Title, fmt, plain, text)
from .notation import LOSS_TEX, description_text, printer, tex_name

MAX_EDGE_LABELS = 20
#: largest graph drawn (nodes drawn, edges between them) and the room it may take (cm)
MAX_DRAWN = 200
MAX_DRAWN_EDGES = 2000
PAGE_WIDTH = 30.0  # (the writer fits a drawing wider than the line to its width)
PAGE_HEIGHT = 40.0
#: ReLU units up to which the table of pieces lists every pattern with its conditions
#: (more: only the pieces of positive area, each with its pattern of signs)
FULL_TABLE_RELUS = 4
#: rows of one table of pieces (a longer list is split: a tabular does not break pages)
TABLE_ROWS = 28
def _sp():
    return g_.sympy_functions()[0]


class _Names:
    """How the quantities of one solution are written: names, formulas (SymPy's tidy
    order, or as the problem file writes them), numbers; ``E`` is the loss's symbol."""

    def __init__(self, s):
        self.s, self.g, self.p = s, s.graph, s.problem
        self.E = LOSS_TEX[self.p.loss_symbol]
        loss = self.E + ("_{%s}" % SAMPLE_INDEX if self.p.samples is not None else "")
        self.as_written = printer(self.p.vectors, loss, written=True)
        self.printer = printer(self.p.vectors, loss, prefer=self._written_differences())
        # the nodes of the backward pass that reach E directly and through other quantities
        self.direct = {st.node for st in s.steps
                       if len(st.terms) > 1 and any(ch == LOSS_NAME for ch, _, _ in st.terms)}

    def tex(self, e):
        return self.printer.doprint(e)

    def _written_differences(self):
        """The sums that functions take in the problem file, as written (y - t of cosh(y - t))."""
        sp = _sp()
        out = set()
        for n in self.g.expr:
            for f in sp.preorder_traversal(self.g.as_written(n)):
                if isinstance(f, sp.Function) and f.args and f.args[0].is_Add:
                    out.add(f.args[0].doit())
        return out

    def written(self, n):
        """The definition of node n as the problem file writes it."""
        return self.as_written.doprint(self.g.as_written(n))

    def num(self, v):
        return fmt(v, self.p.digits)

    def name(self, n):
        return self.tex(self.g.sym[n]) if n != LOSS_NAME else self.tex(_sp().Symbol(LOSS_NAME))

    def var(self, d):
        """The variable of a derivative name (w[i] -> w_i)."""
        return self.tex(variable(self.g, d)) if "[" in d else self.name(d)

    def step_var(self, n):
        d = next((d for d in self.p.derivatives if node_of(d) == n and "[" in d), None)
        return self.var(d) if d else self.name(n)

    def paren(self, f):
        t = self.tex(f)
        return f"\\left({t}\\right)" if f.is_Add else t

    def local(self, child, node):
        """The local derivative d child / d node as a symbol. The derivative of E's own
        formula by a node that also reaches E through other quantities is written
        \\partial^{direct}: it is not the total dE/dnode."""
        var = self.step_var(node)
        if child == LOSS_NAME and node in self.direct:
            return dfrac(self.name(child), var, direct=True)
        return dfrac(self.name(child), var)

    def lines(self, e, lhs):
        """Align rows ``lhs = e``, e broken over lines when too long for one (see :func:`broken`)."""
        parts = broken(self, e)
        return [Row(Math(f"{lhs} &= {parts[0]}"))] + [Row(Math(rf"&\quad {t}")) for t in parts[1:]]


def dfrac(top, bottom, direct=False):
    mark = r"^{\mathrm{direct}}" if direct else ""
    return r"\frac{\partial%s %s}{\partial %s}" % (mark, top, bottom)


def plus(parts):
    """TeX terms joined by + (a term that starts with a minus sign by -: never "+ -y")."""
    out = ""
    for i, t in enumerate(parts):
        t = t.strip()
        if i and t.startswith("-"):
            out += " - " + t[1:].lstrip()
        else:
            out += (" + " if i else "") + t
    return out


#: width of a display line in characters (estimated as :func:`width` counts them)
LINE = 66
_OPEN, _CLOSE, _BREAK = object(), object(), object()


def width(tex):
    """A rough count of the characters a TeX formula shows (a command is one symbol)."""
    t = re.sub(r"\\(left|right)[.()|]?|\\(frac|mathit|operatorname|mathrm)\b", "", tex)
    t = re.sub(r"\\[A-Za-z]+", "x", t)
    return len(re.sub(r"[{}^_ ,]", "", t))


def broken(c, e, line=LINE):
    """The TeX of e in lines of at most ``line`` characters (estimated), broken between
    the terms of a sum, also inside parentheses (closed by \\right. at the end of a line
    and opened again by \\left. on the next); a part that cannot be broken (a fraction, a
    function) stays whole."""
    segments, seg = [], []
    for t in _pieces_of(c, e, line) + [_BREAK]:
        if t is _BREAK:
            segments.append(seg)
            seg = []
        else:
            seg.append(t)
    lines, cur, depth, w = [], "", 0, 0
    for seg in segments:
        text = "".join(r"\left(" if t is _OPEN else r"\right)" if t is _CLOSE else t for t in seg)
        if cur and w + width(text) > line:
            lines.append(cur + r"\right." * depth)
            cur, w = r"\left." * depth, 0
        cur += text
        w += width(text)
        depth += sum(1 for t in seg if t is _OPEN) - sum(1 for t in seg if t is _CLOSE)
    lines.append(cur)
    return lines


def _pieces_of(c, e, line):
    """e as TeX pieces with the places a line may break (_BREAK) and parentheses (_OPEN, _CLOSE)."""
    sp = _sp()
    if not (e.is_Add or e.is_Mul) or g_.heavy(e) or width(c.tex(e)) <= 8:
        return [c.tex(e)]
    if e.is_Add:
        out = []
        for i, t in enumerate(c.printer._as_ordered_terms(e)):
            neg = t.could_extract_minus_sign()
            body = _pieces_of(c, -t if neg else t, line)
            out += ([] if i == 0 else [_BREAK]) + ([("- " if i == 0 else " - ") if neg else ("" if i == 0 else " + ")]
                                                   + body)
        return out
    coeff, rest = c.printer.orient(e).as_coeff_Mul()
    factors = list(sp.Mul.make_args(rest))
    if any(f.is_Pow and f.exp.is_negative for f in factors):
        return [c.tex(e)]  # a fraction stays whole
    out = ["- "] if coeff == -1 else [] if coeff == 1 else [c.tex(coeff) + " "]
    for f in rest.as_ordered_factors():
        out += [_OPEN, *_pieces_of(c, f, line), _CLOSE, " "] if f.is_Add else [*_pieces_of(c, f, line), " "]
    return out


def build(solution):
    """The worked solution of a solved graph problem as a Document."""
    c = _Names(solution)
    p = solution.problem
    doc = Document()
    doc.add(Title(plain(p.title), ("Worked solution",)))
    if p.description:
        doc.add(Para(description_text(p.description, list(p.leaves) + list(p.define), p.vectors, c.E)))
    doc.add(Break(), *_network(c))
    number = 2
    if LOSS_NAME in solution.graph.expr and solution.results:
        for title, blocks in (("The chain rule", _chain_rule(c)), ("The backward pass", _backward(c)),
                              ("Result", _results(c))):
            doc.add(Break(), Heading((title,), number=str(number)), *blocks)
            number += 1
    if solution.pieces:
        doc.add(Break(), Heading(("Linear pieces and decision boundary",), number=str(number)), *_pieces(c))
    return doc


# ---------------------------------------------------------------------------------------
# 1. the network


def statement(solution):
    """The network section as an exam's question sheet states it: the given values, the
    equations and the drawing, without the values the forward pass computes."""
    return _network(_Names(solution), answers=False)


def _network(c, answers=True):
    p, g = c.p, c.g
    blocks = [Heading(("The network",), number="1")]
    k = SAMPLE_INDEX
    samples = None if p.samples is None else (tex_name(p.samples) if isinstance(p.samples, str) else str(p.samples))
    if samples:
        blocks.append(Para(text(f"The equations below are those of one sample ${k}$ of ${samples}$.")))
    for n, size in p.vectors.items():
        size = tex_name(size) if isinstance(size, str) else size
        blocks.append(Para(text(f"${tex_name(n)}$ is a vector of ${size}$ components.")))
    leaves = [f"${c.name(n)} = {c.num(v)}$" for n, v in p.leaves.items() if v is not None]
    if leaves:
        blocks.append(Para(text("Given: " + ", ".join(leaves) + ".")))
    blocks.append(Para(("The forward pass computes each quantity from the ones before it:"
                        if p.numeric and answers else "The quantities are defined in order:",)))
    rows = []
    for n in g.order:
        if n in g.expr:
            value = c.s.values.get(n) if answers else None
            rows.append(Row(Math(c.name(n), " &= ", c.written(n),
                                 "" if value is None else " = " + c.num(value)), key=("values", n)))
    if samples and LOSS_NAME in g.expr:
        mean = r"\frac{1}{%s}" % samples if p.reduction == "mean" else ""
        rows.append(Row(Math(rf"{c.E} &= {mean}\sum_{{{k}=1}}^{{{samples}}} {c.name(LOSS_NAME)}")))
    if rows:
        blocks.append(Align(rows, gap="0.5ex"))
    drawing = _drawing(c)
    if drawing is None:
        blocks.append(Para((f"The graph has {len(g.order)} nodes: too many to draw.",)))
    else:
        labelled = any(isinstance(i, Edge) and i.label is not None for i in drawing.items)
        blocks += [Center([drawing]), Para(text(
            "Inputs are shaded; " + ("each edge carries the weight of its input where the unit is linear in it, and "
                                     if labelled else "the weights are in the equations above (too many to label "
                                                      "the edges); ")
            + "each unit names its nonlinearity and bias under it."))]
    return blocks


def _drawing(c):
    """The graph drawn, or None when it is too large (MAX_DRAWN nodes, MAX_DRAWN_EDGES
    edges). Edge labels are left off when there are more than MAX_EDGE_LABELS of them
    (the equations give every weight); a drawing larger than the page is scaled down."""
    g = c.g
    drawn = [n for n in g.order if g.kind[n] in ("input", "unit", "loss")]
    if len(drawn) > MAX_DRAWN or sum(len(g.parents[n]) for n in drawn) > MAX_DRAWN_EDGES:
        return None
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
    nodes, tags, edges = [], [], []
    for n in drawn + targets:
        caption, labels = ("", {})
        if n in g.expr:
            caption, labels = _unit(c, n, [m for m in g.parents[n] if m in pos])
        style = {"input": "inp", "target": "inp", "loss": "outp"}.get(g.kind[n], "hid")
        nodes.append(Node(_id(n), pos[n][0], pos[n][1], Math(c.name(n)), style))
        if caption:
            tags.append(Tag(_id(n), text(caption), side="south", style="laycap"))
        for m in g.parents[n]:
            if m in pos:
                edges.append(Edge(_id(m), _id(n), labels.get(m), 0.3))
    if sum(1 for e in edges if e.label is not None) > MAX_EDGE_LABELS:
        for e in edges:
            e.label = None
    xs, ys = [x for x, _ in pos.values()], [y for _, y in pos.values()]
    scale = min(1.0, PAGE_WIDTH / (max(xs) - min(xs) + 2), PAGE_HEIGHT / (max(ys) - min(ys) + 2))
    return Drawing(nodes + tags + edges, scale)


def _unit(c, n, ups):
    """(caption, {parent: edge label}) for a unit c = f(sum_n w_n n + b)."""
    sp, relu, sigmoid, _ = g_.sympy_functions()
    e = c.g.expr[n]
    if g_.heavy(e):  # (questions about it could take minutes: see solver.graph)
        return "", {}
    names = {"relu": r"\operatorname{ReLU}", "tanh": r"\tanh", "sigmoid": r"\sigma"}
    act = e.func.__name__ if (len(e.args) == 1 and e.func.__name__ in names) else None
    lin = e.args[0] if act else e
    syms = [c.g.sym[m] for m in ups]
    try:
        if any(isinstance(s, sp.IndexedBase) for s in syms) or e.has(sp.Sum):
            raise TypeError
        coef = {m: g_.derivative(lin, s) for m, s in zip(ups, syms)}
        if any(k.has(*syms) for k in coef.values()):
            raise TypeError
        bias = g_.tidy(g_.plug(lin, {s: sp.Integer(0) for s in syms}, {}))[0]
    except TypeError:
        return (f"${c.written(n)}$" if sp.count_ops(e) <= 12 else ""), {}
    cap = f"${names[act]}$" if act else (r"$\Sigma$" if lin.is_Add or len(ups) > 1 else "")
    if bias != 0:
        cap += f", $b = {c.tex(bias)}$"
    if not act and not lin.is_Add and len(ups) == 1 and coef[ups[0]] != 1:
        cap = ""
    if not act and not (lin.is_Add or lin.is_Mul or lin.is_Symbol):
        return (f"${c.written(n)}$" if sp.count_ops(e) <= 12 else ""), {}
    return cap, {m: Math(c.tex(k)) for m, k in coef.items()}


def _id(n):
    return "n" + re.sub(r"[^A-Za-z0-9]", "x", n)


# ---------------------------------------------------------------------------------------
# 2. the chain rule, 3. the backward pass


def _paths(c, r):
    """The chain rule of one derivative: one product of local derivatives per path."""
    lines = []
    for path in r.paths:
        factors = []
        for a, b in zip(path[1:][::-1], path[:-1][::-1]):
            factors.append(dfrac(c.name(a), c.var(r.name) if b == node_of(r.name) else c.name(b),
                                 direct=a == LOSS_NAME and b in c.direct))
        lines.append(" ".join(factors))
    return lines


def _total(c, r):
    """(dE/dvar over all samples, its chain rule, its formula) with 1/N written in front."""
    sp = _sp()
    var = _total_var(c, r)
    E = c.name(LOSS_NAME)
    per = node_of(r.name) in c.g.per_sample
    k, N = SAMPLE_INDEX, c.tex(_samples(c.p))
    rule = (r"%s\,%s" % (dfrac(c.E, E), dfrac(E, var)) if per else
            r"\sum_{%s=1}^{%s} %s\,%s" % (k, N, dfrac(c.E, E), dfrac(E, c.var(r.name))))
    factors = sp.Mul.make_args(r.total)
    den = [f.base for f in factors if f.is_Pow and f.exp == -1]
    num = sp.Mul(*[f for f in factors if not (f.is_Pow and f.exp == -1)])
    formula = (r"\frac{1}{%s} " % c.tex(sp.Mul(*den)) if den else "") + c.paren(num)
    return dfrac(c.E, var), rule, formula


def _total_var(c, r):
    sp = _sp()
    v = variable(c.g, r.name) if "[" in r.name else c.g.sym[r.name]
    if node_of(r.name) in c.g.per_sample:
        v = per_sample(c.g, v, sp.Symbol(SAMPLE_INDEX, integer=True))
    return c.tex(v)


def _samples(p):
    sp = _sp()
    return sp.Symbol(p.samples) if isinstance(p.samples, str) else sp.Integer(p.samples)


def _chain_rule(c):
    p = c.p
    E = c.name(LOSS_NAME)
    blocks = [Para(text(f"The derivative of ${c.E}$ by a quantity is the sum, over every path from that quantity "
                        f"to ${c.E}$ in the graph, of the product of the local derivatives along the path."))]
    for r in c.s.results:
        lhs = dfrac(E, c.var(r.name))
        lines = _paths(c, r)
        if lines and lines != [lhs]:  # (one edge into E says nothing: its local derivative is below)
            blocks.append(Align([Row(Math(lhs, " &= ", " \\\\ &\\quad + ".join(lines)))]))
        elif r.n_paths == 0:
            blocks.append(Para(text(f"No path leads from ${c.var(r.name)}$ to ${c.E}$: ${lhs} = 0$.")))
        elif not lines:
            blocks.append(Para(text(f"${lhs}$ is a sum over {r.n_paths} paths (too many to list); "
                                    "the backward pass below computes it.")))
        if r.total is not None:
            total = _total(c, r)
            weight = r"\frac{1}{%s}" % c.tex(_samples(p)) if p.reduction == "mean" else "1"
            blocks.append(Para(text(rf"Over the samples, with ${dfrac(c.E, E)} = {weight}$:")))
            blocks.append(Align([Row(Math(f"{total[0]} &= {total[1]}."))]))
    if c.direct:
        blocks.append(Para(text(
            rf"Here $\partial^{{\mathrm{{direct}}}} {E} / \partial n$ is the derivative of the formula of ${E}$ "
            rf"itself by $n$, every other quantity in it held fixed: the edge from $n$ to ${E}$ alone, not the "
            rf"total derivative $\partial {E} / \partial n$, which adds the paths through the other quantities.")))
    rows = []
    for st in c.s.steps:
        for child, f, v in st.terms:
            formula = c.tex(f)
            shown = "" if v is None or f.is_Number else f" = {c.num(v)}"  # (never "= 1 = 1")
            rows.append(f"{c.local(child, st.node)} &= {formula}{shown}")
    where = ", each as a formula and at the values of the forward pass" if p.numeric else ""
    if rows:
        blocks += [Para((f"The local derivatives{where}:",)),
                   Align([Row(Math(r" & \qquad ".join(rows[i:i + 2]))) for i in range(0, len(rows), 2)],
                         gap="0.5ex")]
    return blocks


def _backward(c):
    """dE/dn = sum_c dE/dc dc/dn, in symbols, then numbers or the simplified formula."""
    E = c.name(LOSS_NAME)
    adj_value = {LOSS_NAME: 1.0}
    rows = []
    for st in c.s.steps:
        var = c.step_var(st.node)
        lhs = dfrac(E, var)
        generic = plus([dfrac(E, c.name(ch)) + r"\," + c.local(ch, st.node) if ch != LOSS_NAME
                        else c.tex(f) for ch, f, _ in st.terms])
        if c.p.numeric:
            nums = plus([(f"({c.num(adj_value[ch])})" if ch != LOSS_NAME else "") + f"({c.num(v)})"
                         for ch, _, v in st.terms]) if any(ch != LOSS_NAME for ch, _, _ in st.terms) else None
            adj_value[st.node] = st.value
            final = c.num(st.value)
        else:
            with_formulas = plus([dfrac(E, c.name(ch)) + r"\," + c.paren(f) if ch != LOSS_NAME
                                  else c.tex(f) for ch, f, _ in st.terms])
            nums = None if with_formulas == generic else with_formulas
            final = None if st.formula is None else c.tex(st.formula)
        row = f"{lhs} &= {generic}" + (f" \\\\ &= {nums}" if nums else "")
        if final and final != generic:
            row += f" = {final}"
        rows.append(Row(Math(row), key=("gradients", st.node)))
    blocks = [Para(text(rf"Going through the graph from ${c.E}$ back to the inputs (reverse topological order), each "
                        rf"$\partial {c.E} / \partial n$ is computed once, from the derivatives of the children of $n$ "
                        "already computed, and reused: no product of the chain rule is formed twice.")),
              Align(rows, gap="1ex")] if rows else [
        Para(text(f"No requested quantity has a path to ${c.E}$: there is nothing to pass back."))]
    if any(not st.tidy and st.formula is not None for st in c.s.steps) and not c.p.numeric:
        blocks.append(Para((f"A formula of more than {MAX_TIDY} operations (or with functions of long "
                            "arguments) is written as the backward pass computes it, not simplified: simplifying "
                            "has a budget, so that the document never waits on it.",)))
    return blocks


# ---------------------------------------------------------------------------------------
# 4. the result


def _short(e):
    return _sp().count_ops(e) <= 14


def _results(c):
    """Each requested derivative: its formula (also when long: broken over lines), its
    closed form when short, its value; the total over the samples; the update."""
    p = c.p
    E = c.name(LOSS_NAME)
    blocks = []
    budget = (f"beyond the budget for simplifying (more than {MAX_TIDY} operations, or functions of "
              "long arguments)")
    for r in c.s.results:
        lhs = dfrac(E, c.var(r.name))
        value = None if r.value is None else c.num(r.value)
        formula, closed, cse, raw = r.formula, None, None, False
        if formula is not None:
            raw = not r.tidy
        if r.closed is not None and (not p.numeric or _short(r.closed)) and r.closed != r.formula:
            closed = r.closed
        if r.cse is not None and formula is not None:  # instead of the long formula
            pairs, reduced = r.cse
            cse = ([(c.tex(a), c.tex(b)) for a, b in pairs], reduced)
            formula = None
        total = None if r.total is None else _total(c, r)
        if formula is not None or closed is not None or value or total or not cse:
            rows = []
            for e in (formula, closed):
                if e is not None:
                    rows += c.lines(e, lhs if not rows else "")
            if value and not (formula is not None and formula.is_Number):  # (never "= 0 = 0")
                rows.append(Row(Math(f"{'' if rows else lhs} &= {value}")))
            if not rows:
                rows = [Row(Math(f"{lhs} &= " r"\text{(too long to write out: the backward pass gives it step by step)}"))]
            if total:
                rows.append(Row(Math(f"{total[0]} &= {total[2]}")))
            blocks.append(Align(rows, gap="0.5ex"))
        if cse:
            names = ", ".join(a for a, _ in cse[0])
            blocks += [Para(text(f"The formula is {budget}; it is written as computed, with the common "
                                 f"subexpressions ${names}$ (", ("sympy.cse",), "):")),
                       Align([Row(Math(f"{a} &= {b}")) for a, b in cse[0]] + c.lines(cse[1], lhs), gap=None)]
        elif raw:
            blocks.append(Para((f"This formula is written as computed, not simplified: it is {budget}.",)))
        if r.new_value is not None and r.frozen:
            name, old = c.name(r.name), c.num(p.parameters[r.name])
            blocks.append(Para(text(f"${name}$ is not trained (frozen): the update keeps ${name} = {old}$."),
                               key=("updated", r.name)))
        elif r.new_value is not None:
            name, eta = c.name(r.name), fmt(p.learning_rate, p.digits)
            blocks.append(Para(text(
                rf"With the learning rate $\eta = {eta}$ the update is ${name} \leftarrow {name} - \eta \, {lhs} = "
                rf"{c.num(p.parameters[r.name])} - {eta} \cdot ({value}) = {c.num(r.new_value)}$."),
                key=("updated", r.name)))
    return blocks


# ---------------------------------------------------------------------------------------
# 5. the linear pieces of a ReLU network


def _pieces(c):
    """The table of pieces and the plot. Every pattern with its conditions while there
    are at most FULL_TABLE_RELUS units, else the pieces of positive area only, each with
    its pattern of signs (2^10 rows would not fit in a document)."""
    s, p = c.s, c.p
    x = [c.g.sym[n] for n in p.inputs]
    y = c.name(p.boundary)
    x1, x2 = (c.name(n) for n in p.inputs)
    units = len(s.pieces[0].pattern)
    compact = units > FULL_TABLE_RELUS
    rows = []
    for pc in s.pieces:
        if compact and pc.empty:
            continue
        if compact:
            conds = "(" + "".join("{+}" if on else "{-}" for on in pc.pattern) + ")"
        else:
            rel = {True: r"\geq", False: "<"}
            conds = r" \wedge ".join(f"({c.tex(k)} {rel[on]} 0)" for k, on in zip(pc.conditions, pc.pattern))
        if pc.empty:
            rows.append([(f"({pc.number})",), (Math(conds),), ("empty region",), ()])
        else:
            rows.append([(f"({pc.number})",), (Math(conds),), (Math(c.tex(pc.output)),),
                         text(_verdict(c, pc, x, y))])
    blocks = [Para(text(
        f"Each ReLU unit is either active (its argument is $\\geq 0$, it passes the argument on) or not (it "
        f"outputs 0). Fixing the pattern of every unit makes ${y}$ linear in ${x1}, {x2}$ on the region where "
        "the pattern holds; a pattern whose region is empty gives no piece. On each piece the decision "
        f"boundary is the part of the line ${y} = 0$ inside the region.")), Break()]
    if compact:
        blocks += [Para(text(
            f"With {units} ReLU units there are $2^{{{units}}} = {len(s.pieces)}$ patterns. A pattern is written "
            "as one sign per unit, in the order of the definitions: $+$ when the unit is active, $-$ when not. "
            f"Only the {len(rows)} pieces whose region has an area are listed; the regions of the other "
            "patterns are empty.")), Break()]
    header = [("piece",), ("pattern" if compact else "region",), (Math(y), " on the piece"), ("decision",)]
    for i in range(0, len(rows), TABLE_ROWS):
        blocks.append(Center([Table(header, rows[i:i + TABLE_ROWS], "rlll", stretch=1.3)]))
    blocks += [Center([_plot(c, x)]), Para(text(
        f"Blue: ${y} > 0$; red: ${y} < 0$; thick: the decision boundary ${y} = 0$; dashed: the borders of the "
        "pieces (where a ReLU unit switches)."))]
    return blocks


def _verdict(c, pc, x, y):
    sp = _sp()
    if not pc.output.free_symbols:
        sign = ">" if pc.output > 0 else "<" if pc.output < 0 else "="
        return f"${y} {sign} 0$ on the whole piece"
    if pc.boundary:
        var = x[1] if pc.output.coeff(x[1]) != 0 else x[0]
        a = pc.output.coeff(var)
        sol = sp.expand(-(pc.output - a * var) / a)  # the output is linear: solve by hand
        return f"boundary ${c.tex(var)} = {c.tex(sol)}$"
    cx = sum(q[0] for q in pc.polygon) / len(pc.polygon)
    cy = sum(q[1] for q in pc.polygon) / len(pc.polygon)
    v = float(pc.output.subs({x[0]: cx, x[1]: cy}))
    return f"${y} {'>' if v > 0 else '<'} 0$ on the whole piece"


def _plot(c, x):
    """The pieces drawn: regions coloured by the sign of the output, boundary thick."""
    w = c.s.window
    scale = 3.0 / w
    fills, outlines, bounds, labels = [], [], [], []

    def pts(poly):
        return [(px * scale, py * scale) for px, py in poly]

    for pc in c.s.pieces:
        if pc.empty:
            continue
        for sign, colour in ((1, "pos"), (-1, "neg")):
            part = g_.clip_polygon(pc.polygon, sign * pc.output, x)
            if g_.polygon_area(part) > 1e-9:
                fills.append(Region(pts(part), colour))
        outlines.append(Region(pts(pc.polygon)))
        if pc.boundary:
            (ax, ay), (bx, by) = pc.boundary
            bounds.append(Segment((ax * scale, ay * scale), (bx * scale, by * scale)))
        cx = sum(q[0] for q in pc.polygon) / len(pc.polygon)
        cy = sum(q[1] for q in pc.polygon) / len(pc.polygon)
        labels.append(Label(cx * scale, cy * scale, (f"({pc.number})",)))
    step = max(1, int(w // 3))
    ticks = [(t * scale, str(t)) for t in range(-int(w), int(w) + 1, step) if t != 0]
    x1, x2 = (c.name(n) for n in c.p.inputs)
    axes = Axes(3.0, Math(x1), Math(x2), ticks)
    return Drawing(fills + outlines + [axes] + bounds + labels)
