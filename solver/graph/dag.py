"""The DAG of a graph problem: its expressions, edges and node kinds, and its local derivatives.

:func:`build` turns a checked problem's texts into SymPy expressions (edge n -> c when
c uses n); :func:`edges` lists the nodes of the backward pass and differentiates each
child by each parent once, as SymPy (well, :func:`solver.graph.formulas.derivative`)
writes it, before any tidying.
"""

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from .expressions import WRITTEN, ExpressionParser
from .formulas import derivative
from .language import DERIVATIVE, LOSS_NAME, node_of
from .symbolic import functions

if TYPE_CHECKING:
    from .problem import GraphProblem


@dataclass
class Graph:
    """The DAG of a graph problem.

    ``order`` lists every node in topological order (inputs, targets, parameters, the
    definitions, then E); ``expr[n]`` is the SymPy expression of a defined node in its
    direct parents; ``parents[n]``/``children[n]`` are the edges; ``kind[n]`` is input,
    target, parameter, weight (a function of parameters only), unit (depends on an
    input) or loss; ``per_sample`` holds the nodes that change from sample to sample.
    """

    problem: "GraphProblem"  # (solver.graph.problem)
    sym: dict
    expr: dict
    order: list
    parents: dict
    children: dict
    kind: dict
    per_sample: set
    index: dict
    cache: dict = field(default_factory=dict, repr=False)

    def as_written(self, n):
        """The expression of the defined node n (or E) as the problem file writes it, for
        display: nothing evaluated or reordered (``cosh(y - t)`` stays so, ``0.5*z**2`` too)."""
        p = self.problem
        if "parser" not in self.cache:
            self.cache["parser"] = ExpressionParser(p.vectors, list(p.leaves) + list(p.define))
        ex = self.cache["parser"]
        text = p.loss if n == LOSS_NAME else p.define[n]
        return ex.parse(text, set(ex.scalars) | set(ex.bases), WRITTEN)


def build(p):
    """The graph of a checked problem: expressions, edges and node kinds.

    >>> from backprop_solver.graph import load
    >>> g = build(load("problems/seed003_ex4_shared_parameters.yaml"))
    >>> g.parents["z3"], g.children["v"], g.kind["w13"], g.kind["z3"]
    (['x1', 'w13'], ['w13', 'w24'], 'weight', 'unit')
    """
    sp = functions()["sp"]
    leaves = list(p.leaves)
    ex = ExpressionParser(p.vectors, leaves + list(p.define))
    sym = {n: ex.bases.get(n, ex.scalars.get(n)) for n in leaves + list(p.define)}
    sym[LOSS_NAME] = sp.Symbol(LOSS_NAME, real=True)
    expr, known = {}, set(leaves)
    for n, text in p.define.items():
        expr[n] = ex.parse(text, known)
        known.add(n)
    if p.loss is not None:
        expr[LOSS_NAME] = ex.parse(p.loss, known)
    order = leaves + list(p.define) + ([LOSS_NAME] if p.loss is not None else [])
    position = {n: i for i, n in enumerate(order)}
    parents = {n: [] for n in order}
    children = {n: [] for n in order}
    for n, e in expr.items():
        used = {s.name for s in e.atoms(sp.Symbol)} | {b.name for b in e.atoms(sp.IndexedBase)}
        parents[n] = sorted((m for m in used if m in position and m != n), key=position.get)
        for m in parents[n]:
            children[m].append(n)
    for n in order:
        children[n].sort(key=position.get)
    kind = {**{n: "input" for n in p.inputs}, **{n: "target" for n in p.targets},
            **{n: "parameter" for n in p.parameters}}
    per_sample = set(p.inputs) | set(p.targets)
    for n in order[len(leaves):]:
        if any(m in per_sample for m in parents[n]):
            per_sample.add(n)
        kind[n] = "loss" if n == LOSS_NAME else (
            "unit" if any(kind[m] in ("input", "unit") for m in parents[n]) else
            "weight" if all(kind[m] in ("parameter", "weight") for m in parents[n]) else "unit")
    index = {d: sp.Symbol(m.group(2), integer=True) for d in p.derivatives
             if (m := DERIVATIVE.match(d)).group(2)}
    return Graph(p, sym, expr, order, parents, children, kind, per_sample, index)


def variable(g, name):
    """The SymPy variable of a node, or of the component ``w[i]`` of a vector."""
    m = DERIVATIVE.match(name)
    base = g.sym[m.group(1)]
    return base[g.index[name]] if m.group(2) else base


def loss_key(n):
    """The key of the problem file where node n is defined (graph.define.n or graph.loss)."""
    return "graph.loss" if n == LOSS_NAME else f"graph.define.{n}"


def edges(g):
    """(nodes of the backward pass in its order, {(child, node): dchild/dnode as differentiated}).

    Only nodes on a path from a requested variable to E take part. The derivatives are
    SymPy's, before any tidying (cheap: each is of one node's own expression).
    """
    if "edges" in g.cache:
        return g.cache["edges"]
    order, raw = [], {}
    if LOSS_NAME in g.expr and g.problem.derivatives:
        wanted = {node_of(d) for d in g.problem.derivatives}
        below = set()
        for n in g.order:
            if n in wanted or any(m in below for m in g.parents[n]):
                below.add(n)
        above = {LOSS_NAME}
        for n in reversed(g.order):
            if any(c in above for c in g.children[n]):
                above.add(n)
        active = below & above
        vector_vars = {node_of(d): variable(g, d) for d in g.problem.derivatives if "[" in d}
        for n in reversed(g.order[:-1]):
            if n not in active:
                continue
            order.append(n)
            var = vector_vars.get(n, g.sym[n])
            for c in g.children[n]:
                if c in active:
                    raw[(c, n)] = derivative(g.expr[c], var)
    g.cache["edges"] = order, raw
    return order, raw
