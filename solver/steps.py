"""Derivations written step by step, every step an equality SymPy has checked.

A derivation is what a person writes on paper: a left-hand side, then a column of
``= ...`` rows, each with a few words saying why it follows (the chain rule, the
quotient rule, one-hot targets). Here each row is a :class:`Step`: its right-hand side
as written (TeX with notation tokens, filled in by solver.document.derivation) *and*
as a SymPy expression; a :class:`Chain` is a left-hand side, its true value (what SymPy
computes from the definitions: a derivative of the loss, of the activation) and its
steps. :func:`check` proves every row equal to the one before it:

1. ``simplify(lhs - rhs) == 0``, after cheaper exact tries: expand, cancel with each
   e^z written as a positive symbol (softmax's sums of exponentials; sinh, cosh and
   tanh written with e^z first), cancel, every branch of a Piecewise
   cancelling (simplify itself is left out for Piecewise, where it takes minutes); or,
   where SymPy cannot decide,
2. a numeric check at several random points with mpmath at 40 significant digits
   (never when the expressions hold undefined functions, which have no numbers).

A step that fails raises :class:`StepError` when the derivation is built: a bug in the
derivation, never a document with a wrong step in it. Values may depend on an
*instance* (a dict: the number of output units, the indices i and j, the symbols of a
small network), so that a step written for any C or any unit is checked for several.

Checked derivations are plain data (:meth:`Derivation.to_json`: text and TeX with
tokens) and cached on disk like solver.derive's, keyed by a digest of the modules that
make them, so a warm run never imports SymPy.

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> check(Chain("f", sp.diff(x ** 2, x), [Step("2 x", 2 * x, "power rule")]))
    >>> check(Chain("f", sp.diff(x ** 2, x), [Step("x", x)]))
    Traceback (most recent call last):
    ...
    solver.steps.StepError: f: the step = x does not follow (instance {})
"""

import hashlib
import json
import random
from dataclasses import dataclass, field
from pathlib import Path

#: a digest of the modules that make and check derivations: a change to any of them
#: makes old cache files unused
_SOURCES = ("steps.py", "derivations.py", "functions.py", "derive.py")
VERSION = hashlib.sha256(b"".join((Path(__file__).parent / f).read_bytes() for f in _SOURCES)).hexdigest()[:12]

#: digits of the numeric check, and its points
DIGITS = 40
POINTS = 12


class StepError(AssertionError):
    """A step of a derivation that SymPy could not prove: a bug, raised at build time."""


@dataclass
class Step:
    """One row ``= tex`` of a chain: ``tex`` is the right-hand side as written (TeX with
    notation tokens), ``value`` the same as SymPy (an expression, or a function of the
    instance), ``why`` the justification (plain words, ``$...$`` for mathematics).

    ``given`` (a function of the instance giving substitutions) is what the step
    assumes, applied to both sides before they are compared: one-hot targets replace
    the last target by 1 minus the others."""
    tex: str
    value: object
    why: str = ""
    given: object = None
    rel: str = "="


@dataclass
class Chain:
    """``lhs = step_1 = step_2 = ...``: ``value`` is the true value of the left-hand side
    (an expression or a function of the instance), ``instances`` the instances every
    step is checked on."""
    lhs: str
    value: object
    steps: list
    instances: list = field(default_factory=lambda: [{}])

    def written(self):
        return [{"lhs": self.lhs if k == 0 else "", "rel": s.rel, "rhs": s.tex, "why": s.why}
                for k, s in enumerate(self.steps)]


@dataclass
class Fact:
    """A statement that is checked but is not an equality chain: ``holds(instance)``
    returns True (shapes that agree, the engine's derivative at a kink); ``rows`` are
    shown as a chain's rows are (dicts of lhs, rel, rhs, why)."""
    lines: list
    holds: object
    instances: list = field(default_factory=lambda: [{}])
    what: str = ""

    def written(self):
        return self.lines


@dataclass
class Definition:
    """A displayed equation that defines something (softmax, the loss): shown, not a
    claim, so not checked."""
    tex: str


@dataclass
class Derivation:
    """A titled derivation: ``parts`` in order, each a ``str`` (a sentence, ``$...$``
    for mathematics with notation tokens), a :class:`Definition`, a :class:`Chain` or a
    :class:`Fact`; ``fill`` says how the tokens are filled in (``{"arg": True}``: ZZ is
    a function's argument; ``{"unit": "k"}``: a bare YH is unit k)."""
    name: str
    title: str
    parts: list
    fill: dict = field(default_factory=dict)

    def check(self):
        for p in self.parts:
            if isinstance(p, Chain):
                check(p)
            elif isinstance(p, Fact):
                for inst in p.instances:
                    if not p.holds(inst):
                        raise StepError(f"{self.name}: {p.what or p.lines} does not hold (instance {inst})")
        return self

    def to_json(self):
        parts = []
        for p in self.parts:
            if isinstance(p, str):
                parts.append({"text": p})
            elif isinstance(p, Definition):
                parts.append({"math": p.tex})
            elif p.written():
                parts.append({"rows": p.written()})
        return {"name": self.name, "title": self.title, "parts": parts, "fill": self.fill}


def _value(v, inst):
    return v(inst) if callable(v) else v


def check(chain):
    """Prove every step of ``chain`` equal to the one before it, on every instance;
    StepError names the first that is not."""
    for inst in chain.instances:
        prev = _value(chain.value, inst)
        for s in chain.steps:
            cur = _value(s.value, inst)
            a, b = prev, cur
            if s.given is not None:
                subs = s.given(inst)
                a, b = a.subs(subs), b.subs(subs)
            if not equal(a, b):
                raise StepError(f"{chain.lhs}: the step {s.rel} {s.tex} does not follow (instance {_show(inst)})")
            prev = cur


def _show(inst):
    return {k: v for k, v in inst.items() if isinstance(v, (int, str))}


def equal(a, b):
    """a == b as SymPy decides it: expand, cancel or simplify the difference to 0; where
    those cannot decide (and no undefined function is involved), agreement to 30 digits
    at :data:`POINTS` random points (mpmath at :data:`DIGITS` digits).

    >>> import sympy as sp
    >>> x = sp.Symbol("x")
    >>> equal(sp.tanh(x), sp.sinh(x) / sp.cosh(x)), equal(x, x + 1)
    (True, False)
    """
    import sympy as sp

    a, b = sp.sympify(a), sp.sympify(b)
    if isinstance(a, sp.MatrixBase) or isinstance(b, sp.MatrixBase):
        return a.shape == b.shape and all(equal(x, y) for x, y in zip(a, b))
    d = a - b
    if d == 0:
        return True
    tries = [sp.expand, lambda e: _exp_free(sp, e), sp.cancel, lambda e: _branches(sp, e)]
    if not d.has(sp.Piecewise):  # simplify takes minutes on nested Piecewise: numbers decide
        tries.append(lambda e: sp.simplify(e.doit()))
    for tidy in tries:
        try:
            if tidy(d) == 0:
                return True
        except (TypeError, ValueError, NotImplementedError):
            pass
    return _numerically_zero(sp, d)


def _exp_free(sp, e):
    """``e`` with every symbol s under an exp written log(S) (S > 0), cancelled: softmax's
    sums of exponentials become rational functions, which cancel decides exactly."""
    if e.has(sp.sinh, sp.cosh, sp.tanh):
        e = e.rewrite(sp.exp)
    under = set().union(*[x.free_symbols for x in e.atoms(sp.exp)]) if e.has(sp.exp) else set()
    if not under:
        return e
    return sp.cancel(sp.together(e.subs({s: sp.log(sp.Symbol(f"E_{s}", positive=True)) for s in under})))


def _branches(sp, e):
    """0 if every branch of ``e`` (Piecewise folded out) cancels to 0, else ``e``."""
    f = sp.piecewise_fold(e)
    if isinstance(f, sp.Piecewise) and all(sp.cancel(sp.expand(v)) == 0 for v, _ in f.args):
        return sp.Integer(0)
    return e


def _numerically_zero(sp, d):
    import mpmath
    from sympy.core.function import AppliedUndef

    d = d.doit()
    if d.atoms(AppliedUndef) or d.has(sp.Derivative, sp.Subs):
        return False  # undefined functions have no numbers: SymPy's word is final
    symbols = sorted(d.free_symbols, key=str)
    f = sp.lambdify(symbols, d, modules="mpmath")
    rng = random.Random(20250602)  # the same points on every run
    with mpmath.workdps(DIGITS):
        for _ in range(POINTS):
            try:
                v = f(*[mpmath.mpf(repr(_draw(rng, s))) for s in symbols])
            except (TypeError, ValueError, ZeroDivisionError):
                return False
            if abs(v) > mpmath.mpf(10) ** -30:
                return False
    return True


def _draw(rng, s):
    """A random value for symbol ``s`` within what it assumes: (0.05, 0.95) for a
    positive one (outputs, probabilities), (-0.95, -0.05) for a negative one, else
    (-2, 2)."""
    if s.is_positive:
        return rng.uniform(0.05, 0.95)
    if s.is_negative:
        return -rng.uniform(0.05, 0.95)
    if s.is_nonpositive:
        return -rng.uniform(0.0, 0.95)
    return rng.uniform(-2, 2)


# ---------------------------------------------------------------------------------------
# the cache


def cached(key, build):
    """The checked derivation ``build()`` as JSON data, from the cache if there: ``key``
    names it (its kind and options); a miss builds, checks and stores it."""
    from .derive import _SYMPY_LOCK
    from .files import cache_dir, write_atomic

    key = json.loads(json.dumps(key))  # as it reads back (tuples are lists)
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()[:16]
    path = cache_dir() / f"steps_v{VERSION}_{digest}.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("version") == VERSION and data.get("key") == key:
            return data["derivation"]
    except (OSError, ValueError):
        pass
    with _SYMPY_LOCK:  # SymPy runs one derivation at a time (solve -j uses threads)
        data = build().check().to_json()
    try:
        write_atomic(path, json.dumps({"version": VERSION, "key": key, "derivation": data},
                                      indent=1).encode("utf-8"))
    except OSError:
        pass  # a read-only cache only costs time
    return data
