"""The numbers of a numeric graph problem: values, local derivatives, adjoints, updates.

Every number of the problem file is the decimal it is written as; :func:`numbers`
computes with :class:`solver.graph.exact.Calculator` at DIGITS significant digits and
again at twice as many (up to MAX_DIGITS) until the two agree, so that every number
shown is the double nearest to the exact value, also where doubles cancel.
"""

from dataclasses import dataclass
from fractions import Fraction

from ..errors import InputError
from .dag import edges, loss_key
from .exact import Calculator, NumberError, to_float
from .language import LOSS_NAME

DIGITS = 50           # first working precision of the numbers (significant digits)
MAX_DIGITS = 800      # last one


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

    >>> from backprop_solver.graph import build, parse
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
    out = Numbers(*({k: to_float(v) for k, v in part.items()} for part in high), digits=2 * dps)
    g.cache["numbers"] = out
    return out


def _numbers_at(g, order, raw, dps):
    """(values, local derivatives, adjoints, updated) at ``dps`` digits, exact where rational."""
    p = g.problem
    calc = Calculator(dps)
    values = {n: p.number(n) for n in p.leaves}

    def at(key, e):
        try:
            return calc.ev(e, values)
        except NumberError as err:
            raise InputError(p.file, key, f"the value is not a finite number with the numbers "
                                          f"given ({err})") from None

    for n in g.order:
        if n in g.expr:
            values[n] = at(loss_key(n), g.expr[n])
    local = {(c, n): at(loss_key(c), d) for (c, n), d in raw.items()}
    adjoint = {LOSS_NAME: Fraction(1)}
    for n in order:
        try:
            adjoint[n] = calc.add([calc.mul([adjoint[c], local[(c, n)]])
                                   for c in g.children[n] if (c, n) in local])
        except NumberError:
            raise InputError(p.file, loss_key(n) if n in g.expr else f"graph.{_part(p, n)}.{n}",
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


def evaluate(g):
    """The value of every node (a float correctly rounded from the exact value).

    >>> from backprop_solver.graph import build, parse
    >>> from backprop_solver.graph import build, parse
    >>> g = build(parse({"graph": {"inputs": {"x": 2}, "parameters": {"w": 3},
    ...                            "define": {"y": "relu(w*x - 7)"}}}))
    >>> evaluate(g)["y"]
    0.0
    """
    p = g.problem
    calc = Calculator(DIGITS)
    values = {n: p.number(n) for n in p.leaves}
    for n in g.order:
        if n in g.expr:
            try:
                values[n] = calc.ev(g.expr[n], values)
            except NumberError as err:
                raise InputError(p.file, loss_key(n), f"the value is not a finite number with the "
                                                  f"numbers given ({err})") from None
    return {n: to_float(v) for n, v in values.items()}
