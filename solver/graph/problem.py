"""Reading and checking graph problems: the YAML mapping in, a :class:`GraphProblem` out.

:func:`parse` checks every key and expression, and :func:`validate` works out the numbers
and the ReLU pieces at once, so that a problem that parses is one that solves
(``backprop check`` refuses exactly what ``trace`` and ``solve`` refuse), each refusal
at its key.
"""

import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path

from ..errors import InputError
from .dag import build
from .expressions import ExpressionParser
from .language import (DERIVATIVE, IDENT, LOSS_NAME, MAX_TEXT, NAME, NUMBER, RESERVED, SAMPLE_INDEX,
                       function_names, index_form)
from .layered import from_layered
from .numbers import numbers
from .pieces import linear_pieces

GRAPH_KEYS = ("inputs", "targets", "parameters", "define", "loss", "derivatives",
              "learning_rate", "frozen", "vectors", "samples", "reduction", "boundary")
TOP_KEYS = ("title", "description", "graph", "display")
#: how a document may write the loss (display.loss): E, or L (a script L)
LOSS_SYMBOLS = ("E", "L")
MAX_NODES = 2000


def from_layered_problem(p, path):
    """A checked layered Problem as a graph problem: its first update written as
    equations (``--as-graph``; see :func:`from_layered`). Which kind a file is, is
    decided in one place, solver.spec.problem_kind.

    >>> from backprop_solver import spec
    >>> p = from_layered_problem(spec.load("problems/seed001_q1_sigmoid_sgd.yaml"), "q1.yaml")
    >>> p.numeric, len(p.derivatives)
    (True, 26)
    """
    if p.update != "sgd" and p.X.shape[1] > 1:
        raise InputError(path, "update", "the graph path solves one sample at a time; a batch "
                                         "update of several samples needs the layered path "
                                         "(leave out --as-graph)")
    return parse(from_layered(p), path)


def summary(p):
    """One line about a checked graph problem, for ``backprop check``."""
    return (f"graph of {len(p.leaves)} leaves and {len(p.define)} definitions, "
            f"{'numbers' if p.numeric else 'symbolic'}"
            + (f", {len(p.derivatives)} derivatives" if p.derivatives else "")
            + (", decision boundary" if p.boundary else ""))


@dataclass
class GraphProblem:
    """A checked graph problem: names, numbers (None where not given) and expressions.

    ``define`` maps each defined name to its expression text, in order; ``vectors``
    maps a vector's name to its length (a whole number or a symbol name); ``samples``
    is None for one sample, else the number (or symbol name) N of samples. ``exact``
    holds each given number as the decimal written in the file (a Fraction; a float
    with no entry there reads as its shortest decimal, ``repr``). ``frozen`` lists
    parameters whose derivative is shown but which the update keeps. ``loss_symbol``
    is how the document writes the loss (``display.loss``: E, or L for a script L); the
    trace calls it E.
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
    loss_symbol: str = "E"
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
        return ex if ex is not None and float(ex) == v else decimal(v)


def decimal(v):
    """The decimal a number is written as: ints exactly, floats as their shortest repr.

    >>> decimal(0.1), decimal(3), decimal(1e-05)
    (Fraction(1, 10), Fraction(3, 1), Fraction(1, 100000))
    """
    return Fraction(v) if isinstance(v, int) else Fraction(repr(float(v)))


def load(path):
    """Read and check a graph problem file.

    >>> p = load("problems/seed003_ex4_shared_parameters.yaml")
    >>> list(p.parameters), p.derivatives, p.numeric
    (['v'], ['w13', 'w24', 'v'], True)
    """
    from ..spec import read_yaml
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
    from ..spec import Checker, default_title, kind_of
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
            check_name(c, n, k, taken)
            taken.add(n)
            if value is None:
                out[n] = None
                continue
            if isinstance(value, int) and not isinstance(value, bool) and abs(value) > 10 ** 300:
                c.fail(k, "expected a number of at most 10^300 in size")
            out[n] = c.number(value, k)
            exact[n] = decimal(value) if isinstance(value, (int, float)) else decimal(out[n])
        return out

    inputs, targets, parameters = names("inputs"), names("targets"), names("parameters")
    if not inputs and not parameters:
        c.fail("graph.inputs", "expected at least one input or parameter")

    vectors = g.get("vectors") or {}
    c.keys(vectors, "graph.vectors", list(inputs) + list(targets) + list(parameters))
    for n, size in vectors.items():
        k = f"graph.vectors.{n}"
        if isinstance(size, str):
            check_name(c, size, k, taken | {n})
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
            check_name(c, samples, "graph.samples", taken)
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
    ex = ExpressionParser(vectors, [n for n in known if n not in vectors])
    for n, text in define.items():
        k = f"graph.define.{n}"
        check_name(c, n, k, taken)
        check_expression(c, text, k, known, later, ex)
        known.add(n)
        taken.add(n)
        ex.add_scalar(n)
    loss = g.get("loss")
    if loss is not None:
        check_expression(c, loss, "graph.loss", known, set(), ex)
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
        several = re.match(r"^([A-Za-z][A-Za-z0-9_]*)\[\s*(\w+(?:\s*,\s*\w+)+)\s*\]$", d) if isinstance(d, str) else None
        if several:
            c.fail(k, index_form(several.group(1), [i.strip() for i in several.group(2).split(",")]))
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
        exact["learning_rate"] = decimal(raw)
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
    c.keys(display, "display", ("digits", "loss"))
    digits = c.whole(display.get("digits", 6), "display.digits", 1, 17)
    loss_symbol = c.choice(display.get("loss", "E"), "display.loss", list(LOSS_SYMBOLS))

    path = Path(file)
    return GraphProblem(
        file=str(file), name=path.stem, title=c.text(data.get("title", default_title(file)), "title"),
        description=c.text(data.get("description", ""), "description"),
        inputs=inputs, targets=targets, parameters=parameters,
        define={n: str(t) for n, t in define.items()}, loss=loss, derivatives=derivs,
        learning_rate=lr, vectors=vectors, samples=samples, reduction=reduction,
        boundary=boundary, digits=digits, loss_symbol=loss_symbol, frozen=list(frozen), exact=exact)


def check_name(c, n, key, taken):
    if not isinstance(n, str) or not NAME.match(n) or n.endswith("_") or "__" in n:
        c.fail(key, f"expected a name of letters, digits and single underscores, starting with a letter, got {n!r}"[:300])
    if n in function_names() or n in RESERVED or n == LOSS_NAME:
        c.fail(key, f"{n} is reserved (a function or constant name, or E, the loss); choose another name")
    if n in taken:
        c.fail(key, f"the name {n} is used twice")


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


def check_expression(c, text, key, known, later, ex):
    """Check one expression text with the parser ``ex`` (names in ``known`` only)."""
    from ..spec import kind_of
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
        c.fail(key, "the expression is nested too deeply")
