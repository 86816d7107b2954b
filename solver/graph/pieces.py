"""The linear pieces of a ReLU network of two inputs and its decision boundary.

Every relu(...) of the definitions is active or not; under each pattern of the units
the output is linear in the two inputs (:func:`linear_pieces`, in exact triples
(a1, a2, b) = a1 x1 + a2 x2 + b), and the region of the pattern is a convex polygon of
the drawing window (:func:`clip_polygon`, :func:`polygon_area`). This is relu's own
part of the graph package: the pieces are those of relu units.
"""

import math
from fractions import Fraction

from ..errors import InputError
from .language import MAX_EXPONENT
from .symbolic import functions

MAX_RELUS = 10


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
            self._conditions = [affine_expr(t, self._x) for t in self._conditions]
        return self._conditions

    @property
    def output(self):
        if self._x is not None and isinstance(self._output, tuple):
            self._output = affine_expr(self._output, self._x)
        return self._output

    @property
    def empty(self):
        return not self.polygon


class NotLinear(Exception):
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
    fs = functions()
    sp, relu = fs["sp"], fs["relu"]
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
            lin = Affine(g, leaves, on).all(p.define)
            conds = [lin.of(call.args[0], n) for n, call in calls]
            raw.append((pattern, conds, lin.node(p.boundary)))
    except NotLinear:
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
            poly = clip_polygon(poly, c if active else _neg(c), x)
            if not poly:
                break
        if polygon_area(poly) < 1e-9 * window ** 2:
            poly = []
        seg = _segment(poly, out, x) if poly else []
        pieces.append(Piece(number, pattern, conds, out, poly, seg, x))
    first = list(pieces[0].conditions) if pieces else []
    return pieces, first, window


class Affine:
    """Exact affine forms (a1, a2, b) of the nodes under one ReLU pattern."""

    def __init__(self, g, leaves, on):
        self.g, self.values, self.on = g, dict(leaves), on
        self.sp = functions()["sp"]

    def node(self, n):
        v = self.values.get(n)
        if v is None:  # not linear, or not known (a target without a value)
            raise NotLinear(n)
        return v

    def all(self, names):
        """Work out every node in order (a node that is not linear fails only when used)."""
        for n in names:
            try:
                self.values[n] = self.of(self.g.expr[n], n)
            except NotLinear:
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
                        raise NotLinear(e)
                    out = tuple(c * f[2] for c in out)
                else:
                    out = tuple(c * out[2] for c in f)
            return out
        if e.is_Pow:
            base, x = self.of(e.args[0], owner), self.of(e.args[1], owner)
            if x[0] or x[1] or base[0] or base[1] or x[2].denominator != 1 or abs(x[2]) > MAX_EXPONENT:
                raise NotLinear(e)
            if base[2] == 0 and x[2] < 0:
                raise NotLinear(e)
            return (zero, zero, base[2] ** int(x[2]))
        if type(e).__name__ == "relu":
            active = self.on.get((owner, e))
            if active is None:
                raise NotLinear(e)
            return self.of(e.args[0], owner) if active else (zero, zero, zero)
        raise NotLinear(e)


def _neg(t):
    return tuple(-c for c in t)


def affine_expr(t, x):
    """The SymPy expression a1 x1 + a2 x2 + b of an exact triple."""
    sp = functions()["sp"]
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


def clip_polygon(poly, e, x):
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


def polygon_area(poly):
    """The area of a polygon (a list of points; 0 for fewer than three)."""
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
