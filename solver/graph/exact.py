"""Exact numbers of SymPy expressions: rationals while the parts are rational, else mpmath.

:class:`Calculator` computes the value of a graph expression at given numbers: exact
(``fractions.Fraction``) while every part is rational, else an mpmath number at a chosen
precision. The functions of the registry (solver.functions) are computed from the
Piecewise or closed form they are made from (``numbers_form``, see
:mod:`solver.graph.symbolic`), with the conditions of their pieces tested as every kink
here is: exactly on exact values, within 10^(-digits/2) on the others. The math
functions of the language (exp, log, tanh, |.|, ...) are the ``f_`` methods.
"""

import math
import sys
from fractions import Fraction


class NumberError(Exception):
    """A value that is not a finite real number (overflow, log of x <= 0, 1/0, ...)."""


MAX_BITS = 20000                  # exact rationals beyond this many bits go on in mpmath
BIG = Fraction(sys.float_info.max)


class Calculator:
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
            if abs(v) > BIG:
                raise NumberError("overflow")
            if v.numerator.bit_length() + v.denominator.bit_length() > MAX_BITS:
                return self.mpf(v)
            return v
        if not self.ctx.isfinite(v) or abs(v) > self.big:
            raise NumberError("overflow")
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
        if e.is_Piecewise:
            for piece, condition in e.args:
                if self.holds(condition, env):
                    return self.ev(piece, env)
            raise NumberError("no piece of the function holds")
        form = getattr(e, "numbers_form", None)
        if form is not None:  # a registry function (solver.graph.symbolic)
            params, expr = form
            return self.ev(expr, {s.name: self.ev(a, env) for s, a in zip(params, e.args)})
        f = getattr(self, "f_" + type(e).__name__, None)
        if f is None:
            raise NumberError(f"{type(e).__name__} cannot be computed in numbers")
        return f(*[self.ev(a, env) for a in e.args])

    def holds(self, c, env):
        """Whether the condition c of a Piecewise holds: a > b when a - b is positive (see
        :meth:`positive`: a value on the kink within the working precision is not)."""
        if c == True:  # noqa: E712 (SymPy's true)
            return True
        if c == False:  # noqa: E712
            return False
        a, b = self.ev(c.lhs, env), self.ev(c.rhs, env)
        if c.rel_op in ("<", "<="):
            a, b = b, a
        d = a if isinstance(b, Fraction) and b == 0 else self.add([a, self.mul([Fraction(-1), b])])
        if c.rel_op in (">", "<"):
            return self.positive(d)
        if c.rel_op in (">=", "<="):
            return not self.positive(self.mul([Fraction(-1), d]))
        raise NumberError(f"the condition {c} cannot be computed in numbers")

    def pow(self, b, x):
        if isinstance(x, Fraction) and x.denominator == 1:
            k = x.numerator
            if self.zero(b):
                if k < 0:
                    raise NumberError("a division by zero")
                return Fraction(1) if k == 0 else Fraction(0)
            if isinstance(b, Fraction) and abs(k) * max(b.numerator.bit_length(), b.denominator.bit_length()) <= MAX_BITS:
                return self.ok(b ** k)
            m = self.mpf(b)
            if abs(k) * abs(self.ctx.log(abs(m), 2)) > 1100 and (abs(m) > 1) == (k > 0):
                raise NumberError("overflow")
            return self.ok(m ** k)
        if self.zero(b):
            if self.positive(x):
                return Fraction(0)
            raise NumberError("a division by zero")
        if not self.positive(b):
            raise NumberError("a root of a negative number")
        if isinstance(b, Fraction) and isinstance(x, Fraction) and x.denominator == 2 and abs(x.numerator) <= 64:
            rn, rd = math.isqrt(b.numerator), math.isqrt(b.denominator)
            if rn * rn == b.numerator and rd * rd == b.denominator:
                return self.pow(Fraction(rn, rd), Fraction(x.numerator))
        m, y = self.mpf(b), self.mpf(x)
        if y * self.ctx.log(m) > 710:
            raise NumberError("overflow")
        return self.ok(self.ctx.power(m, y))

    def f_exp(self, x):
        if isinstance(x, Fraction) and x == 0:
            return Fraction(1)
        if x > 710:
            raise NumberError("overflow")
        return self.ok(self.ctx.exp(self.mpf(x)))

    def f_log(self, x):
        if isinstance(x, Fraction) and x == 1:
            return Fraction(0)
        if not self.positive(x):
            raise NumberError("a logarithm of a number <= 0")
        return self.ok(self.ctx.log(self.mpf(x)))

    def _odd(self, f, x):
        return Fraction(0) if isinstance(x, Fraction) and x == 0 else self.ok(f(self.mpf(x)))

    def f_tanh(self, x):
        return self._odd(self.ctx.tanh, x)

    def f_sin(self, x):
        return self._odd(self.ctx.sin, x)

    def f_sinh(self, x):
        if abs(x) > 711:
            raise NumberError("overflow")
        return self._odd(self.ctx.sinh, x)

    def f_cosh(self, x):
        if abs(x) > 711:
            raise NumberError("overflow")
        return Fraction(1) if isinstance(x, Fraction) and x == 0 else self.ok(self.ctx.cosh(self.mpf(x)))

    def f_cos(self, x):
        return Fraction(1) if isinstance(x, Fraction) and x == 0 else self.ok(self.ctx.cos(self.mpf(x)))

    def f_Abs(self, x):
        return abs(x)

    def f_sign(self, x):
        return Fraction(0) if self.zero(x) else Fraction(1) if self.positive(x) else Fraction(-1)


def to_float(v):
    """The double nearest to v (exact Fraction or mpmath number); never -0.0."""
    if isinstance(v, Fraction):
        return float(v)
    from mpmath.libmp import round_nearest, to_float as mpf_to_float
    return mpf_to_float(v._mpf_, rnd=round_nearest) + 0.0
