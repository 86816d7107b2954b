"""Numbers to many digits that know when they are zero: the layered engine's exact mode.

The engine (solver.trace, solver.functions) is written once, in NumPy, and runs on two
kinds of arrays: float64 for large problems, and object arrays of :class:`Real` for
problems of hand-calculation size. NumPy hands the arithmetic of an object array to its
elements (``np.exp(a)`` calls ``x.exp()`` on each), so every formula is the same code.

Why not exact rationals? Sigmoid, tanh, softmax and the logarithmic losses leave the
rationals after one layer, and the rational parts grow without bound over many updates;
what matters is that the *decisions* are exact: is z on the kink of relu, is this
difference 0, which class is larger. A :class:`Real` is a :class:`decimal.Decimal` of
P significant digits (the C library in Python's standard library: fast, correctly
rounded, and it holds the decimals of a problem file exactly) that also carries a
bound on its rounding error, propagated to first order (err(a + b) = err(a) + err(b),
err(ab) = |a| err(b) + |b| err(a), err(f(x)) = |f'(x)| err(x), each operation adding
its own rounding). A sum that cancels to below its own rounding error is
exactly 0 (the *zero rule*), and comparisons are decided on such differences. So
z = 0.5*1 - 0.3*2 + 0.1 is 0, not 2.8e-17, relu'(z) = 0 and sign(0) = 0 for L1,
whatever binary floats would say.

Every input number is the decimal it is written as: a Python float is read as its
shortest decimal (``repr``), which is the number as written for up to 15 significant
digits; integers and fractions are exact.

Arithmetic runs in the thread's decimal context (``with working(P):``), so problems
traced in parallel threads never share a precision. Two guards make the result
trustworthy (see solver.trace): the working precision grows with the largest |z| of a
saturating unit, so 1 - sigma(z) ~ e^-|z| is never rounded away; and every trace is
computed twice, at P and 2P digits, and must agree, zeros and kinks included (a real
value smaller than the rounding error at P would not be zero at 2P).
"""

import decimal
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np

#: decimal digits of slack in the zero rule for rounding errors that add up
GUARD = 8
_0 = Decimal(0)


def working(digits):
    """The decimal context of exact mode, ``digits`` significant digits, to use as
    ``with working(digits): ...``; no exponent limit a trace could reach."""
    ctx = decimal.Context(prec=digits, Emax=decimal.MAX_EMAX, Emin=decimal.MIN_EMIN,
                          traps=[decimal.InvalidOperation, decimal.DivisionByZero])
    return decimal.localcontext(ctx)


_TOLERANCES = {}


def _tolerance():
    """10^(GUARD - P): a number below its error bound times this is rounding noise."""
    prec = decimal.getcontext().prec
    tol = _TOLERANCES.get(prec)
    if tol is None:
        tol = _TOLERANCES[prec] = Decimal(10) ** (GUARD - prec)
    return tol


def _extra(v):
    """Digits to add so that 1 + v (or e^v - 1) keeps P digits of v itself."""
    return max(0, -v.adjusted()) + 3 if v else 0


def _negligible(v):
    """|v| < 10^-P: then ln(1 + v), e^v - 1, tanh v and sinh v are v to the working
    precision (their next terms are v^2 / 2 and v^3 / 6), with no extra digits to work with."""
    return v and v.adjusted() < -decimal.getcontext().prec


class Real:
    """A real number to the working precision, with its rounding-error bound.

    ``e`` is the error bound in units of the working precision: the number's rounding
    error is at most about e * 10^-P. It is 0 for a number held exactly.

    >>> with working(40):
    ...     z = real(0.5) * 1 + real(-0.3) * 2 + real(0.1)
    ...     print(z == 0, z > 0, float(z))
    True False 0.0

    1 - tanh(30) = 1.75e-26 keeps P - 26 digits: the engine picks P from the largest |z|.

    >>> with working(70):
    ...     float(1 - real(30).tanh())
    1.751302152539304e-26
    """

    __slots__ = ("v", "e")

    def __init__(self, v, e):
        self.v, self.e = v, e

    def __float__(self):
        return float(self.v) + 0.0  # never -0.0

    def __repr__(self):
        return f"Real({self.v:.20g})"

    # ---- arithmetic: error bounds to first order, each operation adding its own rounding
    def __add__(self, x):
        x = real(x)
        return _sum(self.v + x.v, self.e + x.e)

    __radd__ = __add__

    def __sub__(self, x):
        x = real(x)
        return _sum(self.v - x.v, self.e + x.e)

    def __rsub__(self, x):
        return real(x) - self

    def __mul__(self, x):
        x = real(x)
        v = self.v * x.v
        if not v:
            return Real(_0, _0)
        return Real(v, abs(self.v) * x.e + abs(x.v) * self.e + abs(v))

    __rmul__ = __mul__

    def __truediv__(self, x):
        x = real(x)
        v = self.v / x.v  # DivisionByZero is trapped: never an infinity
        if not v:
            return Real(_0, _0)
        return Real(v, (self.e + abs(v) * x.e) / abs(x.v) + abs(v))

    def __rtruediv__(self, x):
        return real(x) / self

    def __pow__(self, k):
        if not (isinstance(k, int) and k >= 1):
            return NotImplemented
        out = self
        for _ in range(k - 1):
            out = out * self
        return out

    def __neg__(self):
        return Real(-self.v, self.e)

    def __pos__(self):
        return self

    def __abs__(self):
        return Real(abs(self.v), self.e)

    # ---- comparisons, decided on the exact-zero-aware difference
    def _cmp(self, x):
        d = (self - x).v
        return (d > 0) - (d < 0)

    def __lt__(self, x):
        return self._cmp(x) < 0

    def __le__(self, x):
        return self._cmp(x) <= 0

    def __gt__(self, x):
        return self._cmp(x) > 0

    def __ge__(self, x):
        return self._cmp(x) >= 0

    def __eq__(self, x):
        return self._cmp(x) == 0

    def __ne__(self, x):
        return self._cmp(x) != 0

    __hash__ = None

    # ---- functions (NumPy calls these for np.exp, np.log, ... on object arrays):
    # error |f'(x)| e(x) carried from x, plus the rounding of f(x)
    def _f(self, v, fprime):
        v = +v  # rounded to the working precision
        return Real(v, abs(fprime) * self.e + abs(v))

    def exp(self):
        v = self.v.exp()
        return self._f(v, v)

    def _near_0(self, f, fprime):
        """f(x) for a function that is x to first order near 0 (e^x - 1, ln(1 + x),
        tanh, sinh): worked with the digits that 1 + x would lose, or x itself when
        it is below the working precision."""
        x = self.v
        if _negligible(x):
            return self._f(x, 1)
        with decimal.localcontext() as c:
            c.prec += _extra(x)
            v = f(x)
        return self._f(v, fprime(x))

    def expm1(self):
        return self._near_0(lambda x: x.exp() - 1, lambda x: x.exp())

    def log(self):
        return self._f(self.v.ln(), 1 / self.v)

    def log1p(self):
        return self._near_0(lambda x: (1 + x).ln(), lambda x: 1 / (1 + x))

    def tanh(self):
        def tanh(x):
            e = (-2 * abs(x)).exp()
            return ((1 - e) / (1 + e)).copy_sign(x) if x else x
        return self._near_0(tanh, lambda x: 1)  # tanh' = sech^2 <= 1

    def cosh(self):
        e = abs(self.v).exp()
        v = (e + 1 / e) / 2
        return self._f(v, v)  # |sinh| <= cosh

    def sinh(self):
        def sinh(x):
            e = abs(x).exp()
            return ((e - 1 / e) / 2).copy_sign(x) if x else x
        return self._near_0(sinh, lambda x: abs(x).exp())


def _sum(v, e):
    """A sum or difference with error bound e (before its own rounding): exactly 0
    when it is below that bound, the rounding noise of a cancellation."""
    if abs(v) <= e * _tolerance():
        return Real(_0, _0)
    return Real(v, e + abs(v))


def real(x):
    """``x`` (int, float, Fraction, NumPy scalar) as a Real; a float is read as its
    shortest decimal, the number as it was written.

    >>> with working(30):
    ...     float(real(0.1) * 3 - real(0.3)), float(real(1e-300).log1p()), float(real(-1e-300).tanh())
    ...     real(Fraction(1, 4)).e == 0, real(Fraction(1, 3)).e > 0
    (0.0, 1e-300, -1e-300)
    (True, True)
    """
    if isinstance(x, Real):
        return x
    if isinstance(x, (float, np.floating)):
        if not math.isfinite(x):
            raise ValueError(f"not a finite number: {x}")
        v = Decimal(float.__repr__(float(x)))
    elif isinstance(x, (bool, np.bool_, int, np.integer)):
        v = Decimal(int(x))
    elif isinstance(x, Fraction):
        with decimal.localcontext() as c:  # 1/3 is rounded, 1/4 is not
            c.clear_flags()
            v = Decimal(x.numerator) / x.denominator
            if c.flags[decimal.Inexact]:
                return Real(v, abs(v))
    else:
        raise TypeError(f"cannot read {type(x).__name__} as a number")
    w = +v  # rounded to the working precision: exact for every decimal of a problem file
    return Real(w, _0 if w == v else abs(w))


def array(a):
    """A float array (or None) as an object array of Reals."""
    if a is None:
        return None
    a = np.asarray(a)
    out = np.empty(a.size, dtype=object)
    out[:] = [real(x) for x in a.reshape(-1).tolist()]
    return out.reshape(a.shape)


def to_float(a):
    """An object array of Reals (or numbers) as float64, each correctly rounded."""
    if a is None:
        return None
    a = np.asarray(a)
    if a.dtype != object:
        return a.astype(float)
    return np.array([float(x) for x in a.reshape(-1)], dtype=float).reshape(a.shape)


def is_exact(a):
    """True for an object array (the exact mode), False for float64."""
    return getattr(a, "dtype", None) == object
