"""Graph problems: a network written as equations, differentiated node by node.

A graph problem (a problem file with a top-level ``graph:`` key, see
docs/graph-problems.md) names inputs, targets and parameters, then defines every other
quantity as an expression of earlier names, and a loss E. The stages are

    parse(data)  -> GraphProblem   plain data: names, numbers, expression strings; the
                                   numbers are computed here too, so that a problem
                                   that parses is one that solves (``backprop check``
                                   refuses exactly what ``trace`` and ``solve`` refuse)
    build(p)     -> Graph          SymPy expressions and the DAG (edge n -> c when c uses n)
    solve(g)     -> Solution       values, local derivatives dc/dn, the backward pass,
                                   paths, results, updates and the ReLU linear pieces

The backward pass visits the nodes in reverse topological order and computes each
adjoint once (no redundant work):

    dE/dE = 1,     dE/dn = sum over children c of n of  dE/dc * dc/dn

which equals the chain rule written as a sum over the paths n -> ... -> E of the
product of the local derivatives along the path.

Numbers come first and never wait on symbolic work. Every number of the problem file
is the decimal it is written as (0.1 is 1/10); values, local derivatives and adjoints
are computed exactly in rational arithmetic while the parts are rational, else with
mpmath at 50 significant digits, repeated at 100 (200, ... up to 800) until the two
agree, so that every number shown is right to the last digit of a double even where
floats cancel (1 - tanh(15)^2). A quantity exactly at a kink (relu(0), |0|) takes the
documented one-sided derivative: relu'(0) = 0, |x|'(0) = sign(0) = 0,
leaky_relu'(0) = slope.

The formulas are tidied under a size budget instead of ``sympy.simplify`` (which may
take minutes on a formula of tanh, exp and |.|): a formula of at most MAX_TIDY
operations goes through cheap rewrites (sinh/cosh -> tanh, ``cancel`` when its
polynomials are small, ``factor_terms``) and the shortest form is kept; a longer one is
written as computed (or with common subexpressions, ``sympy.cse``) and the document
says so. Every limit counts operations, never seconds, so the same problem gives the
same document on any machine.

SymPy is imported inside the functions, so loading this module costs nothing to the
layered pipeline (``backprop trace`` on a layered problem never imports SymPy).
"""

import functools
import math
import re
import sys
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from .errors import InputError

GRAPH_KEYS = ("inputs", "targets", "parameters", "define", "loss", "derivatives",
              "learning_rate", "frozen", "vectors", "samples", "reduction", "boundary")
TOP_KEYS = ("title", "description", "graph", "display")
FUNCTIONS = ("exp", "log", "ln", "sqrt", "tanh", "cosh", "sinh", "sin", "cos", "Abs", "abs",
             "sigmoid", "relu", "leaky_relu", "elu", "huber", "max", "Max", "Sum")
LOSS_NAME = "E"
SAMPLE_INDEX = "k"
MAX_NODES = 2000
MAX_PATHS = 64        # paths listed one by one; more are counted (dynamic programming)
MAX_RELUS = 10
MAX_FORMULA = 400     # operations of a backward-pass formula kept (written out as a tree)
MAX_TIDY = 60         # operations of a formula that is tidied (longer: written as computed)
MAX_CLOSED = 80       # operations of a closed form (in the leaves) before it is tidied
SMALL_ARG = 24        # nodes of a function's argument SymPy may evaluate it on (see _call)
MAX_CANCEL_OPS = 40   # operations of a formula put over one denominator (sympy.cancel)
MAX_CANCEL_TERMS = 64  # terms its expanded numerator and denominator may have
MAX_DEPTH = 50        # nesting of parentheses, calls and signs in an expression
MAX_EXPONENT = 1000   # largest exponent written in an expression
MAX_TEXT = 5000       # characters of an expression
DIGITS = 50           # first working precision of the numbers (significant digits)
MAX_DIGITS = 800      # last one
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DERIVATIVE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:\[([A-Za-z])\])?$")
_TOKEN = re.compile(r"(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                    r"|(?P<op>\*\*|//|[-+*/^()\[\],])|(?P<space>\s+)")


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
    is None for one sample, else the number (or symbol name) N of samples. ``exact``
    holds each given number as the decimal written in the file (a Fraction; a float
    with no entry there reads as its shortest decimal, ``repr``). ``frozen`` lists
    parameters whose derivative is shown but which the update keeps.
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
    frozen: list = field(default_factory=list)
    exact: dict = field(default_factory=dict, repr=False, compare=False)
    #: the numbers and pieces worked out by :func:`parse` (reused by :func:`solve`)
    checked: object = field(default=None, init=False, repr=False, compare=False)

    @property
    def numeric(self):
        """True when every input, target and parameter has a value (else: symbolic)."""
        values = [*self.inputs.values(), *self.targets.values(), *self.parameters.values()]
        return not self.vectors and self.samples is None and all(v is not None for v in values)

    @property
    def leaves(self):
        """Inputs, targets and parameters in order: {name: value or None}."""
        return {**self.inputs, **self.targets, **self.parameters}

    def number(self, name):
        """The exact value (a Fraction) of a leaf or of ``learning_rate``."""
        v = self.learning_rate if name == "learning_rate" else self.leaves[name]
        ex = self.exact.get(name)
        return ex if ex is not None and float(ex) == v else _decimal(v)


def _decimal(v):
    """The decimal a number is written as: ints exactly, floats as their shortest repr.

    >>> _decimal(0.1), _decimal(3), _decimal(1e-05)
    (Fraction(1, 10), Fraction(3, 1), Fraction(1, 100000))
    """
    return Fraction(v) if isinstance(v, int) else Fraction(repr(float(v)))


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

    Expressions are parsed here, and the numbers and ReLU pieces computed, so every
    error (unknown names, use before definition, not a plain expression, a value that
    overflows, a boundary that is not piecewise linear) is reported at its key.

    >>> p = parse({"graph": {"inputs": {"x": 2}, "parameters": {"w": 0.5},
    ...                      "targets": {"t": 1}, "define": {"y": "w*x"},
    ...                      "loss": "(y - t)**2"}})
    >>> p.derivatives, p.reduction, p.numeric
    (['w'], 'mean', True)
    """
    p = _parse(data, file)
    validate(p)
    return p


def _parse(data, file):
    from .spec import Checker, kind_of
    c = Checker(file)
    c.keys(data, "", TOP_KEYS, required=("graph",))
    g = data["graph"]
    c.keys(g, "graph", GRAPH_KEYS, required=("define",))
    taken = set()
    exact = {}

    def names(key):
        v = g.get(key) or {}
        if isinstance(v, list):
            for i, n in enumerate(v):
                if not isinstance(n, str):
                    c.fail(f"graph.{key}[{i}]", f"expected a name, got {kind_of(n)}")
            v = {n: None for n in v}
        if not isinstance(v, dict):
            c.fail(f"graph.{key}", f"expected a mapping of names to numbers (or a list of names), got {kind_of(v)}")
        out = {}
        for n, value in v.items():
            k = f"graph.{key}.{n}"
            _check_name(c, n, k, taken)
            taken.add(n)
            if value is None:
                out[n] = None
                continue
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10 ** 300:
                c.fail(k, "expected a number of at most 10^300 in size")
            out[n] = c.number(value, k)
            exact[n] = _decimal(value) if isinstance(value, (int, float)) else _decimal(out[n])
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
        c.fail("graph.define", f"expected a mapping of names to expressions, in order, got {kind_of(define)}")
    if len(define) > MAX_NODES:
        c.fail("graph.define", f"expected at most {MAX_NODES} definitions, got {len(define)}")
    known = set(inputs) | set(targets) | set(parameters)
    later = {n for n in define if isinstance(n, str)}
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
                      f"({', '.join(nodes[:30])}{', ...' if len(nodes) > 30 else ''}), got {kind_of(d)}")
        if (m.group(1) in vectors) != (m.group(2) is not None):
            c.fail(k, f"write a component of the vector {m.group(1)} as {m.group(1)}[i]"
                   if m.group(1) in vectors else f"{m.group(1)} is not a vector: write it without [...]")
        if m.group(2) and m.group(2) in taken:
            c.fail(k, f"the index letter {m.group(2)} is already a name; use another letter")
    if len(set(derivs)) != len(derivs):
        c.fail("graph.derivatives", "a name appears twice")

    lr = g.get("learning_rate")
    if lr is not None:
        if isinstance(lr, int) and not isinstance(lr, bool) and abs(lr) > 10 ** 300:
            c.fail("graph.learning_rate", "expected a number of at most 10^300")
        raw = lr
        lr = c.number(lr, "graph.learning_rate", positive=True)
        exact["learning_rate"] = _decimal(raw)
        if loss is None:
            c.fail("graph.learning_rate", "an update needs a loss: add graph.loss")

    frozen = g.get("frozen") or []
    if not isinstance(frozen, list):
        c.fail("graph.frozen", f"expected a list of parameter names, got {kind_of(frozen)}")
    for i, n in enumerate(frozen):
        if not isinstance(n, str) or n not in parameters:
            c.fail(f"graph.frozen[{i}]", f"expected the name of a parameter, got {kind_of(n)}")
    if len(set(frozen)) != len(frozen):
        c.fail("graph.frozen", "a name appears twice")

    boundary = g.get("boundary")
    if boundary is not None:
        if not isinstance(boundary, str) or boundary not in define:
            c.fail("graph.boundary", f"expected a defined name (the output whose sign gives the class), got {kind_of(boundary)}")
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
        boundary=boundary, digits=digits, frozen=list(frozen), exact=exact)


def _check_name(c, n, key, taken):
    if not isinstance(n, str) or not NAME.match(n) or n.endswith("_") or "__" in n:
        c.fail(key, f"expected a name of letters, digits and single underscores, starting with a letter, got {n!r}"[:300])
    if n in FUNCTIONS or n in _RESERVED or n == LOSS_NAME:
        c.fail(key, f"{n} is reserved (a function or constant name, or E, the loss); choose another name")
    if n in taken:
        c.fail(key, f"the name {n} is used twice")


_RESERVED = {"pi", "oo", "nan", "zoo", "lambda", "Integer", "Float", "Rational"}


def validate(p):
    """Work out what :func:`solve` computes first (every number, the ReLU pieces), so that
    everything ``trace`` and ``solve`` would refuse is refused now, at its key.

    :func:`parse` calls it; the result is kept in ``p.checked`` for :func:`solve`.
    """
    g = build(p)
    nums = numbers(g)
    pieces = linear_pieces(g) if p.boundary else ([], [], 0.0)
    p.checked = (g, nums, pieces)
    return p.checked


# --------------------------------------------------------------------------- SymPy side

@functools.lru_cache(maxsize=None)
def _functions():
    """SymPy and the functions of the exercises that SymPy lacks, or writes otherwise.

    relu (with its derivative ``step``), sigmoid, leaky_relu (with ``leaky_step``) and
    Abs, whose derivative is sign(z) (SymPy's own |z|' brings in arg and atan2 terms).
    Each takes its value only on exact rationals: nothing here evaluates in floats.
    """
    import sympy as sp

    def rational(z):
        return isinstance(z, sp.Rational)

    class step(sp.Function):
        """1 for z > 0, else 0 (the derivative of relu, 0 at 0 by convention)."""

        @classmethod
        def eval(cls, z):
            if rational(z):
                return sp.Integer(1) if z > 0 else sp.Integer(0)

        def fdiff(self, argindex=1):
            return sp.Integer(0)

        def _latex(self, printer, exp=None):
            return _with_exp(r"\mathbb{1}[%s > 0]" % printer._print(self.args[0]), exp)

    class relu(sp.Function):
        """max(0, z)."""

        @classmethod
        def eval(cls, z):
            if rational(z):
                return z if z > 0 else sp.Integer(0)

        def fdiff(self, argindex=1):
            return _call(step, self.args[0])

        def _latex(self, printer, exp=None):
            return _with_exp(r"\operatorname{ReLU}\left(%s\right)" % printer._print(self.args[0]), exp)

    class leaky_step(sp.Function):
        """1 for z > 0, else the slope s (the derivative of leaky_relu, s at 0)."""

        @classmethod
        def eval(cls, z, s):
            if rational(z):
                return sp.Integer(1) if z > 0 else s

        def fdiff(self, argindex=1):
            return sp.Integer(0)

        def _latex(self, printer, exp=None):
            z, s = printer._print(self.args[0]), _decimal_tex(printer, self.args[1])
            return _with_exp(r"\left(\mathbb{1}[%s > 0] + %s\,\mathbb{1}[%s \leq 0]\right)" % (z, s, z), exp)

    class leaky_relu(sp.Function):
        """z for z > 0, else s z (s: the slope, a number)."""

        @classmethod
        def eval(cls, z, s):
            if rational(z):
                return z if z > 0 else s * z

        def fdiff(self, argindex=1):
            if argindex == 1:
                return _call(leaky_step, *self.args)
            return -_call(relu, -self.args[0])

        def _latex(self, printer, exp=None):
            z, s = printer._print(self.args[0]), _decimal_tex(printer, self.args[1])
            return _with_exp(r"\operatorname{LReLU}_{%s}\left(%s\right)" % (s, z), exp)

    class elu_step(sp.Function):
        """1 for z > 0, else a e^z (the derivative of elu, a at 0)."""

        @classmethod
        def eval(cls, z, a):
            if rational(z):
                return sp.Integer(1) if z > 0 else a if z == 0 else None

        def fdiff(self, argindex=1):
            return sp.Integer(0)

        def _latex(self, printer, exp=None):
            z, a = printer._print(self.args[0]), _decimal_tex(printer, self.args[1])
            return _with_exp(r"\left(\mathbb{1}[%s > 0] + %s\,e^{%s}\,\mathbb{1}[%s \leq 0]\right)"
                             % (z, a, z, z), exp)

    class elu(sp.Function):
        """z for z > 0, else a (e^z - 1) (a: alpha, a number)."""

        @classmethod
        def eval(cls, z, a):
            if rational(z) and z >= 0:
                return z

        def fdiff(self, argindex=1):
            return _call(elu_step, *self.args)

        def _latex(self, printer, exp=None):
            z, a = printer._print(self.args[0]), _decimal_tex(printer, self.args[1])
            return _with_exp(r"\operatorname{ELU}_{%s}\left(%s\right)" % (a, z), exp)

    class huber_step(sp.Function):
        """d clipped to [-k, k] (the derivative of huber)."""

        @classmethod
        def eval(cls, d, k):
            if rational(d):
                return d if abs(d) <= k else k if d > 0 else -k

        def fdiff(self, argindex=1):
            return sp.Integer(0)

        def _latex(self, printer, exp=None):
            d, k = printer._print(self.args[0]), _decimal_tex(printer, self.args[1])
            return _with_exp(r"\operatorname{clip}_{%s}\left(%s\right)" % (k, d), exp)

    class huber(sp.Function):
        """d^2 / 2 for |d| <= k, else k (|d| - k / 2) (k: delta, a number)."""

        @classmethod
        def eval(cls, d, k):
            if rational(d):
                return d ** 2 / 2 if abs(d) <= k else k * (abs(d) - k / 2)

        def fdiff(self, argindex=1):
            return _call(huber_step, *self.args)

        def _latex(self, printer, exp=None):
            d, k = printer._print(self.args[0]), _decimal_tex(printer, self.args[1])
            return _with_exp(r"\operatorname{huber}_{%s}\left(%s\right)" % (k, d), exp)

    class sigmoid(sp.Function):
        """1 / (1 + e^-z), with derivative sigmoid (1 - sigmoid)."""

        def fdiff(self, argindex=1):
            return self * (1 - self)

        def _latex(self, printer, exp=None):
            return _with_exp(r"\sigma\left(%s\right)" % printer._print(self.args[0]), exp)

    class Abs(sp.Function):
        """|z|, with derivative sign(z) (0 at 0)."""

        @classmethod
        def eval(cls, z):
            if rational(z):
                return abs(z)

        def fdiff(self, argindex=1):
            return _call(sp.sign, self.args[0])

        def _latex(self, printer, exp=None):
            return _with_exp(r"\left|%s\right|" % printer._print(self.args[0]), exp)

    return {"sp": sp, "relu": relu, "step": step, "sigmoid": sigmoid, "leaky_relu": leaky_relu,
            "leaky_step": leaky_step, "Abs": Abs, "elu": elu, "elu_step": elu_step, "huber": huber,
            "huber_step": huber_step}


def _call(f, *args):
    """f(*args), evaluated by SymPy only when the first argument is small.

    SymPy evaluates every function it builds (tanh(-z) -> -tanh(z), exp(0) -> 1) by
    asking questions of the argument (is it zero? real? odd?); on a long nested argument
    the answers can take minutes. Past SMALL_ARG operations the call is kept as written.
    """
    return f(*args) if _small(args[0]) else f(*args, evaluate=False)


def _build(func, *args):
    """func(*args) for Add, Mul and Pow, evaluated by SymPy unless an argument is heavy.

    Building a sum, product or power asks questions of its parts (is it zero? infinite?)
    which, of a function of a long argument, can take minutes: such parts are put
    together as written.
    """
    if any(_heavy(a) for a in args):
        return func(*args, evaluate=False)
    return func(*args)


@functools.lru_cache(maxsize=4096)
def _heavy(e):
    """True when e holds a function of an argument of more than SMALL_ARG nodes."""
    sp = _sympy()[0]
    if not isinstance(e, sp.Basic) or not e.args:
        return False
    if isinstance(e, sp.Function) and not all(_small(a) for a in e.args):
        return True
    return any(_heavy(a) for a in e.args)


def _small(e, limit=None):
    """True when e has at most ``limit`` (SMALL_ARG) nodes, counted with an early stop."""
    limit = SMALL_ARG if limit is None else limit
    sp = _sympy()[0]
    for i, _ in enumerate(sp.preorder_traversal(e)):
        if i > limit:
            return False
    return True


def _decimal_tex(printer, r):
    """A rational number as the decimal it was written as when it has one (1/100 -> 0.01).

    >>> import sympy
    >>> _decimal_tex(None, sympy.Rational(1, 100)), _decimal_tex(None, sympy.Rational(-5, 2))
    ('0.01', '-2.5')
    """
    if getattr(r, "is_Rational", False) and not r.is_Integer:
        q, twos, fives = int(r.q), 0, 0
        while q % 2 == 0:
            q, twos = q // 2, twos + 1
        while q % 5 == 0:
            q, fives = q // 5, fives + 1
        if q == 1 and max(twos, fives) <= 30:
            from decimal import Decimal
            return format(Decimal(int(r.p)) / Decimal(int(r.q)), "f")
    return printer._print(r)


def _with_exp(tex, exp):
    """A function's LaTeX raised to a power (SymPy's printer passes ``exp`` for f(z)^2)."""
    return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


def _sympy():
    """SymPy and three functions the exercises use: (sp, relu, sigmoid, step)."""
    f = _functions()
    return f["sp"], f["relu"], f["sigmoid"], f["step"]


class _Expr:
    """Parse expression texts into SymPy for one graph: the names, vectors and sums it knows.

    The text is read by a small recursive-descent parser of its own (Python's operator
    precedence, ``^`` as ``**``), never by Python's ``eval``: so names are only names
    (``def``, ``True`` or ``Add`` as a quantity's name are harmless), numbers are the
    exact decimals written, and the size of powers and the depth of nesting are checked
    before SymPy computes anything.
    """

    def __init__(self, vectors, scalars):
        fs = _functions()
        sp = fs["sp"]
        self.sp = sp
        self.vectors = {n: (sp.Integer(s) if isinstance(s, int) else sp.Symbol(s, integer=True, positive=True))
                        for n, s in vectors.items()}
        self.bases = {n: sp.IndexedBase(n, real=True) for n in vectors}
        self.scalars = {n: sp.Symbol(n, real=True) for n in scalars}
        one = {"exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt, "tanh": sp.tanh,
               "cosh": sp.cosh, "sinh": sp.sinh, "sin": sp.sin, "cos": sp.cos, "Abs": fs["Abs"],
               "abs": fs["Abs"], "sigmoid": fs["sigmoid"], "relu": fs["relu"]}
        self.functions = set(one) | {"max", "Max", "Sum", "leaky_relu", "elu", "huber"}
        self.one = one

    def add_scalar(self, name):
        """Make the scalar ``name`` (a new definition) known to the expressions after it."""
        self.scalars[name] = self.sp.Symbol(name, real=True)

    def parse(self, text, known):
        """The SymPy expression of ``text``, using only names in ``known``; ValueError if not."""
        sp = self.sp
        stripped = NUMBER.sub("0", text)
        if not re.fullmatch(r"[A-Za-z0-9_+\-*/^()\[\], \t]*", stripped):
            bad = re.sub(r"[A-Za-z0-9_+\-*/^()\[\], \t]", "", stripped)[:1]
            raise ValueError(f"the character {bad!r} is not allowed in an expression")
        tokens, pos = [], 0
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m:  # a character allowed above in a place no token starts (a lone '.')
                raise ValueError(f"the character {text[pos]!r} is not allowed in an expression")
            if m.lastgroup != "space":
                tokens.append((m.lastgroup, m.group()))
            pos = m.end()
        if not tokens:
            raise ValueError("expected an expression, got nothing")
        if ("op", "//") in tokens:
            raise ValueError("// (integer division) is not an operation of the expressions; write / for division")
        e = _Parser(self, tokens, known).run()
        if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise ValueError("the expression is not finite")
        if e.has(sp.I) or any(b.is_Number and b.is_negative and not x.is_integer
                              for b, x in (q.args for q in e.atoms(sp.Pow))):
            raise ValueError("the expression is not a real number (a root or logarithm of a negative number)")
        for q in e.atoms(sp.Pow):
            if q.exp.is_Number and abs(q.exp) > MAX_EXPONENT:
                raise ValueError(f"an exponent in the expression is larger than {MAX_EXPONENT}")
        free = {s for s in e.free_symbols if isinstance(s, sp.Symbol)}
        loose = {s.name for s in free} - set(known) - {str(v) for v in self.vectors.values()}
        loose -= {s.name for ix in e.atoms(sp.Indexed) for s in ix.free_symbols}
        if loose:
            raise ValueError(f"the index {sorted(loose)[0]} is used outside a Sum")
        return e


class _Parser:
    """expr := term (+|- term)*;  term := factor (*|/ factor)*;  factor := (+|-) factor | power;
    power := atom [(**|^) factor];  atom := number | name | name[index] | f(args) | (expr)."""

    def __init__(self, ex, tokens, known):
        self.ex, self.sp, self.tokens, self.known, self.i, self.depth = ex, ex.sp, tokens, known, 0, 0

    def run(self):
        e = self.expr()
        if self.i < len(self.tokens):
            kind, text = self.tokens[self.i]
            if text == ",":
                raise ValueError("expected a plain expression (no tuples, comparisons or equations)")
            if text in (")", "]"):
                raise ValueError(f"cannot read the expression (an unmatched {text!r})")
            raise ValueError(f"cannot read the expression (expected an operator before {text!r})")
        return e

    def peek(self):
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self, text=None):
        if self.i >= len(self.tokens):
            raise ValueError("cannot read the expression (it ends too early: a parenthesis "
                             "is not closed or an operand is missing)")
        tok = self.tokens[self.i]
        if text is not None and tok[1] != text:
            if tok[1] == "," and text == ")":
                raise ValueError("expected a plain expression (no tuples, comparisons or equations)")
            raise ValueError(f"cannot read the expression (expected {text!r}, got {tok[1]!r})")
        self.i += 1
        return tok

    def deeper(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ValueError(f"the expression is nested more than {MAX_DEPTH} levels deep")

    def expr(self):
        self.deeper()
        terms = [self.term()]
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            r = self.term()
            terms.append(r if op == "+" else _build(self.sp.Mul, -1, r))
        self.depth -= 1
        return terms[0] if len(terms) == 1 else _build(self.sp.Add, *terms)  # one Add: linear

    def term(self):
        factors = [self.factor()]
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            r = self.factor()
            factors.append(r if op == "*" else _build(self.sp.Pow, r, -1))
        return factors[0] if len(factors) == 1 else _build(self.sp.Mul, *factors)

    def factor(self):
        if self.peek() in ("+", "-"):
            op = self.take()[1]
            self.deeper()
            e = self.factor()
            self.depth -= 1
            return _build(self.sp.Mul, -1, e) if op == "-" else e
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() in ("**", "^"):
            self.take()
            self.deeper()
            x = self.factor()
            self.depth -= 1
            return _power(base, x)
        return base

    def atom(self):
        sp = self.sp
        kind, text = self.take()
        if kind == "num":
            return _literal(sp, text)
        if text == "(":
            e = self.expr()
            self.take(")")
            return e
        if kind != "name":
            raise ValueError(f"cannot read the expression (unexpected {text!r})")
        ex = self.ex
        if text in ex.functions:
            if self.peek() != "(":
                raise ValueError(f"the function {text} must be called, as {text}(...)")
            return self.call(text)
        if text in ex.bases and text in self.known:
            if self.peek() != "[":
                raise ValueError(f"{text} is a vector: write a component, as {text}[j]")
            self.take("[")
            index = self.index()
            self.take("]")
            return ex.bases[text][index]
        if text in self.known and text in ex.scalars:
            return ex.scalars[text]
        raise ValueError(f"unknown name {text}")

    def index(self):
        kind, text = self.take()
        if kind == "name" and len(text) == 1 and text not in self.known and text not in self.ex.scalars:
            return self.sp.Symbol(text, integer=True)
        if kind == "num" and text.isdigit() and 1 <= int(text) <= 10 ** 6:
            return self.sp.Integer(int(text))
        raise ValueError(f"an index is a letter (not a name of the problem) or a whole number, got {text!r}")

    def call(self, name):
        sp, ex = self.sp, self.ex
        self.take("(")
        self.deeper()
        if name == "Sum":
            body = self.expr()
            self.take(",")
            kind, j = self.take()
            if kind != "name" or len(j) != 1 or j in self.known or j in ex.scalars:
                raise ValueError("Sum(expression, j) takes an index letter j")
            self.take(")")
            self.depth -= 1
            index = sp.Symbol(j, integer=True)
            sizes = {ex.vectors[b.base.name] for b in body.atoms(sp.Indexed) if index in b.indices}
            if len(sizes) != 1:
                raise ValueError(f"the index {j} of a Sum must index vectors of one length")
            return sp.Sum(body, (index, 1, sizes.pop()))
        args = [self.expr()]
        while self.peek() == ",":
            self.take(",")
            args.append(self.expr())
        self.take(")")
        self.depth -= 1
        fs = _functions()
        if name in ("max", "Max"):
            if len(args) == 2 and 0 in args:
                return _call(fs["relu"], args[1] if args[0] == 0 else args[0])
            raise ValueError("max takes 0 and one expression: max(0, z) is relu(z)")
        if name in _OPTIONS:
            option, default = _OPTIONS[name]
            if len(args) not in (1, 2) or (len(args) == 2 and not args[1].is_Rational):
                raise ValueError(f"{name} takes an expression and a number, its {option}: "
                                 f"{name}(z, {default})")
            if len(args) == 2 and name != "leaky_relu" and args[1] <= 0:
                raise ValueError(f"the {option} of {name} is a number greater than 0")
            return _call(fs[name], args[0], args[1] if len(args) == 2 else _literal(sp, default))
        if len(args) != 1:
            raise ValueError(f"{name} takes one argument, got {len(args)}")
        return _call(ex.one[name], args[0])


#: functions with one numeric option: (its name, its default as written)
_OPTIONS = {"leaky_relu": ("slope", "0.01"), "elu": ("alpha", "1"), "huber": ("delta", "1")}


def _literal(sp, text):
    """A number as written: '0.1' -> 1/10, '1e-3' -> 1/1000 (refused beyond 10^300)."""
    if len(text) > 100:
        raise ValueError("a number in the expression has more than 100 characters")
    mantissa, _, exponent = text.lower().partition("e")
    if exponent and abs(int(exponent)) > 400:
        raise ValueError("a number in the expression is beyond 10^300")
    v = Fraction(text)
    if v and not Fraction(1, 10 ** 300) <= abs(v) <= 10 ** 300:
        raise ValueError("a number in the expression is beyond 10^300")
    return sp.Rational(v.numerator, v.denominator)


def _power(base, x):
    """base ** x, refusing a power of numbers beyond 10^300 and exponents beyond 1000 first."""
    sp = _sympy()[0]
    if not x.free_symbols:
        xv = _estimate(x)
        if not base.free_symbols:
            bv = _estimate(base)
            if bv != 0 and abs(xv) * abs(math.log10(abs(bv))) > 300:
                raise ValueError("a power of numbers in the expression is too large (beyond 10^300)")
        if abs(xv) > MAX_EXPONENT:
            raise ValueError(f"an exponent in the expression is larger than {MAX_EXPONENT}")
    return _build(sp.Pow, base, x)


def _estimate(e):
    """A float near the value of a constant expression (bounded work; ValueError if none)."""
    try:
        v = _Calc(20).ev(e, {})
    except _NumberError as err:
        raise ValueError(f"a number in the expression is not finite ({err})") from None
    except KeyError:
        raise ValueError("a number in the expression cannot be computed") from None
    return float(v)


def _parse_expr(c, text, key, known, later, ex):
    """Check one expression text with the parser ``ex`` (names in ``known`` only)."""
    from .spec import kind_of
    if isinstance(text, bool) or not isinstance(text, (str, int, float)):
        c.fail(key, f"expected an expression (text), got {kind_of(text)}")
    text = str(text)
    if len(text) > MAX_TEXT:
        c.fail(key, f"the expression is longer than {MAX_TEXT} characters")
    for w in IDENT.findall(NUMBER.sub("0", text)):
        if w in later and w not in known:
            c.fail(key, f"uses {w} before it is defined (definitions come in order, each from "
                        f"earlier names only, so the graph has no cycles)")
    try:
        return ex.parse(text, known)
    except ValueError as e:
        c.fail(key, str(e))
    except RecursionError:
        c.fail(key, f"the expression is nested too deeply")


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
    cache: dict = field(default_factory=dict, repr=False)


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


def node_of(name):
    """The node a derivative name belongs to: ``w[i]`` -> ``w``."""
    return DERIVATIVE.match(name).group(1)


def _key(n):
    return "graph.loss" if n == LOSS_NAME else f"graph.define.{n}"


def edges(g):
    """(nodes of the backward pass in its order, {(child, node): dchild/dnode as differentiated}).

    Only nodes on a path from a requested variable to E take part. The derivatives are
    SymPy's, before any tidying (cheap: each is of one node's own expression).
    """
    if "edges" in g.cache:
        return g.cache["edges"]
    sp = _sympy()[0]
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
                    raw[(c, n)] = _derivative(g.expr[c], var)
    g.cache["edges"] = order, raw
    return order, raw


# --------------------------------------------------------------------------- numbers

class _NumberError(Exception):
    """A value that is not a finite real number (overflow, log of x <= 0, 1/0, ...)."""


_MAX_BITS = 20000                  # exact rationals beyond this many bits go on in mpmath
_BIG = Fraction(sys.float_info.max)


class _Calc:
    """Values of SymPy expressions: exact (Fraction) while the parts are rational, else
    mpmath numbers at ``dps`` significant digits (a context of its own: thread-safe).

    A value within 10^(-dps/2) of a kink counts as on it when it is not exact (at twice
    the digits the test is sharper, so a real small number is never taken for a kink
    once the two precisions agree).
    """

    def __init__(self, dps):
        import mpmath
        self.ctx = ctx = mpmath.MPContext()
        ctx.dps = dps
        self.dps = dps
        self.tol = ctx.mpf(10) ** (-(dps // 2))
        self.big = ctx.mpf(sys.float_info.max)

    # -- conversions and checks
    def mpf(self, v):
        return self.ctx.mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else v

    def ok(self, v):
        """v, checked finite and within the doubles; a long exact value goes on as mpf."""
        if isinstance(v, Fraction):
            if abs(v) > _BIG:
                raise _NumberError("overflow")
            if v.numerator.bit_length() + v.denominator.bit_length() > _MAX_BITS:
                return self.mpf(v)
            return v
        if not self.ctx.isfinite(v) or abs(v) > self.big:
            raise _NumberError("overflow")
        return v

    def zero(self, v):
        return v == 0 if isinstance(v, Fraction) else abs(v) <= self.tol

    def positive(self, v):
        return v > 0 if isinstance(v, Fraction) else v > self.tol

    def add(self, vals):
        if all(isinstance(v, Fraction) for v in vals):
            return self.ok(sum(vals, Fraction(0)))
        return self.ok(self.ctx.fsum([self.mpf(v) for v in vals]))

    def mul(self, vals):
        if any(isinstance(v, Fraction) and v == 0 for v in vals):
            return Fraction(0)
        if all(isinstance(v, Fraction) for v in vals):
            out = Fraction(1)
            for v in vals:
                out = self.ok(out * v)
                if not isinstance(out, Fraction):
                    break
            else:
                return out
        out = self.ctx.mpf(1)
        for v in vals:
            out = self.ok(out * self.mpf(v))
        return out

    # -- expressions
    def ev(self, e, env):
        if e.is_Rational:
            return Fraction(int(e.p), int(e.q))
        if e.is_Symbol:
            return env[e.name]
        if e.is_Add:
            return self.add([self.ev(a, env) for a in e.args])
        if e.is_Mul:
            return self.mul([self.ev(a, env) for a in e.args])
        if e.is_Pow:
            return self.pow(self.ev(e.args[0], env), self.ev(e.args[1], env))
        if e.is_Float:
            return self.ok(self.ctx.mpf(e))
        if e.is_NumberSymbol:
            return self.ok(self.ctx.mpf(e.evalf(self.dps + 10)))
        f = getattr(self, "f_" + type(e).__name__, None)
        if f is None:
            raise _NumberError(f"{type(e).__name__} cannot be computed in numbers")
        return f(*[self.ev(a, env) for a in e.args])

    def pow(self, b, x):
        if isinstance(x, Fraction) and x.denominator == 1:
            k = x.numerator
            if self.zero(b):
                if k < 0:
                    raise _NumberError("a division by zero")
                return Fraction(1) if k == 0 else Fraction(0)
            if isinstance(b, Fraction) and abs(k) * max(b.numerator.bit_length(), b.denominator.bit_length()) <= _MAX_BITS:
                return self.ok(b ** k)
            m = self.mpf(b)
            if abs(k) * abs(self.ctx.log(abs(m), 2)) > 1100 and (abs(m) > 1) == (k > 0):
                raise _NumberError("overflow")
            return self.ok(m ** k)
        if self.zero(b):
            if self.positive(x):
                return Fraction(0)
            raise _NumberError("a division by zero")
        if not self.positive(b):
            raise _NumberError("a root of a negative number")
        if isinstance(b, Fraction) and isinstance(x, Fraction) and x.denominator == 2 and abs(x.numerator) <= 64:
            rn, rd = math.isqrt(b.numerator), math.isqrt(b.denominator)
            if rn * rn == b.numerator and rd * rd == b.denominator:
                return self.pow(Fraction(rn, rd), Fraction(x.numerator))
        m, y = self.mpf(b), self.mpf(x)
        if y * self.ctx.log(m) > 710:
            raise _NumberError("overflow")
        return self.ok(self.ctx.power(m, y))

    def f_exp(self, x):
        if isinstance(x, Fraction) and x == 0:
            return Fraction(1)
        if x > 710:
            raise _NumberError("overflow")
        return self.ok(self.ctx.exp(self.mpf(x)))

    def f_log(self, x):
        if isinstance(x, Fraction) and x == 1:
            return Fraction(0)
        if not self.positive(x):
            raise _NumberError("a logarithm of a number <= 0")
        return self.ok(self.ctx.log(self.mpf(x)))

    def _odd(self, f, x):
        return Fraction(0) if isinstance(x, Fraction) and x == 0 else self.ok(f(self.mpf(x)))

    def f_tanh(self, x):
        return self._odd(self.ctx.tanh, x)

    def f_sin(self, x):
        return self._odd(self.ctx.sin, x)

    def f_sinh(self, x):
        if abs(x) > 711:
            raise _NumberError("overflow")
        return self._odd(self.ctx.sinh, x)

    def f_cosh(self, x):
        if abs(x) > 711:
            raise _NumberError("overflow")
        return Fraction(1) if isinstance(x, Fraction) and x == 0 else self.ok(self.ctx.cosh(self.mpf(x)))

    def f_cos(self, x):
        return Fraction(1) if isinstance(x, Fraction) and x == 0 else self.ok(self.ctx.cos(self.mpf(x)))

    def f_Abs(self, x):
        return abs(x)

    def f_sign(self, x):
        return Fraction(0) if self.zero(x) else Fraction(1) if self.positive(x) else Fraction(-1)

    def f_relu(self, x):
        return x if self.positive(x) else Fraction(0)

    def f_step(self, x):
        return Fraction(1) if self.positive(x) else Fraction(0)

    def f_leaky_relu(self, x, s):
        return x if self.positive(x) else self.mul([s, x])

    def f_leaky_step(self, x, s):
        return Fraction(1) if self.positive(x) else s

    def f_elu(self, x, a):
        if self.positive(x):
            return x
        return self.mul([a, self.add([self.f_exp(x), Fraction(-1)])])

    def f_elu_step(self, x, a):
        return Fraction(1) if self.positive(x) else self.mul([a, self.f_exp(x)])

    def within(self, d, k):
        """|d| <= k (exact when both are, else at the working precision)."""
        if isinstance(d, Fraction) and isinstance(k, Fraction):
            return abs(d) <= k
        return abs(self.mpf(d)) <= self.mpf(k)

    def f_huber(self, d, k):
        if self.within(d, k):
            return self.mul([d, d, Fraction(1, 2)])
        return self.mul([k, self.add([abs(d), self.mul([k, Fraction(-1, 2)])])])

    def f_huber_step(self, d, k):
        return d if self.within(d, k) else k if d > 0 else -k

    def f_sigmoid(self, x):
        if isinstance(x, Fraction) and x == 0:
            return Fraction(1, 2)
        m = self.mpf(x)
        if m >= 0:
            return self.ok(1 / (1 + self.ctx.exp(-m)))
        t = self.ctx.exp(m)
        return self.ok(t / (1 + t))


@dataclass
class Numbers:
    """Every number of a numeric graph problem, as doubles correctly rounded from exact
    or high-precision values: node values, local derivatives (child, node), adjoints
    dE/dnode and the parameters after one step (with a learning rate)."""

    values: dict
    local: dict
    adjoint: dict
    updated: dict
    digits: int        # the working precision the numbers agreed at


def numbers(g):
    """The numbers of a numeric problem (None for a symbolic one); InputError at the key
    of the node whose value is not a finite real number.

    >>> g = build(parse({"graph": {"inputs": {"x": 1}, "parameters": {"w": 15},
    ...                            "define": {"y": "tanh(w*x)"}, "loss": "y"}}))
    >>> numbers(g).adjoint["w"]  # 1 - tanh(15)^2; doubles give 3.74367e-13
    3.743049187535369e-13
    """
    if not g.problem.numeric:
        return None
    if "numbers" in g.cache:
        return g.cache["numbers"]
    order, raw = edges(g)
    dps, low = DIGITS, _numbers_at(g, order, raw, DIGITS)
    while True:
        high = _numbers_at(g, order, raw, 2 * dps)
        if _agree(low, high):
            break
        if 2 * dps >= MAX_DIGITS:  # what still shrinks with the precision is a zero
            high = tuple({k: Fraction(0) if not _same(a[k], v) and _tiny(v, dps) else v
                          for k, v in b.items()} for a, b in zip(low, high))
            break
        dps, low = 2 * dps, high
    out = Numbers(*({k: _to_float(v) for k, v in part.items()} for part in high), digits=2 * dps)
    g.cache["numbers"] = out
    return out


def _numbers_at(g, order, raw, dps):
    """(values, local derivatives, adjoints, updated) at ``dps`` digits, exact where rational."""
    p = g.problem
    calc = _Calc(dps)
    values = {n: p.number(n) for n in p.leaves}

    def at(key, e):
        try:
            return calc.ev(e, values)
        except _NumberError as err:
            raise InputError(p.file, key, f"the value is not a finite number with the numbers "
                                          f"given ({err})") from None

    for n in g.order:
        if n in g.expr:
            values[n] = at(_key(n), g.expr[n])
    local = {(c, n): at(_key(c), d) for (c, n), d in raw.items()}
    adjoint = {LOSS_NAME: Fraction(1)}
    for n in order:
        try:
            adjoint[n] = calc.add([calc.mul([adjoint[c], local[(c, n)]])
                                   for c in g.children[n] if (c, n) in local])
        except _NumberError:
            raise InputError(p.file, _key(n) if n in g.expr else f"graph.{_part(p, n)}.{n}",
                             "the derivative dE/d" + n + " is not a finite number with the numbers given") from None
    updated = {}
    if p.learning_rate is not None:
        eta = p.number("learning_rate")
        for d in p.derivatives:
            if d in p.parameters and d in adjoint:
                updated[d] = values[d] if d in p.frozen else calc.add(
                    [values[d], calc.mul([Fraction(-1), eta, adjoint[d]])])
            elif d in p.parameters:
                updated[d] = values[d]
    return values, local, adjoint, updated


def _part(p, n):
    return "inputs" if n in p.inputs else "targets" if n in p.targets else "parameters"


def _agree(low, high):
    """True when every number at the lower precision equals the higher one's to 30 digits."""
    return all(_same(a_part.get(k), b) for a_part, b_part in zip(low, high) for k, b in b_part.items())


def _same(a, b):
    """a and b (Fraction or mpmath numbers) are equal, or agree to 30 significant digits."""
    if isinstance(a, Fraction) and isinstance(b, Fraction):
        return a == b
    ctx = (b if not isinstance(b, Fraction) else a).context
    fa, fb = (ctx.mpf(v.numerator) / v.denominator if isinstance(v, Fraction) else v for v in (a, b))
    return fa == fb or (fb != 0 and abs(fa - fb) <= abs(fb) * _EPS)


_EPS = Fraction(1, 10 ** 30)


def _tiny(v, dps):
    """True when v is below 10^(-dps/2): at ``dps`` digits, no more than rounding noise."""
    return v == 0 or (not isinstance(v, Fraction) and abs(v) < v.context.mpf(10) ** (-(dps // 2)))


def _to_float(v):
    """The double nearest to v (exact Fraction or mpmath number); never -0.0."""
    if isinstance(v, Fraction):
        return float(v)
    from mpmath.libmp import round_nearest, to_float
    return to_float(v._mpf_, rnd=round_nearest) + 0.0


def evaluate(g):
    """The value of every node (a float correctly rounded from the exact value).

    >>> g = build(parse({"graph": {"inputs": {"x": 2}, "parameters": {"w": 3},
    ...                            "define": {"y": "relu(w*x - 7)"}}}))
    >>> evaluate(g)["y"]
    0.0
    """
    p = g.problem
    calc = _Calc(DIGITS)
    values = {n: p.number(n) for n in p.leaves}
    for n in g.order:
        if n in g.expr:
            try:
                values[n] = calc.ev(g.expr[n], values)
            except _NumberError as err:
                raise InputError(p.file, _key(n), f"the value is not a finite number with the "
                                                  f"numbers given ({err})") from None
    return {n: _to_float(v) for n, v in values.items()}


# --------------------------------------------------------------------------- formulas

def _ops(e):
    """SymPy's count of operations; counted on the tree for a heavy expression (count_ops
    rebuilds parts of it, and SymPy's questions about them can take minutes)."""
    sp = _sympy()[0]
    e = sp.sympify(e)
    if not _heavy(e):
        return sp.count_ops(e)
    return sum(len(x.args) - 1 if x.is_Add or x.is_Mul else 1
               for x in sp.preorder_traversal(e) if x.args and not x.is_Number)


def _tidy(e):
    """(the shortest of e and its cheap rewrites, True) or (e, False) when e is too long.

    The rewrites cost about the size of e: sinh/cosh -> tanh (and sin/cos -> tan),
    ``cancel`` when every power of a sum is small, then ``factor_terms``. Never
    ``sympy.simplify``, whose time has no bound a document can wait for.
    """
    sp = _sympy()[0]
    e = sp.sympify(e)
    if _heavy(e) or _ops(e) > MAX_TIDY:
        return e, False  # (rewriting would make SymPy evaluate functions of long arguments)
    s = _tanh(e)
    if _small_polynomials(s):
        try:
            s = sp.cancel(s)
        except (sp.PolynomialError, ValueError, TypeError, NotImplementedError):
            pass
    return min((e, s, sp.factor_terms(s)), key=_ops), True


def _small_polynomials(e):
    """True when ``cancel`` may put e over one denominator and expand it cheaply: at most
    MAX_CANCEL_OPS operations and MAX_CANCEL_TERMS terms in the expanded products."""
    sp = _sympy()[0]
    if e.has(sp.Sum, sp.Indexed) or _ops(e) > MAX_CANCEL_OPS:
        return False

    def terms(x):  # terms of x expanded, counting every sum in a denominator as a factor
        if x.is_Add:
            return sum(terms(a) for a in x.args)
        if x.is_Mul:
            out = 1
            for a in x.args:
                out = min(out * terms(a), 10 ** 6)
            return out
        if x.is_Pow and x.exp.is_Integer:
            return min(terms(x.base) ** min(abs(int(x.exp)), 20), 10 ** 6)
        return 1

    dens = [a for a in sp.preorder_traversal(e) if a.is_Pow and a.exp.is_negative and a.base.is_Add]
    total = terms(e)
    for d in dens:
        total = min(total * terms(d.base), 10 ** 6)
    return total <= MAX_CANCEL_TERMS


def _tanh(e):
    """sinh(u)^a cosh(u)^-a -> tanh(u)^a and sin(u)^a cos(u)^-a -> tan(u)^a, in every product."""
    sp = _sympy()[0]
    pairs = ((sp.sinh, sp.cosh, sp.tanh), (sp.sin, sp.cos, sp.tan))

    def fix(m):
        powers = m.as_powers_dict()
        out, changed = dict(powers), False
        for base, x in powers.items():
            for top, bottom, ratio in pairs:
                if isinstance(base, top) and base in out:
                    other = bottom(*base.args)
                    if out.get(other) == -x:
                        del out[base], out[other]
                        t = _call(ratio, *base.args)
                        out[t] = out.get(t, 0) + x
                        changed = True
        return sp.Mul(*[b ** x for b, x in out.items()]) if changed else m

    if not e.has(sp.sinh, sp.sin):
        return e
    return e.replace(lambda q: q.is_Mul, fix)


def local_derivative(g, child, var, d=None):
    """dc/dvar from the definition of c, written with c's own name where it shortens.

    tanh'(z) = 1 - tanh(z)^2 becomes 1 - a^2 when a = tanh(z); sums over a vector's
    components collapse: d/dw_i sum_j w_j x_j = x_i. ``d`` is the derivative when
    already taken (see :func:`edges`).
    """
    sp = _sympy()[0]
    e = g.expr[child]
    if d is None:
        d = _derivative(e, var)
    if child != LOSS_NAME and not e.is_Atom and not e.is_Add and d.has(e):
        return _plug(d, {e: g.sym[child]}, {})
    return _tidy(d)[0]


def _derivative(e, var):
    """de/dvar: SymPy's for sums over vector components, else by the chain rule here, with
    each derivative of a function built through :func:`_call` (never evaluated on a long
    argument). Both give the same expressions on the short arguments of the exercises.

    >>> x = _sympy()[0].Symbol("x", real=True)
    >>> _derivative(_sympy()[0].log(_sympy()[0].cosh(x) + x**2) * 3, x)
    3*(2*x + sinh(x))/(x**2 + cosh(x))
    """
    sp = _sympy()[0]
    if e.has(sp.Indexed, sp.Sum) or not isinstance(var, sp.Symbol):
        return _collapse(sp.diff(e, var))
    return _d(e, var, {})


def _d(e, x, memo):
    sp = _sympy()[0]
    if e in memo:
        return memo[e]
    Add, Mul, Pow = (lambda *a: _build(sp.Add, *a)), (lambda *a: _build(sp.Mul, *a)), (lambda *a: _build(sp.Pow, *a))
    if not e.has(x):
        out = sp.Integer(0)
    elif e == x:
        out = sp.Integer(1)
    elif e.is_Add:
        out = Add(*[_d(a, x, memo) for a in e.args])
    elif e.is_Mul:
        terms = []
        for i, a in enumerate(e.args):
            da = _d(a, x, memo)
            if da != 0:
                terms.append(Mul(*e.args[:i], da, *e.args[i + 1:]))
        out = Add(*terms)
    elif e.is_Pow:
        b, n = e.args
        if not n.has(x):
            out = Mul(n, Pow(b, n - 1), _d(b, x, memo))
        elif not b.has(x):
            out = Mul(e, _call(sp.log, b), _d(n, x, memo))
        else:
            out = Mul(e, Add(Mul(_d(n, x, memo), _call(sp.log, b)), Mul(n, _d(b, x, memo), Pow(b, -1))))
    elif isinstance(e, sp.Function):
        terms = []
        for i, a in enumerate(e.args):
            da = _d(a, x, memo)
            if da != 0:
                terms.append(Mul(_outer(e, i), da))
        out = Add(*terms)
    else:
        out = sp.diff(e, x)
    memo[e] = out
    return out


def _outer(e, i):
    """The derivative of the function e = f(u, ...) by its i-th argument, at its arguments."""
    sp = _sympy()[0]
    Add, Mul, Pow = (lambda *a: _build(sp.Add, *a)), (lambda *a: _build(sp.Mul, *a)), (lambda *a: _build(sp.Pow, *a))
    u = e.args[0]
    name = type(e).__name__
    if name == "exp":
        return e
    if name == "log":
        return Pow(u, -1)
    if name == "tanh":
        return Add(1, Mul(-1, Pow(e, 2)))
    if name == "sigmoid":
        return Mul(e, Add(1, Mul(-1, e)))
    if name == "sinh":
        return _call(sp.cosh, u)
    if name == "cosh":
        return _call(sp.sinh, u)
    if name == "sin":
        return _call(sp.cos, u)
    if name == "cos":
        return Mul(-1, _call(sp.sin, u))
    return e.fdiff(i + 1)  # relu, leaky_relu, Abs, step, sign: their own fdiff


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


# --------------------------------------------------------------------------- solve

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


class Piece:
    """One activation pattern of the ReLU units: its region, output and boundary.

    ``conditions`` (the ReLU arguments) and ``output`` (linear in the inputs) are SymPy
    expressions, made from exact triples (a1, a2, b) when first asked for.
    """

    def __init__(self, number, pattern, conditions, output, polygon, boundary, x=None):
        self.number = number
        self.pattern = pattern      # True: the unit is active (argument >= 0)
        self.polygon = polygon      # the region clipped to the drawing window (empty: no area)
        self.boundary = boundary    # the segment of output = 0 inside the region ([] if none)
        self._conditions, self._output, self._x = conditions, output, x

    @property
    def conditions(self):
        if self._x is not None and self._conditions and isinstance(self._conditions[0], tuple):
            self._conditions = [_affine_expr(t, self._x) for t in self._conditions]
        return self._conditions

    @property
    def output(self):
        if self._x is not None and isinstance(self._output, tuple):
            self._output = _affine_expr(self._output, self._x)
        return self._output

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
    g, nums, (pieces, relus, window) = p.checked if p.checked is not None else validate(p)
    values = nums.values if nums else {}
    locs, steps = {}, []
    if LOSS_NAME in g.expr and p.derivatives:
        steps = backward(g, nums, locs)
    results = [_result(g, nums, steps, d) for d in p.derivatives]
    return Solution(p, g, values, steps, results, locs, pieces, relus, window)


def backward(g, nums, locs):
    """The reverse-mode pass: each node's dE/dnode once, in reverse topological order.

    Only nodes on a path from a requested variable to E take part. ``locs`` is filled
    with the local derivatives (child, node) -> (formula, value). The numbers come from
    ``nums`` (see :func:`numbers`); the formulas are kept while they have fewer than
    MAX_FORMULA operations and tidied (symbolic problems) up to MAX_TIDY.
    """
    sp = _sympy()[0]
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
                parts.append(_build(sp.Mul, adj[c], f))
        total = _build(sp.Add, *parts) if parts else sp.Integer(0)
        size[n] = sum(size[c] + _ops(f) + 1 if size[c] is not None else MAX_FORMULA
                      for c, f, _ in terms)
        tidy = True
        if size[n] >= MAX_FORMULA:  # the numbers (and each step) remain; the formula is dropped
            adj[n], size[n] = None, None
        elif nums:
            adj[n] = total
        else:
            adj[n], tidy = _tidy(total)
        shown[n] = tidy
        steps.append(Step(n, terms, adj[n], nums.adjoint[n] if nums else None, tidy))
    return steps


def paths(g, start):
    """Every path start -> ... -> E along the graph's edges (depth first, in order), or
    [] when there are more than MAX_PATHS (:func:`count_paths` counts them).

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
    sp = _sympy()[0]
    p = g.problem
    n = node_of(name)
    step = next((s for s in steps if s.node == n), None)
    formula = step.formula if step else sp.Integer(0)
    tidy = step.tidy if step else True
    value = ((nums.adjoint.get(n, 0.0)) if step else 0.0) if nums else None
    closed = _closed(g, formula, p.numeric) if formula is not None else None
    cse = _cse(formula) if formula is not None and not tidy and not p.numeric else None
    total = None
    if p.samples is not None and formula is not None:
        N = sp.Symbol(p.samples, integer=True, positive=True) if isinstance(p.samples, str) else sp.Integer(p.samples)
        k = sp.Symbol(SAMPLE_INDEX, integer=True)
        per = per_sample(g, formula, k)
        r = 1 / N if p.reduction == "mean" else sp.Integer(1)
        total = r * per if n in g.per_sample or per == 0 else r * sp.Sum(per, (k, 1, N))
    new = nums.updated.get(n) if nums and g.kind[n] == "parameter" and p.learning_rate is not None else None
    return Result(name, paths(g, n), count_paths(g, n), formula, closed, total, value, new,
                  tidy=tidy, cse=cse, frozen=n in p.frozen)


def _closed(g, formula, numeric):
    """The formula with every defined node replaced by its definition, or None.

    It is given while it has at most MAX_CLOSED operations, predicted from the
    definitions before anything is substituted, and MAX_TIDY after tidying (a closed
    form whose functions take long arguments is not tidied: see :func:`_call`).
    """
    sp = _sympy()[0]
    if _predict(g, formula) > MAX_CLOSED:
        return None
    plug = {g.sym[n]: g.expr[n] for n in g.expr
            if n != LOSS_NAME and not isinstance(g.sym[n], sp.IndexedBase)}
    try:
        e = _plug(formula, plug, {})
    except RecursionError:  # a chain of thousands of renamings
        return None
    if e == formula or _heavy(e):
        return None
    s, _ = _tidy(e)
    return s if _ops(s) <= MAX_TIDY else None


def _plug(e, plug, memo):
    """e with each symbol in ``plug`` replaced by its expression, recursively; functions
    are rebuilt through :func:`_call`."""
    if e in memo:
        return memo[e]
    if e in plug:
        out = _plug(plug[e], plug, memo)
    elif not e.args:
        out = e
    else:
        args = [_plug(a, plug, memo) for a in e.args]
        if all(a is b for a, b in zip(args, e.args)):
            out = e
        elif isinstance(e, _sympy()[0].Function):
            out = _call(e.func, *args)
        elif e.is_Add or e.is_Mul or e.is_Pow:
            out = _build(e.func, *args)
        else:
            out = e.func(*args)
    memo[e] = out
    return out


def _predict(g, e):
    """Operations of e with every defined node written out, counted on the trees without
    building them (an upper bound: SymPy only shortens)."""
    closed = g.cache.get("closed")

    def walk(x):
        if x.is_Symbol:
            return closed.get(x.name, 0)
        if not x.args:
            return 0
        ops = sum(walk(a) for a in x.args) + (len(x.args) - 1 if x.is_Add or x.is_Mul else 1)
        return min(ops, 10 ** 9)

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
    sp = _sympy()[0]
    if _heavy(e):
        return None
    names = {s.name for s in e.free_symbols}
    symbols = (sp.Symbol(f"xi{i}", real=True) for i in range(1, 10 ** 6) if f"xi{i}" not in names)
    pairs, (reduced,) = sp.cse(e, symbols=symbols)
    if pairs and sum(_ops(x) for _, x in pairs) + _ops(reduced) < _ops(e):
        return pairs, reduced
    return None


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

class _NotLinear(Exception):
    pass


def linear_pieces(g):
    """The linear pieces of a ReLU network of two inputs, one per activation pattern.

    Every relu(...) in the definitions (in order) is active (argument >= 0) or not;
    with the pattern fixed, each argument and the output are linear in (x1, x2). A
    piece is empty when its region has no area. Returns (pieces, relu arguments in the
    inputs under the all-active pattern, drawing window half-width).

    The arithmetic is exact: each quantity is a triple of rationals (a1, a2, b) standing
    for a1 x1 + a2 x2 + b, so 2^10 patterns take a fraction of a second.
    """
    sp, relu, _, _ = _sympy()
    p = g.problem
    x = [g.sym[n] for n in p.inputs]
    key = "graph.boundary"
    calls = []
    for n in p.define:
        for e in sp.preorder_traversal(g.expr[n]):
            if isinstance(e, relu) and (n, e) not in calls:
                calls.append((n, e))
    if len(calls) > MAX_RELUS:
        raise InputError(p.file, key, f"{len(calls)} ReLU units give 2^{len(calls)} "
                                      f"pieces; the limit is {MAX_RELUS} units")
    leaves = {n: (Fraction(0), Fraction(0), p.number(n)) for n in p.parameters}
    leaves.update({n: tuple(Fraction(int(i == j)) for j in range(2)) + (Fraction(0),)
                   for i, n in enumerate(p.inputs)})
    for n in p.targets:
        if p.targets[n] is not None:
            leaves[n] = (Fraction(0), Fraction(0), p.number(n))
    raw = []
    try:
        for bits in range(2 ** len(calls)):
            pattern = [not (bits >> (len(calls) - 1 - j)) & 1 for j in range(len(calls))]
            on = {call: pattern[j] for j, call in enumerate(calls)}
            lin = _Affine(g, leaves, on).all(p.define)
            conds = [lin.of(call.args[0], n) for n, call in calls]
            raw.append((pattern, conds, lin.node(p.boundary)))
    except _NotLinear:
        raise InputError(p.file, key, "the output is not piecewise linear in the two inputs: the "
                                      "boundary needs units of the form relu(linear) and linear "
                                      "sums, with rational numbers") from None
    lines = {t for _, conds, _ in raw for t in conds} | {o for _, _, o in raw}
    window = _window(sorted(lines))
    box = [(-window, -window), (window, -window), (window, window), (-window, window)]
    pieces = []
    for number, (pattern, conds, out) in enumerate(raw, start=1):
        poly = box
        for c, active in zip(conds, pattern):
            poly = _clip(poly, c if active else _neg(c), x)
            if not poly:
                break
        if _area(poly) < 1e-9 * window ** 2:
            poly = []
        seg = _segment(poly, out, x) if poly else []
        pieces.append(Piece(number, pattern, conds, out, poly, seg, x))
    first = list(pieces[0].conditions) if pieces else []
    return pieces, first, window


class _Affine:
    """Exact affine forms (a1, a2, b) of the nodes under one ReLU pattern."""

    def __init__(self, g, leaves, on):
        self.g, self.values, self.on = g, dict(leaves), on
        self.sp = _sympy()[0]

    def node(self, n):
        v = self.values.get(n)
        if v is None:  # not linear, or not known (a target without a value)
            raise _NotLinear(n)
        return v

    def all(self, names):
        """Work out every node in order (a node that is not linear fails only when used)."""
        for n in names:
            try:
                self.values[n] = self.of(self.g.expr[n], n)
            except _NotLinear:
                self.values[n] = None
        return self

    def of(self, e, owner):
        zero = Fraction(0)
        if e.is_Rational:
            return (zero, zero, Fraction(int(e.p), int(e.q)))
        if e.is_Symbol:
            return self.node(e.name)
        if e.is_Add:
            parts = [self.of(a, owner) for a in e.args]
            return tuple(sum(c, zero) for c in zip(*parts))
        if e.is_Mul:
            out = (zero, zero, Fraction(1))
            for a in e.args:
                f = self.of(a, owner)
                if out[0] or out[1]:
                    if f[0] or f[1]:
                        raise _NotLinear(e)
                    out = tuple(c * f[2] for c in out)
                else:
                    out = tuple(c * out[2] for c in f)
            return out
        if e.is_Pow:
            base, x = self.of(e.args[0], owner), self.of(e.args[1], owner)
            if x[0] or x[1] or base[0] or base[1] or x[2].denominator != 1 or abs(x[2]) > MAX_EXPONENT:
                raise _NotLinear(e)
            if base[2] == 0 and x[2] < 0:
                raise _NotLinear(e)
            return (zero, zero, base[2] ** int(x[2]))
        if type(e).__name__ == "relu":
            active = self.on.get((owner, e))
            if active is None:
                raise _NotLinear(e)
            return self.of(e.args[0], owner) if active else (zero, zero, zero)
        raise _NotLinear(e)


def _neg(t):
    return tuple(-c for c in t)


def _affine_expr(t, x):
    """The SymPy expression a1 x1 + a2 x2 + b of an exact triple."""
    sp = _sympy()[0]
    a1, a2, b = (sp.Rational(c.numerator, c.denominator) for c in t)
    return a1 * x[0] + a2 * x[1] + b


def _coeffs(e, x):
    """(a1, a2, b) of a linear expression a1 x1 + a2 x2 + b (or an affine triple), as floats."""
    if isinstance(e, tuple):
        return tuple(float(c) for c in e)
    return (float(e.coeff(x[0])), float(e.coeff(x[1])), float(e.subs({x[0]: 0, x[1]: 0})))


def _window(lines):
    """Half-width of a square window that shows every crossing of the lines, with margin."""
    import numpy as np
    cs = np.array([[float(c) for c in t] for t in lines], dtype=float).reshape(-1, 3)
    best = 1.0
    a1, a2, b = cs[:, 0], cs[:, 1], cs[:, 2]
    with np.errstate(all="ignore"):
        for i in range(len(cs) - 1):
            c1, c2, d = a1[i + 1:], a2[i + 1:], b[i + 1:]
            det = a1[i] * c2 - a2[i] * c1
            ok = np.abs(det) > 1e-12
            if ok.any():
                px = np.abs((-b[i] * c2[ok] + a2[i] * d[ok]) / det[ok])
                py = np.abs((-a1[i] * d[ok] + c1[ok] * b[i]) / det[ok])
                best = max(best, float(px.max()), float(py.max()))
        norm = np.hypot(a1, a2)
        ok = np.abs(a1) + np.abs(a2) > 1e-12
        if ok.any():
            best = max(best, float((np.abs(b[ok]) / norm[ok]).max()))
    return float(math.ceil(1.5 * best))


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
        "linear": "{z}", "softplus": "log(1 + exp({z}))", "swish": "{z}*sigmoid({z})",
        "leaky_relu": "leaky_relu({z}, {param!r})", "elu": "elu({z}, {param!r})"}


def from_layered(problem, sample=0):
    """A layered problem's first sample as a graph problem mapping (parse it with ``parse``).

    Units z{l}_{j} = sum_i w{l}_{j}_{i} a{l-1}_{i} + b{l}_{j} and a{l}_{j} = f(z{l}_{j}),
    inputs x{i}, targets t{j}, the loss as in the layered format (plus the penalty).
    Biases that are not trained (``train_biases: false``) keep their derivative, as the
    engine's grad_b, and are ``frozen``: the update leaves them.

    >>> from solver.spec import load as load_layered
    >>> d = from_layered(load_layered("problems/seed001_q1_sigmoid_sgd.yaml"))
    >>> d["graph"]["define"]["z1_1"]
    'w1_1_1*x1 + w1_1_2*x2 + w1_1_3*x3 + w1_1_4*x4 + w1_1_5*x5 + b1_1'
    """
    from .functions import make_activation, make_loss
    p = problem
    for l, (name, _) in enumerate(p.activations):
        if name not in _ACT and name != "softmax":
            raise InputError(p.file, "network.activation", f"the graph path does not know the "
                                                           f"activation {name}; leave out --as-graph")
    x = p.X[:, sample]
    y = p.Y[:, sample]
    inputs = {f"x{i + 1}": float(v) for i, v in enumerate(x)}
    targets = {f"t{j + 1}": float(v) for j, v in enumerate(y)}
    params, define, train, frozen = {}, {}, [], []
    prev = list(inputs)
    for l in range(1, p.L + 1):
        W = p.weights[l - 1]
        name, param = p.activations[l - 1]
        param = make_activation(name, param).param
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
                train.append(b)
                if not p.train_biases:
                    frozen.append(b)
            define[f"z{l}_{j + 1}"] = " + ".join(terms)
            zs.append(f"z{l}_{j + 1}")
        for j, z in enumerate(zs):
            if name == "softmax":
                f = f"exp({z})/(" + " + ".join(f"exp({m})" for m in zs) + ")"
            else:
                f = _ACT[name].format(z=z, param=param)
            define[f"a{l}_{j + 1}"] = f
        prev = [f"a{l}_{j + 1}" for j in range(p.sizes[l])]
    pairs = list(zip(prev, targets))
    delta = make_loss(p.loss, getattr(p, "loss_param", None)).param
    losses = {
        "squared_error": " + ".join(f"(1/2)*({a} - {t})**2" for a, t in pairs),
        "sum_squared_error": " + ".join(f"({a} - {t})**2" for a, t in pairs),
        "mean_squared_error": "(" + " + ".join(f"({a} - {t})**2" for a, t in pairs) + f")/{len(pairs)}",
        "binary_cross_entropy": " + ".join(f"-({t}*log({a}) + (1 - {t})*log(1 - {a}))" for a, t in pairs),
        "cross_entropy": " + ".join(f"-{t}*log({a})" for a, t in pairs),
        "log_cosh": " + ".join(f"log(cosh({a} - {t}))" for a, t in pairs),
        "huber": " + ".join(f"huber({a} - {t}, {delta!r})" for a, t in pairs),
    }
    if p.loss not in losses:
        raise InputError(p.file, "loss", f"the graph path does not know the loss {p.loss}; "
                                         f"leave out --as-graph")
    loss = losses[p.loss]
    weights = [w for w in params if w.startswith("w")]
    if p.l2:
        loss += f" + {p.l2 / 2!r}*(" + " + ".join(f"{w}**2" for w in weights) + ")"
    if p.l1:
        loss += f" + {p.l1!r}*(" + " + ".join(f"Abs({w})" for w in weights) + ")"
    first = " (as a graph, first update)" if p.X.shape[1] > 1 or p.steps > 1 else " (as a graph)"
    graph = {"inputs": inputs, "targets": targets, "parameters": params,
             "define": define, "loss": loss, "derivatives": train,
             "learning_rate": p.learning_rate}
    if frozen:
        graph["frozen"] = frozen
    return {"title": p.title + first, "description": p.description, "graph": graph,
            "display": {"digits": p.digits}}
