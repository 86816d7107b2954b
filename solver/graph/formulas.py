"""Formulas of a graph: differentiation by the chain rule and tidying under a budget.

:func:`derivative` differentiates by the chain rule here (:func:`chain`), building each
derivative of a function through :func:`solver.graph.symbolic.call` so that SymPy never
evaluates a function of a long argument; sums over vector components go to SymPy and
are collapsed (:func:`collapse`). :func:`tidy` replaces ``sympy.simplify`` (whose time
has no bound) with cheap rewrites of a formula of at most MAX_TIDY operations.
"""

import functools

from ..functions import ACTIVATIONS
from .symbolic import call, construct, functions, heavy, plug

MAX_TIDY = 60         # operations of a formula that is tidied (longer: written as computed)
MAX_CANCEL_OPS = 40   # operations of a formula put over one denominator (sympy.cancel)
MAX_CANCEL_TERMS = 64  # terms its expanded numerator and denominator may have


def ops(e):
    """SymPy's count of operations; counted on the tree for a heavy expression (count_ops
    rebuilds parts of it, and SymPy's questions about them can take minutes)."""
    sp = functions()["sp"]
    e = sp.sympify(e)
    if not heavy(e):
        return sp.count_ops(e)
    return sum(len(x.args) - 1 if x.is_Add or x.is_Mul else 1
               for x in sp.preorder_traversal(e) if x.args and not x.is_Number)


def tidy(e):
    """(the shortest of e and its cheap rewrites, True) or (e, False) when e is too long.

    The rewrites cost about the size of e: sinh/cosh -> tanh (and sin/cos -> tan),
    ``cancel`` when every power of a sum is small, then ``factor_terms``. Never
    ``sympy.simplify``, whose time has no bound a document can wait for.
    """
    sp = functions()["sp"]
    e = sp.sympify(e)
    if heavy(e) or ops(e) > MAX_TIDY:
        return e, False  # (rewriting would make SymPy evaluate functions of long arguments)
    s = tanh_rewrite(e)
    if small_polynomials(s):
        try:
            s = sp.cancel(s)
        except (sp.PolynomialError, ValueError, TypeError, NotImplementedError):
            pass
    return min((e, s, sp.factor_terms(s)), key=ops), True


def small_polynomials(e):
    """True when ``cancel`` may put e over one denominator and expand it cheaply: at most
    MAX_CANCEL_OPS operations and MAX_CANCEL_TERMS terms in the expanded products."""
    sp = functions()["sp"]
    if e.has(sp.Sum, sp.Indexed) or ops(e) > MAX_CANCEL_OPS:
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


def tanh_rewrite(e):
    """sinh(u)^a cosh(u)^-a -> tanh(u)^a and sin(u)^a cos(u)^-a -> tan(u)^a, in every product."""
    sp = functions()["sp"]
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
                        t = call(ratio, *base.args)
                        out[t] = out.get(t, 0) + x
                        changed = True
        return sp.Mul(*[b ** x for b, x in out.items()]) if changed else m

    if not e.has(sp.sinh, sp.sin):
        return e
    return e.replace(lambda q: q.is_Mul, fix)


def derivative(e, var):
    """de/dvar: SymPy's for sums over vector components, else by the chain rule here, with
    each derivative of a function built through :func:`call` (never evaluated on a long
    argument). Both give the same expressions on the short arguments of the exercises.

    >>> x = functions()["sp"].Symbol("x", real=True)
    >>> derivative(functions()["sp"].log(functions()["sp"].cosh(x) + x**2) * 3, x)
    3*(2*x + sinh(x))/(x**2 + cosh(x))
    """
    sp = functions()["sp"]
    if e.has(sp.Indexed, sp.Sum) or not isinstance(var, sp.Symbol):
        return collapse(sp.diff(e, var))
    return chain(e, var, {})


def chain(e, x, memo):
    sp = functions()["sp"]
    if e in memo:
        return memo[e]
    Add, Mul, Pow = (lambda *a: construct(sp.Add, *a)), (lambda *a: construct(sp.Mul, *a)), (lambda *a: construct(sp.Pow, *a))
    if not e.has(x):
        out = sp.Integer(0)
    elif e == x:
        out = sp.Integer(1)
    elif e.is_Add:
        out = Add(*[chain(a, x, memo) for a in e.args])
    elif e.is_Mul:
        terms = []
        for i, a in enumerate(e.args):
            da = chain(a, x, memo)
            if da != 0:
                terms.append(Mul(*e.args[:i], da, *e.args[i + 1:]))
        out = Add(*terms)
    elif e.is_Pow:
        b, n = e.args
        if not n.has(x):
            out = Mul(n, Pow(b, n - 1), chain(b, x, memo))
        elif not b.has(x):
            out = Mul(e, call(sp.log, b), chain(n, x, memo))
        else:
            out = Mul(e, Add(Mul(chain(n, x, memo), call(sp.log, b)), Mul(n, chain(b, x, memo), Pow(b, -1))))
    elif isinstance(e, sp.Function):
        terms = []
        for i, a in enumerate(e.args):
            da = chain(a, x, memo)
            if da != 0:
                terms.append(Mul(outer(e, i), da))
        out = Add(*terms)
    else:
        out = sp.diff(e, x)
    memo[e] = out
    return out


def outer(e, i):
    """The derivative of the function e = f(u, ...) by its i-th argument, at its arguments.

    The math functions of the language have their rules here; tanh', as the registry
    writes it, in tanh's own value (1 - tanh^2); every other function (the registry's,
    |.|, sign) gives its own ``fdiff`` (see :mod:`solver.graph.symbolic`).
    """
    sp = functions()["sp"]
    Mul, Pow = (lambda *a: construct(sp.Mul, *a)), (lambda *a: construct(sp.Pow, *a))
    u = e.args[0]
    name = type(e).__name__
    if name == "exp":
        return e
    if name == "log":
        return Pow(u, -1)
    if name == "tanh":
        A, form = _tanh_fprime()
        return plug(form, {A: e}, {e: e})
    if name == "sinh":
        return call(sp.cosh, u)
    if name == "cosh":
        return call(sp.sinh, u)
    if name == "sin":
        return call(sp.cos, u)
    if name == "cos":
        return Mul(-1, call(sp.sin, u))
    return e.fdiff(i + 1)


@functools.lru_cache(maxsize=None)
def _tanh_fprime():
    """(A, tanh' in tanh's own value A): the registry's 1 - A^2."""
    sp = functions()["sp"]
    A = sp.Dummy("a", real=True)
    return A, ACTIVATIONS["tanh"]().fprime_of_output(sp, A)


def collapse(e):
    """Sum_j KroneckerDelta(i, j) f(j)  ->  f(i): the derivative of a sum by one component."""
    sp = functions()["sp"]

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
