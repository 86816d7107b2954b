"""Graph problems: a network written as equations, differentiated node by node.

A graph problem (a problem file with a top-level ``graph:`` key, see
docs/graph-problems.md) names inputs, targets and parameters, then defines every other
quantity as an expression of earlier names, and a loss E. The stages are

    parse(data)  -> GraphProblem   plain data: names, numbers, expression strings; the
                                   numbers are computed here too, so that a problem
                                   that parses is one that solves (``backprop check``
                                   refuses exactly what ``trace`` and ``solve`` refuse)
    build(p)     -> Graph          SymPy expressions and the DAG (edge n -> c when c uses n)
    solve(g)     -> Solution       values, local derivatives dc/dn, the backward pass,
                                   paths, results, updates and the ReLU linear pieces

The backward pass visits the nodes in reverse topological order and computes each
adjoint once (no redundant work):

    dE/dE = 1,     dE/dn = sum over children c of n of  dE/dc * dc/dn

which equals the chain rule written as a sum over the paths n -> ... -> E of the
product of the local derivatives along the path.

Numbers come first and never wait on symbolic work. Every number of the problem file
is the decimal it is written as (0.1 is 1/10); values, local derivatives and adjoints
are computed exactly in rational arithmetic while the parts are rational, else with
mpmath at 50 significant digits, repeated at 100 (200, ... up to 800) until the two
agree, so that every number shown is right to the last digit of a double even where
floats cancel (1 - tanh(15)^2). A quantity exactly at a kink (relu(0), |0|) takes the
documented one-sided derivative: relu'(0) = 0, |x|'(0) = sign(0) = 0,
leaky_relu'(0) = slope, elu'(0) = alpha, those of the registry (solver.functions).

The formulas are tidied under a size budget instead of ``sympy.simplify`` (which may
take minutes on a formula of tanh, exp and |.|); every limit counts operations, never
seconds, so the same problem gives the same document on any machine.

The modules, each importing only those above it:

    language     names, function names (the math ones and the registry's), limits
    symbolic     the language's functions as SymPy functions (made from the registry);
                 building expressions without evaluating functions of long arguments
    exact        exact (rational) and mpmath numbers of SymPy expressions
    expressions  the expression reader: text -> SymPy, checked before computing
    formulas     differentiation by the chain rule, tidying under a budget
    dag          the Graph: expressions, edges, node kinds, local derivatives
    numbers      every number of a numeric problem, precision doubled until it agrees
    pieces       the linear pieces of a ReLU network and its decision boundary
    layered      a layered problem written as a graph problem (--as-graph)
    problem      reading and checking a problem file; the layered/graph dispatch
    solve        the backward pass, paths, results and the trace

SymPy is imported inside the functions, so loading this package costs nothing to the
layered pipeline (``backprop trace`` on a layered problem never imports SymPy).
"""

# the package's public names, from the module that holds each
from .dag import Graph, build, edges, loss_key, variable  # noqa: F401
from .exact import Calculator, NumberError, to_float  # noqa: F401
from .expressions import (COMPUTE, LOOSE, WRITTEN, ExpressionParser, Parser, estimate, literal, power,  # noqa: F401
                          registry_call, superscript, written)
from .formulas import (MAX_CANCEL_OPS, MAX_CANCEL_TERMS, MAX_TIDY, chain, collapse, derivative, ops,  # noqa: F401
                       outer, small_polynomials, tanh_rewrite, tidy)
from .language import (DERIVATIVE, IDENT, LOSS_NAME, MATH_FUNCTIONS, MAX_DEPTH, MAX_EXPONENT, MAX_TEXT,  # noqa: F401
                       NAME, NUMBER, RESERVED, SAMPLE_INDEX, TOKEN, function_names, index_form, node_of,
                       registry_functions, written_option)
from .layered import from_layered  # noqa: F401
from .numbers import DIGITS, MAX_DIGITS, Numbers, evaluate, numbers  # noqa: F401
from .pieces import (MAX_RELUS, NotLinear, Piece, affine_expr, clip_polygon, linear_pieces,  # noqa: F401
                     polygon_area)
from .problem import (GRAPH_KEYS, LOSS_SYMBOLS, MAX_NODES, TOP_KEYS, GraphProblem, check_expression, check_name,  # noqa: F401
                      decimal, from_layered_problem, load, parse, summary, validate)
from .solve import (MAX_CLOSED, MAX_FORMULA, MAX_PATHS, Result, Solution, Step, backward, count_paths,  # noqa: F401
                    local_derivative, paths, per_sample, solve, to_json)
from .symbolic import (SMALL_ARG, call, construct, decimal_tex, functions, heavy, plug, small,  # noqa: F401
                       sympy_functions, with_exp)

#: every function name of the language (no quantity may take one)
FUNCTIONS = function_names()
