"""Graph problems: a network written as equations, differentiated node by node.

A graph problem (a problem file with a top-level ``graph:`` key, see
docs/graph-problems.md) names inputs, targets and parameters, then defines every other
quantity as a SymPy expression of earlier names, and a loss E. The stages are

    parse(data)  -> GraphProblem   plain data: names, numbers, expression strings
    build(p)     -> Graph          SymPy expressions and the DAG (edge n -> c when c uses n)
    solve(g)     -> Solution       values, local derivatives dc/dn, the backward pass,
                                   paths, results, updates and the ReLU linear pieces

The backward pass visits the nodes in reverse topological order and computes each
adjoint once (no redundant work):

    dE/dE = 1,     dE/dn = sum over children c of n of  dE/dc * dc/dn

which equals the chain rule written as a sum over the paths n -> ... -> E of the
product of the local derivatives along the path.

SymPy is imported inside the functions, so loading this module costs nothing to the
layered pipeline (``backprop trace`` on a layered problem never imports SymPy).
"""

import functools
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from .errors import InputError

GRAPH_KEYS = ("inputs", "targets", "parameters", "define", "loss", "derivatives",
              "learning_rate", "vectors", "samples", "reduction", "boundary")
TOP_KEYS = ("title", "description", "graph", "display")
FUNCTIONS = ("exp", "log", "ln", "sqrt", "tanh", "cosh", "sinh", "sin", "cos", "Abs", "abs",
             "sigmoid", "relu", "max", "Max", "Sum")
LOSS_NAME = "E"
SAMPLE_INDEX = "k"
MAX_NODES = 2000
MAX_PATHS = 64
MAX_RELUS = 10
MAX_FORMULA = 400
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DERIVATIVE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:\[([A-Za-z])\])?$")


def is_graph_problem(data):
    """True for a problem mapping of the graph kind (it has a top-level ``graph`` key).

    >>> is_graph_problem({"graph": {}}), is_graph_problem({"network": {}})
    (True, False)
    """
    return isinstance(data, dict) and "graph" in data


def load_any(path, as_graph=False):
    """("graph", GraphProblem) or ("layered", Problem): any problem file, by its kind.

    With ``as_graph`` a layered problem comes back as a graph problem too (its first
    update written as equations, see :func:`from_layered`).

    >>> load_any("problems/seed003_ex1_relu_boundary.yaml")[0]
    'graph'
    >>> kind, p = load_any("problems/seed001_q1_sigmoid_sgd.yaml", as_graph=True)
    >>> kind, p.numeric, len(p.derivatives)
    ('graph', True, 26)
    """
    from . import spec
    return load_data(spec.read_yaml(path), path, as_graph)


def load_data(data, path, as_graph=False):
    """:func:`load_any` on a mapping already read from ``path``."""
    from . import spec
    if is_graph_problem(data):
        return "graph", parse(data, path)
    p = spec.parse(data, path)
    if not as_graph:
        return "layered", p
    if p.update != "sgd" and p.X.shape[1] > 1:
        raise InputError(path, "update", "the graph path solves one sample at a time; a batch "
                                         "update of several samples needs the layered path "
                                         "(leave out --as-graph)")
    return "graph", parse(from_layered(p), path)


def summary(p):
    """One line about a checked graph problem, for ``backprop check``."""
    return (f"graph of {len(p.leaves)} leaves and {len(p.define)} definitions, "
            f"{'numbers' if p.numeric else 'symbolic'}"
            + (f", {len(p.derivatives)} derivatives" if p.derivatives else "")
            + (", decision boundary" if p.boundary else ""))


# --------------------------------------------------------------------------- spec

@dataclass
class GraphProblem:
    """A checked graph problem: names, numbers (None where not given) and expressions.

    ``define`` maps each defined name to its expression text, in order; ``vectors``
    maps a vector's name to its length (a whole number or a symbol name); ``samples``
    is None for one sample, else the number (or symbol name) N of samples.
    """

    file: str
    name: str
    title: str
    description: str
    inputs: dict
    targets: dict
    parameters: dict
    define: dict
    loss: str | None
    derivatives: list
    learning_rate: float | None = None
    vectors: dict = field(default_factory=dict)
    samples: object = None
    reduction: str = "mean"
    boundary: str | None = None
    digits: int = 6

    @property
    def numeric(self):
        """True when every input, target and parameter has a value (else: symbolic)."""
        values = [*self.inputs.values(), *self.targets.values(), *self.parameters.values()]
        return not self.vectors and self.samples is None and all(v is not None for v in values)

    @property
    def leaves(self):
        """Inputs, targets and parameters in order: {name: value or None}."""
        return {**self.inputs, **self.targets, **self.parameters}


def load(path):
    """Read and check a graph problem file.

    >>> p = load("problems/seed003_ex4_shared_parameters.yaml")
    >>> list(p.parameters), p.derivatives, p.numeric
    (['v'], ['w13', 'w24', 'v'], True)
    """
    from .spec import read_yaml
    return parse(read_yaml(path), path)


def parse(data, file="<problem>"):
    """Check a graph problem mapping (as read from YAML) and fill in its defaults.

    Expressions are parsed here too, so every error (unknown names, use before
    definition, not a plain expression) is reported at its key.

    >>> p = parse({"graph": {"inputs": {"x": 2}, "parameters": {"w": 0.5},
    ...                      "targets": {"t": 1}, "define": {"y": "w*x"},
    ...                      "loss": "(y - t)**2"}})
    >>> p.derivatives, p.reduction, p.numeric
    (['w'], 'mean', True)
    """
    from .spec import _Checker, _kind
    c = _Checker(file)
    c.keys(data, "", TOP_KEYS, required=("graph",))
    g = data["graph"]
    c.keys(g, "graph", GRAPH_KEYS, required=("define",))
    taken = set()

    def names(key, allow_values=True):
        v = g.get(key) or {}
        if isinstance(v, list):
            v = {n: None for n in v}
        if not isinstance(v, dict):
            c.fail(f"graph.{key}", f"expected a mapping of names to numbers (or a list of names), got {_kind(v)}")
        out = {}
        for n, value in v.items():
            k = f"graph.{key}.{n}"
            _check_name(c, n, k, taken)
            taken.add(n)
            out[n] = None if value is None else c.number(value, k)
        return out

    inputs, targets, parameters = names("inputs"), names("targets"), names("parameters")
    if not inputs and not parameters:
        c.fail("graph.inputs", "expected at least one input or parameter")

    vectors = g.get("vectors") or {}
    c.keys(vectors, "graph.vectors", list(inputs) + list(targets) + list(parameters))
    for n, size in vectors.items():
        k = f"graph.vectors.{n}"
        if isinstance(size, str):
            _check_name(c, size, k, taken | {n})
        else:
            c.whole(size, k, 1, 1000)
        if (inputs.get(n, parameters.get(n, targets.get(n)))) is not None:
            c.fail(f"graph.{'inputs' if n in inputs else 'parameters' if n in parameters else 'targets'}.{n}",
                   "a vector takes no value: vectors are for symbolic answers; leave the value out")
    for n in vectors:
        if isinstance(vectors[n], str):
            taken.add(vectors[n])

    samples = g.get("samples")
    if samples is not None:
        if isinstance(samples, str):
            _check_name(c, samples, "graph.samples", taken)
            taken.add(samples)
        else:
            samples = c.whole(samples, "graph.samples", 1, 1000)
        if all(v is not None for v in [*inputs.values(), *targets.values()]) and (inputs or targets):
            c.fail("graph.samples", "samples is for symbolic answers: leave out the values of the "
                                    "inputs and targets (the graph then stands for sample k)")
        taken.add(SAMPLE_INDEX)
    reduction = c.choice(g.get("reduction", "mean"), "graph.reduction", ["mean", "sum"])
    if "reduction" in g and samples is None:
        c.fail("graph.reduction", "reduction applies with samples only; add samples: N or remove it")

    define = g["define"]
    if not isinstance(define, dict) or not define:
        c.fail("graph.define", f"expected a mapping of names to expressions, in order, got {_kind(define)}")
    if len(define) > MAX_NODES:
        c.fail("graph.define", f"expected at most {MAX_NODES} definitions, got {len(define)}")
    known = set(inputs) | set(targets) | set(parameters)
    later = set(define)
    ex = _Expr(vectors, [n for n in known if n not in vectors])
    for n, text in define.items():
        k = f"graph.define.{n}"
        _check_name(c, n, k, taken)
        _parse_expr(c, text, k, known, later, ex)
        known.add(n)
        taken.add(n)
        ex.add_scalar(n)
    loss = g.get("loss")
    if loss is not None:
        _parse_expr(c, loss, "graph.loss", known, set(), ex)
        loss = str(loss)

    nodes = list(inputs) + list(targets) + list(parameters) + list(define)
    if "derivatives" in g and loss is None:
        c.fail("graph.derivatives", "derivatives need a loss: add graph.loss")
    derivs = g.get("derivatives")
    if derivs is None:
        derivs = [f"{n}[i]" if n in vectors else n for n in parameters] if loss is not None else []
    if not isinstance(derivs, list):
        derivs = [derivs]
    for i, d in enumerate(derivs):
        k = f"graph.derivatives[{i}]"
        m = DERIVATIVE.match(d) if isinstance(d, str) else None
        if not m or m.group(1) not in nodes:
            c.fail(k, f"expected the name of an input, parameter or defined quantity "
                      f"({', '.join(nodes)}), got {_kind(d)}")
        if (m.group(1) in vectors) != (m.group(2) is not None):
            c.fail(k, f"write a component of the vector {m.group(1)} as {m.group(1)}[i]"
                   if m.group(1) in vectors else f"{m.group(1)} is not a vector: write it without [...]")
        if m.group(2) and m.group(2) in taken:
            c.fail(k, f"the index letter {m.group(2)} is already a name; use another letter")
    if len(set(derivs)) != len(derivs):
        c.fail("graph.derivatives", "a name appears twice")

    lr = g.get("learning_rate")
    if lr is not None:
        lr = c.number(lr, "graph.learning_rate", positive=True)
        if loss is None:
            c.fail("graph.learning_rate", "an update needs a loss: add graph.loss")

    boundary = g.get("boundary")
    if boundary is not None:
        if boundary not in define:
            c.fail("graph.boundary", f"expected a defined name (the output whose sign gives the class), got {_kind(boundary)}")
        if len(inputs) != 2 or vectors or samples is not None:
            c.fail("graph.boundary", f"a decision boundary is drawn in the plane: it needs exactly two "
                                     f"scalar inputs and no samples (got {len(inputs)} inputs)")
        for n, v in parameters.items():
            if v is None:
                c.fail(f"graph.parameters.{n}", "the decision boundary needs a number for every parameter")

    display = data.get("display") or {}
    c.keys(display, "display", ("digits",))
    digits = c.whole(display.get("digits", 6), "display.digits", 1, 17)

    path = Path(file)
    return GraphProblem(
        file=str(file), name=path.stem, title=c.text(data.get("title", path.stem), "title"),
        description=c.text(data.get("description", ""), "description"),
        inputs=inputs, targets=targets, parameters=parameters,
        define={n: str(t) for n, t in define.items()}, loss=loss, derivatives=derivs,
        learning_rate=lr, vectors=vectors, samples=samples, reduction=reduction,
        boundary=boundary, digits=digits)


def _check_name(c, n, key, taken):
    if not isinstance(n, str) or not NAME.match(n) or n.endswith("_") or "__" in n:
        c.fail(key, f"expected a name of letters, digits and single underscores, starting with a letter, got {n!r}")
    if n in FUNCTIONS or n in _RESERVED or n == LOSS_NAME:
        c.fail(key, f"{n} is reserved (a function or constant name, or E, the loss); choose another name")
    if n in taken:
        c.fail(key, f"the name {n} is used twice")


_RESERVED = {"pi", "oo", "nan", "zoo", "lambda", "Integer", "Float", "Rational"}


# --------------------------------------------------------------------------- SymPy side

@functools.lru_cache(maxsize=None)
def _sympy():
    """SymPy and the three functions the exercises use: sigmoid, relu and its step."""
    import sympy as sp

    class step(sp.Function):
        """1 for z > 0, else 0 (the derivative of relu, 0 at 0 by convention)."""

        @classmethod
        def eval(cls, z):
            if z.is_number and z.is_real:
                return sp.Integer(1) if z > 0 else sp.Integer(0)

        def fdiff(self, argindex=1):
            return sp.Integer(0)

        def _latex(self, printer):
            return r"\mathbb{1}[%s > 0]" % printer._print(self.args[0])

    class relu(sp.Function):
        """max(0, z)."""

        @classmethod
        def eval(cls, z):
            if z.is_number and z.is_real:
                return z if z > 0 else sp.Integer(0)

        def fdiff(self, argindex=1):
            return step(self.args[0])

        def _latex(self, printer):
            return r"\operatorname{ReLU}\left(%s\right)" % printer._print(self.args[0])

    class sigmoid(sp.Function):
        """1 / (1 + e^-z), with derivative sigmoid (1 - sigmoid)."""

        @classmethod
        def eval(cls, z):
            if z.is_Float or (z.is_number and z.is_real and not z.is_Rational):
                return sp.Float(_float_sigmoid(float(z)))

        def fdiff(self, argindex=1):
            return self * (1 - self)

        def _latex(self, printer):
            return r"\sigma\left(%s\right)" % printer._print(self.args[0])

    return sp, relu, sigmoid, step


class _Expr:
    """Parse expression texts into SymPy for one graph: the names, vectors and sums it knows."""

    def __init__(self, vectors, scalars):
        sp, relu, sigmoid, _ = _sympy()
        self.vectors = {n: (sp.Integer(s) if isinstance(s, int) else sp.Symbol(s, integer=True, positive=True))
                        for n, s in vectors.items()}
        self.bases = {n: sp.IndexedBase(n, real=True) for n in vectors}
        self.scalars = {n: sp.Symbol(n, real=True) for n in scalars}

        def max_(*args):
            if len(args) == 2 and 0 in args:
                return relu(args[1] if args[0] == 0 else args[0])
            raise ValueError("max takes 0 and one expression: max(0, z) is relu(z)")

        def sum_(expr, index):
            if not isinstance(index, sp.Symbol):
                raise ValueError("Sum(expression, j) takes an index letter j")
            sizes = {self.vectors[b.base.name] for b in expr.atoms(sp.Indexed) if index in b.indices}
            if len(sizes) != 1:
                raise ValueError(f"the index {index} of a Sum must index vectors of one length")
            return sp.Sum(expr, (index, 1, sizes.pop()))

        self.functions = {"exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt,
                          "tanh": sp.tanh, "cosh": sp.cosh, "sinh": sp.sinh, "sin": sp.sin,
                          "cos": sp.cos, "Abs": sp.Abs, "abs": sp.Abs, "sigmoid": sigmoid,
                          "relu": relu, "max": max_, "Max": max_, "Sum": sum_}

    def add_scalar(self, name):
        """Make the scalar ``name`` (a new definition) known to the expressions after it."""
        self.scalars[name] = _sympy()[0].Symbol(name, real=True)

    def parse(self, text, known):
        """The SymPy expression of ``text``, using only names in ``known``; ValueError if not."""
        sp = _sympy()[0]
        from sympy.parsing.sympy_parser import auto_number, convert_xor, parse_expr, rationalize
        stripped = NUMBER.sub("0", text)
        if not re.fullmatch(r"[A-Za-z0-9_+\-*/^()\[\], \t]*", stripped):
            bad = re.sub(r"[A-Za-z0-9_+\-*/^()\[\], \t]", "", stripped)[:1]
            raise ValueError(f"the character {bad!r} is not allowed in an expression")
        letters = set()
        for m in IDENT.finditer(stripped):
            w = m.group()
            rest = stripped[m.end():].lstrip()
            if w in self.functions:
                if not rest.startswith("("):
                    raise ValueError(f"the function {w} must be called, as {w}(...)")
            elif w in self.bases and w in known:
                if not rest.startswith("["):
                    raise ValueError(f"{w} is a vector: write a component, as {w}[j]")
            elif len(w) == 1 and w not in known and w not in self.scalars and _in_brackets(stripped, m):
                letters.add(w)
            elif w not in known:
                raise ValueError(f"unknown name {w}")
        local = {**{n: s for n, s in self.scalars.items() if n in known},
                 **{n: b for n, b in self.bases.items() if n in known},
                 **{w: sp.Symbol(w, integer=True) for w in letters}, **self.functions}
        glob = {"Integer": sp.Integer, "Float": sp.Float, "Rational": sp.Rational, "__builtins__": {}}
        try:
            # first unevaluated, to refuse powers of numbers too large to compute (9**9**9**9)
            raw = {**glob, "Add": sp.Add, "Mul": sp.Mul, "Pow": sp.Pow}
            _check_powers(parse_expr(text, local_dict=local, global_dict=raw, evaluate=False,
                                     transformations=(auto_number, rationalize, convert_xor)))
            e = parse_expr(text, local_dict=local, global_dict=glob,
                           transformations=(auto_number, rationalize, convert_xor))
        except ValueError:
            raise
        except Exception as err:  # SyntaxError, TypeError, SymPy's own errors
            raise ValueError(f"cannot read the expression ({type(err).__name__}: {str(err)[:80]})") from None
        if not isinstance(e, sp.Expr):
            raise ValueError("expected a plain expression (no tuples, comparisons or equations)")
        if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise ValueError("the expression is not finite")
        free = {s for s in e.free_symbols if isinstance(s, sp.Symbol)}
        loose = {s.name for s in free} - set(known) - {str(v) for v in self.vectors.values()}
        loose -= {s.name for ix in e.atoms(sp.Indexed) for s in ix.free_symbols}
        if loose:
            raise ValueError(f"the index {sorted(loose)[0]} is used outside a Sum")
        return e


def _check_powers(e):
    """Refuse a power of numbers beyond 10^300 (or a power tower) before SymPy computes it."""
    sp = _sympy()[0]
    if not isinstance(e, sp.Basic):
        return
    for node in sp.postorder_traversal(e):  # children first: their values are bounded
        if isinstance(node, sp.Pow) and not node.free_symbols:
            b, x = (complex(a.evalf(15)) for a in node.args)
            if b != 0 and abs(x) * abs(math.log10(abs(b))) > 300:
                raise ValueError("a power of numbers in the expression is too large (beyond 10^300)")
        elif isinstance(node, sp.Pow) and node.exp.is_Number and abs(node.exp) > 1000:
            raise ValueError("an exponent in the expression is larger than 1000")


def _in_brackets(text, m):
    """True when the match ``m`` sits inside [...] or is the index argument of Sum(..., j)."""
    before = text[:m.start()]
    if before.count("[") > before.count("]"):
        return True
    after = text[m.end():].lstrip()
    return before.rstrip().endswith(",") and after.startswith(")")


def _parse_expr(c, text, key, known, later, ex):
    """Check one expression text with the parser ``ex`` (names in ``known`` only)."""
    from .spec import _kind
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        c.fail(key, f"expected an expression (text), got {_kind(text)}")
    text = str(text)
    if len(text) > 5000:
        c.fail(key, "the expression is longer than 5000 characters")
    for w in IDENT.findall(NUMBER.sub("0", text)):
        if w in later and w not in known:
            c.fail(key, f"uses {w} before it is defined (definitions come in order, each from "
                        f"earlier names only, so the graph has no cycles)")
    try:
        return ex.parse(text, known)
    except ValueError as e:
        c.fail(key, str(e))


# --------------------------------------------------------------------------- build

@dataclass
class Graph:
    """The DAG of a graph problem.

    ``order`` lists every node in topological order (inputs, targets, parameters, the
    definitions, then E); ``expr[n]`` is the SymPy expression of a defined node in its
    direct parents; ``parents[n]``/``children[n]`` are the edges; ``kind[n]`` is input,
    target, parameter, weight (a function of parameters only), unit (depends on an
    input) or loss; ``per_sample`` holds the nodes that change from sample to sample.
    """

    problem: GraphProblem
    sym: dict
    expr: dict
    order: list
    parents: dict
    children: dict
    kind: dict
    per_sample: set
    index: dict


def build(p):
    """The graph of a checked problem: expressions, edges and node kinds.

    >>> g = build(load("problems/seed003_ex4_shared_parameters.yaml"))
    >>> g.parents["z3"], g.children["v"], g.kind["w13"], g.kind["z3"]
    (['x1', 'w13'], ['w13', 'w24'], 'weight', 'unit')
    """
    sp = _sympy()[0]
    leaves = list(p.leaves)
    ex = _Expr(p.vectors, leaves + list(p.define))
    sym = {n: ex.bases.get(n, ex.scalars.get(n)) for n in leaves + list(p.define)}
    sym[LOSS_NAME] = sp.Symbol(LOSS_NAME, real=True)
    expr, known = {}, set(leaves)
    for n, text in p.define.items():
        expr[n] = ex.parse(text, known)
        known.add(n)
    if p.loss is not None:
        expr[LOSS_NAME] = ex.parse(p.loss, known)
    order = leaves + list(p.define) + ([LOSS_NAME] if p.loss is not None else [])
    parents = {n: [] for n in order}
    children = {n: [] for n in order}
    for n, e in expr.items():
        used = {s.name for s in e.atoms(sp.Symbol)} | {b.name for b in e.atoms(sp.IndexedBase)}
        parents[n] = [m for m in order if m in used and m != n]
        for m in parents[n]:
            children[m].append(n)
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


def node_of(name):
    """The node a derivative name belongs to: ``w[i]`` -> ``w``."""
    return DERIVATIVE.match(name).group(1)


# --------------------------------------------------------------------------- solve

@dataclass
class Step:
    """One line of the backward pass: dE/dnode = sum over terms (child, dc/dnode)."""

    node: str
    terms: list          # [(child, local formula, local value or None)]
    formula: object      # dE/dnode in the graph's names; None when too long to write out
    value: float | None


@dataclass
class Result:
    """The answer for one requested derivative."""

    name: str
    paths: list          # each a list of node names from the variable to E
    n_paths: int
    formula: object      # simplified, in the graph's names
    closed: object       # in inputs, targets and parameters only (None if too long)
    total: object        # with samples: the sum over samples (else None)
    value: float | None
    new_value: float | None


@dataclass
class Piece:
    """One activation pattern of the ReLU units: its region, output and boundary."""

    number: int
    pattern: list        # True: the unit is active (argument >= 0)
    conditions: list     # the ReLU arguments, as expressions of the two inputs
    output: object       # the output on the piece (linear in the inputs)
    polygon: list        # the region clipped to the drawing window (empty: no area)
    boundary: list       # the segment of output = 0 inside the region ([] if none)

    @property
    def empty(self):
        return not self.polygon


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

    >>> s = solve(load("problems/seed003_ex4_shared_parameters.yaml"))
    >>> [round(r.value, 6) for r in s.results]
    [-4.044541, 7.873808, 0.45512]
    """
    g = build(p)
    values = evaluate(g) if p.numeric else {}
    locs, steps = {}, []
    if LOSS_NAME in g.expr and p.derivatives:
        steps = backward(g, values, locs)
    results = [_result(g, values, locs, steps, d) for d in p.derivatives]
    pieces, relus, window = linear_pieces(g) if p.boundary else ([], [], 0.0)
    return Solution(p, g, values, steps, results, locs, pieces, relus, window)


def evaluate(g):
    """The value of every node, in topological order: v[n] = expr[n](v[parents]).

    >>> g = build(parse({"graph": {"inputs": {"x": 2}, "parameters": {"w": 3},
    ...                            "define": {"y": "relu(w*x - 7)"}}}))
    >>> evaluate(g)["y"]
    0.0
    """
    values = dict(g.problem.leaves)
    for n in g.order:
        if n in g.expr:
            values[n] = value_of(g, g.expr[n], values, n)
    return values


def _float_sigmoid(z):
    return 1 / (1 + math.exp(-z)) if z >= 0 else math.exp(z) / (1 + math.exp(z))


#: how lambdify computes the three functions of our own, in floats
_FLOAT_FUNCTIONS = {"relu": lambda z: max(z, 0.0), "step": lambda z: 1.0 if z > 0 else 0.0,
                    "sigmoid": _float_sigmoid}


def value_of(g, e, values, key):
    """The float value of expression e at the nodes' values (math functions, in doubles).

    An overflow, a logarithm of a negative number or a division by zero is an input
    error at the key of the node that ``key`` names.
    """
    sp = _sympy()[0]
    names = sorted({s.name for s in e.free_symbols if isinstance(s, sp.Symbol)})
    try:
        f = sp.lambdify([g.sym[n] for n in names], e, modules=[_FLOAT_FUNCTIONS, "math"])
        v = float(f(*[values[n] for n in names]))
    except (OverflowError, ValueError, ZeroDivisionError, TypeError):
        v = float("nan")
    if not math.isfinite(v):
        raise InputError(g.problem.file, f"graph.define.{key}" if key != LOSS_NAME else "graph.loss",
                         "the value is not a finite number with the numbers given (overflow, "
                         "a logarithm of a number <= 0 or a division by zero)")
    return v


def local_derivative(g, child, var):
    """dc/dvar from the definition of c, written with c's own name where it shortens.

    tanh'(z) = 1 - tanh(z)^2 becomes 1 - a^2 when a = tanh(z); sums over a vector's
    components collapse: d/dw_i sum_j w_j x_j = x_i.
    """
    sp = _sympy()[0]
    e = g.expr[child]
    d = _collapse(sp.diff(e, var))
    if child != LOSS_NAME and not e.is_Atom and d.has(e) and not e.is_Add:
        return d.subs(e, g.sym[child])
    return _simplify(d)


def _collapse(e):
    """Sum_j KroneckerDelta(i, j) f(j)  ->  f(i): the derivative of a sum by one component."""
    sp = _sympy()[0]

    def one(s):
        f, (j, lo, hi) = s.function, s.limits[0]
        kept, out = [], sp.Integer(0)
        for term in sp.Add.make_args(sp.expand(f)):
            deltas = [dl for dl in term.atoms(sp.KroneckerDelta) if j in dl.free_symbols]
            if deltas:
                i = next(iter(deltas[0].free_symbols - {j}), None)
                out += term.subs(j, i) if i is not None else sp.Sum(term, (j, lo, hi))
            else:
                kept.append(term)
        return out + (sp.Sum(sp.Add(*kept), (j, lo, hi)) if kept else 0)

    return e.replace(lambda x: isinstance(x, sp.Sum) and x.has(sp.KroneckerDelta), one)


def backward(g, values, locs):
    """The reverse-mode pass: each node's dE/dnode once, in reverse topological order.

    Only nodes on a path from a requested variable to E take part. ``locs`` is filled
    with the local derivatives (child, node) -> (formula, value).
    """
    sp = _sympy()[0]
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
    adj, adj_value, steps = {LOSS_NAME: sp.Integer(1)}, {LOSS_NAME: 1.0}, []
    size = {LOSS_NAME: 1}  # operations in adj[n] written out as a tree (None: too long)

    vector_vars = {node_of(d): variable(g, d) for d in g.problem.derivatives if "[" in d}
    for n in reversed(g.order[:-1]):
        if n not in active:
            continue
        var = vector_vars.get(n, g.sym[n])
        terms, total, total_value = [], sp.Integer(0), 0.0
        for c in g.children[n]:
            if c not in active:
                continue
            f = local_derivative(g, c, var)
            v = value_of(g, f, values, c) if values else None
            locs[(c, n)] = (f, v)
            terms.append((c, f, v))
            if adj[c] is not None:
                total += adj[c] * f
            if v is not None:
                total_value += adj_value[c] * v
        size[n] = sum(size[c] + sp.count_ops(f) + 1 if size[c] is not None else MAX_FORMULA
                      for c, f, _ in terms)
        if size[n] >= MAX_FORMULA:  # the numbers (and each step) remain; the formula is dropped
            adj[n], size[n] = None, None
        else:
            adj[n] = total if values else _simplify(total)
        adj_value[n] = total_value
        steps.append(Step(n, terms, adj[n], total_value if values else None))
    return steps


def _simplify(e):
    """The shortest of e, simplify(e) and its common factors taken out."""
    sp = _sympy()[0]
    if sp.count_ops(e) > 60:  # simplify costs too much on long expressions
        return e
    s = sp.simplify(e)
    return min((e, s, sp.factor_terms(s)), key=sp.count_ops)


def paths(g, start):
    """Every path start -> ... -> E along the graph's edges (depth first, in order).

    >>> g = build(load("problems/seed003_ex4_shared_parameters.yaml"))
    >>> paths(g, "v")
    [['v', 'w13', 'z3', 'a3', 'y', 'E'], ['v', 'w24', 'z4', 'a4', 'y', 'E']]
    """
    out = []

    def walk(path):
        if len(out) > MAX_PATHS:
            return
        n = path[-1]
        if n == LOSS_NAME:
            out.append(path)
        for c in g.children[n]:
            walk(path + [c])

    walk([start])
    return out


def count_paths(g, start):
    """How many paths lead from start to E (without listing them)."""
    count = {LOSS_NAME: 1}
    for n in reversed(g.order):
        if n != LOSS_NAME:
            count[n] = sum(count.get(c, 0) for c in g.children[n])
    return count.get(start, 0)


def _result(g, values, locs, steps, name):
    sp = _sympy()[0]
    p = g.problem
    n = node_of(name)
    step = next((s for s in steps if s.node == n), None)
    formula = step.formula if step else sp.Integer(0)
    value = (step.value if step else 0.0) if p.numeric else None
    closed = _closed(g, formula) if formula is not None else None
    total = None
    if p.samples is not None and formula is not None:
        N = sp.Symbol(p.samples, integer=True, positive=True) if isinstance(p.samples, str) else sp.Integer(p.samples)
        k = sp.Symbol(SAMPLE_INDEX, integer=True)
        per = per_sample(g, formula, k)
        r = 1 / N if p.reduction == "mean" else sp.Integer(1)
        total = r * per if n in g.per_sample or per == 0 else r * sp.Sum(per, (k, 1, N))
    new = None
    if p.learning_rate is not None and g.kind[n] == "parameter" and value is not None:
        new = p.parameters[n] - p.learning_rate * value
    found = paths(g, n)
    return Result(name, found if len(found) <= MAX_PATHS else [], count_paths(g, n), formula,
                  closed, total, value, new)


def _closed(g, formula):
    """The formula with every defined node replaced by its definition (None if long)."""
    sp = _sympy()[0]
    e = formula
    for n in reversed(g.order):
        if n in g.expr and n != LOSS_NAME and not isinstance(g.sym[n], sp.IndexedBase):
            e = e.subs(g.sym[n], g.expr[n])
            if sp.count_ops(e) > 80:
                return None
    if e == formula:
        return None
    s = _simplify(e)
    return s if sp.count_ops(s) <= 60 else None


def per_sample(g, e, k):
    """The expression for sample k: y -> y_k and x[i] -> x[i, k] for per-sample names."""
    sp = _sympy()[0]
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


# --------------------------------------------------------------------------- ReLU pieces

def linear_pieces(g):
    """The linear pieces of a ReLU network of two inputs, one per activation pattern.

    Every relu(...) in the definitions (in order) is active (argument >= 0) or not;
    with the pattern fixed, each argument and the output are linear in (x1, x2). A
    piece is empty when its region has no area. Returns (pieces, relu arguments in the
    inputs under the all-active pattern, drawing window half-width).
    """
    sp, relu, _, _ = _sympy()
    p = g.problem
    x = [g.sym[n] for n in p.inputs]
    params = {g.sym[n]: sp.nsimplify(v) for n, v in p.parameters.items()}
    calls = []
    for n in p.define:
        for e in sp.preorder_traversal(g.expr[n]):
            if isinstance(e, relu) and (n, e) not in calls:
                calls.append((n, e))
    if len(calls) > MAX_RELUS:
        raise InputError(p.file, "graph.boundary", f"{len(calls)} ReLU units give 2^{len(calls)} "
                                                   f"pieces; the limit is {MAX_RELUS} units")
    key = "graph.boundary"
    raw = []
    for bits in range(2 ** len(calls)):
        pattern = [not (bits >> (len(calls) - 1 - j)) & 1 for j in range(len(calls))]
        full, conds = dict(params), []
        choose = {}
        for n in p.define:
            e = g.expr[n]
            for j, (m, call) in enumerate(calls):
                if m == n:
                    arg = sp.expand(call.args[0].xreplace(full))
                    conds.append(_linear(p, arg, x, key))
                    choose[call] = call.args[0] if pattern[j] else sp.Integer(0)
            full[g.sym[n]] = sp.expand(e.xreplace(choose).xreplace(full))
        out = _linear(p, full[g.sym[p.boundary]], x, key)
        raw.append((pattern, conds, out))
    lines = [c for _, conds, _ in raw for c in conds] + [o for _, _, o in raw]
    window = _window(lines, x)
    box = [(-window, -window), (window, -window), (window, window), (-window, window)]
    pieces = []
    for number, (pattern, conds, out) in enumerate(raw, start=1):
        poly = box
        for c, on in zip(conds, pattern):
            poly = _clip(poly, c if on else -c, x)
        if _area(poly) < 1e-9 * window ** 2:
            poly = []
        seg = _segment(poly, out, x) if poly else []
        pieces.append(Piece(number, pattern, conds, out, poly, seg))
    first = raw[0][1] if raw else []
    return pieces, first, window


def _linear(p, e, x, key):
    sp = _sympy()[0]
    e = sp.nsimplify(sp.expand(e))
    if e.free_symbols - set(x) or any(sp.degree(e, v) > 1 for v in x) or e.has(sp.Function):
        raise InputError(p.file, key, "the output is not piecewise linear in the two inputs: the "
                                      "boundary needs units of the form relu(linear) and linear sums")
    if not sp.Poly(e, *x).is_linear and sp.Poly(e, *x).total_degree() > 1:
        raise InputError(p.file, key, "the output is not piecewise linear in the two inputs")
    return e


def _coeffs(e, x):
    """(a1, a2, b) of a linear expression a1 x1 + a2 x2 + b, as floats."""
    return (float(e.coeff(x[0])), float(e.coeff(x[1])), float(e.subs({x[0]: 0, x[1]: 0})))


def _window(lines, x):
    """Half-width of a square window that shows every crossing of the lines, with margin."""
    pts = [1.0]
    cs = [_coeffs(e, x) for e in lines]
    for i in range(len(cs)):
        for j in range(i + 1, len(cs)):
            a1, a2, b = cs[i]
            c1, c2, d = cs[j]
            det = a1 * c2 - a2 * c1
            if abs(det) > 1e-12:
                pts += [abs((-b * c2 + a2 * d) / det), abs((-a1 * d + c1 * b) / det)]
        a1, a2, b = cs[i]
        if abs(a1) + abs(a2) > 1e-12:
            pts.append(abs(b) / math.hypot(a1, a2))
    return float(math.ceil(1.5 * max(pts)))


def _clip(poly, e, x):
    """The part of a convex polygon where the linear expression e is >= 0 (Sutherland-Hodgman)."""
    a1, a2, b = _coeffs(e, x)
    f = [a1 * px + a2 * py + b for px, py in poly]
    out = []
    for i in range(len(poly)):
        P, Q, fp, fq = poly[i], poly[(i + 1) % len(poly)], f[i], f[(i + 1) % len(poly)]
        if fp >= 0:
            out.append(P)
        if (fp >= 0) != (fq >= 0):
            t = fp / (fp - fq)
            out.append((P[0] + t * (Q[0] - P[0]), P[1] + t * (Q[1] - P[1])))
    return out


def _area(poly):
    return 0.5 * abs(sum(poly[i][0] * poly[(i + 1) % len(poly)][1] - poly[(i + 1) % len(poly)][0] * poly[i][1]
                         for i in range(len(poly)))) if len(poly) >= 3 else 0.0


def _segment(poly, e, x):
    """The segment of the line e = 0 inside a convex polygon ([] if it misses it)."""
    a1, a2, b = _coeffs(e, x)
    if abs(a1) + abs(a2) < 1e-12:
        return []
    f = [a1 * px + a2 * py + b for px, py in poly]
    pts = []
    for i in range(len(poly)):
        P, Q, fp, fq = poly[i], poly[(i + 1) % len(poly)], f[i], f[(i + 1) % len(poly)]
        if (fp > 0 > fq) or (fp < 0 < fq):
            t = fp / (fp - fq)
            pts.append((P[0] + t * (Q[0] - P[0]), P[1] + t * (Q[1] - P[1])))
        elif fp == 0:
            pts.append(P)
    if len(pts) < 2:
        return []
    A, B = pts[0], max(pts, key=lambda q: math.dist(q, pts[0]))
    return [A, B] if math.dist(A, B) > 1e-9 else []


# --------------------------------------------------------------------------- trace

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


# --------------------------------------------------------------------------- layered -> graph

_ACT = {"sigmoid": "sigmoid({z})", "tanh": "tanh({z})", "relu": "relu({z})",
        "linear": "{z}", "softplus": "log(1 + exp({z}))"}


def from_layered(problem, sample=0):
    """A layered problem's first sample as a graph problem mapping (parse it with ``parse``).

    Units z{l}_{j} = sum_i w{l}_{j}_{i} a{l-1}_{i} + b{l}_{j} and a{l}_{j} = f(z{l}_{j}),
    inputs x{i}, targets t{j}, the loss as in the layered format (plus the penalty).

    >>> from solver.spec import load as load_layered
    >>> d = from_layered(load_layered("problems/seed001_q1_sigmoid_sgd.yaml"))
    >>> d["graph"]["define"]["z1_1"]
    'w1_1_1*x1 + w1_1_2*x2 + w1_1_3*x3 + w1_1_4*x4 + w1_1_5*x5 + b1_1'
    """
    p = problem
    x = p.X[:, sample]
    y = p.Y[:, sample]
    inputs = {f"x{i + 1}": float(v) for i, v in enumerate(x)}
    targets = {f"t{j + 1}": float(v) for j, v in enumerate(y)}
    params, define, train = {}, {}, []
    prev = list(inputs)
    for l in range(1, p.L + 1):
        W = p.weights[l - 1]
        name, slope = p.activations[l - 1]
        zs = []
        for j in range(p.sizes[l]):
            terms = []
            for i in range(p.sizes[l - 1]):
                w = f"w{l}_{j + 1}_{i + 1}"
                params[w] = float(W[j, i])
                train.append(w)
                terms.append(f"{w}*{prev[i]}")
            if p.biases is not None:
                b = f"b{l}_{j + 1}"
                params[b] = float(p.biases[l - 1][j])
                terms.append(b)
                if p.train_biases:
                    train.append(b)
            define[f"z{l}_{j + 1}"] = " + ".join(terms)
            zs.append(f"z{l}_{j + 1}")
        for j, z in enumerate(zs):
            if name == "softmax":
                f = f"exp({z})/(" + " + ".join(f"exp({m})" for m in zs) + ")"
            elif name == "leaky_relu":
                f = f"relu({z}) - {slope!r}*relu(-{z})"
            else:
                f = _ACT[name].format(z=z)
            define[f"a{l}_{j + 1}"] = f
        prev = [f"a{l}_{j + 1}" for j in range(p.sizes[l])]
    pairs = list(zip(prev, targets))
    loss = {
        "squared_error": " + ".join(f"(1/2)*({a} - {t})**2" for a, t in pairs),
        "sum_squared_error": " + ".join(f"({a} - {t})**2" for a, t in pairs),
        "mean_squared_error": "(" + " + ".join(f"({a} - {t})**2" for a, t in pairs) + f")/{len(pairs)}",
        "binary_cross_entropy": " + ".join(f"-({t}*log({a}) + (1 - {t})*log(1 - {a}))" for a, t in pairs),
        "cross_entropy": " + ".join(f"-{t}*log({a})" for a, t in pairs),
        "log_cosh": " + ".join(f"log(cosh({a} - {t}))" for a, t in pairs),
    }[p.loss]
    weights = [w for w in params if w.startswith("w")]
    if p.l2:
        loss += f" + {p.l2 / 2!r}*(" + " + ".join(f"{w}**2" for w in weights) + ")"
    if p.l1:
        loss += f" + {p.l1!r}*(" + " + ".join(f"Abs({w})" for w in weights) + ")"
    first = " (as a graph, first update)" if p.X.shape[1] > 1 or p.steps > 1 else " (as a graph)"
    return {"title": p.title + first, "description": p.description,
            "graph": {"inputs": inputs, "targets": targets, "parameters": params,
                      "define": define, "loss": loss, "derivatives": train,
                      "learning_rate": p.learning_rate},
            "display": {"digits": p.digits}}
