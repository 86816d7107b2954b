"""Reading graph expressions: text in, SymPy out, checked before SymPy computes anything.

:class:`ExpressionParser` holds the names, vectors and sums of one graph; :class:`Parser`
is its recursive-descent reader of one text. The functions it calls are the language's
(see :mod:`solver.graph.language`): the math functions, max(0, z), Sum, and every
registry function with a graph form, called through :func:`registry_call`.
"""

import functools
import math
import re
from fractions import Fraction

from ..spec import SHOWN, suggest
from .exact import Calculator, NumberError
from .language import (MAX_DEPTH, MAX_EXPONENT, NUMBER, TOKEN, function_names, index_form,
                       registry_functions, written_option)
from .symbolic import call, construct, functions, plug

#: the modes of :meth:`ExpressionParser.parse`
COMPUTE, WRITTEN, LOOSE = "compute", "written", "loose"


class ExpressionParser:
    """Parse expression texts into SymPy for one graph: the names, vectors and sums it knows.

    The text is read by a small recursive-descent parser of its own (Python's operator
    precedence, ``^`` as ``**``), never by Python's ``eval``: so names are only names
    (``def``, ``True`` or ``Add`` as a quantity's name are harmless), numbers are the
    exact decimals written, and the size of powers and the depth of nesting are checked
    before SymPy computes anything.
    """

    def __init__(self, vectors, scalars):
        fs = functions()
        sp = fs["sp"]
        self.sp = sp
        self.vectors = {n: (sp.Integer(s) if isinstance(s, int) else sp.Symbol(s, integer=True, positive=True))
                        for n, s in vectors.items()}
        self.bases = {n: sp.IndexedBase(n, real=True) for n in vectors}
        self.scalars = {n: sp.Symbol(n, real=True) for n in scalars}
        one = {"exp": sp.exp, "log": sp.log, "ln": sp.log, "sqrt": sp.sqrt, "tanh": sp.tanh,
               "cosh": sp.cosh, "sinh": sp.sinh, "sin": sp.sin, "cos": sp.cos, "Abs": fs["Abs"],
               "abs": fs["Abs"]}
        self.functions = set(function_names())
        self.one = one

    def add_scalar(self, name):
        """Make the scalar ``name`` (a new definition) known to the expressions after it."""
        self.scalars[name] = self.sp.Symbol(name, real=True)

    def parse(self, text, known, mode=COMPUTE):
        """The SymPy expression of ``text``, using only names in ``known``; ValueError if not.

        ``mode`` is COMPUTE (the expression computed with), WRITTEN (the same text as
        written, for display: nothing evaluated or reordered, ``cosh(y - t)`` stays so;
        only for a text already parsed in COMPUTE mode) or LOOSE (a formula of a
        description: any name is a name, an unknown function a function, ``x^(k)`` a
        superscript (k); as written).
        """
        sp = self.sp
        stripped = NUMBER.sub("0", text)
        if not re.fullmatch(r"[A-Za-z0-9_+\-*/^()\[\], \t]*", stripped):
            bad = re.sub(r"[A-Za-z0-9_+\-*/^()\[\], \t]", "", stripped)[:1]
            raise ValueError(f"the character {bad!r} is not allowed in an expression")
        tokens, spans, pos = [], [], 0
        while pos < len(text):
            m = TOKEN.match(text, pos)
            if not m:  # a character allowed above in a place no token starts (a lone '.')
                raise ValueError(f"the character {text[pos]!r} is not allowed in an expression")
            if m.lastgroup != "space":
                tokens.append((m.lastgroup, m.group()))
                spans.append(m.span())
            pos = m.end()
        if not tokens:
            raise ValueError("expected an expression, got nothing")
        if ("op", "//") in tokens:
            raise ValueError("// (integer division) is not an operation of the expressions; write / for division")
        self.products(text, tokens, spans, known)
        e = Parser(self, tokens, known, text, spans, mode).run()
        if mode != COMPUTE:
            return e
        if e.has(sp.zoo, sp.nan, sp.oo, -sp.oo):
            raise ValueError("the expression is not finite")
        if e.has(sp.I) or any(b.is_Number and b.is_negative and not x.is_integer
                              for b, x in (q.args for q in e.atoms(sp.Pow))):
            raise ValueError("the expression is not a real number (a root or logarithm of a negative number)")
        for q in e.atoms(sp.Pow):
            if q.exp.is_Number and abs(q.exp) > MAX_EXPONENT:
                raise ValueError(f"an exponent in the expression is larger than {MAX_EXPONENT}")
        free = {s for s in e.free_symbols if isinstance(s, sp.Symbol)}
        loose = {s.name for s in free} - set(known) - {str(v) for v in self.vectors.values()}
        loose -= {s.name for ix in e.atoms(sp.Indexed) for s in ix.free_symbols}
        if loose:
            raise ValueError(f"the index {sorted(loose)[0]} is used outside a Sum")
        return e

    def products(self, text, tokens, spans, known):
        """Refuse a product written without * (2w, 2 w, (a)(b), w(x + 1)), saying where
        the * goes. A name before ( that is not a known quantity is left to the parser
        (an unknown function)."""
        gaps = []
        for i in range(1, len(tokens)):
            (k0, t0), (k1, t1) = tokens[i - 1], tokens[i]
            left = k0 == "num" or t0 in (")", "]") or (k0 == "name" and t0 not in self.functions)
            right = k1 in ("num", "name") or t1 == "("
            if left and right and not (k0 == "name" and t1 == "(" and not (t0 in known and t0 in self.scalars)):
                gaps.append(i)
        if not gaps:
            return
        fixed = text
        for i in reversed(gaps):
            fixed = fixed[:spans[i - 1][1]] + "*" + fixed[spans[i][0]:]
        if len(fixed) > SHOWN:
            i = gaps[0]
            raise ValueError(f"a product is written with *: put * between {tokens[i - 1][1]!r} and "
                             f"{tokens[i][1]!r} (character {spans[i][0] + 1})")
        raise ValueError(f"a product is written with *: write {fixed}")


class Parser:
    """expr := term (+|- term)*;  term := factor (*|/ factor)*;  factor := (+|-) factor | power;
    power := atom [(**|^) factor];  atom := number | name | name[index] | f(args) | (expr)."""

    def __init__(self, ex, tokens, known, text, spans, mode=None):
        self.ex, self.sp, self.tokens, self.known, self.i, self.depth = ex, ex.sp, tokens, known, 0, 0
        self.text, self.spans = text, spans
        self.mode = mode or COMPUTE
        self.written = self.mode != COMPUTE

    def make(self, func, *args):
        """func(*args) for Add, Mul and Pow: as written (not evaluated) outside COMPUTE."""
        return func(*args, evaluate=False) if self.written else construct(func, *args)

    def apply(self, f, *args):
        """f(*args) for a function of the language: as written outside COMPUTE."""
        return f(*args, evaluate=False) if self.written else call(f, *args)

    def run(self):
        e = self.expr()
        if self.i < len(self.tokens):
            kind, text = self.tokens[self.i]
            if text == ",":
                raise ValueError("expected a plain expression (no tuples, comparisons or equations)")
            if text in (")", "]"):
                raise ValueError(f"cannot read the expression (an unmatched {text!r})")
            raise ValueError(f"cannot read the expression (expected an operator before {text!r})")
        return e

    def peek(self):
        return self.tokens[self.i][1] if self.i < len(self.tokens) else None

    def take(self, text=None):
        if self.i >= len(self.tokens):
            raise ValueError("cannot read the expression (it ends too early: a parenthesis "
                             "is not closed or an operand is missing)")
        tok = self.tokens[self.i]
        if text is not None and tok[1] != text:
            if tok[1] == "," and text == ")":
                raise ValueError("expected a plain expression (no tuples, comparisons or equations)")
            raise ValueError(f"cannot read the expression (expected {text!r}, got {tok[1]!r})")
        self.i += 1
        return tok

    def deeper(self):
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise ValueError(f"the expression is nested more than {MAX_DEPTH} levels deep")

    def expr(self):
        self.deeper()
        terms = [self.term()]
        while self.peek() in ("+", "-"):
            op = self.take()[1]
            r = self.term()
            terms.append(r if op == "+" else self.make(self.sp.Mul, -1, r))
        self.depth -= 1
        return terms[0] if len(terms) == 1 else self.make(self.sp.Add, *terms)  # one Add: linear

    def term(self):
        factors = [self.factor()]
        while self.peek() in ("*", "/"):
            op = self.take()[1]
            r = self.factor()
            factors.append(r if op == "*" else self.make(self.sp.Pow, r, -1))
        return factors[0] if len(factors) == 1 else self.make(self.sp.Mul, *factors)

    def factor(self):
        if self.peek() in ("+", "-"):
            op = self.take()[1]
            self.deeper()
            e = self.factor()
            self.depth -= 1
            return self.make(self.sp.Mul, -1, e) if op == "-" else e
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek() in ("**", "^"):
            self.take()
            label = self.tokens[self.i:self.i + 3]
            if (self.mode == LOOSE and len(label) == 3 and label[0][1] == "(" and label[2][1] == ")"
                    and label[1][0] in ("name", "num")):  # x^(k): the superscript (k), as in x_i^(k)
                self.i += 3
                return self.sp.Pow(base, superscript()(self.sp.Symbol(label[1][1])), evaluate=False)
            self.deeper()
            x = self.factor()
            self.depth -= 1
            return power(base, x, self.written)
        return base

    def atom(self):
        sp = self.sp
        kind, text = self.take()
        if kind == "num":
            return literal(sp, text)
        if text == "(":
            e = self.expr()
            self.take(")")
            return e
        if kind != "name":
            raise ValueError(f"cannot read the expression (unexpected {text!r})")
        ex = self.ex
        if text in ex.functions:
            if self.peek() != "(":
                raise ValueError(f"the function {text} must be called, as {text}(...)")
            return self.call(text)
        vector = text in ex.bases and text in self.known
        if self.peek() == "[" and not vector:
            inside = self.indices()
            if self.mode == LOOSE and inside:  # a description's x[i] is x_i, w1[i,j] w1_i_j
                self.i = self.closing(self.i) + 1
                return sp.Symbol(text + "_" + "_".join(inside), real=True)
            raise ValueError(self.not_indexed(text, inside))
        if vector:
            if self.peek() != "[":
                raise ValueError(f"{text} is a vector: write a component, as {text}[j]")
            inside = self.indices()
            if inside and len(inside) > 1:
                raise ValueError(self.not_indexed(text, inside))
            self.take("[")
            index = self.index()
            self.take("]")
            return ex.bases[text][index]
        if text in self.known and text in ex.scalars:
            return ex.scalars[text]
        if self.mode == LOOSE:
            return self.call(text) if self.peek() == "(" else sp.Symbol(text, real=True)
        raise ValueError(f"unknown name {text}{self.hint(text)}")

    def indices(self):
        """The letters or numbers between the [ at the current token and its ], when that
        is all it holds (``w[i, j]`` -> ['i', 'j']), else None."""
        end = self.closing(self.i)
        inside = [t for _, t in self.tokens[self.i + 1:end]] if end is not None else []
        parts = inside[::2]
        if (not parts or any(not t.isalnum() for t in parts)
                or any(t != "," for t in inside[1::2]) or len(inside) % 2 == 0):
            return None
        return parts

    def not_indexed(self, name, inside):
        """Why ``name[...]`` is refused, and what to write instead."""
        if inside and len(inside) > 1:
            return index_form(name, inside)
        if name in self.ex.scalars and name in self.known:
            return f"{name} is not a vector: write it without [...] (or list it in graph.vectors)"
        return f"unknown name {name}{self.hint(name)}"

    def hint(self, name):
        """What an unknown ``name`` (just read) was likely meant to be: e^(w*x) is exp(w*x),
        sigma(z) sigmoid(z) (:func:`solver.spec.suggest`), zz a known z."""
        after = self.i
        if name == "e":
            if self.peek() not in ("**", "^"):
                return "; for the number e write exp(1)"
            first = end = after + 1  # the exponent: signs, then (...), f(...), x[j] or a name
            while end < len(self.tokens) - 1 and self.tokens[end][1] in ("+", "-"):
                end += 1
            if end + 1 < len(self.tokens) and self.tokens[end + 1][1] in ("(", "["):
                end = self.closing(end + 1)
            elif end < len(self.tokens) and self.tokens[end][1] == "(":
                end = self.closing(end)
            inside = first < len(self.tokens) and self.tokens[first][1] == "(" and end == self.closing(first)
            return f"; for e to a power write exp({self.source(first, end, inside)})"
        if self.peek() == "(":
            close = suggest(name, self.ex.functions)
            args = self.source(after, self.closing(after), inside=True)
            return f"; did you mean {close}({args})?" if close else ""
        close = suggest(name, self.known)
        return f"; did you mean {close}?" if close else ""

    def closing(self, i):
        """The index of the token that closes the parenthesis (or bracket) opened at token
        i, or None."""
        depth = 0
        for j in range(i, len(self.tokens)):
            depth += {"(": 1, "[": 1, ")": -1, "]": -1}.get(self.tokens[j][1], 0)
            if depth == 0:
                return j
        return None

    def source(self, i, j, inside=False):
        """The expression's text from token i to token j ('...' if there is none or it is
        long); ``inside``: what the parentheses at i and j enclose."""
        if j is None or j >= len(self.spans):
            return "..."
        start, end = (self.spans[i][1], self.spans[j][0]) if inside else (self.spans[i][0], self.spans[j][1])
        text = self.text[start:end].strip()
        return text if 0 < len(text) <= 40 else "..."

    def index(self):
        kind, text = self.take()
        if kind == "name" and len(text) == 1 and text not in self.known and text not in self.ex.scalars:
            return self.sp.Symbol(text, integer=True)
        if kind == "num" and text.isdigit() and 1 <= int(text) <= 10 ** 6:
            return self.sp.Integer(int(text))
        raise ValueError(f"an index is a letter (not a name of the problem) or a whole number, got {text!r}")

    def call(self, name):
        sp, ex = self.sp, self.ex
        self.take("(")
        self.deeper()
        if name == "Sum" and self.mode != LOOSE:
            body = self.expr()
            self.take(",")
            kind, j = self.take()
            if kind != "name" or len(j) != 1 or j in self.known or j in ex.scalars:
                raise ValueError("Sum(expression, j) takes an index letter j")
            self.take(")")
            self.depth -= 1
            index = sp.Symbol(j, integer=True)
            sizes = {ex.vectors.get(b.base.name) for b in body.atoms(sp.Indexed) if index in b.indices}
            if len(sizes) != 1 or None in sizes:
                raise ValueError(f"the index {j} of a Sum must index vectors of one length")
            return sp.Sum(body, (index, 1, sizes.pop()))
        args = [self.expr()]
        while self.peek() == ",":
            self.take(",")
            args.append(self.expr())
        self.take(")")
        self.depth -= 1
        if name == "Sum":
            return self.loose_sum(args)
        if name not in ex.functions:
            return sp.Function(name)(*args)  # (LOOSE: any function, as written)
        if name in ("max", "Max"):
            if len(args) == 2 and 0 in args and self.written:
                return sp.Function("max")(*args)
            if len(args) == 2 and 0 in args:
                return self.apply(functions()["relu"], args[1] if args[0] == 0 else args[0])
            raise ValueError("max takes 0 and one expression: max(0, z) is relu(z)")
        if name in ex.one:
            if len(args) != 1:
                raise ValueError(f"{name} takes one argument, got {len(args)}")
            return self.apply(ex.one[name], args[0])
        if self.written and registry_functions()[name].graph != "function":
            return sp.Function(name)(*args)  # swish(z) stays swish(z)
        return registry_call(name, args, self.written)


    def loose_sum(self, args):
        """A description's Sum: over the components of the graph's vectors as the graph
        writes it, else as written (Sum(x_k, k) is the sum over k, Sum(x_k, k, N) to N)."""
        sp, ex = self.sp, self.ex
        if len(args) == 2 and args[1].is_Symbol:
            j = args[1].name
            sizes = {ex.vectors.get(b.base.name) for b in args[0].atoms(sp.Indexed)
                     if j in {i.name for i in b.indices if i.is_Symbol}}
            if len(sizes) == 1 and None not in sizes:
                return sp.Sum(args[0], (sp.Symbol(j, integer=True), 1, sizes.pop()))
        return sp.Function("Sum")(*args)


def registry_call(name, args, as_written=False):
    """The registry function ``name`` (solver.functions) at the parsed ``args``: its
    argument and, for one with an option, the option (a number; its default if left out).
    ``as_written``: not evaluated, for display."""
    sp = functions()["sp"]
    entry = registry_functions()[name]
    if entry.option is None:
        if len(args) != 1:
            raise ValueError(f"{name} takes one argument, got {len(args)}")
        option = None
    else:
        option, default = entry.option[0], written_option(entry)
        if len(args) not in (1, 2) or (len(args) == 2 and not args[1].is_Rational):
            raise ValueError(f"{name} takes an expression and a number, its {option}: "
                             f"{name}(z, {default})")
        if len(args) == 2 and entry.option_positive and args[1] <= 0:
            raise ValueError(f"the {option} of {name} is a number greater than 0")
        option = args[1] if len(args) == 2 else literal(sp, default)
    if entry.graph == "function":
        f, rest = functions()[name], [] if option is None else [option]
        return f(args[0], *rest, evaluate=False) if as_written else call(f, args[0], *rest)
    form, z = written(name, option)
    return plug(form, {z: args[0]}, {})


@functools.lru_cache(maxsize=256)
def written(name, option):
    """(the expression, its argument z) of a registry function written in the language's
    other functions (``graph_text``: swish(z) is z*sigmoid(z)), at its option's value."""
    entry = registry_functions()[name]
    made = type(entry)(None if option is None else float(option))
    if option is not None and Fraction(repr(made.param)) != Fraction(int(option.p), int(option.q)):
        raise ValueError(f"the {entry.option[0]} of {name} is not a decimal of at most 17 digits")
    parser = ExpressionParser({}, ["z"])
    z = functions()["sp"].Dummy("z", real=True)  # (a quantity may be called z too)
    return parser.parse(made.graph_text("z"), {"z"}).xreplace({parser.scalars["z"]: z}), z


def literal(sp, text):
    """A number as written: '0.1' -> 1/10, '1e-3' -> 1/1000 (refused beyond 10^300)."""
    if len(text) > 100:
        raise ValueError("a number in the expression has more than 100 characters")
    mantissa, _, exponent = text.lower().partition("e")
    if exponent and abs(int(exponent)) > 400:
        raise ValueError("a number in the expression is beyond 10^300")
    v = Fraction(text)
    if v and not Fraction(1, 10 ** 300) <= abs(v) <= 10 ** 300:
        raise ValueError("a number in the expression is beyond 10^300")
    return sp.Rational(v.numerator, v.denominator)


def power(base, x, written=False):
    """base ** x, refusing a power of numbers beyond 10^300 and exponents beyond 1000 first
    (``written``: not evaluated, for display)."""
    sp = functions()["sp"]
    if not x.free_symbols:
        xv = estimate(x)
        if not base.free_symbols:
            bv = estimate(base)
            if bv != 0 and abs(xv) * abs(math.log10(abs(bv))) > 300:
                raise ValueError("a power of numbers in the expression is too large (beyond 10^300)")
        if abs(xv) > MAX_EXPONENT:
            raise ValueError(f"an exponent in the expression is larger than {MAX_EXPONENT}")
    return sp.Pow(base, x, evaluate=False) if written else construct(sp.Pow, base, x)


@functools.lru_cache(maxsize=None)
def superscript():
    """The SymPy function of a superscript label: x^(k) in a description is x^{(k)}."""
    sp = functions()["sp"]

    class Superscript(sp.Function):
        def _latex(self, printer, exp=None):
            return "(%s)" % printer._print(self.args[0])

    return Superscript


def estimate(e):
    """A float near the value of a constant expression (bounded work; ValueError if none)."""
    try:
        v = Calculator(20).ev(e, {})
    except NumberError as err:
        raise ValueError(f"a number in the expression is not finite ({err})") from None
    except KeyError:
        raise ValueError("a number in the expression cannot be computed") from None
    return float(v)
