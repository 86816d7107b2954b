"""Activations and losses: each one's forward and backward side by side.

Each activation and each loss is one class holding everything about it: its value, its
stable derivative (and the form a hand calculation uses), its SymPy form for the
derivations (``sympy``, from ``formula``), the steps that derive its derivative as a
person writes them (``derivation``, checked by solver.steps), its LaTeX name, its form in the graph
language (``graph``, ``graph_text``; solver.graph makes its SymPy function, derivative
and exact numbers from ``formula``), and its flags. Every other module asks these
classes (``ACTIVATIONS``, ``LOSSES``); nothing else keeps a table of them.

Vectors of one sample are columns, so ``z`` and ``a`` have shape (units, samples);
every function here works on whole arrays, never on single units, and on either kind
of array the engine uses: float64, or object arrays of exact-mode numbers
(:class:`solver.precise.Real`), which NumPy's ``np.exp``, ``@``, ``np.where``... hand
to their elements. So the formulas are written without float-only tricks (no -inf
masks, no ``np.logaddexp``), and each derivative in its stable form: sigma'(z) as
sigma(z) sigma(-z) and tanh'(z) as sech^2 z, never 1 - a^2, which cancels to noise
when a unit saturates.

The output layer is special: ``output_loss`` and ``output_delta`` combine the output
activation with the loss and, for the pairs that need it (sigmoid or softmax with a
cross-entropy), work from the pre-activation z in log space, so that large |z| gives
neither overflow nor NaN.
"""

import numpy as np

from .steps import Step


def positive_part(z):
    """max(z, 0) in z's own number type (never mixes a float 0 into an exact array;
    float arrays take NumPy's own, faster maximum).

    >>> positive_part(np.array([-2.0, 0.0, 3.0])).tolist()
    [0.0, 0.0, 3.0]
    """
    if getattr(z, "dtype", None) == np.float64:
        return np.maximum(z, 0.0)
    return np.where(z > 0, z, 0 * z)


def negative_part(z):
    """min(z, 0) in z's own number type."""
    if getattr(z, "dtype", None) == np.float64:
        return np.minimum(z, 0.0)
    return np.where(z > 0, 0 * z, z)


def softplus(z):
    """ln(1 + e^z) = max(z, 0) + ln(1 + e^-|z|), without overflow.

    >>> float(softplus(np.array(0.0)))
    0.6931471805599453
    """
    return positive_part(z) + np.log1p(np.exp(-np.abs(z)))


def sigmoid(z):
    """1 / (1 + e^-z), without overflow for large |z|.

    >>> float(sigmoid(np.array(0.2)))
    0.549833997312478
    """
    e = np.exp(-np.abs(z))
    return np.where(z >= 0, 1 / (1 + e), e / (1 + e))


def sech2(z):
    """sech^2 z = 1 - tanh^2 z = 4 e^(-2|z|) / (1 + e^(-2|z|))^2, without cancellation.

    >>> float(sech2(np.array(15.0)))
    3.74304918753537e-13
    """
    e = np.exp(-2 * np.abs(z))
    return 4 * e / ((1 + e) * (1 + e))


def log_softmax(z):
    """ln softmax(z) per column: z - logsumexp(z).

    >>> log_softmax(np.array([[0.0], [0.0]])).ravel().round(6).tolist()
    [-0.693147, -0.693147]
    """
    m = z.max(axis=0, keepdims=True)
    return z - (m + np.log(np.exp(z - m).sum(axis=0, keepdims=True)))


class Option:
    """An activation's or a loss's one option, ``option`` = (name, default), written
    {name: {option: value}} (leaky_relu's slope, elu's alpha, huber's delta); its value
    is ``param`` (None for those without an option).

    Also what the activations and losses share about the graph language (solver.graph,
    docs/graph-problems.md), where a function is written f(z) or, with its option,
    f(z, option):

    * ``graph = "function"``: a function of the graph language of its own. Its SymPy
      function, its derivative (a function named ``fprime_name``, typeset by
      ``fprime_tex``, or f' in f's own value, :meth:`fprime_of_output`), its exact value
      at a rational argument and its numbers are all made from :meth:`formula` (and
      :meth:`stable_formula`); it is typeset ``tex`` (subscripted by the option).
    * ``graph = "written"``: written in the language's other functions, as
      :meth:`graph_text` says (swish(z) is z*sigmoid(z)).
    * ``graph = None``: not a function of the graph language.
    """

    option = None
    #: the option must be a number greater than 0 (elu's alpha, huber's delta; leaky_relu's
    #: slope may be any number)
    option_positive = False
    name = ""
    #: how the name is written in formulas
    tex = ""
    graph = None
    #: the SymPy name of f' (what a graph trace's formulas print) when f' is a function
    #: of its own, and its LaTeX, with %(z)s the argument and %(p)s the option
    fprime_name = None
    fprime_tex = None

    def __init__(self, param=None):
        self.param = None if self.option is None else float(self.option[1] if param is None else param)

    def formula(self, sp, Z, P):
        """f(Z) in SymPy, with the option P (a SymPy number or symbol; None without one)."""
        raise NotImplementedError

    def stable_formula(self, sp, Z, P):
        """f(Z) as exact numbers are computed from it (solver.graph): :meth:`formula`, or
        a form of it without overflow for large |Z| (sigmoid)."""
        return self.formula(sp, Z, P)

    def fprime_of_output(self, sp, A):
        """f' written in f's own value A (sigma' = A (1 - A)), or None."""
        return None

    def graph_text(self, z):
        """f(z) as a graph expression (with this option's value): ``relu(z1)``,
        ``leaky_relu(z1, 0.2)``, ``log(1 + exp(z1))``."""
        if self.graph != "function":
            raise NotImplementedError(f"{self.name} has no graph form")
        return f"{self.name}({z})" if self.option is None else f"{self.name}({z}, {self.param!r})"


class Activation(Option):
    """An element-wise activation a = f(z) with derivative f'(z).

    ``backward(z, a, g)`` turns dE/da into dE/dz = g * f'(z).
    """

    elementwise = True
    #: f(z) approaches its bounds as e^-|z| (sigmoid, tanh, softmax): exact mode keeps
    #: enough digits to hold 1 - f(z) (see solver.trace)
    saturates = False
    #: f(0) = 0, so a is as small as z near 0 (the float noise rule of solver.document.layered)
    zero_at_0 = False
    #: f' is written in terms of the unit's own output (sigma' = sigma (1 - sigma))
    output_form = False

    def forward(self, z):
        raise NotImplementedError

    def derivative(self, z, a):
        raise NotImplementedError

    def backward(self, z, a, g):
        return g * self.derivative(z, a)

    def second_derivative(self, z, a):
        """f''(z), element-wise, in a stable form like :meth:`derivative` (for the exact
        Hessian of the loss, solver.hessian). Where f' jumps (relu, leaky_relu at 0; elu
        with alpha != 1 at 0) the distributional part is left out: f'' there is the value
        on the side ``derivative`` takes (0, or elu's alpha)."""
        raise NotImplementedError

    def derivative_by_hand(self, z, a):
        """f'(z) as a hand calculation writes it, from the activation a where the
        textbook does (sigma' = a (1 - a), tanh' = 1 - a^2): what a student's numbers
        follow from (solver.claims). The engine uses the stable :meth:`derivative`."""
        return self.derivative(z, a)

    def sympy(self, sp, Z, S, sigma):
        """(f(Z), (how f' is written, the inverse that turns Z into that)) for the
        derivations (solver.derive): S stands for the written form, ``sigma`` is the
        undefined function sigma; (None, None) where f' is written in Z itself."""
        raise NotImplementedError

    def sympy_fprime(self, sp, Z, sigma):
        """f'(Z) as people write it, where SymPy's own simplification reads worse
        (derive checks that it equals the derivative); None to let SymPy write it."""
        return None

    def derivation(self, sp, Z):
        """The steps from f'(Z) to its derivative as a person writes them: [Step], each
        right-hand side as TeX (ZZ for the argument) and as SymPy, checked in order by
        solver.steps; a Step(None, None, why) stands for the result as solver.derive
        writes it. [] for one step from the definition (solver.derivations)."""
        return []

    def graph_layer(self, zs):
        """The graph expressions of a layer's outputs from its pre-activations ``zs``
        (solver.graph.from_layered): each unit's own, but for softmax."""
        return [self.graph_text(z) for z in zs]

    def __repr__(self):
        return self.name


class Sigmoid(Activation):
    """sigma(z) = 1 / (1 + e^-z);  sigma'(z) = sigma(z) (1 - sigma(z))."""

    name = "sigmoid"
    tex = r"\sigma"
    saturates = True
    output_form = True
    graph = "function"

    def forward(self, z):
        return sigmoid(z)

    def derivative(self, z, a):
        return sigmoid(z) * sigmoid(-z)

    def derivative_by_hand(self, z, a):
        return a * (1 - a)

    def second_derivative(self, z, a):
        # sigma'' = sigma (1 - sigma) (1 - 2 sigma) = sigma(z) sigma(-z) (sigma(-z) - sigma(z))
        s, t = sigmoid(z), sigmoid(-z)
        return s * t * (t - s)

    def formula(self, sp, Z, P):
        return 1 / (1 + sp.exp(-Z))

    def stable_formula(self, sp, Z, P):
        # as sigmoid() above: e^-|z| only, never e^z of a large z
        return sp.Piecewise((1 / (1 + sp.exp(-Z)), Z >= 0), (sp.exp(Z) / (1 + sp.exp(Z)), True))

    def fprime_of_output(self, sp, A):
        return A * (1 - A)

    def sympy(self, sp, Z, S, sigma):
        return self.formula(sp, Z, None), (sigma(Z), sp.log(S / (1 - S)))

    def derivation(self, sp, Z):
        e = sp.exp(-Z)
        s = 1 / (1 + e)
        return [
            Step(r"\frac{d}{dZZ} \left(1 + e^{-ZZ}\right)^{-1}", sp.diff(s, Z), r"the definition of $\sigma$"),
            Step(r"\frac{e^{-ZZ}}{\left(1 + e^{-ZZ}\right)^{2}}", e / (1 + e) ** 2, "the chain rule"),
            Step(r"\frac{1}{1 + e^{-ZZ}} \cdot \frac{e^{-ZZ}}{1 + e^{-ZZ}}", s * e / (1 + e), "split the fraction"),
            Step(r"\frac{1}{1 + e^{-ZZ}} \left(1 - \frac{1}{1 + e^{-ZZ}}\right)", s * (1 - s),
                 r"$e^{-ZZ} = (1 + e^{-ZZ}) - 1$"),
            Step(None, None, r"the definition of $\sigma$"),
        ]


class Tanh(Activation):
    """tanh(z);  tanh'(z) = 1 - tanh(z)^2 = sech^2 z."""

    name = "tanh"
    tex = r"\tanh"
    saturates = True
    zero_at_0 = True
    output_form = True
    graph = "written"  # the graph language's own tanh

    def forward(self, z):
        return np.tanh(z)

    def derivative(self, z, a):
        return sech2(z)

    def derivative_by_hand(self, z, a):
        return 1 - a * a

    def second_derivative(self, z, a):
        return -2 * np.tanh(z) * sech2(z)

    def formula(self, sp, Z, P):
        return sp.tanh(Z)

    def fprime_of_output(self, sp, A):
        return 1 - A ** 2

    def graph_text(self, z):
        return f"tanh({z})"

    def sympy(self, sp, Z, S, sigma):
        return self.formula(sp, Z, None), (sp.tanh(Z), sp.atanh(S))

    def derivation(self, sp, Z):
        sh, ch = sp.sinh(Z), sp.cosh(Z)
        return [
            Step(r"\frac{d}{dZZ} \frac{\sinh ZZ}{\cosh ZZ}", sp.diff(sh / ch, Z), r"$\tanh = \sinh / \cosh$"),
            Step(r"\frac{\cosh ZZ \cdot \cosh ZZ - \sinh ZZ \cdot \sinh ZZ}{\cosh^{2} ZZ}", (ch * ch - sh * sh) / ch ** 2,
                 r"the quotient rule; $\sinh' = \cosh$, $\cosh' = \sinh$"),
            Step(r"1 - \frac{\sinh^{2} ZZ}{\cosh^{2} ZZ}", 1 - sh ** 2 / ch ** 2, "divided term by term"),
            Step(None, None, r"$\tanh = \sinh / \cosh$"),
        ]


class ReLU(Activation):
    """max(0, z);  derivative 1 for z > 0 and 0 for z <= 0 (0 at 0 by convention)."""

    name = "relu"
    tex = r"\operatorname{ReLU}"
    zero_at_0 = True
    graph = "function"
    fprime_name = "step"
    fprime_tex = r"\mathbb{1}[%(z)s > 0]"

    def forward(self, z):
        return positive_part(z)

    def derivative(self, z, a):
        return np.where(z > 0, 1.0, 0.0)

    def second_derivative(self, z, a):
        # 0 on both sides; at the kink z = 0 too (the jump of f' is left out, as f'(0) = 0 is a convention)
        return np.zeros(z.shape)

    def formula(self, sp, Z, P):
        return sp.Piecewise((Z, Z > 0), (0, True))

    def sympy(self, sp, Z, S, sigma):
        return self.formula(sp, Z, None), (None, None)

    def derivation(self, sp, Z):
        return [Step(r"\frac{d}{dZZ} \max(0, ZZ)", sp.diff(self.formula(sp, Z, None), Z), "the definition"),
                Step(None, None, r"slope 1 for $ZZ > 0$, 0 for $ZZ < 0$")]


class LeakyReLU(Activation):
    """z for z > 0, slope * z otherwise;  derivative 1 for z > 0, slope for z <= 0."""

    name = "leaky_relu"
    tex = r"\operatorname{LReLU}"
    zero_at_0 = True
    option = ("slope", 0.01)
    graph = "function"
    fprime_name = "leaky_step"
    fprime_tex = r"\left(\mathbb{1}[%(z)s > 0] + %(p)s\,\mathbb{1}[%(z)s \leq 0]\right)"

    @property
    def slope(self):
        return self.param

    def forward(self, z):
        return np.where(z > 0, z, self.slope * z)

    def derivative(self, z, a):
        return np.where(z > 0, 1.0, self.slope)

    def second_derivative(self, z, a):
        # 0 on both sides; at the kink z = 0 too (the jump of f' is left out)
        return np.zeros(z.shape)

    def formula(self, sp, Z, P):
        return sp.Piecewise((Z, Z > 0), (P * Z, True))

    def sympy(self, sp, Z, S, sigma):
        return self.formula(sp, Z, sp.Float(self.slope, 15)), (None, None)


class Linear(Activation):
    """f(z) = z;  f'(z) = 1."""

    name = "linear"
    tex = r"\operatorname{id}"
    zero_at_0 = True
    graph = "written"

    def forward(self, z):
        return z.copy()

    def derivative(self, z, a):
        return np.ones(z.shape)

    def second_derivative(self, z, a):
        return np.zeros(z.shape)

    def formula(self, sp, Z, P):
        return Z

    def graph_text(self, z):
        return z

    def sympy(self, sp, Z, S, sigma):
        return self.formula(sp, Z, None), (None, None)


class Softplus(Activation):
    """ln(1 + e^z);  derivative sigma(z)."""

    name = "softplus"
    tex = r"\operatorname{softplus}"
    graph = "written"

    def forward(self, z):
        return softplus(z)

    def derivative(self, z, a):
        return sigmoid(z)

    def second_derivative(self, z, a):
        return sigmoid(z) * sigmoid(-z)

    def formula(self, sp, Z, P):
        return sp.log(1 + sp.exp(Z))

    def graph_text(self, z):
        return f"log(1 + exp({z}))"

    def sympy(self, sp, Z, S, sigma):
        return self.formula(sp, Z, None), (sigma(Z), sp.log(S / (1 - S)))

    def derivation(self, sp, Z):
        e = sp.exp(Z)
        return [Step(r"\frac{d}{dZZ} \ln\left(1 + e^{ZZ}\right)", sp.diff(self.formula(sp, Z, None), Z), "the definition"),
                Step(r"\frac{e^{ZZ}}{1 + e^{ZZ}}", e / (1 + e), r"the chain rule; $(\ln u)' = u'/u$"),
                Step(r"\frac{1}{1 + e^{-ZZ}}", 1 / (1 + sp.exp(-Z)), r"divided by $e^{ZZ}$"),
                Step(None, None, r"the definition of $\sigma$")]


def _decimal(sp, x):
    """A parameter as SymPy writes it: whole numbers bare, others as the decimal given."""
    return sp.Integer(int(x)) if float(x).is_integer() else sp.Float(repr(float(x)), 15)


class ELU(Activation):
    """z for z > 0, alpha (e^z - 1) otherwise;  derivative 1 for z > 0, alpha e^z for
    z <= 0 (alpha at 0, as leaky_relu's slope)."""

    name = "elu"
    tex = r"\operatorname{ELU}"
    zero_at_0 = True
    option = ("alpha", 1.0)
    option_positive = True
    graph = "function"
    fprime_name = "elu_step"
    fprime_tex = r"\left(\mathbb{1}[%(z)s > 0] + %(p)s\,e^{%(z)s}\,\mathbb{1}[%(z)s \leq 0]\right)"

    def forward(self, z):
        # e^z of min(z, 0) only: no overflow where z > 0
        return np.where(z > 0, z, self.param * np.expm1(negative_part(z)))

    def derivative(self, z, a):
        return np.where(z > 0, 1.0, self.param * np.exp(negative_part(z)))

    def second_derivative(self, z, a):
        # 0 for z > 0, alpha e^z for z <= 0 (alpha at 0, the side derivative takes)
        return np.where(z > 0, 0.0, self.param * np.exp(negative_part(z)))

    def formula(self, sp, Z, P):
        return sp.Piecewise((Z, Z > 0), (P * (sp.exp(Z) - 1), True))

    def sympy(self, sp, Z, S, sigma):
        return self.formula(sp, Z, _decimal(sp, self.param)), (None, None)


class Swish(Activation):
    """z sigma(z) (also called SiLU);  derivative sigma(z) + z sigma(z) sigma(-z)
    = sigma(z) (1 + z (1 - sigma(z)))."""

    name = "swish"
    tex = r"\operatorname{swish}"
    zero_at_0 = True
    graph = "written"

    def forward(self, z):
        return z * sigmoid(z)

    def derivative(self, z, a):
        return sigmoid(z) * (1 + z * sigmoid(-z))

    def second_derivative(self, z, a):
        # (z sigma)'' = 2 sigma' + z sigma'' = sigma(z) sigma(-z) (2 + z (sigma(-z) - sigma(z)))
        s, t = sigmoid(z), sigmoid(-z)
        return s * t * (2 + z * (t - s))

    def formula(self, sp, Z, P):
        return Z / (1 + sp.exp(-Z))

    def graph_text(self, z):
        return f"{z}*sigmoid({z})"

    def sympy(self, sp, Z, S, sigma):
        return self.formula(sp, Z, None), (None, None)

    def sympy_fprime(self, sp, Z, sigma):
        return sigma(Z) * (1 + Z * (1 - sigma(Z)))

    def derivation(self, sp, Z):
        s = 1 / (1 + sp.exp(-Z))
        return [Step(r"\frac{d}{dZZ} \big(ZZ\, \sigma(ZZ)\big)", sp.diff(Z * s, Z), "the definition"),
                Step(r"\sigma(ZZ) + ZZ\, \sigma'(ZZ)", s + Z * sp.diff(s, Z), "the product rule"),
                Step(r"\sigma(ZZ) + ZZ\, \sigma(ZZ) \left(1 - \sigma(ZZ)\right)", s + Z * s * (1 - s),
                     r"$\sigma' = \sigma (1 - \sigma)$"),
                Step(None, None, r"$\sigma(ZZ)$ taken out")]


class Softmax(Activation):
    """a_i = e^{z_i} / sum_j e^{z_j} per column;  da_i/dz_j = a_i (delta_ij - a_j).

    Not element-wise: ``backward`` applies the transposed Jacobian,
    dE/dz = a * (g - sum_i a_i g_i).
    """

    name = "softmax"
    tex = r"\operatorname{softmax}"
    saturates = True
    elementwise = False
    output_form = True  # its Jacobian is written in its outputs (solver.derive)

    def forward(self, z):
        return np.exp(log_softmax(z))

    def derivative(self, z, a):
        raise TypeError("softmax has a Jacobian, not an element-wise derivative")

    def second_derivative(self, z, a):
        raise TypeError("softmax has a Jacobian, not an element-wise second derivative "
                        "(solver.hessian works with softmax at the output directly)")

    def backward(self, z, a, g):
        return a * (g - (a * g).sum(axis=0, keepdims=True))

    def graph_layer(self, zs):
        return [f"exp({z})/(" + " + ".join(f"exp({m})" for m in zs) + ")" for z in zs]


ACTIVATIONS = {c.name: c for c in (Sigmoid, Tanh, ReLU, LeakyReLU, ELU, Linear, Softplus, Swish, Softmax)}


def make_activation(name, param=None):
    """The activation called ``name``, with its option's value (leaky_relu's slope,
    elu's alpha) or the option's default.

    >>> make_activation("leaky_relu", 0.2).slope, make_activation("elu").param
    (0.2, 1.0)
    """
    return ACTIVATIONS[name](param)


class Loss(Option):
    """A loss E(yhat, y) of one sample, summed over output units.

    ``terms`` gives one term per output unit and sample, ``value`` their sum per column
    (sample); ``grad`` gives dE/dyhat.
    """

    def terms(self, yhat, y):
        raise NotImplementedError

    def value(self, yhat, y):
        return self.terms(yhat, y).sum(axis=0)

    def grad(self, yhat, y):
        raise NotImplementedError

    def hessian_diag(self, yhat, y):
        """d^2 E / dyhat_i^2 per output unit and sample. Every loss here is a sum of one
        term per unit, so its Hessian in yhat is diagonal and this is all of it (for the
        exact Hessian of the loss, solver.hessian)."""
        raise NotImplementedError

    def sympy(self, sp, YH, YT, C):
        """The SymPy term of output unit i (the loss sums it over i), for solver.derive:
        YH = yhat_i, YT = y_i, C the number of output units."""
        raise NotImplementedError

    def derivation(self, sp, YH, YT, C):
        """The steps from d/dYH of the unit's term to dE/dyhat_i as a person writes them
        ([Step], TeX with YH, YT, CC; see Activation.derivation); [] for one step."""
        return []

    def graph_term(self, a, t):
        """The term of one output a with target t as a graph expression."""
        raise NotImplementedError

    def graph_loss(self, pairs):
        """E as a graph expression of the outputs and targets [(a, t)] (solver.graph.from_layered)."""
        return " + ".join(self.graph_term(a, t) for a, t in pairs)


class SquaredError(Loss):
    """E = 1/2 sum_i (yhat_i - y_i)^2;  dE/dyhat = yhat - y."""

    name = "squared_error"

    def terms(self, yhat, y):
        return (yhat - y) ** 2 / 2

    def grad(self, yhat, y):
        return yhat - y

    def hessian_diag(self, yhat, y):
        return np.ones(yhat.shape)

    def sympy(self, sp, YH, YT, C):
        return (YH - YT) ** 2 / 2

    def derivation(self, sp, YH, YT, C):
        return [Step(r"\frac{1}{2} \cdot 2 \left(YH - YT\right)", YH - YT, "the chain rule")]

    def graph_term(self, a, t):
        return f"(1/2)*({a} - {t})**2"


class SumSquaredError(Loss):
    """E = sum_i (yhat_i - y_i)^2;  dE/dyhat = 2 (yhat - y)."""

    name = "sum_squared_error"

    def terms(self, yhat, y):
        return (yhat - y) ** 2

    def grad(self, yhat, y):
        return 2.0 * (yhat - y)

    def hessian_diag(self, yhat, y):
        return np.full(yhat.shape, 2.0)

    def sympy(self, sp, YH, YT, C):
        return (YH - YT) ** 2

    def graph_term(self, a, t):
        return f"({a} - {t})**2"


class MeanSquaredError(Loss):
    """E = 1/C sum_i (yhat_i - y_i)^2 over C output units;  dE/dyhat = 2 (yhat - y) / C."""

    name = "mean_squared_error"

    def terms(self, yhat, y):
        return (yhat - y) ** 2 / yhat.shape[0]

    def grad(self, yhat, y):
        return 2.0 * (yhat - y) / yhat.shape[0]

    def hessian_diag(self, yhat, y):
        return np.full(yhat.shape, 2.0 / yhat.shape[0])  # 2 / C

    def sympy(self, sp, YH, YT, C):
        return (YH - YT) ** 2 / C

    def derivation(self, sp, YH, YT, C):
        return [Step(r"\frac{1}{CC} \cdot 2 \left(YH - YT\right)", 2 * (YH - YT) / C, "the chain rule")]

    def graph_loss(self, pairs):
        return "(" + " + ".join(f"({a} - {t})**2" for a, t in pairs) + f")/{len(pairs)}"


class BinaryCrossEntropy(Loss):
    """E = -sum_i [y_i ln yhat_i + (1 - y_i) ln(1 - yhat_i)];
    dE/dyhat = (yhat - y) / (yhat (1 - yhat))."""

    name = "binary_cross_entropy"

    def terms(self, yhat, y):
        return -(y * np.log(yhat) + (1 - y) * np.log1p(-yhat))

    def grad(self, yhat, y):
        return (yhat - y) / (yhat * (1.0 - yhat))

    def hessian_diag(self, yhat, y):
        # in yhat itself (infinite where an output is exactly 0 or 1); the Hessian after a
        # sigmoid or softmax is worked from z instead (solver.hessian)
        return y / (yhat * yhat) + (1 - y) / ((1.0 - yhat) * (1.0 - yhat))

    def sympy(self, sp, YH, YT, C):
        return -(YT * sp.log(YH) + (1 - YT) * sp.log(1 - YH))

    def derivation(self, sp, YH, YT, C):
        return [Step(r"-\left(\frac{YT}{YH} - \frac{1 - YT}{1 - YH}\right)", -(YT / YH - (1 - YT) / (1 - YH)),
                     r"$(\ln u)' = u'/u$"),
                Step(r"-\frac{YT \left(1 - YH\right) - \left(1 - YT\right) YH}{YH \left(1 - YH\right)}",
                     -(YT * (1 - YH) - (1 - YT) * YH) / (YH * (1 - YH)), "one denominator"),
                Step(None, None, "multiplied out")]

    def graph_term(self, a, t):
        return f"-({t}*log({a}) + (1 - {t})*log(1 - {a}))"


class CrossEntropy(Loss):
    """E = -sum_i y_i ln yhat_i;  dE/dyhat = -y / yhat."""

    name = "cross_entropy"

    def terms(self, yhat, y):
        return -(y * np.log(yhat))

    def grad(self, yhat, y):
        return -y / yhat

    def hessian_diag(self, yhat, y):
        return y / (yhat * yhat)

    def sympy(self, sp, YH, YT, C):
        return -YT * sp.log(YH)

    def derivation(self, sp, YH, YT, C):
        return [Step(r"-YT \cdot \frac{1}{YH}", -YT / YH, r"$(\ln u)' = 1/u$")]

    def graph_term(self, a, t):
        return f"-{t}*log({a})"


class LogCosh(Loss):
    """E = sum_i ln cosh(yhat_i - y_i);  dE/dyhat = tanh(yhat - y)."""

    name = "log_cosh"

    def terms(self, yhat, y):
        # ln cosh d = |d| + ln((1 + e^(-2|d|)) / 2): no overflow, and exactly 0 at d = 0
        d = np.abs(yhat - y)
        return d + np.log((1 + np.exp(-2 * d)) / 2)

    def grad(self, yhat, y):
        return np.tanh(yhat - y)

    def hessian_diag(self, yhat, y):
        return sech2(yhat - y)

    def sympy(self, sp, YH, YT, C):
        return sp.log(sp.cosh(YH - YT))

    def derivation(self, sp, YH, YT, C):
        u = YH - YT
        d = sp.diff(self.sympy(sp, YH, YT, C), YH)
        return [Step(r"\frac{\partial \ln c}{\partial c}\, \frac{\partial \cosh u}{\partial u}\, "
                     r"\frac{\partial u}{\partial YH}", d, r"the chain rule with $u = YH - YT$, $c = \cosh u$"),
                Step(r"\frac{1}{\cosh u} \cdot \sinh u \cdot 1", sp.sinh(u) / sp.cosh(u),
                     r"$(\ln c)' = 1/c$, $\cosh' = \sinh$"),
                Step(r"\tanh u", sp.tanh(u), r"$\tanh = \sinh / \cosh$"),
                Step(None, None, r"$u = YH - YT$")]

    def graph_term(self, a, t):
        return f"log(cosh({a} - {t}))"


class Huber(Loss):
    """E = sum_i h(yhat_i - y_i) with h(d) = d^2 / 2 for |d| <= delta and
    delta (|d| - delta / 2) beyond;  dE/dyhat = d clipped to [-delta, delta]."""

    name = "huber"
    tex = r"\operatorname{huber}"
    option = ("delta", 1.0)
    option_positive = True
    #: huber(d, delta) of the graph language: h of one difference d = yhat - y
    graph = "function"
    fprime_name = "huber_step"
    fprime_tex = r"\operatorname{clip}_{%(p)s}\left(%(z)s\right)"

    def terms(self, yhat, y):
        d = yhat - y
        ad = np.abs(d)
        return np.where(ad <= self.param, d * d / 2, self.param * (ad - self.param / 2))

    def grad(self, yhat, y):
        d = yhat - y
        return np.where(d > self.param, 0 * d + self.param, np.where(d < -self.param, 0 * d - self.param, d))

    def hessian_diag(self, yhat, y):
        # 1 on the quadratic part |d| <= delta (at |d| = delta too, the side terms takes), 0 beyond
        return np.where(np.abs(yhat - y) <= self.param, 1.0, 0.0)

    def formula(self, sp, D, k):
        """h(D) for one difference D = yhat - y, with delta k."""
        return sp.Piecewise((D ** 2 / 2, sp.Abs(D) <= k), (k * (D - k / 2), D > k), (-k * (D + k / 2), True))

    def sympy(self, sp, YH, YT, C):
        return self.formula(sp, YH - YT, _decimal(sp, self.param))

    def graph_term(self, a, t):
        return f"huber({a} - {t}, {self.param!r})"


#: every loss with its option's default (see make_loss for another value)
LOSSES = {c.name: c() for c in (SquaredError, SumSquaredError, MeanSquaredError,
                                BinaryCrossEntropy, CrossEntropy, LogCosh, Huber)}


def make_loss(name, param=None):
    """The loss called ``name``, with its option's value (huber's delta) or the default.

    >>> make_loss("huber", 0.5).param, make_loss("squared_error").param
    (0.5, None)
    """
    return type(LOSSES[name])(param)

#: losses that take logarithms of the outputs, so the outputs must lie in (0, 1)
LOG_LOSSES = ("binary_cross_entropy", "cross_entropy")


def _log_one_minus_softmax(z):
    """ln(1 - softmax(z)_i) = ln(sum_{j != i} e^{z_j}) - logsumexp(z), per column.

    For i other than the column's arg-max m, the sum is taken shifted by z_m, so it is
    at least 1 and S - e_i loses nothing; for i = m it is taken over the other units
    shifted by their own maximum. No underflow to ln 0 even when 1 - a_i < 1e-308.

    >>> float(_log_one_minus_softmax(np.array([[800.0], [0.0]]))[0, 0])
    -800.0
    """
    cols = np.arange(z.shape[1])
    m = z.argmax(axis=0)
    top = np.arange(z.shape[0])[:, None] == m[None, :]  # the arg-max of each column
    top1 = z[m, cols]
    e = np.exp(z - top1)
    S = e.sum(axis=0)
    others = np.log(np.where(top, S, S - e)) + top1
    below = np.where(top, z.min(axis=0), z)  # the arg-max replaced by the column's minimum
    top2 = below.max(axis=0)
    rest = np.where(top, 0 * z, np.exp(np.where(top, 0 * z, z - top2))).sum(axis=0)
    others = np.where(top, np.log(rest) + top2, others)
    return others - (np.log(S) + top1)


def output_loss_terms(act, loss, z, a, y):
    """The output layer's loss, one term per unit and sample, stable for large |z|:
    a cross-entropy after sigmoid or softmax is taken from z in log space.

    >>> z = np.array([[1000.0], [0.0]]); y = np.array([[0.0], [1.0]])
    >>> output_loss_terms(Softmax(), LOSSES["cross_entropy"], z, Softmax().forward(z), y).ravel().tolist()
    [0.0, 1000.0]
    """
    if loss.name in LOG_LOSSES and act.name == "sigmoid":
        log_a, log_1ma = -softplus(-z), -softplus(z)
    elif loss.name in LOG_LOSSES and act.name == "softmax":
        log_a, log_1ma = log_softmax(z), _log_one_minus_softmax(z)
    else:
        return loss.terms(a, y)
    ce = np.where(y != 0, -y * log_a, 0 * y)  # 0 ln 0 = 0: a unit without target adds 0
    if loss.name == "cross_entropy":
        return ce
    return ce + np.where(y != 1, -(1 - y) * log_1ma, 0 * y)


def output_loss(act, loss, z, a, y):
    """Per-sample loss of the output layer (shape: samples): the terms summed.

    >>> z = np.array([[1000.0], [0.0]]); y = np.array([[0.0], [1.0]])
    >>> output_loss(Softmax(), LOSSES["cross_entropy"], z, Softmax().forward(z), y).tolist()
    [1000.0]
    """
    return output_loss_terms(act, loss, z, a, y).sum(axis=0)


#: (output activation, loss) pairs whose delta is not f'(z) * dE/dyhat taken apart:
#: simplified (yhat - y) or worked from z in log space (see output_delta)
SIMPLIFIED_PAIRS = (("softmax", "cross_entropy"), ("sigmoid", "binary_cross_entropy"),
                    ("sigmoid", "cross_entropy"), ("softmax", "binary_cross_entropy"))


def output_delta(act, loss, z, a, y):
    """delta = dE/dz at the output layer, one column per sample.

    softmax + cross_entropy:        delta = yhat * sum(y) - y   (= yhat - y for one-hot y)
    sigmoid + binary_cross_entropy: delta = yhat - y
    sigmoid + cross_entropy:        delta = -y (1 - yhat)
    any other pair:                 delta = f'(z) * dE/dyhat, or the softmax Jacobian
                                    applied to dE/dyhat

    >>> z = np.array([[0.0], [0.0]]); y = np.array([[1.0], [0.0]])
    >>> output_delta(Softmax(), LOSSES["cross_entropy"], z, Softmax().forward(z), y).ravel().tolist()
    [-0.5, 0.5]
    """
    pair = (act.name, loss.name)  # the SIMPLIFIED_PAIRS first
    if pair == ("softmax", "cross_entropy"):
        return a * y.sum(axis=0, keepdims=True) - y
    if pair == ("sigmoid", "binary_cross_entropy"):
        return a - y
    if pair == ("sigmoid", "cross_entropy"):
        return -y * sigmoid(-z)
    if pair == ("softmax", "binary_cross_entropy"):
        return _softmax_bce_delta(z, a, y)
    return act.backward(z, a, loss.grad(a, y))


def _softmax_bce_delta(z, a, y):
    """delta_j = (a_j - y_j) - sum_{k != j} (a_k - y_k) a_j / (1 - a_k) for softmax + BCE.

    From dE/da_k = (a_k - y_k) / (a_k (1 - a_k)) and da_k/dz_j = a_k (delta_kj - a_j).
    The ratio a_j / (1 - a_k) (at most 1 for k != j) is taken in log space, so an
    output at exactly 1.0 in floating point still gives the finite, correct delta.
    """
    log_a, log_1ma = log_softmax(z), _log_one_minus_softmax(z)
    C, n = z.shape
    diagonal = np.eye(C, dtype=bool)[:, :, None]
    out = np.empty_like(z)  # float64 or object, as z
    step = max(1, 4_000_000 // (C * C))  # columns per block: bounded memory
    for s in range(0, n, step):
        cols = slice(s, s + step)
        log_ratio = log_a[:, None, cols] - log_1ma[None, :, cols]  # [j, k, sample]
        ratio = np.where(diagonal, 0 * log_ratio, np.exp(np.where(diagonal, 0 * log_ratio, log_ratio)))
        out[:, cols] = (a - y)[:, cols] - np.einsum("jkn,kn->jn", ratio, (a - y)[:, cols])
    return out
