"""Variants of a problem: random values on a grid a person can compute with.

An exam sheet (``backprop exam``) gives each student or group its own variant of each
problem. A problem file of the sheet writes a **grid** wherever a value is to be drawn::

    weights: {random: {low: -1, high: 1, decimals: 1, nonzero: true}}

The grid is {low, low + 10^-d, ..., high} (d = ``decimals``, 0 to 6): the whole numbers k
from ceil(low 10^d) to floor(high 10^d), each value k / 10^d, written as the short
decimal (0.3, never 0.30000000000000004; with ``decimals: 0`` a whole number).
``exclude: [0, 1]`` leaves values out, ``nonzero: true`` is short for excluding 0. A grid
is recognised by its ``decimals`` key: the layered format's own
``weights: {random: {seed, low, high}}`` (uniform floats, docs/problem-format.md) has
none, and is passed on untouched.

Where a grid stands:

- wherever a number goes (an entry of a weight matrix or bias vector, of x, y or a
  query point, ``learning_rate``, a graph problem's ``inputs``, ``targets`` and
  ``parameters`` values, ``graph.learning_rate``, ...): one value;
- in place of a whole layered value, expanded to its shape: ``network.weights`` (one
  matrix per computing layer, the sizes from ``network.sizes``), ``network.weights[l]``
  (that matrix), a row of a matrix written as rows, ``network.biases`` (one vector per
  layer), ``network.biases[l]`` (that vector), ``data[i].x`` and ``test_data[i].x``
  (``sizes[0]`` numbers), ``data[i].y`` and ``test_data[i].y`` (one per output unit),
  ``predict[i]`` (``sizes[0]`` numbers). Every value of the expansion is its own draw.

:func:`draw` replaces every grid, walking the mapping in the order the file writes it;
:func:`rng_for` seeds the draws from (sheet seed, variant, problem index, attempt), so
the same sheet gives the same variants on every machine. :func:`make` draws a variant
until it meets the sheet's requirements (:data:`REQUIREMENTS`, checked by
:func:`check`), and :func:`to_yaml` writes it as a problem file that ``backprop solve``
reads back to the same numbers.

>>> rng = rng_for(7, 1, 0, 0)
>>> draw({"learning_rate": {"random": {"low": 0.1, "high": 0.9, "decimals": 1}}}, rng, "p.yaml")
{'learning_rate': 0.8}
"""

import math
import re
from collections import Counter
from decimal import Decimal
from fractions import Fraction

import numpy as np
import yaml

from .errors import InputError, plural
from .spec import MAX_PARAMETERS, MAX_UNITS, Checker, kind_of, parse_problem, problem_kind, show, suggest

#: the keys every grid gives (inside ``random``), and its options
GRID_KEYS = ("low", "high", "decimals")
GRID_OPTIONS = ("exclude", "nonzero")
MAX_DECIMALS = 6


def is_grid(v):
    """True for a grid, ``{random: {low, high, decimals, ...}}``: a ``random`` mapping with
    a ``decimals`` key (the layered format's ``{random: {seed, low, high}}`` is not one).

    >>> is_grid({"random": {"low": 0, "high": 1, "decimals": 1}}), is_grid({"random": {"seed": 0}})
    (True, False)
    """
    return isinstance(v, dict) and isinstance(v.get("random"), dict) and "decimals" in v["random"]


def _decimal(v):
    """The exact value of a number as the file writes it (a float as its shortest repr)."""
    return Fraction(v) if isinstance(v, int) else Fraction(repr(float(v)))


class Grid:
    """A checked grid: the whole numbers k (value k / 10^d) it draws from, lo..hi
    without ``excluded`` (sorted, each within lo..hi)."""

    def __init__(self, c, spec, key):
        c.keys(spec, key, ("random",), required=("random",))
        key = f"{key}.random"
        r = spec["random"]
        c.keys(r, key, GRID_KEYS + GRID_OPTIONS, required=GRID_KEYS)
        low = c.number(r["low"], f"{key}.low")
        high = c.number(r["high"], f"{key}.high")
        if high < low:
            c.fail(f"{key}.high", f"expected a number of at least low ({show(low)}), got {show(high)}")
        d = self.decimals = c.whole(r["decimals"], f"{key}.decimals", 0, MAX_DECIMALS)
        scale = 10 ** d
        self.lo = math.ceil(_decimal(r["low"]) * scale)
        self.hi = math.floor(_decimal(r["high"]) * scale)
        step = f"steps of {_text(1, d)}"
        if self.lo > self.hi:
            c.fail(key, f"the grid from {show(low)} to {show(high)} in {step} has no points; "
                        f"widen it or give more decimals")
        exclude = r.get("exclude", [])
        listed = isinstance(exclude, list)
        excluded = set()
        for i, e in enumerate(exclude if listed else [exclude]):
            k = f"{key}.exclude[{i}]" if listed else f"{key}.exclude"
            c.number(e, k)
            ke = _decimal(e) * scale
            if ke.denominator != 1:
                c.fail(k, f"{show(e)} is not a point of the grid ({step}); write a value with at most "
                          f"{plural(d, 'decimal')}")
            excluded.add(int(ke))
        if c.boolean(r.get("nonzero", False), f"{key}.nonzero"):
            excluded.add(0)
        self.excluded = sorted(k for k in excluded if self.lo <= k <= self.hi)
        self.count = self.hi - self.lo + 1 - len(self.excluded)
        if self.count < 1:
            c.fail(key, f"every point of the grid from {show(low)} to {show(high)} in {step} is excluded")

    def draw(self, rng, n):
        """``n`` values drawn uniformly from the grid (one call of the generator for up to
        2^62 points; beyond, whole numbers of random bits, rejected when too large)."""
        if self.count <= 2 ** 62:
            ks = [int(j) for j in rng.integers(0, self.count, size=n, dtype=np.int64)]
        else:
            ks = [_big_integer(rng, self.count) for _ in range(n)]
        out = []
        for j in ks:
            k = self.lo + j
            for e in self.excluded:  # the j-th point that is not excluded
                if k >= e:
                    k += 1
            out.append(_value(k, self.decimals))
        return out


def _big_integer(rng, n):
    """A whole number uniform in [0, n) for n beyond int64, from 32-bit words."""
    bits = (n - 1).bit_length()
    words = -(-bits // 32)
    while True:
        k = 0
        for w in rng.integers(0, 2 ** 32, size=words, dtype=np.uint64):
            k = (k << 32) | int(w)
        k >>= words * 32 - bits
        if k < n:
            return k


def _value(k, d):
    """k / 10^d as the number the file will hold: a whole number for d = 0, else the float
    nearest the decimal (its repr is that decimal: 0.3)."""
    return int(k) if d == 0 else round(k / 10 ** d, d)


def _text(k, d):
    return str(_value(k, d))


# ---------------------------------------------------------------------------- drawing

class _Drawer:
    def __init__(self, data, rng, file):
        self.c = Checker(file)
        self.rng = rng
        self.data = data
        self._sizes = None

    def grid(self, v, key, n=None):
        """One value of grid ``v`` (n None), or a list of n."""
        values = Grid(self.c, v, key).draw(self.rng, 1 if n is None else n)
        return values[0] if n is None else values

    def any(self, v, key):
        """A copy of ``v`` with every grid in it one value."""
        if is_grid(v):
            return self.grid(v, key)
        if isinstance(v, dict):
            r = v.get("random")
            if set(v) == {"random"} and isinstance(r, dict) and ("low" in r or "high" in r) \
                    and key != "network.weights":
                self.c.fail(f"{key}.random", "a grid needs decimals: {random: {low, high, decimals}} draws "
                                             "low, low + 10^-decimals, ..., high (only network.weights takes "
                                             "{random: {seed, low, high}}, uniform floats)")
            return {k: self.any(e, f"{key}.{k}" if key else str(k)) for k, e in v.items()}
        if isinstance(v, list):
            return [self.any(e, f"{key}[{i}]") for i, e in enumerate(v)]
        return v

    def sizes(self):
        """network.sizes, checked as the layered format does (needed to expand a grid)."""
        if self._sizes is None:
            c = self.c
            net = self.data.get("network")
            sizes = net.get("sizes") if isinstance(net, dict) else None
            self.network("sizes", sizes)  # a grid there is refused
            if not isinstance(sizes, list) or len(sizes) < 2:
                c.fail("network.sizes", f"expected a list of at least two layer sizes, input first (e.g. "
                                        f"[5, 3, 2]), to give a grid its shape; got {kind_of(sizes)}")
            sizes = [c.whole(s, f"network.sizes[{i}]", 1, MAX_UNITS) for i, s in enumerate(sizes)]
            n = sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, len(sizes)))
            if n > MAX_PARAMETERS:
                c.fail("network.sizes", f"a network of {n:,} parameters is too large to trace "
                                        f"(the limit is {MAX_PARAMETERS:,})")
            self._sizes = sizes
        return self._sizes

    def vector(self, v, key, n):
        return self.grid(v, key, n) if is_grid(v) else self.any(v, key)

    def matrix(self, v, key, rows, cols):
        if is_grid(v):
            values = self.grid(v, key, rows * cols)
            return [values[i * cols:(i + 1) * cols] for i in range(rows)]
        if isinstance(v, list) and len(v) == rows and cols > 1:  # written as rows: a grid row is a row
            return [self.vector(r, f"{key}[{i}]", cols) for i, r in enumerate(v)]
        return self.any(v, key)

    def layered(self):
        out = {}
        for k, v in self.data.items():
            if k == "network" and isinstance(v, dict):
                out[k] = {n: self.network(n, e) for n, e in v.items()}
            elif k in ("data", "test_data") and isinstance(v, list):
                out[k] = [self.sample(s, f"{k}[{i}]") for i, s in enumerate(v)]
            elif k == "predict" and isinstance(v, list):
                out[k] = [self.vector(p, f"predict[{i}]", self.sizes()[0]) if is_grid(p)
                          else self.any(p, f"predict[{i}]") for i, p in enumerate(v)]
            elif k in ("data", "test_data", "predict") and is_grid(v):
                self.c.fail(k, f"the number of {'query points' if k == 'predict' else 'samples'} cannot be "
                               f"drawn: write the list, each {'point' if k == 'predict' else 'x and y'} may "
                               f"be a grid")
            else:
                out[k] = self.any(v, str(k))
        return out

    def network(self, name, v):
        key = f"network.{name}"
        if name == "weights" and (is_grid(v) or isinstance(v, list)):
            sizes = self.sizes()
            L = len(sizes) - 1
            if is_grid(v):
                return [self.matrix(v, key, sizes[l], sizes[l - 1]) for l in range(1, L + 1)]
            if len(v) == L:
                return [self.matrix(w, f"{key}[{l - 1}]", sizes[l], sizes[l - 1]) if isinstance(w, (list, dict))
                        else w for l, w in zip(range(1, L + 1), v)]
        if name == "biases" and (is_grid(v) or isinstance(v, list)):
            sizes = self.sizes()
            L = len(sizes) - 1
            if is_grid(v):
                return [self.grid(v, key, sizes[l]) for l in range(1, L + 1)]
            if len(v) == L:
                return [self.vector(b, f"{key}[{l - 1}]", sizes[l]) for l, b in zip(range(1, L + 1), v)]
        if name == "sizes" and (is_grid(v) or isinstance(v, list) and any(map(is_grid, v))):
            self.c.fail(key if is_grid(v) else f"{key}[{list(map(is_grid, v)).index(True)}]",
                        "the layer sizes cannot be drawn: they give the grids their shapes")
        return self.any(v, key)

    def sample(self, s, key):
        if not isinstance(s, dict):
            return self.any(s, key)
        out = {}
        for k, v in s.items():
            if k == "x" and is_grid(v):
                out[k] = self.grid(v, f"{key}.x", self.sizes()[0])
            elif k == "y" and is_grid(v):
                out[k] = self.grid(v, f"{key}.y", self.sizes()[-1])
            else:
                out[k] = self.any(v, f"{key}.{k}")
        return out


def draw(data, rng, file):
    """A copy of the problem mapping ``data`` with every grid replaced by values drawn
    with ``rng`` (see the module docstring for where grids stand and what they expand
    to); InputError(file, key path, ...) for a bad grid.

    >>> data = {"network": {"sizes": [2, 1], "activation": "sigmoid",
    ...                     "weights": {"random": {"low": -1, "high": 1, "decimals": 1, "nonzero": True}}},
    ...         "loss": "squared_error", "learning_rate": 1,
    ...         "data": [{"x": {"random": {"low": 0, "high": 3, "decimals": 0}}, "y": 1}]}
    >>> d = draw(data, rng_for(1, 1, 0, 0), "p.yaml")
    >>> d["network"]["weights"], d["data"]
    ([[[0.1, -0.4]]], [{'x': [1, 2], 'y': 1}])
    """
    if not isinstance(data, dict):
        Checker(file).fail("", f"expected a YAML mapping of keys, got {kind_of(data)}")
    d = _Drawer(data, rng, file)
    return d.layered() if problem_kind(data) == "layered" else d.any(data, "")


def rng_for(seed, variant, index, attempt):
    """The generator of one draw: ``np.random.default_rng(SeedSequence([seed, variant,
    index, attempt]))``, the same numbers on every machine (whole numbers >= 0).

    >>> int(rng_for(0, 1, 0, 0).integers(0, 1000)) == int(rng_for(0, 1, 0, 0).integers(0, 1000))
    True
    """
    for name, v in (("seed", seed), ("variant", variant), ("index", index), ("attempt", attempt)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < 0:
            raise ValueError(f"{name} must be a whole number >= 0, got {v!r}")
    return np.random.default_rng(np.random.SeedSequence([int(seed), int(variant), int(index), int(attempt)]))


# ---------------------------------------------------------------------- requirements

def _kinked(name, option):
    """True for an activation whose derivative jumps at z = 0 (the engine takes a
    convention there): relu, leaky_relu, elu with alpha other than 1."""
    return name in ("relu", "leaky_relu") or (name == "elu" and option != 1)


def _z_arrays(t):
    """(activation, z) for every layer of every update and query point of a trace."""
    acts = t.problem.activations
    for u in t.updates:
        for s in u.layers:
            yield acts[s.layer - 1], np.asarray(s.z, dtype=float)
    for q in t.predictions:
        for act, z in zip(acts, q.z):
            yield act, np.asarray(z, dtype=float)


def _outputs(t):
    """Every output column the trace decides a class from: each update's, each query point's."""
    for u in t.updates:
        a = np.asarray(u.layers[-1].a, dtype=float)
        yield from (a[:, j] for j in range(a.shape[1]))
    for q in t.predictions:
        yield np.asarray(q.output, dtype=float)


def _tied(out):
    if out.shape[0] == 1:
        return out[0] == 0.5
    return (out == out.max()).sum() > 1


def _class(out):
    return int(out[0] >= 0.5) if out.shape[0] == 1 else int(out.argmax())


def _first_pass_classes(t):
    """Each training sample's class in the first update that uses it (the forward pass a
    student computes for it first)."""
    seen = {}
    for u in t.updates:
        a = np.asarray(u.layers[-1].a, dtype=float)
        for j, s in enumerate(u.samples):
            seen.setdefault(s, _class(a[:, j]))
    return [seen[s] for s in sorted(seen)]


_ZNAME = re.compile(r"^z(?:$|[0-9_])")


def _graph_z(p):
    return [n for n in p.define if _ZNAME.match(n)]


def _relu_call(text):
    """True for an expression that is one relu(...) or max(0, ...) call as a whole."""
    text = re.sub(r"\s+", "", str(text))
    m = re.match(r"^(relu\(|max\(0,|max\(0\.0,)", text)
    if not m or not text.endswith(")"):
        return False
    depth = 0
    for i, ch in enumerate(text[m.end() - 1:], start=m.end() - 1):
        depth += ch == "("
        depth -= ch == ")"
        if depth == 0:
            return i == len(text) - 1
    return False


def _no_dead_relu(kind, p, result, value):
    if kind == "graph":
        return not any(_relu_call(e) and result.values.get(n) == 0 for n, e in p.define.items())
    from .derivations import dead_units
    return not dead_units(result)


def _max_abs_z(kind, p, result, bound):
    if kind == "graph":
        return all(abs(result.values[n]) < bound for n in _graph_z(p))
    return all((np.abs(z) < bound).all() for _, z in _z_arrays(result))


def _distinct_classes(kind, p, result, value):
    classes = [q.cls for q in result.predictions] if result.predictions else _first_pass_classes(result)
    if result.predictions:
        return len(set(classes)) == len(classes)
    return len(set(classes)) > 1


def _no_ties(kind, p, result, value):
    if any(_tied(out) for out in _outputs(result)):
        return False
    return not any(_kinked(*act) and (z == 0).any() for act, z in _z_arrays(result))


#: name -> (description, check(kind, problem, result, value) -> True when met)
REQUIREMENTS = {
    "no_dead_relu": ("no ReLU unit is dead: layered, none with z <= 0 for every sample of an update "
                     "(derivations.dead_units); graph, no quantity defined as relu(...) or max(0, ...) "
                     "has the value 0", _no_dead_relu),
    "max_abs_z": ("every pre-activation has |z| < the bound: layered, every z of every update and query "
                  "point; graph, every defined quantity named z, z3, z1_2, ...", _max_abs_z),
    "distinct_classes": ("the query points' classes are pairwise different; without query points, the "
                         "training samples' classes (each in the first update that uses it) are not all "
                         "the same (layered only)", _distinct_classes),
    "no_ties": ("no tie in a class decision (two equal largest outputs, or a single output of exactly 0.5, "
                "in any update or query point) and no pre-activation exactly at a kink (z = 0 of relu, "
                "leaky_relu, elu with alpha other than 1) (layered only)", _no_ties),
}
#: the kinds of problem each requirement applies to
APPLIES = {"no_dead_relu": ("layered", "graph"), "max_abs_z": ("layered", "graph"),
           "distinct_classes": ("layered",), "no_ties": ("layered",)}
#: what to change when a requirement fails in every draw (for make's message)
HINTS = {
    "no_dead_relu": "give the ReLU units positive biases, or a weights' grid with more positive values",
    "max_abs_z": "narrow the grids of the weights and inputs, or raise the bound",
    "distinct_classes": "widen the grids of the weights and biases (or of the query points)",
    "no_ties": "give the grids more decimals or exclude 0 (ties need exactly equal values)",
}


def requirements(kind, problem, require):
    """The requirements of ``require`` that are asked for, {name: value}, checked:
    InputError at ``require.NAME`` for an unknown name, one that does not apply to the
    kind of problem, a bad value or a requirement no draw can meet."""
    file = getattr(problem, "file", "<problem>")
    c = Checker(file)
    if require is None:
        return {}
    if not isinstance(require, dict):
        c.fail("require", f"expected a mapping of requirements ({', '.join(REQUIREMENTS)}), got {kind_of(require)}")
    out = {}
    for name, value in require.items():
        key = f"require.{name}"
        if name not in REQUIREMENTS:
            close = suggest(str(name), list(REQUIREMENTS))
            hint = f"did you mean '{close}'? " if close else ""
            c.fail(key, f"unknown requirement; {hint}known: {', '.join(REQUIREMENTS)}")
        if value is None or value is False:
            continue
        applies = [n for n in REQUIREMENTS if kind in APPLIES[n]]
        if kind not in APPLIES[name]:
            c.fail(key, f"{name} does not apply to a {kind} problem (those that do: "
                        f"{', '.join(applies) or 'none'})")
        if kind == "layered" and problem.record != "full":
            c.fail(key, "requirements are checked on the full trace; this problem is a training run "
                        "recorded as a summary")
        if kind == "graph" and not problem.numeric:
            c.fail(key, "a symbolic graph problem has no numbers to check: give every input, target "
                        "and parameter a value")
        if name == "max_abs_z":
            value = c.number(value, key, positive=True)
            if kind == "graph" and not _graph_z(problem):
                c.fail(key, "the graph defines no quantity named z, z1, z3_2, ... (a pre-activation)")
        else:
            c.boolean(value, key)
        if name == "distinct_classes":
            C = problem.sizes[-1]
            classes = 2 if C == 1 else C
            if problem.predict is not None:
                n = problem.predict.shape[1]
                if n > classes:
                    c.fail(key, f"{n} query points cannot have pairwise different classes: the network "
                                f"has {classes} classes")
            elif problem.X.shape[1] < 2:
                c.fail(key, "without query points, the training samples' classes must differ, and there "
                            "is one sample; give query points (predict) or more samples")
        out[name] = value
    return out


def check(kind, problem, result, require):
    """The names of the requirements of ``require`` (a mapping as the sheet writes it,
    e.g. {no_dead_relu: true, max_abs_z: 4}) that this variant breaks; ``result`` is the
    trace (layered) or the graph solution. A requirement set to false or null is not
    asked for. InputError as :func:`requirements` says.

    >>> from backprop_solver import spec, trace
    >>> p = spec.parse({"network": {"sizes": [1, 1], "activation": "relu", "weights": -1},
    ...                 "loss": "squared_error", "learning_rate": 1, "data": [{"x": 1, "y": 1}]})
    >>> check("layered", p, trace.trace(p), {"no_dead_relu": True, "max_abs_z": 2})
    ['no_dead_relu']
    """
    asked = requirements(kind, problem, require)
    return [name for name, value in asked.items() if not REQUIREMENTS[name][1](kind, problem, result, value)]


def _solve(kind, problem):
    if kind == "graph":
        from . import graph
        return graph.solve(problem)
    if kind == "layered" and problem.record == "full":
        from . import trace
        return trace.trace(problem)
    return None  # derivations alone, a training run recorded as a summary


def _has_grid(v):
    if is_grid(v):
        return True
    if isinstance(v, dict):
        return any(_has_grid(e) for e in v.values())
    if isinstance(v, list):
        return any(_has_grid(e) for e in v)
    return False


def make(data, file, seed, variant, index, require=None, tries=100):
    """Variant ``variant`` (from 1) of the ``index``-th problem mapping ``data`` of a sheet:
    (concrete data, kind, problem, result), result the trace (layered, full record), the
    graph solution, or None (derivations alone, a summary run).

    Draw ``attempt`` 0, 1, ... (:func:`rng_for`) until one meets ``require``, at most
    ``tries`` draws; if none does, InputError(file, "require", which requirements failed
    in how many draws and what to change). A draw that parse or trace refuses (a bad
    sheet, numbers that overflow) raises its InputError, "(in variant v, as drawn)"
    added to its message when the problem has grids: the sheet is the author's to fix.
    """
    if isinstance(tries, bool) or not isinstance(tries, int) or tries < 1:
        raise ValueError(f"tries must be a whole number >= 1, got {tries!r}")
    failed = Counter()
    for attempt in range(tries):
        concrete = draw(data, rng_for(seed, variant, index, attempt), file)
        try:
            kind, problem = parse_problem(concrete, file)
            result = _solve(kind, problem)
        except InputError as e:
            if not _has_grid(data):
                raise
            raise InputError(e.file, e.key, f"{e.message} (in variant {variant}, as drawn)") from None
        broken = check(kind, problem, result, require)
        if not broken:
            return concrete, kind, problem, result
        failed.update(broken)
    asked = requirements(kind, problem, require)
    parts = []
    for name, n in failed.most_common():
        what = f"max_abs_z (|z| < {show(asked[name])})" if name == "max_abs_z" else name
        parts.append(f"{what} failed in {n} of {tries} draws: {HINTS[name]}")
    together = " (each was met in some draws, never all at once)" if max(failed.values()) < tries else ""
    raise InputError(file, "require", f"no draw of variant {variant} met the requirements{together}; "
                                      + "; ".join(parts))


# ---------------------------------------------------------------------------- YAML

class _Dumper(yaml.SafeDumper):
    def ignore_aliases(self, data):
        return True


def _numbers_only(v):
    if isinstance(v, list):
        return all(_numbers_only(e) for e in v)
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _scalar(v):
    return v is None or isinstance(v, (bool, int, float)) or (isinstance(v, str) and len(v) <= 40)


def _represent_list(dumper, v):
    """Flow style for a vector, a matrix and a short list of names ([relu, sigmoid]); a list
    of matrices is a block list of them, one matrix a line."""
    flow = bool(v) and (_numbers_only(v) and all(not isinstance(e, list) or not any(isinstance(f, list) for f in e)
                                                 for e in v)
                        or len(v) <= 20 and all(_scalar(e) for e in v))
    return dumper.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=flow)


def _represent_dict(dumper, v):
    flow = bool(v) and len(v) <= 12 and all(isinstance(k, str) for k in v) and all(
        e is None or (_numbers_only(e) and not isinstance(e, list)) for e in v.values())
    return dumper.represent_mapping("tag:yaml.org,2002:map", v, flow_style=flow)


def _represent_float(dumper, v):
    text = repr(v)
    if math.isfinite(v) and ("e" in text or "E" in text) and -7 <= Decimal(text).adjusted() < 16:
        text = format(Decimal(text), "f")  # 0.000001, not 1e-06
        if "." not in text:
            text += ".0"
        return dumper.represent_scalar("tag:yaml.org,2002:float", text)
    return yaml.SafeDumper.represent_float(dumper, v)


_Dumper.add_representer(list, _represent_list)
_Dumper.add_representer(dict, _represent_dict)
_Dumper.add_representer(float, _represent_float)


def to_yaml(concrete):
    """A concrete problem mapping as YAML that ``backprop solve`` reads back to the same
    numbers: keys in their order, vectors, matrices (a list of them one a line), short lists
    of names and small mappings of names to numbers (a graph's inputs) in flow style, every
    number as its short decimal.

    >>> print(to_yaml({"learning_rate": 0.3, "data": [{"x": [0.1, 2e-06], "y": [1, 0]}]}), end="")
    learning_rate: 0.3
    data:
    - x: [0.1, 0.000002]
      y: [1, 0]
    """
    return yaml.dump(concrete, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)
