"""Solving a graph problem: the backward pass, the paths, the results, and the trace.

:func:`solve` takes a checked problem (its numbers and pieces already worked out by
:func:`solver.graph.problem.validate`) to a :class:`Solution`: each node's dE/dnode once,
in reverse topological order (:func:`backward`), the paths of the chain rule
(:func:`paths`, counted by dynamic programming), and one :class:`Result` per requested
derivative. :func:`to_json` is the trace.
"""

from dataclasses import dataclass

from .dag import Graph, edges, variable
from .formulas import MAX_TIDY, derivative, ops, tidy
from .language import LOSS_NAME, SAMPLE_INDEX, node_of
from .problem import GraphProblem, validate
from .symbolic import construct, functions, heavy, plug

MAX_PATHS = 64        # paths listed one by one; more are counted (dynamic programming)
MAX_FORMULA = 400     # operations of a backward-pass formula kept (written out as a tree)
MAX_CLOSED = 80       # operations of a closed form (in the leaves) before it is tidied


@dataclass
class Step:
    """One line of the backward pass: dE/dnode = sum over terms (child, dc/dnode)."""

    node: str
    terms: list          # [(child, local formula, local value or None)]
    formula: object      # dE/dnode in the graph's names; None when too long to write out
    value: float | None
    tidy: bool = True    # False: the formula is written as computed (too long to tidy)


@dataclass
class Result:
    """The answer for one requested derivative."""

    name: str
    paths: list          # each a list of node names from the variable to E (empty: too many)
    n_paths: int
    formula: object      # tidied (see ``tidy``), in the graph's names
    closed: object       # in inputs, targets and parameters only (None if too long)
    total: object        # with samples: the sum over samples (else None)
    value: float | None
    new_value: float | None
    tidy: bool = True    # False: ``formula`` is written as computed, not tidied
    cse: object = None   # ([(symbol, expression)], expression): a long formula, shortened
    frozen: bool = False        # a parameter the update keeps


@dataclass
class Solution:
    problem: GraphProblem
    graph: Graph
    values: dict
    steps: list
    results: list
    locals: dict         # (child, node) -> (formula, value)
    pieces: list
    relus: list          # the ReLU arguments (in the inputs) in pattern order
    window: float


def solve(p):
    """Values, backward pass, per-derivative results and ReLU pieces of a graph problem.

    >>> from backprop_solver.graph import load
    >>> s = solve(load("problems/seed003_ex4_shared_parameters.yaml"))
    >>> [round(r.value, 6) for r in s.results]
    [-4.044541, 7.873808, 0.45512]
    """
    g, nums, (pieces, relus, window) = p.checked if p.checked is not None else validate(p)
    values = nums.values if nums else {}
    locs, steps = {}, []
    if LOSS_NAME in g.expr and p.derivatives:
        steps = backward(g, nums, locs)
    results = [_result(g, nums, steps, d) for d in p.derivatives]
    return Solution(p, g, values, steps, results, locs, pieces, relus, window)


def local_derivative(g, child, var, d=None):
    """dc/dvar from the definition of c, written with c's own name where it shortens.

    tanh'(z) = 1 - tanh(z)^2 becomes 1 - a^2 when a = tanh(z); sums over a vector's
    components collapse: d/dw_i sum_j w_j x_j = x_i. ``d`` is the derivative when
    already taken (see :func:`edges`).
    """
    e = g.expr[child]
    if d is None:
        d = derivative(e, var)
    if child != LOSS_NAME and not e.is_Atom and not e.is_Add and d.has(e):
        return plug(d, {e: g.sym[child]}, {})
    return tidy(d)[0]


def backward(g, nums, locs):
    """The reverse-mode pass: each node's dE/dnode once, in reverse topological order.

    Only nodes on a path from a requested variable to E take part. ``locs`` is filled
    with the local derivatives (child, node) -> (formula, value). The numbers come from
    ``nums`` (see :func:`numbers`); the formulas are kept while they have fewer than
    MAX_FORMULA operations and tidied (symbolic problems) up to MAX_TIDY.
    """
    sp = functions()["sp"]
    order, raw = edges(g)
    adj, steps = {LOSS_NAME: sp.Integer(1)}, []
    size = {LOSS_NAME: 1}  # operations in adj[n] written out as a tree (None: too long)
    vector_vars = {node_of(d): variable(g, d) for d in g.problem.derivatives if "[" in d}
    shown = {}
    for n in order:
        var = vector_vars.get(n, g.sym[n])
        terms, parts = [], []
        for c in g.children[n]:
            if (c, n) not in raw:
                continue
            f = local_derivative(g, c, var, raw[(c, n)])
            v = nums.local[(c, n)] if nums else None
            locs[(c, n)] = (f, v)
            terms.append((c, f, v))
            if adj[c] is not None:
                parts.append(construct(sp.Mul, adj[c], f))
        total = construct(sp.Add, *parts) if parts else sp.Integer(0)
        size[n] = sum(size[c] + ops(f) + 1 if size[c] is not None else MAX_FORMULA
                      for c, f, _ in terms)
        tidied = True
        if size[n] >= MAX_FORMULA:  # the numbers (and each step) remain; the formula is dropped
            adj[n], size[n] = None, None
        elif nums:
            adj[n] = total
        else:
            adj[n], tidied = tidy(total)
        shown[n] = tidied
        steps.append(Step(n, terms, adj[n], nums.adjoint[n] if nums else None, tidied))
    return steps


def paths(g, start):
    """Every path start -> ... -> E along the graph's edges (depth first, in order), or
    [] when there are more than MAX_PATHS (:func:`count_paths` counts them).

    >>> from backprop_solver.graph import build, load
    >>> g = build(load("problems/seed003_ex4_shared_parameters.yaml"))
    >>> paths(g, "v")
    [['v', 'w13', 'z3', 'a3', 'y', 'E'], ['v', 'w24', 'z4', 'a4', 'y', 'E']]
    """
    count = _path_counts(g)
    if not 0 < count.get(start, 0) <= MAX_PATHS:
        return []
    out, stack = [], [[start]]
    while stack:  # depth first, children in order
        path = stack.pop()
        if path[-1] == LOSS_NAME:
            out.append(path)
        stack.extend(path + [c] for c in reversed(g.children[path[-1]]) if count.get(c, 0))
    return out


def _path_counts(g):
    """{node: number of paths node -> ... -> E}, by dynamic programming over the DAG."""
    if "paths" not in g.cache:
        count = {LOSS_NAME: 1}
        for n in reversed(g.order):
            if n != LOSS_NAME:
                count[n] = sum(count.get(c, 0) for c in g.children[n])
        g.cache["paths"] = count
    return g.cache["paths"]


def count_paths(g, start):
    """How many paths lead from start to E (without listing them)."""
    return _path_counts(g).get(start, 0)


def _result(g, nums, steps, name):
    sp = functions()["sp"]
    p = g.problem
    n = node_of(name)
    step = next((s for s in steps if s.node == n), None)
    formula = step.formula if step else sp.Integer(0)
    tidied = step.tidy if step else True
    value = ((nums.adjoint.get(n, 0.0)) if step else 0.0) if nums else None
    closed = _closed(g, formula, p.numeric) if formula is not None else None
    cse = _cse(formula) if formula is not None and not tidied and not p.numeric else None
    total = None
    if p.samples is not None and formula is not None:
        N = sp.Symbol(p.samples, integer=True, positive=True) if isinstance(p.samples, str) else sp.Integer(p.samples)
        k = sp.Symbol(SAMPLE_INDEX, integer=True)
        per = per_sample(g, formula, k)
        r = 1 / N if p.reduction == "mean" else sp.Integer(1)
        total = r * per if n in g.per_sample or per == 0 else r * sp.Sum(per, (k, 1, N))
    new = nums.updated.get(n) if nums and g.kind[n] == "parameter" and p.learning_rate is not None else None
    return Result(name, paths(g, n), count_paths(g, n), formula, closed, total, value, new,
                  tidy=tidied, cse=cse, frozen=n in p.frozen)


def _closed(g, formula, numeric):
    """The formula with every defined node replaced by its definition, or None.

    It is given while it has at most MAX_CLOSED operations, predicted from the
    definitions before anything is substituted, and MAX_TIDY after tidying (a closed
    form whose functions take long arguments is not tidied: see :func:`call`).
    """
    sp = functions()["sp"]
    if _predict(g, formula) > MAX_CLOSED:
        return None
    table = {g.sym[n]: g.expr[n] for n in g.expr
            if n != LOSS_NAME and not isinstance(g.sym[n], sp.IndexedBase)}
    try:
        e = plug(formula, table, {})
    except RecursionError:  # a chain of thousands of renamings
        return None
    if e == formula or heavy(e):
        return None
    s, _ = tidy(e)
    return s if ops(s) <= MAX_TIDY else None


def _predict(g, e):
    """Operations of e with every defined node written out, counted on the trees without
    building them (an upper bound: SymPy only shortens)."""
    closed = g.cache.get("closed")

    def walk(x):
        if x.is_Symbol:
            return closed.get(x.name, 0)
        if not x.args:
            return 0
        count = sum(walk(a) for a in x.args) + (len(x.args) - 1 if x.is_Add or x.is_Mul else 1)
        return min(count, 10 ** 9)

    if closed is None:
        closed = {}
        for n in g.order:  # in topological order: each from the ones before it
            if n in g.expr and n != LOSS_NAME:
                closed[n] = walk(g.expr[n])
        g.cache["closed"] = closed
    return walk(e)


def _cse(e):
    """([(symbol, expression)], expression): e written with common subexpressions, when
    that makes it shorter (else None)."""
    sp = functions()["sp"]
    if heavy(e):
        return None
    names = {s.name for s in e.free_symbols}
    symbols = (sp.Symbol(f"xi{i}", real=True) for i in range(1, 10 ** 6) if f"xi{i}" not in names)
    pairs, (reduced,) = sp.cse(e, symbols=symbols)
    if pairs and sum(ops(x) for _, x in pairs) + ops(reduced) < ops(e):
        return pairs, reduced
    return None


def per_sample(g, e, k):
    """The expression for sample k: y -> y_k and x[i] -> x[i, k] for per-sample names."""
    sp = functions()["sp"]
    rep = {}
    for n in g.per_sample:
        s = g.sym[n]
        if isinstance(s, sp.IndexedBase):
            for ix in e.atoms(sp.Indexed):
                if ix.base == s:
                    rep[ix] = s[(*ix.indices, k)]
        else:
            rep[s] = sp.IndexedBase(n, real=True)[k]
    return e.xreplace(rep)


def to_json(s):
    """The trace of a graph problem: {"format": 1, "values": {...}, "gradients": {...}}.

    ``formulas`` gives each derivative as SymPy text; ``updated`` the parameters after
    one step when a learning rate is given; ``pieces`` the ReLU linear pieces (the
    activation pattern, empty or not, the output on the piece) when a boundary is asked.
    """
    return {
        "format": 1,
        "values": {n: v for n, v in s.values.items()},
        "gradients": {r.name: r.value for r in s.results if r.value is not None},
        "formulas": {r.name: str(r.total if r.total is not None else r.formula)
                     for r in s.results if r.formula is not None},
        "updated": {r.name: r.new_value for r in s.results if r.new_value is not None},
        "pieces": [{"number": pc.number, "active": pc.pattern, "empty": pc.empty,
                    "output": None if pc.empty else str(pc.output)} for pc in s.pieces],
    }
