"""The SymPy side of the graph language: its functions as SymPy functions, and building
expressions without letting SymPy evaluate functions of long arguments.

The registry's functions (:mod:`solver.functions`, ``graph = "function"``) become SymPy
functions here, each made from the one definition there, its ``formula``:

* the function takes its value at rational arguments where its formula is a Piecewise
  whose piece there is rational (relu(-2) = 0, elu(3) = 3; elu(-1) stays as written);
* its derivative is a function of its own named ``fprime_name`` (relu' is step), made
  from the formula's derivative in the same way, so the kinks are the registry's:
  relu'(0) = 0, leaky_relu'(0) = slope, elu'(0) = alpha; or, with
  ``fprime_of_output``, f' written in f's own value (sigma' = sigma (1 - sigma));
* it is typeset as ``tex`` (with the option as a subscript) and f' as ``fprime_tex``;
* its numbers are computed from ``stable_formula`` (see :mod:`solver.graph.exact`,
  which reads ``numbers_form`` of each such function).

|z| is the language's own (its derivative is sign(z): SymPy's |z|' brings in arg and
atan2 terms). Nothing here evaluates in floats. SymPy is imported inside the
functions, so importing the graph package costs the layered pipeline nothing.
"""

import functools
import threading

from .language import registry_functions

SMALL_ARG = 24        # nodes of a function's argument SymPy may evaluate it on (see call)


def made_once(make):
    """``make()`` cached, and made once even when threads first ask for it together (a
    folder is solved in threads): two relu classes would make the relu of one problem
    unknown to the code that looks for relu (the ReLU pieces of a decision boundary).
    ``cache_clear`` makes it anew on the next call."""
    cached, lock = functools.lru_cache(maxsize=None)(make), threading.Lock()

    @functools.wraps(make)
    def once():
        with lock:
            return cached()

    once.cache_clear = cached.cache_clear
    return once


@made_once
def functions():
    """{name: SymPy function}: "sp" (SymPy itself), "Abs", each registry function of the
    language by its name and each of their derivatives by its ``fprime_name``."""
    import sympy as sp

    class Abs(sp.Function):
        """|z|, with derivative sign(z) (0 at 0)."""

        @classmethod
        def eval(cls, z):
            if isinstance(z, sp.Rational):
                return abs(z)

        def fdiff(self, argindex=1):
            return call(sp.sign, self.args[0])

        def _latex(self, printer, exp=None):
            return with_exp(r"\left|%s\right|" % printer._print(self.args[0]), exp)

    out = {"sp": sp, "Abs": Abs}
    for name, entry in registry_functions().items():
        if entry.graph == "function":
            out.update(_from_registry(sp, entry))
    return out


def _from_registry(sp, entry):
    """{name: SymPy function} of one registry function and of its derivative."""
    Z, P = sp.Dummy("z", real=True), sp.Dummy("p", real=True)  # (a quantity may be called z)
    params = (Z, P) if entry.option is not None else (Z,)
    option = P if entry.option is not None else None
    value = entry.formula(sp, Z, option)
    slope = sp.diff(value, Z)

    def latex(tex):
        def _latex(self, printer, exp=None):
            words = {"z": printer._print(self.args[0])}
            if len(self.args) > 1:
                words["p"] = decimal_tex(printer, self.args[1])
            return with_exp(tex % words, exp)
        return _latex

    def function(name, form, numbers, fdiff, tex):
        def derivative(self, argindex=1):
            return fdiff(self, argindex)

        space = {"fdiff": derivative, "_latex": latex(tex), "numbers_form": (params, numbers),
                 "__doc__": f"{name}: made from backprop_solver.functions ({entry.name})"}
        if isinstance(form, sp.Piecewise):
            # the value at rational arguments; SymPy reads the number of arguments from
            # eval (a function without eval takes any number: it sorts before the others)
            if len(params) == 1:
                def eval(cls, z):
                    return _rational_value(sp, form, params, (z,))
            else:
                def eval(cls, z, p):
                    return _rational_value(sp, form, params, (z, p))
            space["eval"] = classmethod(eval)
        return type(name, (sp.Function,), space)

    def by_option(self, argindex):  # d/d(option): never asked (the option is a number)
        return _rebuilt(sp, sp.diff(value, params[argindex - 1]), params, self.args)

    out = {}
    if entry.fprime_name is not None:
        def step_fdiff(self, argindex):
            return _rebuilt(sp, sp.diff(slope, params[argindex - 1]), params, self.args)
        step = function(entry.fprime_name, slope, slope, step_fdiff, entry.fprime_tex)
        out[entry.fprime_name] = step

        def value_fdiff(self, argindex):
            return call(step, *self.args) if argindex == 1 else by_option(self, argindex)
    elif entry.fprime_of_output(sp, Z) is not None:
        A = sp.Dummy("a", real=True)
        in_output = entry.fprime_of_output(sp, A)

        def value_fdiff(self, argindex):  # (self is not walked: it holds no A)
            return plug(in_output, {A: self}, {self: self}) if argindex == 1 else by_option(self, argindex)
    else:
        def value_fdiff(self, argindex):
            return _rebuilt(sp, sp.diff(value, params[argindex - 1]), params, self.args)
    tex = entry.tex + ("_{%(p)s}" if entry.option is not None else "") + r"\left(%(z)s\right)"
    out[entry.name] = function(entry.name, value, entry.stable_formula(sp, Z, option), value_fdiff, tex)
    return out


def _rational_value(sp, form, params, args):
    """The value of a Piecewise ``form`` at rational ``args`` when it is rational, else None."""
    if not all(isinstance(a, sp.Rational) for a in args):
        return None
    v = form.xreplace(dict(zip(params, args)))
    return v if isinstance(v, sp.Rational) else None


def _rebuilt(sp, form, params, args):
    """``form`` (in ``params``) at ``args``, built through :func:`plug`."""
    return plug(form, dict(zip(params, args)), {})


def call(f, *args):
    """f(*args), evaluated by SymPy only when the first argument is small.

    SymPy evaluates every function it builds (tanh(-z) -> -tanh(z), exp(0) -> 1) by
    asking questions of the argument (is it zero? real? odd?); on a long nested argument
    the answers can take minutes. Past SMALL_ARG operations the call is kept as written.
    """
    return f(*args) if small(args[0]) else f(*args, evaluate=False)


def construct(func, *args):
    """func(*args) for Add, Mul and Pow, evaluated by SymPy unless an argument is heavy.

    Building a sum, product or power asks questions of its parts (is it zero? infinite?)
    which, of a function of a long argument, can take minutes: such parts are put
    together as written.
    """
    if any(heavy(a) for a in args):
        return func(*args, evaluate=False)
    return func(*args)


@functools.lru_cache(maxsize=4096)
def heavy(e):
    """True when e holds a function of an argument of more than SMALL_ARG nodes."""
    sp = functions()["sp"]
    if not isinstance(e, sp.Basic) or not e.args:
        return False
    if isinstance(e, sp.Function) and not all(small(a) for a in e.args):
        return True
    return any(heavy(a) for a in e.args)


def small(e, limit=None):
    """True when e has at most ``limit`` (SMALL_ARG) nodes, counted with an early stop."""
    limit = SMALL_ARG if limit is None else limit
    sp = functions()["sp"]
    for i, _ in enumerate(sp.preorder_traversal(e)):
        if i > limit:
            return False
    return True


def plug(e, table, memo):
    """e with each symbol in ``table`` replaced by its expression, recursively; functions
    are rebuilt through :func:`call`, sums, products and powers through :func:`construct`."""
    if e in memo:
        return memo[e]
    if e in table:
        out = plug(table[e], table, memo)
    elif not e.args:
        out = e
    else:
        args = [plug(a, table, memo) for a in e.args]
        if all(a is b for a, b in zip(args, e.args)):
            out = e
        elif isinstance(e, functions()["sp"].Function):
            out = call(e.func, *args)
        elif e.is_Add or e.is_Mul or e.is_Pow:
            out = construct(e.func, *args)
        else:
            out = e.func(*args)
    memo[e] = out
    return out


def decimal_tex(printer, r):
    """A rational number as the decimal it was written as when it has one (1/100 -> 0.01).

    >>> import sympy
    >>> decimal_tex(None, sympy.Rational(1, 100)), decimal_tex(None, sympy.Rational(-5, 2))
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


def with_exp(tex, exp):
    """A function's LaTeX raised to a power (SymPy's printer passes ``exp`` for f(z)^2)."""
    return tex if exp is None else r"\left(%s\right)^{%s}" % (tex, exp)


def sympy_functions():
    """SymPy and three functions of the language: (sp, relu, sigmoid, step)."""
    f = functions()
    return f["sp"], f["relu"], f["sigmoid"], f["step"]
