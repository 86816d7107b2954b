"""Verify stage: check a hand calculation against the trace, and find errors carried forward.

A claims file (docs/claims-format.md) is any subset of the trace, in the trace's own
shape. Every claimed quantity gets one status:

    ok               agrees with the true value, entry by entry, within the tolerance
    wrong            does not agree
    carried_forward  does not agree, but is exactly what follows from the claimant's own
                     earlier wrong numbers: recomputed from the claimed values of its
                     direct inputs (true values where an input was not claimed), it agrees
                     within the tolerance plus how far the recomputation moves when each
                     claimed input moves within its own tolerance (the claimant rounded
                     them), and at least one of those inputs is claimed and not ok
    wrong_shape      written with the wrong shape (e.g. a batch's bias gradient written
                     one column per sample); its value is never used downstream

The direct inputs, per update u and layer l (samples as columns, see solver.trace):

    W^l, b^l      W_new^l, b_new^l of update u-1 (given by the problem in update 1)
    z^l           W^l, b^l, a^(l-1)               (a^0 is the update's input)
    a^l           z^l
    delta^L       z^L, a^L, target                (functions.output_delta)
    delta^l       W^(l+1), delta^(l+1), z^l, a^l  (activation.backward)
    grad_W^l      W^l, delta^l, a^(l-1)           (trace.weight_gradient)
    grad_b^l      delta^l                         (R times the sum over samples)
    W_new^l       W^l, grad_W^l                   (W - eta grad_W)
    b_new^l       b^l, grad_b^l                   (b - eta grad_b; b if biases are frozen)
    sample_losses z^L, a^L, target                (functions.output_loss)
    loss          z^L, a^L, target, every W       (R sum of sample losses + penalty)
    penalty       every W of the update
    output        the last update's W_new, b_new and the prediction's input
    class         output                          (trace.classify)

Input, target and samples of an update, and a prediction's input, are given by the
problem: they are ok or wrong, never carried forward.

A graph problem's claims (solver.graph: a network written as equations) are the numbers
of its trace: ``values`` (any node), ``gradients`` (dE/dnode for the nodes of the
backward pass) and ``updated`` (the parameters after the update). Their direct inputs
follow the graph (:class:`Nodes`):

    value of n     the values of n's parents (the names in its definition)
    dE/dn          dE/dc of every child c of n, and the values in the local
                   derivative dc/dn as the document writes it (1 - a3^2 for a3 = tanh(z3))
    updated n      n and dE/dn                      (n - eta dE/dn; n if frozen)

and they are recomputed exactly as the graph package computes (decimals exact, the
rest with mpmath at 50 digits: solver.graph.Calculator). Inputs, targets and parameters
are given by the problem: they are ok or wrong, never carried forward.
"""

import math
import numbers
import re
from dataclasses import dataclass, field

import numpy as np

from .errors import InputError
from .functions import make_activation, make_loss, output_delta, output_loss
from .spec import Checker, clip_text, kind_of, Loader, Problem, show, read_yaml, suggest
from .trace import classify, forward, penalty, reduction_factor, weight_gradient

STATUSES = ("ok", "wrong", "carried_forward", "wrong_shape")
LAYER_QUANTITIES = ("W", "b", "z", "a", "delta", "grad_W", "grad_b", "W_new", "b_new")
UPDATE_QUANTITIES = ("samples", "input", "target", "loss", "sample_losses", "penalty")
PREDICTION_QUANTITIES = ("input", "output", "class")
#: quantities compared exactly (whole numbers), not within a tolerance
EXACT = ("samples", "class")
#: besides the tolerance, numbers may differ by this much relative (floating-point noise)
ROUNDING = 1e-12


# ---------------------------------------------------------------- reading the claims

class Written(float):
    """A number together with the text it was written as, e.g. Written(0.1626, "0.1626")."""

    def __new__(cls, value, text):
        self = super().__new__(cls, value)
        self.text = text
        return self

    def __repr__(self):  # as written (shortened), for messages
        return clip_text(self.text)


def half_unit(text):
    """Half a unit in the last digit written: how far a number may be from what it says.

    An exponent beyond float's range gives inf (0.0e400 says nothing about its digits).

    >>> half_unit("0.1626"), half_unit("0"), half_unit("1e-3"), half_unit("-2.50E+2"), half_unit("0.0e400")
    (5e-05, 0.5, 0.0005, 0.5, inf)
    """
    m = re.fullmatch(r"[-+]?[0-9_]*(?:\.([0-9_]*))?(?:[eE]([-+]?)([0-9]+))?", text.strip())
    if not m:
        return 0.5  # another way YAML writes whole numbers (0x1f, 1:30)
    decimals = len((m.group(1) or "").replace("_", ""))
    digits = (m.group(3) or "0").lstrip("0") or "0"
    if len(digits) > 6:  # an exponent of a million or more
        return 0.0 if m.group(2) == "-" else math.inf
    exponent = int((m.group(2) or "") + digits) - decimals
    try:
        return 0.5 * 10.0 ** exponent
    except OverflowError:
        return math.inf


class _ClaimsLoader(Loader):
    """The problem files' YAML, but every number remembers the text it was written as."""


def _written(loader, node):
    value = Loader.yaml_constructors["tag:yaml.org,2002:float" if node.tag.endswith(":float")
                                      else "tag:yaml.org,2002:int"](loader, node)
    try:
        return Written(value, node.value)
    except OverflowError:  # a whole number beyond float's range: refused as not finite
        return Written(math.inf if value > 0 else -math.inf, node.value)


_ClaimsLoader.add_constructor("tag:yaml.org,2002:float", _written)
_ClaimsLoader.add_constructor("tag:yaml.org,2002:int", _written)


def read_claims(path):
    """The YAML mapping in a claims file, numbers as :class:`Written`; InputError if unreadable."""
    return read_yaml(path, "claims file", _ClaimsLoader, "tolerance, updates, predictions")


@dataclass
class Tolerance:
    """How far a claimed number may be from the true one.

    ``written`` (the default): half a unit in the last digit written, so 0.1626 accepts
    0.16255..0.16265 and 0 accepts -0.5..0.5. Otherwise abs + rel * |true value|.

    >>> Tolerance().bound(np.array(["0.1626"], dtype=object), np.array([0.16]))
    array([5.e-05])
    >>> Tolerance(False, 1e-4, 1e-3).bound(None, np.array([2.0])).tolist()
    [0.0021]
    """

    written: bool = True
    abs: float = 0.0
    rel: float = 0.0

    def bound(self, texts, reference):
        if self.written:
            return np.vectorize(half_unit, otypes=[float])(texts)
        return self.abs + self.rel * np.abs(reference)

    def __str__(self):
        if self.written:
            return "the digits written"
        return " + ".join(([f"abs {self.abs:g}"] if self.abs else [])
                          + ([f"rel {self.rel:g}"] if self.rel else [])) or "exact"


@dataclass(frozen=True)
class Key:
    """Which quantity of a layered problem: update u (1-based) and layer l (1-based, None
    for the whole update), or prediction j (1-based, then update and layer are None).

    ``str(key)`` names it for people; ``label`` is the short name before an entry
    (``z[0][1]``); ``fields()`` its fields in the JSON report; ``doc`` the key of the
    document's row that shows it (solver.document.layered).

    >>> str(Key(1, 2, "z")), str(Key(1, None, "loss")), str(Key(None, None, "class", 1))
    ('z (update 1, layer 2)', 'loss (update 1)', 'class (prediction 1)')
    """

    update: int | None
    layer: int | None
    quantity: str
    prediction: int | None = None

    def __str__(self):
        if self.prediction is not None:
            return f"{self.quantity} (prediction {self.prediction})"
        return f"{self.quantity} (update {self.update}" + (f", layer {self.layer})" if self.layer else ")")

    @property
    def label(self):
        return self.quantity

    def fields(self):
        return {"update": self.update, "layer": self.layer, "quantity": self.quantity}

    @property
    def doc(self):
        if self.prediction is not None:
            return (None, None, self.quantity, self.prediction)
        return (self.update, self.layer, self.quantity)


#: the parts of a graph problem's claims, as its trace names them
SECTIONS = ("values", "gradients", "updated")


@dataclass(frozen=True)
class NodeKey:
    """Which quantity of a graph problem: ``section`` values (a node's value), gradients
    (dE/dnode) or updated (a parameter after the update), and the node's name.

    >>> [str(NodeKey(s, "w13")) for s in SECTIONS]
    ['w13', 'dE/dw13', 'w13 (updated)']
    """

    section: str
    node: str

    def __str__(self):
        return {"values": self.node, "gradients": f"dE/d{self.node}", "updated": f"{self.node} (updated)"}[self.section]

    @property
    def quantity(self):  # (never one of EXACT, whatever the node is called)
        return self.section

    @property
    def label(self):
        return str(self)

    def fields(self):
        return {"section": self.section, "name": self.node}

    @property
    def doc(self):
        return (self.section, self.node)


@dataclass
class Claim:
    key: Key
    path: str            # key path in the claims file, e.g. updates[0].layers[1].z
    raw: object          # as read (numbers as floats), for the report
    values: np.ndarray | None
    texts: np.ndarray | None


def _fast_numbers(v):
    """(values, texts) of a flat list of numbers or a list of equally long rows of them,
    all finite with a finite half unit; None for anything else (the slow path names it)."""
    if all(type(e) is Written for e in v):
        texts = [e.text for e in v]
    elif all(type(r) is list and r and len(r) == len(v[0]) and all(type(e) is Written for e in r) for r in v):
        texts = [[e.text for e in r] for r in v]
    else:
        return None
    values = np.array(v, dtype=float)
    if not np.isfinite(values).all():
        return None
    texts = np.array(texts, dtype=object)
    if not all(math.isfinite(half_unit(t)) for t in texts.flat if "e" in t or "E" in t):
        return None
    return values, texts


def _numbers(c, v, key):
    """A number or a rectangular (nested) list of numbers as (values, texts) arrays."""
    if isinstance(v, list) and v:
        fast = _fast_numbers(v)
        if fast is not None:
            return fast
    if isinstance(v, Written):
        if not math.isfinite(v):
            c.fail(key, f"expected a finite number, got {clip_text(v.text)}")
        if not math.isfinite(half_unit(v.text)):
            c.fail(key, f"expected a number with an exponent of at most 308, got {clip_text(v.text)}")
        return np.array(float(v)), np.array(v.text, dtype=object)
    if isinstance(v, list):
        if not v:
            c.fail(key, "expected numbers, got an empty list")
        parts = [_numbers(c, e, f"{key}[{i}]") for i, e in enumerate(v)]
        shapes = [p[0].shape for p in parts]
        if len(set(shapes)) > 1:
            if any(s == () for s in shapes):
                c.fail(key, "expected a list of numbers or a list of rows, got a list that mixes both")
            lengths = ", ".join(str(s[0]) for s in shapes[:10]) + (", ..." if len(shapes) > 10 else "")
            c.fail(key, f"expected rows of equal lengths, got {lengths}")
        if len(shapes[0]) > 1:
            c.fail(key, "expected a number, a list of numbers or a list of rows, got lists nested deeper")
        return np.stack([p[0] for p in parts]), np.stack([p[1] for p in parts])
    c.fail(key, f"expected a number or a list of numbers, got {kind_of(v)}")


#: the largest index a claimed class or sample may be (every whole number up to it is a float)
MAX_INDEX = 2 ** 53


def _fit(values, texts, shape):
    """(values, texts) in ``shape`` if written in an accepted way, else None.

    A flat list is a column (or a row, for one unit); a vector may be a column or a row;
    one number may be written bare or in brackets.

    >>> _fit(np.array([1.0, 2.0]), np.array(["1", "2"], dtype=object), (2, 1))[0].tolist()
    [[1.0], [2.0]]
    >>> _fit(np.ones((2, 3)), np.ones((2, 3)), (3, 2)) is None
    True
    """
    n = math.prod(shape)
    same = values.shape == shape
    flat = values.ndim <= 1 and values.size == n and (len(shape) < 2 or 1 in shape)
    vector = len(shape) <= 1 and values.ndim == 2 and 1 in values.shape and values.size == n
    if same or flat or vector:
        return values.reshape(shape), texts.reshape(shape)
    return None


def _shape_text(shape):
    """'3x2', '3 numbers' or 'one number'."""
    if len(shape) == 0:
        return "one number"
    if len(shape) == 1:
        return f"{shape[0]} number" + ("s" if shape[0] != 1 else "")
    return "x".join(map(str, shape))


# ---------------------------------------------------------------- the true values

class Graph:
    """The trace's quantities, their true values, direct inputs and recomputation."""

    def __init__(self, problem, t):
        self.p, self.t = problem, t
        self.L, self.U = problem.L, len(t.updates)
        self.acts = [make_activation(n, s) for n, s in problem.activations]
        self.loss_fn = make_loss(problem.loss, problem.loss_param)
        self.has_b = problem.biases is not None

    def true(self, k):
        """The true value of ``k`` (None for the bias of a network without biases)."""
        if k.prediction is not None:
            pr = self.t.predictions[k.prediction - 1]
            return {"input": pr.input, "output": pr.output, "class": np.array(pr.cls)}[k.quantity]
        u = self.t.updates[k.update - 1]
        if k.layer is None:
            v = getattr(u, k.quantity)
            return np.asarray(v, dtype=int if k.quantity == "samples" else float)
        return getattr(u.layers[k.layer - 1], k.quantity)

    def r(self, u):
        """R: 1 for a sum over the update's samples, 1/n for a mean."""
        return reduction_factor(self.p, len(self.t.updates[u - 1].samples))

    def inputs(self, k):
        """The direct inputs of ``k`` (see the module docstring)."""
        u, l, q = k.update, k.layer, k.quantity
        if k.prediction is not None:
            if q == "output":
                return ([Key(self.U, m, "W_new") for m in range(1, self.L + 1)]
                        + [Key(self.U, m, "b_new") for m in range(1, self.L + 1) if self.has_b]
                        + [Key(None, None, "input", k.prediction)])
            return [Key(None, None, "output", k.prediction)] if q == "class" else []
        out = [Key(u, self.L, "z"), Key(u, self.L, "a"), Key(u, None, "target")]
        Ws = [Key(u, m, "W") for m in range(1, self.L + 1)]
        if l is None:
            return {"sample_losses": out, "loss": out + Ws, "penalty": Ws}.get(q, [])
        a_prev = Key(u, l - 1, "a") if l > 1 else Key(u, None, "input")
        W, b, z, a, delta = (Key(u, l, n) for n in ("W", "b", "z", "a", "delta"))
        return {
            "W": [Key(u - 1, l, "W_new")] if u > 1 else [],
            "b": [Key(u - 1, l, "b_new")] if u > 1 and self.has_b else [],
            "z": [W, a_prev] + ([b] if self.has_b else []),
            "a": [z],
            "delta": out if l == self.L else [Key(u, l + 1, "W"), Key(u, l + 1, "delta"), z, a],
            "grad_W": [W, delta, a_prev],
            "grad_b": [delta] if self.has_b else [],
            "W_new": [W, Key(u, l, "grad_W")],
            "b_new": ([b] + ([Key(u, l, "grad_b")] if self.p.train_biases else [])) if self.has_b else [],
        }[q]

    def compute(self, k, get):
        """``k`` recomputed from its direct inputs, taking each input's value from ``get``."""
        u, l, q, p = k.update, k.layer, k.quantity, self.p
        if k.prediction is not None:
            if q == "output":
                Ws = [get(Key(self.U, m, "W_new")) for m in range(1, self.L + 1)]
                bs = [get(Key(self.U, m, "b_new")) for m in range(1, self.L + 1)] if self.has_b else None
                x = get(Key(None, None, "input", k.prediction))[:, None]
                return forward(Ws, bs, self.acts, x)[1][-1][:, 0]
            return np.array(classify(get(Key(None, None, "output", k.prediction))[:, None])[0])
        at = lambda n, layer=l: get(Key(u, layer, n))  # noqa: E731  (this update)
        a_prev = (lambda: at("a", l - 1)) if l and l > 1 else (lambda: get(Key(u, None, "input")))
        if q in ("W", "b"):
            return get(Key(u - 1, l, q + "_new"))
        if q == "z":
            b = [at("b")] if self.has_b else None
            return forward([at("W")], b, [self.acts[l - 1]], a_prev())[0][0]
        if q == "a":
            return self.acts[l - 1].forward(at("z"))
        out = lambda: (at("z", self.L), at("a", self.L), get(Key(u, None, "target")))  # noqa: E731
        Ws = lambda: [at("W", m) for m in range(1, self.L + 1)]  # noqa: E731
        if q == "delta":
            if l == self.L:
                return output_delta(self.acts[-1], self.loss_fn, *out())
            f, g = self.acts[l - 1], at("W", l + 1).T @ at("delta", l + 1)
            return g * f.derivative_by_hand(at("z"), at("a")) if f.elementwise else f.backward(at("z"), at("a"), g)
        if q == "grad_W":
            return weight_gradient(p, at("W"), at("delta"), a_prev(), self.r(u))
        if q == "grad_b":
            return self.r(u) * at("delta").sum(axis=1)
        if q == "W_new":
            return at("W") - p.learning_rate * at("grad_W")
        if q == "b_new":
            return at("b") - p.learning_rate * at("grad_b") if p.train_biases else at("b")
        if q == "sample_losses":
            return output_loss(self.acts[-1], self.loss_fn, *out())
        if q == "penalty":
            return np.array(penalty(Ws(), p.l1, p.l2))
        if q == "loss":
            return np.array(self.r(u) * float(output_loss(self.acts[-1], self.loss_fn, *out()).sum())
                            + penalty(Ws(), p.l1, p.l2))
        raise ValueError(f"{k} has no direct inputs")


class Nodes:
    """A solved graph problem's quantities (values, gradients, updated), their true
    values, direct inputs and recomputation: what :class:`Graph` is for layered problems.

    The true values are the trace's (solver.graph.to_json). A recomputation takes each
    input as the decimal it is written as (a claimed 0.1 is one tenth) and evaluates the
    node's own expression with solver.graph.Calculator: exact while rational, else
    mpmath at solver.graph.DIGITS digits, kinks decided as the graph package decides them.
    """

    def __init__(self, solution):
        from . import graph

        self.s, self.g, self.p = solution, solution.graph, solution.problem
        self.E = graph.LOSS_NAME
        steps = [st for st in solution.steps if st.value is not None]
        self.known = {
            "values": dict(solution.values),
            "gradients": {**({self.E: 1.0} if steps else {}), **{st.node: st.value for st in steps},
                          **{r.name: r.value for r in solution.results if r.value is not None}},
            "updated": {r.name: r.new_value for r in solution.results if r.new_value is not None}}
        self.local = {}  # node -> [(child, dchild/dnode as the document writes it)]
        for (c, n), (f, _) in solution.locals.items():
            self.local.setdefault(n, []).append((c, f))
        backward = [self.E] + [st.node for st in steps]
        self.rank = {"values": {n: i for i, n in enumerate(self.g.order)},
                     "gradients": {n: i for i, n in enumerate(backward)},
                     "updated": {n: i for i, n in enumerate(self.g.order)}}
        self.calc = graph.Calculator(graph.DIGITS)

    def true(self, k):
        return np.array(self.known[k.section][k.node], dtype=float)

    def _names(self, e):
        """The nodes an expression uses, in the graph's order."""
        return sorted((s.name for s in e.free_symbols if s.name in self.known["values"]),
                      key=self.rank["values"].get)

    def inputs(self, k):
        """The direct inputs of ``k`` (see the module docstring)."""
        n = k.node
        if k.section == "values":
            return [NodeKey("values", m) for m in self.g.parents[n]] if n in self.g.expr else []
        if k.section == "gradients":
            out = []
            for c, f in self.local.get(n, []):
                out += [NodeKey("gradients", c)] + [NodeKey("values", m) for m in self._names(f)]
            return list(dict.fromkeys(out))
        return [NodeKey("values", n)] + ([] if n in self.p.frozen else [NodeKey("gradients", n)])

    def compute(self, k, get):
        """``k`` recomputed from its direct inputs, taking each input's value from ``get``
        (NaN when they give no finite number: a log of a negative claim, an overflow)."""
        from fractions import Fraction

        from .graph import NumberError, decimal, to_float

        calc, n = self.calc, k.node

        def at(section, m):
            return decimal(float(get(NodeKey(section, m))))

        def ev(e):
            return calc.ev(e, {m: at("values", m) for m in self._names(e)})

        try:
            if k.section == "values":
                v = ev(self.g.expr[n])
            elif k.section == "gradients":
                v = calc.add([calc.mul([at("gradients", c), ev(f)]) for c, f in self.local.get(n, [])])
            elif n in self.p.frozen:
                v = at("values", n)
            else:
                v = calc.add([at("values", n),
                              calc.mul([Fraction(-1), self.p.number("learning_rate"), at("gradients", n)])])
            return np.array(to_float(v))
        except (NumberError, ValueError, OverflowError, ZeroDivisionError):
            return np.array(math.nan)

    def position(self, k):
        """Where ``k`` comes in the computation: values, then the backward pass, then updates."""
        rank = self.rank[k.section]
        return (SECTIONS.index(k.section), rank.get(k.node, len(rank)))


def order(k):
    """Where ``k`` comes in the computation: every quantity after its direct inputs."""
    if k.prediction is not None:
        return (math.inf, k.prediction, PREDICTION_QUANTITIES.index(k.quantity))
    q, l = k.quantity, k.layer or 0
    if q in ("samples", "input", "target"):
        stage = (0, 0, UPDATE_QUANTITIES.index(q))
    elif q in ("W", "b", "z", "a"):
        stage = (1, l, LAYER_QUANTITIES.index(q))
    elif q in ("penalty", "sample_losses", "loss"):
        stage = (2, 0, ("penalty", "sample_losses", "loss").index(q))
    elif q in ("delta", "grad_W", "grad_b"):
        stage = (3, -l, LAYER_QUANTITIES.index(q))
    else:
        stage = (4, l, LAYER_QUANTITIES.index(q))
    return (k.update, *stage)


# ---------------------------------------------------------------- parsing the claims

def parse_claims(data, file, graph):
    """(Tolerance, claims in computation order) from a claims mapping; InputError if bad."""
    c = Checker(file)
    _other_kind(c, data, SECTIONS, "layered", "updates and predictions")
    c.keys(data, "", ("tolerance", "updates", "predictions", "format", "problem"))
    tolerance = _tolerance(c, data.get("tolerance", "written"))
    claims = []

    def claim(key, path, v):
        if v is None:
            if key.quantity not in ("b", "grad_b", "b_new"):
                c.fail(path, "expected a number or a list of numbers, got nothing (null)")
            claims.append(Claim(key, path, None, None, None))  # no biases
            return
        values, texts = _numbers(c, v, path)
        if key.quantity in EXACT:
            bad = (values < 0) | (values >= MAX_INDEX) | (values != np.floor(values))
            if bad.any():
                i = tuple(np.argwhere(bad)[0]) if values.ndim else ()
                c.fail(path + "".join(f"[{j}]" for j in i),
                       f"expected a whole number from 0 (an index), got {clip_text(texts[i])}")
        claims.append(Claim(key, path, values.tolist(), values, texts))

    updates = data.get("updates") or []
    if not isinstance(updates, list):
        c.fail("updates", f"expected a list of updates, each {{index: 1, layers: [...]}}, got {kind_of(updates)}")
    seen = {}
    for i, u in enumerate(updates):
        ku = f"updates[{i}]"
        c.keys(u, ku, ("index",) + UPDATE_QUANTITIES + ("layers",), required=("index",))
        n = c.whole(u["index"], f"{ku}.index", 1)
        if n > graph.U:
            c.fail(f"{ku}.index", f"update {show(n)} does not exist: the problem makes "
                                  f"{graph.U} update{'s' if graph.U != 1 else ''}")
        if n in seen:
            c.fail(f"{ku}.index", f"update {n} is claimed twice (also {seen[n]})")
        seen[n] = ku
        for q in UPDATE_QUANTITIES:
            if q in u:
                claim(Key(n, None, q), f"{ku}.{q}", u[q])
        layers = u.get("layers") or []
        if not isinstance(layers, list):
            c.fail(f"{ku}.layers", f"expected a list of layers, each {{layer: 1, z: ...}}, got {kind_of(layers)}")
        seen_l = {}
        for j, s in enumerate(layers):
            kl = f"{ku}.layers[{j}]"
            c.keys(s, kl, ("layer",) + LAYER_QUANTITIES, required=("layer",))
            l = c.whole(s["layer"], f"{kl}.layer", 1)
            if l > graph.L:
                c.fail(f"{kl}.layer", f"layer {show(l)} does not exist: the network's layers are 1 to {graph.L}")
            if l in seen_l:
                c.fail(f"{kl}.layer", f"layer {l} is claimed twice in update {n} (also {seen_l[l]})")
            seen_l[l] = kl
            for q in LAYER_QUANTITIES:
                if q in s:
                    claim(Key(n, l, q), f"{kl}.{q}", s[q])

    predictions = data.get("predictions") or []
    if not isinstance(predictions, list):
        c.fail("predictions", f"expected a list of predictions, each {{output: [...], class: 0}}, "
                              f"got {kind_of(predictions)}")
    count = len(graph.t.predictions)
    if len(predictions) > count:
        c.fail(f"predictions[{count}]", f"prediction {count + 1} does not exist: the problem has "
                                        f"{count} query point{'s' if count != 1 else ''} (predict)")
    for j, pr in enumerate(predictions):
        kp = f"predictions[{j}]"
        if pr is None:
            continue
        c.keys(pr, kp, PREDICTION_QUANTITIES)
        for q in PREDICTION_QUANTITIES:
            if q in pr:
                claim(Key(None, None, q, j + 1), f"{kp}.{q}", pr[q])
    return tolerance, sorted(claims, key=lambda cl: order(cl.key))


#: keys of a graph problem's trace that are not claims (formulas and pieces are not checked)
GRAPH_IGNORED = ("format", "problem", "formulas", "pieces")


def parse_graph_claims(data, file, nodes):
    """(Tolerance, claims in computation order) from a graph problem's claims mapping:
    ``values``, ``gradients``, ``updated``, each a mapping of node names to numbers, as
    the trace writes them; InputError if bad."""
    c = Checker(file)
    _other_kind(c, data, ("updates", "predictions"), "graph", "values, gradients and updated")
    c.keys(data, "", ("tolerance",) + SECTIONS + GRAPH_IGNORED)
    tolerance = _tolerance(c, data.get("tolerance", "written"))
    claims = []
    for section in SECTIONS:
        part = data.get(section) or {}
        if not isinstance(part, dict):
            c.fail(section, f"expected a mapping of names to numbers ({{z3: 0.5}}), got {kind_of(part)}")
        for n, v in part.items():
            path = f"{section}.{clip_text(getattr(n, 'text', n))}"
            if n not in nodes.known[section]:
                c.fail(path, _unknown(nodes, section, n))
            if isinstance(v, list):
                c.fail(path, f"expected one number ({NodeKey(section, n)} is a number), got a list")
            if v is None:
                c.fail(path, "expected a number, got nothing (null)")
            values, texts = _numbers(c, v, path)
            claims.append(Claim(NodeKey(section, n), path, values.tolist(), values, texts))
    return tolerance, sorted(claims, key=lambda cl: nodes.position(cl.key))


def _unknown(nodes, section, n):
    """Why ``n`` cannot be claimed in ``section``, with the name it likely means."""
    known = list(nodes.known[section])
    if not known:
        return {"values": "the problem gives no numbers (symbolic): there are no values to claim",
                "gradients": "the problem computes no numeric gradient (symbolic, or no loss)",
                "updated": "no parameter is updated: the problem has no learning_rate"}[section]
    what = {"values": "the problem's names are", "gradients": "the backward pass computes dE/d of",
            "updated": "the update changes"}[section] + " " + _listed(known)
    if section == "gradients" and n in nodes.known["values"]:
        return (f"dE/d{n} is not computed: the backward pass goes from E to the derivatives asked for "
                f"(graph.derivatives: {', '.join(nodes.p.derivatives)}); {what}")
    if section == "updated" and n in nodes.known["values"]:
        return f"{n} is not updated: {what}"
    shown = clip_text(getattr(n, "text", n))
    close = suggest(shown, known)
    return f"unknown name {shown}" + (f"; did you mean {close}?" if close else f"; {what}")


def _listed(names, most=12):
    names = list(names)
    return ", ".join(names[:most]) + (", ..." if len(names) > most else "")


def _other_kind(c, data, keys, kind, claims):
    """Refuse, at its key, a claims file written for the other kind of problem."""
    if isinstance(data, dict):
        for k in keys:
            if k in data:
                c.fail(k, f"this is a {kind} problem: its claims are {claims} (as backprop trace prints them)")


def _tolerance(c, v):
    if v == "written":
        return Tolerance()
    if isinstance(v, dict):
        c.keys(v, "tolerance", ("abs", "rel"))
        if v:
            return Tolerance(False, c.number(v.get("abs", 0), "tolerance.abs", low=0),
                             c.number(v.get("rel", 0), "tolerance.rel", low=0))
    c.fail("tolerance", f"expected written, {{abs: 1e-4}} or {{rel: 1e-3}}, got {kind_of(v)}")


# ---------------------------------------------------------------- checking

@dataclass
class Result:
    """The verdict on one claimed quantity."""

    key: Key
    path: str
    status: str
    claimed: object
    expected: object
    claimed_texts: object = None
    differ: list = field(default_factory=list)       # entries (0-based indices) that differ
    expected_shape: tuple | None = None               # for wrong_shape
    recomputed: object = None                         # for carried_forward
    from_inputs: list = field(default_factory=list)   # the not-ok inputs it follows from

    def to_json(self):
        """This result as one entry of the ``--json`` report (see docs/claims-format.md)."""
        k = self.key
        d = {**k.fields(), "status": self.status,
             "claimed": self.claimed, "expected": _plain(self.expected), "key": self.path}
        if getattr(k, "prediction", None) is not None:
            d["prediction"] = k.prediction
        if self.status in ("wrong", "carried_forward"):
            d["differ"] = self.differ
        if self.status == "wrong_shape":
            d["expected_shape"] = list(self.expected_shape)
        if self.status == "carried_forward":
            d["recomputed"] = _plain(self.recomputed)
            d["from"] = [str(i) for i in self.from_inputs]
        return d


def _plain(v):
    return None if v is None else np.asarray(v).tolist()


def _differ(claimed, texts, reference, tolerance, k, spread=0.0):
    """Boolean array: which entries of ``claimed`` are outside the tolerance (plus
    ``spread``) of ``reference``."""
    reference = np.asarray(reference, dtype=float)
    if k.quantity in EXACT:
        return claimed != reference
    allowed = tolerance.bound(texts, reference) + spread
    allowed = allowed + ROUNDING * np.maximum(np.abs(claimed), np.abs(reference))
    return ~(np.abs(claimed - reference) <= allowed)


def check(g, tolerance, claims):
    """Results for ``claims`` (in computation order) against the quantities ``g`` of a
    problem (a :class:`Graph` of a layered trace or the :class:`Nodes` of a graph problem).

    >>> from backprop_solver.spec import load
    >>> from backprop_solver.trace import trace
    >>> p = load("problems/seed001_q1_sigmoid_sgd.yaml")
    >>> c = Claim(Key(1, 2, "z"), "z", None, np.array([0.16495, 0.16495]),
    ...           np.array(["0.16495", "0.16495"], dtype=object))
    >>> [r.status for r in check(Graph(p, trace(p)), Tolerance(), [c])]
    ['ok']
    """
    used, status, results = {}, {}, []

    def get(k):
        return used[k][0] if k in used else g.true(k)

    for cl in claims:
        k = cl.key
        expected = g.true(k)
        if cl.values is None or expected is None:
            ok = cl.values is None and expected is None
            shape = None if expected is None else np.shape(expected)
            results.append(Result(k, cl.path, "ok" if ok else "wrong_shape", cl.raw, expected,
                                  expected_shape=(shape if shape is not None else ())))
            status[k] = results[-1].status
            continue
        fit = _fit(cl.values, cl.texts, np.shape(expected))
        if fit is None:
            results.append(Result(k, cl.path, "wrong_shape", cl.raw, expected,
                                  expected_shape=np.shape(expected)))
            status[k] = "wrong_shape"
            continue
        values, texts = fit
        bad = _differ(values, texts, expected, tolerance, k)
        claimed = values.astype(int) if k.quantity in EXACT and (values == values.round()).all() else values
        result = Result(k, cl.path, "ok", claimed.tolist(), expected, texts)
        if bad.any():
            result.status = "wrong"
            result.differ = [list(map(int, i)) for i in np.argwhere(bad)]
            culprits = [i for i in g.inputs(k) if status.get(i) in ("wrong", "carried_forward")]
            if culprits:
                recomputed, spread = _recompute(g, k, get, used, tolerance)
                if not _differ(values, texts, recomputed, tolerance, k, spread).any():
                    result.status, result.recomputed, result.from_inputs = (
                        "carried_forward", recomputed, culprits)
        status[k] = result.status
        used[k] = (values, texts)
        results.append(result)
    return results


#: how many input entries _recompute perturbs one at a time; beyond, random corners
MAX_PERTURBED = 4096


def _recompute(g, k, get, used, tolerance):
    """``k`` recomputed from its inputs (claimed where claimed), and its spread: how far
    it moves, to first order, when each claimed input entry moves within its own
    tolerance (sum over entries of |f(x + h_j e_j) - f(x)|)."""
    shape = np.shape(g.true(k))
    base = np.reshape(g.compute(k, get), shape).astype(float)
    if k.quantity in EXACT:
        return base, 0.0
    moves = []  # (input key, its claimed value, its tolerance, one entry)
    for i in g.inputs(k):
        if i in used and i.quantity not in EXACT:
            x, texts = used[i]
            h = np.broadcast_to(tolerance.bound(texts, x), x.shape)
            moves += [(i, x, h, idx) for idx in np.ndindex(x.shape) if h[idx] > 0]
    spread = np.zeros(shape)
    if len(moves) > MAX_PERTURBED:  # large networks: random corners of the box instead
        rng = np.random.default_rng(0)
        keys = {m[0]: (m[1], m[2]) for m in moves}
        for _ in range(32):
            moved = {i: x + rng.choice([-1.0, 1.0], size=x.shape) * h for i, (x, h) in keys.items()}
            y = np.reshape(g.compute(k, lambda j: moved[j] if j in moved else get(j)), shape)
            spread = np.maximum(spread, np.abs(y - base))
        return base, spread
    for i, x, h, idx in moves:
        moved = x.copy()
        moved[idx] += h[idx]
        y = np.reshape(g.compute(k, lambda j: moved if j == i else get(j)), shape)
        spread = spread + np.abs(y - base)
    return base, spread


def summary(results):
    """Counts of each status, and the total.

    >>> summary([])
    {'ok': 0, 'wrong': 0, 'carried_forward': 0, 'wrong_shape': 0, 'total': 0}
    """
    counts = {s: sum(r.status == s for r in results) for s in STATUSES}
    counts["total"] = len(results)
    return counts


def verify(problem_path, claims_path):
    """Load both files, solve the problem and check the claims: (problem, result, tolerance,
    results), the result being the layered trace or the graph problem's solution.

    Raises InputError for a bad problem file or a bad claims file.
    """
    from . import spec

    return verify_data(spec.read_yaml(problem_path), problem_path, read_claims(claims_path), claims_path)


def written(v):
    """Claims given as Python data (the API) as a claims file reads them: every number a
    :class:`Written` with its shortest text (repr(0.1626) is "0.1626").

    >>> written({"loss": 0.25, "layers": [{"z": [1, 2.5]}], "ok": True})
    {'loss': 0.25, 'layers': [{'z': [1, 2.5]}], 'ok': True}
    """
    if isinstance(v, dict):
        return {k: written(e) for k, e in v.items()}
    if isinstance(v, (list, tuple, np.ndarray)):
        return [written(e) for e in v]
    if isinstance(v, numbers.Integral) and not isinstance(v, (bool, np.bool_)):
        return Written(int(v), str(int(v)))
    if isinstance(v, numbers.Real) and not isinstance(v, (bool, np.bool_, Written)):
        return Written(float(v), repr(float(v)))
    return v


def verify_data(data, problem_name, claims, claims_name):
    """:func:`verify` of a problem mapping and a claims mapping read from those names."""
    from . import spec

    kind, problem = spec.parse_problem(data, problem_name)
    if kind not in ("layered", "graph"):  # derivations alone (solver.derivations)
        raise InputError(problem_name, "derive", "this problem asks for derivations alone: it has no numbers "
                                                 "to check (verify checks layered and graph problems)")
    if kind == "graph":
        from . import graph

        result = graph.solve(problem)
        quantities = Nodes(result)
        tolerance, claims = parse_graph_claims(written(claims), claims_name, quantities)
    else:
        from . import trace as tr

        if problem.record == "summary":
            raise InputError(problem_name, "record", "this problem is a training run recorded as a summary; "
                                                     "verify checks calculations update by update: write "
                                                     "record: full (and fewer steps) to check its updates")
        result = tr.trace(problem)
        quantities = Graph(problem, result)
        tolerance, claims = parse_claims(written(claims), claims_name, quantities)
    # a tolerance near 1e308, or claims recomputed from huge claimed inputs, overflow to
    # inf: which compares as it should (everything within an infinite tolerance; an
    # infinite recomputation agrees with no finite claim), without NumPy's warnings
    with np.errstate(over="ignore", invalid="ignore"):
        return problem, result, tolerance, check(quantities, tolerance, claims)


def to_json(results):
    """The ``--json`` report: every result in computation order, and the summary."""
    return {"results": [r.to_json() for r in results], "summary": summary(results)}


# ---------------------------------------------------------------- the terminal report

LABELS = {"ok": "ok", "wrong": "WRONG", "carried_forward": "carried forward", "wrong_shape": "wrong shape"}


def _fmt(x, digits):
    """A number of the terminal report (document.fmt's plain style), or whatever else as text."""
    from .document import fmt

    return fmt(x, digits, tex=False) if isinstance(x, float) else str(x)


def _entry(index):
    return "".join(f"[{i}]" for i in index)


def _at(v, index):
    x = np.asarray(v)[tuple(index)]
    return x.item() if isinstance(x, np.generic) or isinstance(x, np.ndarray) else x


def report(results, tolerance, digits=6, show_all=False):
    """A readable report: one block per claim that is not ok, in the order of computation
    (so the first error comes first), then a summary line."""
    lines = []
    for r in results:
        if r.status == "ok" and not show_all:
            continue
        head = f"{r.key}: {LABELS[r.status]}   [{r.path}]"
        lines.append(head)
        if r.status == "wrong":
            n = int(np.size(r.expected))
            if n > 1:
                lines.append(f"    {len(r.differ)} of {n} entries differ:")
            for index in r.differ[:6]:
                claimed = _at(r.claimed_texts, index)
                lines.append(f"    {r.key.label}{_entry(index)}: claimed {claimed}, "
                             f"correct {_fmt(_at(r.expected, index), digits)}")
            if len(r.differ) > 6:
                lines.append(f"    ... and {len(r.differ) - 6} more")
        elif r.status == "carried_forward":
            lines.append(f"    follows from the claimed {', '.join(map(str, r.from_inputs))}")
            for index in r.differ[:3]:
                lines.append(f"    {r.key.label}{_entry(index)}: claimed {_at(r.claimed_texts, index)}, "
                             f"from the claims {_fmt(_at(r.recomputed, index), digits)}, "
                             f"correct {_fmt(_at(r.expected, index), digits)}")
            if len(r.differ) > 3:
                lines.append(f"    ... and {len(r.differ) - 3} more")
        elif r.status == "wrong_shape":
            got = "null" if r.claimed is None else _shape_text(np.shape(r.claimed))
            want = ("null (the network has no biases)" if r.expected is None
                    else _shape_text(r.expected_shape))
            lines.append(f"    expected {want}{_shape_hint(r)}, claimed {got}")
    s = summary(results)
    if lines:
        lines.append("")
    lines.append(f"{s['total']} claimed quantit{'ies' if s['total'] != 1 else 'y'} "
                 f"(tolerance: {tolerance}): {s['ok']} ok, {s['wrong']} wrong, "
                 f"{s['carried_forward']} carried forward, {s['wrong_shape']} wrong shape")
    return "\n".join(lines)


def _shape_hint(r):
    """Why the expected shape is what it is, for the mistakes people make."""
    q, shape = r.key.quantity, r.expected_shape
    claimed = np.shape(r.claimed) if r.claimed is not None else None
    if q in ("b", "grad_b", "b_new") and len(shape) == 1 and claimed and len(claimed) == 2 \
            and claimed[0] == shape[0]:
        return {"b": " (one per unit)",
                "grad_b": " (one per unit: a batch's bias gradient is summed over its samples)",
                "b_new": " (one per unit: b - eta grad_b, grad_b summed over the samples)"}[q]
    if len(shape) == 2 and claimed == shape[::-1]:
        return " (the claim looks transposed)"
    if q in ("z", "a", "delta") and len(shape) == 2:
        return f" ({shape[0]} units in layer {r.key.layer} x {shape[1]} sample{'s' if shape[1] != 1 else ''})"
    if q in ("W", "grad_W", "W_new"):
        return f" (units in layer {r.key.layer} x units in layer {r.key.layer - 1})"
    return ""


# ---------------------------------------------------------------- the document (--pdf)

#: colours of the claims in the document (xcolor names; TikZ loads xcolor)
COLOURS = {"ok": "green!45!black", "wrong": "red", "carried_forward": "orange!85!black",
           "wrong_shape": "red"}
#: largest claimed matrix shown entry by entry in the document
MAX_SHOWN = 64


def _cell(text, value, digits):
    """A claimed number as TeX math: as written, unless written with an exponent."""
    from .document import fmt

    return text if re.fullmatch(r"[-+]?[0-9]*\.?[0-9]*", text) and text not in ("", "-", "+") \
        else fmt(value, digits)


def claimed_tex(r, digits=6):
    r"""The claimed value of result ``r`` as TeX math, entries that differ coloured.

    >>> r = Result(Key(1, 2, "z"), "z", "wrong", [[0.2], [0.1]], np.array([[0.2], [0.3]]),
    ...            np.array([["0.2"], ["0.1"]], dtype=object), differ=[[1, 0]])
    >>> claimed_tex(r)
    '\\begin{bmatrix} 0.2 \\\\ \\textcolor{red}{0.1} \\end{bmatrix}'
    """
    if r.claimed is None:
        return r"\text{null}"
    if r.status == "wrong_shape":
        values = np.asarray(r.claimed, dtype=float)
        texts = np.vectorize(lambda v: _fmt(float(v), digits), otypes=[object])(values)
        bad = np.ones(values.shape, dtype=bool)
    else:
        values = np.asarray(r.claimed, dtype=float)
        texts = np.asarray(r.claimed_texts, dtype=object)
        bad = np.zeros(values.shape, dtype=bool)
        for index in r.differ:
            bad[tuple(index)] = True
    colour = COLOURS[r.status]
    if values.ndim == 0:
        cell = _cell(texts.item(), values.item(), digits)
        return rf"\textcolor{{{colour}}}{{{cell}}}" if bad.any() else cell
    if values.size > MAX_SHOWN:
        return rf"\text{{({values.size} numbers; {int(bad.sum())} differ)}}"
    if values.ndim == 1:  # a column, as vectors are shown; a row for a prediction's output
        row = r.key.prediction is not None
        values, texts, bad = ((values[None, :], texts[None, :], bad[None, :]) if row
                              else (values[:, None], texts[:, None], bad[:, None]))
    rows = []
    for i in range(values.shape[0]):
        cells = [_cell(texts[i, j], values[i, j], digits) for j in range(values.shape[1])]
        rows.append(" & ".join(rf"\textcolor{{{colour}}}{{{c}}}" if bad[i, j] else c
                               for j, c in enumerate(cells)))
    return r"\begin{bmatrix} " + r" \\ ".join(rows) + r" \end{bmatrix}"


def _what(r):
    return ("claimed (wrong)" if r.status == "wrong" else "claimed (carried forward)"
            if r.status == "carried_forward" else f"claimed (wrong shape, expected {_shape_text(r.expected_shape)})")


def _note(r, digits):
    """What the document writes beside the correct value: a tick, or the claim coloured."""
    colour = COLOURS[r.status]
    if r.status == "ok":
        return rf"\ \textcolor{{{colour}}}{{\checkmark}}"
    return rf"\textcolor{{{colour}}}{{\text{{{_what(r)}:}}}}\ {claimed_tex(r, digits)}"


def _note_text(r, digits):
    """:func:`_note` as text, for the end of a sentence (its words break across lines)."""
    from .document.model import Math, Styled

    if r.status == "ok":
        return (" ", Styled("colour:" + COLOURS[r.status], (Math(r"\checkmark"),)))
    return (" ", Styled("colour:" + COLOURS[r.status], (_what(r) + ":",)), " ", Math(claimed_tex(r, digits)))


def annotate(doc, results, digits=6):
    """Put each claim beside the correct value it claims, in the document ``doc``.

    The document shows each of z, a, delta, the gradients and the new parameters (a
    graph problem: each node's value and dE/dnode) as an aligned row that ends with its
    value; the claim goes on the next line (a tick where it is right). The loss, the
    predictions and a graph problem's updated parameters get it on the same line. A
    claim the document does not show (W, b, the input, updates beyond
    display.full_updates, a graph problem's given numbers) is listed in the closing
    section only.
    """
    from .document.model import Align, Display, MathTable, Para, walk

    by = {r.key.doc: r for r in results}

    def beside(r):  # on the same line
        return _note(r, digits) if r.status == "ok" else r"\quad " + _note(r, digits)

    for b in walk(doc.blocks):
        if isinstance(b, Align):
            for row in b.rows:
                r = by.get(row.key)
                if r is not None:
                    row.math += _note(r, digits) if r.status == "ok" else (
                        "\\\\\n" + r"&\phantom{=}\ " + _note(r, digits))
        elif isinstance(b, Display) and b.key in by:
            b.math += beside(by[b.key])
        elif isinstance(b, Para) and b.key in by:
            b.content += _note_text(by[b.key], digits)
        elif isinstance(b, MathTable) and b.keys:
            for row, keys in zip(b.rows, b.keys):
                for col, key in keys.items():
                    r = by.get(key)
                    if r is None:
                        continue
                    if key[2] == "class":
                        row[col] += (_note(r, digits) if r.status == "ok" else
                                     rf"\ \textcolor{{{COLOURS[r.status]}}}{{(\text{{claimed }}{r.claimed})}}")
                    else:
                        row[col] += beside(r)


def closing_section(results, tolerance, claims_name):
    """The document's last section: the summary and every claim that is not ok, each
    item starting with its key path (so that the lines of the item break in words)."""
    from .document.model import Break, Code, Heading, Items, Math, Para, Styled

    def coloured(status, words):
        return Styled("colour:" + COLOURS[status], words)

    s = summary(results)
    blocks = [Heading(("The claims checked",)),
              Para(("The numbers of ", Code(claims_name), f" (tolerance: {tolerance}) are shown beside the "
                    "correct ones: ", coloured("wrong", ("wrong",)), ", ",
                    coloured("carried_forward", ("carried forward",)),
                    " (wrong only because an earlier claimed number was), ",
                    coloured("ok", (Math(r"\checkmark"),)), " right.")),
              Break(),
              Para((f"{s['total']} claimed quantities: {s['ok']} ok, {s['wrong']} wrong, "
                    f"{s['carried_forward']} carried forward, {s['wrong_shape']} wrong shape.",))]
    bad = [r for r in results if r.status != "ok"]
    if bad:
        items = []
        for r in bad:
            if r.status == "wrong_shape":
                got = "null" if r.claimed is None else _shape_text(np.shape(r.claimed))
                want = "null" if r.expected is None else _shape_text(r.expected_shape)
                detail = f": expected {want}{_shape_hint(r)}, claimed {got}"
            elif r.status == "carried_forward":
                detail = " follows from the claimed " + ", ".join(map(str, r.from_inputs))
            elif np.size(r.expected) == 1:
                detail = f": claimed {_at(r.claimed_texts, [])}, correct {_fmt(_at(r.expected, []), 6)}"
            else:
                detail = f": {len(r.differ)} of {np.size(r.expected)} entries differ"
            items.append((Code(r.path), " ", coloured(r.status, (LABELS[r.status].lower() + ":",)),
                          f" {r.key}{detail}"))
        blocks.append(Items(items))
    return blocks


def document(problem, result, tolerance, results, claims_name):
    """The worked solution as LaTeX, with the claims beside the correct numbers; ``result``
    is the layered trace or the graph problem's solution (see :func:`verify`)."""
    from .document import latex

    if isinstance(problem, Problem):
        from . import derive
        from .document.layered import build

        doc = build(result, derive.derive_problem(problem))
    else:
        from .document.graph import build

        doc = build(result)
    annotate(doc, results, problem.digits)
    doc.add(*closing_section(results, tolerance, claims_name))
    return latex.write(doc)
