"""The graph language: its names, its functions, and the limits its texts are checked by.

A graph expression calls three kinds of functions:

* the math functions of the language itself, ``MATH_FUNCTIONS`` (exp, log, tanh, |.|,
  ...), which are SymPy's own or, for |.|, made in :mod:`solver.graph.symbolic`;
* every activation and loss of the registry (:mod:`solver.functions`) that has a graph
  form, :func:`registry_functions`: relu, leaky_relu(z, slope), elu(z, alpha),
  sigmoid, huber(d, delta) are functions of their own there, softplus, swish and
  linear are written in the others (swish(z) is z*sigmoid(z)); so an activation added
  to the registry with a graph form is a function of the language without a change here;
* ``max(0, z)`` (relu) and ``Sum(expression, j)`` over vector components.
"""

import functools
import re

from ..functions import ACTIVATIONS, LOSSES

LOSS_NAME = "E"
SAMPLE_INDEX = "k"
#: the language's own math functions (an activation of the same name, tanh, is this one)
MATH_FUNCTIONS = ("exp", "log", "ln", "sqrt", "tanh", "cosh", "sinh", "sin", "cos", "Abs", "abs")
MAX_DEPTH = 50        # nesting of parentheses, calls and signs in an expression
MAX_EXPONENT = 1000   # largest exponent written in an expression
MAX_TEXT = 5000       # characters of an expression
NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
NUMBER = re.compile(r"(?<![A-Za-z0-9_.])(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DERIVATIVE = re.compile(r"^([A-Za-z][A-Za-z0-9_]*)(?:\[([A-Za-z])\])?$")
TOKEN = re.compile(r"(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)|(?P<name>[A-Za-z_][A-Za-z0-9_]*)"
                   r"|(?P<op>\*\*|//|[-+*/^()\[\],])|(?P<space>\s+)")
#: SymPy names a quantity may not take
RESERVED = {"pi", "oo", "nan", "zoo", "lambda", "Integer", "Float", "Rational"}


@functools.lru_cache(maxsize=None)
def registry_functions():
    """{name: the registry's activation or loss (with its option's default)} for every one
    with a graph form that is not a math function of the language (tanh is)."""
    out = {}
    for cls in ACTIVATIONS.values():
        entry = cls()
        if entry.graph is not None and entry.name not in MATH_FUNCTIONS:
            out[entry.name] = entry
    for entry in LOSSES.values():
        if entry.graph is not None and entry.name not in MATH_FUNCTIONS:
            out[entry.name] = entry
    return out


@functools.lru_cache(maxsize=None)
def function_names():
    """Every function name of the language (reserved: no quantity may take one)."""
    return (*MATH_FUNCTIONS, *registry_functions(), "max", "Max", "Sum")


def written_option(entry):
    """An option's default as a graph expression writes it: 0.01, 1 (not 1.0)."""
    d = float(entry.option[1])
    return str(int(d)) if d.is_integer() else repr(d)


def index_form(name, indices):
    """The refusal of an index form such as ``w1[i,j]``, saying what to write instead.

    >>> print(index_form("w1", ["i", "j"]))
    w1[i,j] is not a name: write w1_i_j (one quantity, typeset w^(1)_{i,j}), or a vector's component with one index, w1[i]
    """
    letters, digits = re.match(r"^(.*?)(\d*)$", name).groups()
    shown = f"{letters}^({digits})" if digits and letters.isalpha() else name
    return (f"{name}[{','.join(indices)}] is not a name: write {name}_{'_'.join(indices)} (one quantity, "
            f"typeset {shown}_{{{','.join(indices)}}}), or a vector's component with one index, {name}[{indices[0]}]")


def node_of(name):
    """The node a derivative name belongs to: ``w[i]`` -> ``w``."""
    return DERIVATIVE.match(name).group(1)
