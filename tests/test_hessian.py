"""The exact Hessian of the mean loss in the weights (solver.hessian) against references
that cannot share its errors:

* SymPy: the mean loss of a tiny network written out symbolically from the plain
  formulas below (not the registry's), differentiated twice exactly in the weights and
  evaluated at 30 digits, for every activation (hidden and output) and every loss;
* SymPy's own derivatives of each activation's formula for the new second_derivative
  methods, and of each loss's SymPy term for hessian_diag, at large |z| too;
* a linear network under squared error, whose loss is exactly quadratic: (1/n) X X^T
  per output unit;
* the saturated limit of softmax + binary cross-entropy, known in closed form;
* central differences of the exact gradient (trace.gradients) as a loose sanity check.
"""

import numpy as np
import pytest
import sympy as sp

from backprop_solver import trace
from backprop_solver.functions import ACTIVATIONS, LOG_LOSSES, LOSSES, make_activation, make_loss
from backprop_solver.hessian import hessian, hessian_rows
from backprop_solver.spec import parse

R = sp.Rational  # of a float: its exact binary value, so SymPy sees the very numbers hessian() does

# The plain formulas, written here. A Hessian is local: at a point off every kink, relu,
# leaky_relu, elu and huber equal the smooth branch the point lies on (``pos``: z > 0;
# ``inside``: |yhat - y| <= delta; ``sign``: the sign of yhat - y), which SymPy then
# differentiates.
ACT = {
    "sigmoid": lambda z, p, pos: 1 / (1 + sp.exp(-z)),
    "tanh": lambda z, p, pos: sp.tanh(z),
    "relu": lambda z, p, pos: z if pos else 0 * z,
    "leaky_relu": lambda z, p, pos: z if pos else p * z,
    "elu": lambda z, p, pos: z if pos else p * (sp.exp(z) - 1),
    "linear": lambda z, p, pos: z,
    "softplus": lambda z, p, pos: sp.log(1 + sp.exp(z)),
    "swish": lambda z, p, pos: z / (1 + sp.exp(-z)),
}
LOSS = {  # the term of one output unit yh with target y; C output units, k huber's delta
    "squared_error": lambda yh, y, C, k, inside, sign: (yh - y) ** 2 / 2,
    "sum_squared_error": lambda yh, y, C, k, inside, sign: (yh - y) ** 2,
    "mean_squared_error": lambda yh, y, C, k, inside, sign: (yh - y) ** 2 / C,
    "log_cosh": lambda yh, y, C, k, inside, sign: sp.log(sp.cosh(yh - y)),
    "huber": lambda yh, y, C, k, inside, sign: (yh - y) ** 2 / 2 if inside else k * (sign * (yh - y) - k / 2),
}
#: the log losses in ln yh and ln(1 - yh), which the output layer gives in closed form
#: (ln sigma(z) = -ln(1 + e^-z); ln softmax_i = z_i - ln sum_j e^z_j): the same
#: function, with far smaller derivatives for SymPy to carry
LOG_LOSS = {
    "binary_cross_entropy": lambda log_yh, log_1m, y: -(y * log_yh + (1 - y) * log_1m),
    "cross_entropy": lambda log_yh, log_1m, y: -y * log_yh,
}


def sympy_hessian(p, digits=30):
    """The Hessian of the mean loss of problem p in its weights, by SymPy: the loss written
    out in one symbol per weight, differentiated twice, evaluated at ``digits`` digits."""
    shapes = [W.shape for W in p.weights]
    syms = sp.symbols(f"w0:{sum(r * c for r, c in shapes)}", real=True)
    values = [R(v) for W in p.weights for v in W.ravel()]
    at = dict(zip(syms, values))
    Ws, o = [], 0
    for r, c in shapes:
        Ws.append(sp.Matrix(r, c, syms[o:o + r * c]))
        o += r * c
    k = None if p.loss_param is None else R(p.loss_param)
    total = 0
    for s in range(p.X.shape[1]):
        a = sp.Matrix([R(v) for v in p.X[:, s]])
        for l, (W, (name, param)) in enumerate(zip(Ws, p.activations)):
            z = W * a
            if p.biases is not None:
                z += sp.Matrix([R(v) for v in p.biases[l]])
            if name == "softmax":
                e = [sp.exp(v) for v in z]
                a = sp.Matrix([v / sum(e) for v in e])
            else:
                z0 = [sp.N(v.xreplace(at), digits) for v in z]
                if name in ("relu", "leaky_relu", "elu"):
                    assert all(abs(v) > 1e-6 for v in z0), "a pre-activation at a kink"
                a = sp.Matrix([ACT[name](v, None if param is None else R(param), v0 > 0) for v, v0 in zip(z, z0)])
        C = len(a)
        y = [R(v) for v in p.Y[:, s]]
        if p.loss in LOG_LOSS:
            if name == "sigmoid":
                logs = [(-sp.log(1 + sp.exp(-v)), -sp.log(1 + sp.exp(v))) for v in z]
            else:  # softmax
                lse = sp.log(sum(e))
                logs = [(v - lse, sp.log(sum(e) - ei) - lse) for v, ei in zip(z, e)]
            total += sum(LOG_LOSS[p.loss](lp, lq, yi) for (lp, lq), yi in zip(logs, y))
            continue
        for i in range(C):
            d = sp.N((a[i] - y[i]).xreplace(at), digits)
            if k is not None:
                assert abs(abs(d) - k) > 1e-6, "huber at its kink"
            total += LOSS[p.loss](a[i], y[i], C, k, k is not None and abs(d) <= k, 1 if d > 0 else -1)
    mean = total / p.X.shape[1]
    grad = [sp.diff(mean, w) for w in syms]
    N = len(syms)
    entries = [sp.diff(grad[i], syms[j]) for i in range(N) for j in range(i, N)]
    # evaluated in (digits + 10)-digit SymPy Floats (quicker than lambdify, whose printing of
    # these long expressions is slow, and whose cse=True gave wrong numbers for them)
    point = {w: sp.Float(v, digits + 10) for w, v in at.items()}
    numbers = iter(e.xreplace(point) for e in entries)
    H = np.empty((N, N))
    for i in range(N):
        for j in range(i, N):
            H[i, j] = H[j, i] = float(next(numbers))
    return H


def dyadic(rng, shape, high=12):
    """Random multiples of 1/8 in [-high/8, high/8): exact in binary, so in SymPy too."""
    return (rng.integers(-high, high + 1, size=shape) / 8).tolist()


def nonzero(rng, size):
    """Random multiples of 1/8 in +-[1/8, 12/8] (inputs and weights: a zero would leave rows
    of the Hessian 0)."""
    return (rng.integers(1, 13, size=size) * rng.choice([-1, 1], size=size) / 8).tolist()


def named(name, param):
    if param is None:
        return name
    option = (ACTIVATIONS.get(name) or type(LOSSES[name])).option[0]
    return {name: {option: param}}


def problem(sizes, acts, loss, n=1, seed=0, biases=True, loss_param=None):
    """A problem of the given network (acts: [(name, option)]) with random dyadic weights,
    biases, inputs and targets (targets in [0, 1] for the log losses), drawn again until
    no relu, leaky_relu or elu unit is near its kink and no huber term near its delta,
    and each of them has values on both sides."""
    rng = np.random.default_rng(seed)
    L, C = len(sizes) - 1, sizes[-1]
    for _ in range(1000):
        targets = [(rng.integers(0, 9, size=C) / 8).tolist() if loss in LOG_LOSSES else dyadic(rng, C)
                   for _ in range(n)]
        p = parse({
            "network": {"sizes": sizes, "activation": [named(a, q) for a, q in acts],
                        "weights": [nonzero(rng, (sizes[l + 1], sizes[l])) for l in range(L)],
                        "biases": [dyadic(rng, sizes[l + 1]) for l in range(L)] if biases else None},
            "loss": named(loss, loss_param), "learning_rate": 1,
            "data": [{"x": nonzero(rng, sizes[0]), "y": y} for y in targets]})
        zs, as_ = trace.forward(p.weights, p.biases, [make_activation(a, q) for a, q in p.activations], p.X)
        # differences from the kinks (> 0.05 wanted) and both sides of each taken (< 0 wanted)
        kinks = [(np.abs(z).min(), -min((z > 0).sum(), (z < 0).sum()))
                 for z, (a, _) in zip(zs, acts) if a in ("relu", "leaky_relu", "elu")]
        if p.loss_param is not None:
            d = np.abs(as_[-1] - p.Y) - p.loss_param
            kinks.append((np.abs(d).min(), -min((d > 0).sum(), (d < 0).sum())))
        if all(gap > 0.05 and sides < 0 for gap, sides in kinks):
            return p
    raise AssertionError("no such problem drawn")

# Every activation hidden and at the output, every loss, the simplified pairs (sigmoid
# and softmax with both log losses), softmax with other losses, the options, no biases,
# three layers. Kept tiny: SymPy's Hessian costs about the square of the weights.
CASES = [
    # (sizes, [(activation, option)], loss, loss option, samples, biases)
    ([2, 2, 1], [("tanh", None), ("sigmoid", None)], "binary_cross_entropy", None, 1, True),
    ([1, 2, 1], [("relu", None), ("sigmoid", None)], "cross_entropy", None, 2, True),
    ([1, 2, 3], [("leaky_relu", 0.2), ("softmax", None)], "cross_entropy", None, 1, True),
    ([1, 2, 3], [("elu", 0.5), ("softmax", None)], "binary_cross_entropy", None, 1, True),
    ([1, 1, 2], [("softplus", None), ("softmax", None)], "huber", 0.25, 2, True),
    ([1, 1, 2], [("swish", None), ("softmax", None)], "log_cosh", None, 1, False),
    ([1, 1, 3], [("linear", None), ("softmax", None)], "mean_squared_error", None, 1, True),
    ([1, 2, 1], [("sigmoid", None), ("tanh", None)], "log_cosh", None, 1, True),
    ([1, 2, 1], [("elu", None), ("relu", None)], "squared_error", None, 2, True),
    ([1, 2, 1], [("tanh", None), ("leaky_relu", 0.3)], "huber", None, 2, True),
    ([1, 2, 2], [("swish", None), ("elu", 2.0)], "mean_squared_error", None, 1, True),
    ([2, 2, 1], [("softplus", None), ("linear", None)], "sum_squared_error", None, 2, False),
    ([1, 2, 1], [("leaky_relu", None), ("softplus", None)], "huber", 0.5, 2, True),
    ([1, 2, 1], [("sigmoid", None), ("swish", None)], "squared_error", None, 1, True),
    ([1, 1, 2, 1], [("tanh", None), ("swish", None), ("sigmoid", None)], "binary_cross_entropy", None, 1, True),
    ([1, 1, 1, 3], [("softplus", None), ("elu", None), ("softmax", None)], "cross_entropy", None, 2, True),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: "-".join(map(str, c[0])) + ":" + ",".join(a for a, _ in c[1])
                         + ":" + c[2])
def test_against_sympy(case):
    sizes, acts, loss, loss_param, n, biases = case
    p = problem(sizes, acts, loss, n=n, seed=len(sizes) + n, biases=biases, loss_param=loss_param)
    H = hessian(p, p.weights, p.biases, p.X, p.Y)
    ref = sympy_hessian(p)
    assert H.dtype == np.float64 and H.shape == ref.shape
    assert np.count_nonzero(ref) >= ref.size / 4  # not a Hessian of zeros
    np.testing.assert_allclose(H, ref, rtol=1e-10, atol=1e-13 * np.abs(ref).max())


def test_cases_cover_every_activation_and_loss():
    hidden = {a for c in CASES for a, _ in c[1][:-1]}
    output = {c[1][-1][0] for c in CASES}
    assert hidden == set(ACTIVATIONS) - {"softmax"} and output == set(ACTIVATIONS)
    assert {c[2] for c in CASES} == set(LOSSES)
    pairs = {(c[1][-1][0], c[2]) for c in CASES}
    assert {(o, loss) for o in ("sigmoid", "softmax") for loss in LOG_LOSSES} <= pairs


# ---- the new derivatives of the registry, against SymPy ----

POINTS = [-800.0, -40.0, -3.5, -1.0, -0.25, 0.3, 1.0, 2.75, 40.0, 800.0]


@pytest.mark.parametrize("name,param", [(a, None) for a in ACTIVATIONS if a != "softmax"]
                         + [("leaky_relu", 0.2), ("elu", 0.5), ("elu", 2.0)])
def test_second_derivative_against_sympy(name, param):
    f = make_activation(name, param)
    Z = sp.Symbol("Z", real=True)
    P = None if f.param is None else R(f.param)
    second = sp.diff(f.formula(sp, Z, P), Z, 2)
    z = np.array(POINTS)
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        got = f.second_derivative(z, f.forward(z))
    assert got.dtype == np.float64 and got.shape == z.shape and np.isfinite(got).all()
    # maxn: the digits SymPy may go to, for 1 - tanh^2 800 and the like (~e^-1600)
    want = np.array([float(sp.N(second.subs(Z, R(v)), 30, maxn=3000)) for v in POINTS])
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-300)
    # the kink (relu, leaky_relu, elu): the value on the side derivative() takes, z <= 0
    at0 = f.second_derivative(np.zeros(1), f.forward(np.zeros(1)))[0]
    if name in ("relu", "leaky_relu"):
        assert at0 == 0.0
    if name == "elu":
        assert at0 == f.param


def test_softmax_has_no_elementwise_second_derivative():
    with pytest.raises(TypeError):
        make_activation("softmax").second_derivative(np.zeros((2, 1)), np.full((2, 1), 0.5))


@pytest.mark.parametrize("name,param", [(n, None) for n in LOSSES] + [("huber", 0.3)])
def test_hessian_diag_against_sympy(name, param):
    loss = make_loss(name, param)
    YH, YT = sp.symbols("YH YT", real=True)
    C = 3
    second = sp.diff(loss.sympy(sp, YH, YT, C), YH, 2)
    if name in LOG_LOSSES:
        yhat = np.array([[0.01, 0.3, 0.5], [0.7, 0.999, 0.2]]).T  # C x samples
        y = np.array([[0.0, 0.25, 1.0], [1.0, 0.5, 0.0]]).T
    else:
        yhat = np.array([[-2.0, 0.1, 0.35], [5.0, -0.7, 0.0]]).T
        y = np.array([[0.5, 0.0, -0.4], [-1.0, 0.0, 0.8]]).T
    got = loss.hessian_diag(yhat, y)
    assert got.shape == yhat.shape and got.dtype == np.float64
    want = np.vectorize(lambda a, b: float(sp.N(second.subs({YH: R(a), YT: R(b)}), 30)))(yhat, y)
    np.testing.assert_allclose(got, want, rtol=1e-13, atol=0)


# ---- structure, limits and a sanity check ----

@pytest.mark.parametrize("loss,factor", [("squared_error", 1.0), ("sum_squared_error", 2.0),
                                         ("mean_squared_error", 2.0 / 3)])
def test_linear_network_squared_error_is_exactly_quadratic(loss, factor):
    # E is quadratic in W: H = factor * I_C (x) (1/n) sum_k x_k x_k^T, whatever W, b and y
    rng = np.random.default_rng(7)
    X = rng.integers(-8, 9, size=(4, 3)) / 4  # n = 4 samples: 1/n exact
    p = parse({"network": {"sizes": [3, 3], "activation": "linear", "weights": [dyadic(rng, (3, 3))],
                           "biases": [dyadic(rng, 3)]},
               "loss": loss, "learning_rate": 1,
               "data": [{"x": x.tolist(), "y": dyadic(rng, 3)} for x in X]})
    H = hessian(p, p.weights, p.biases, p.X, p.Y)
    np.testing.assert_allclose(H, factor * np.kron(np.eye(3), p.X @ p.X.T / 4), rtol=1e-15, atol=0)
    if factor != 2 / 3:  # every number dyadic: exactly
        np.testing.assert_array_equal(H, factor * np.kron(np.eye(3), p.X @ p.X.T / 4))


def test_saturated_softmax_binary_cross_entropy():
    # z = (800, 0, 0), y = (0, 1, 0): E = -ln p_2 - ln(1 - p_1) - ln(1 - p_3); its Hessian in
    # z is, to e^-800, that of -ln(1 - p_1) = lse(z) - ln(e^z2 + e^z3): -(diag(pi) - pi pi^T)
    # on units 2, 3 with pi = (1/2, 1/2). One input x = 1 without biases: H in W is that.
    p = parse({"network": {"sizes": [1, 3], "activation": "softmax", "weights": [[[800], [0], [0]]],
                           "biases": None},
               "loss": "binary_cross_entropy", "learning_rate": 1, "data": [{"x": [1], "y": [0, 1, 0]}]})
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        H = hessian(p, p.weights, p.biases, p.X, p.Y)
    np.testing.assert_allclose(H, [[0, 0, 0], [0, -0.25, 0.25], [0, 0.25, -0.25]], rtol=0, atol=1e-300)


@pytest.mark.parametrize("out,loss,y", [("softmax", "binary_cross_entropy", [0.2, 0.7, 0.1]),
                                        ("softmax", "cross_entropy", [0.2, 0.7, 0.1]),
                                        ("softmax", "squared_error", [0.2, 0.7, 0.1]),
                                        ("sigmoid", "binary_cross_entropy", [0.2, 0.7, 0.1]),
                                        ("sigmoid", "cross_entropy", [0.2, 0.7, 0.1])])
def test_saturated_outputs_against_sympy(out, loss, y):
    # z = (30, 0.5, -2) with x = 1: 1 - p_1 ~ e^-30, where 1 - p in floating point loses
    # everything; SymPy's exact expression at 60 digits knows better
    p = parse({"network": {"sizes": [1, 3], "activation": out, "weights": [[[30], [0.5], [-2]]], "biases": None},
               "loss": loss, "learning_rate": 1, "data": [{"x": [1], "y": y}]})
    H = hessian(p, p.weights, p.biases, p.X, p.Y)
    np.testing.assert_allclose(H, sympy_hessian(p, digits=60), rtol=1e-10, atol=1e-14)


@pytest.mark.parametrize("hidden,out,loss", [("tanh", "sigmoid", "binary_cross_entropy"),
                                             ("swish", "softmax", "binary_cross_entropy"),
                                             ("elu", "softmax", "huber"), ("softplus", "tanh", "log_cosh")])
def test_hessian_vector_products_against_differences_of_the_gradient(hidden, out, loss):
    # loose: central differences of the exact gradient (batch mean, no penalty) along v
    rng = np.random.default_rng(3)
    sizes = [3, 4, 3]
    targets = rng.uniform(0.05, 0.95, (5, 3)) if loss in LOG_LOSSES else rng.uniform(-1, 1, (5, 3))
    p = parse({"network": {"sizes": sizes, "activation": [hidden, out],
                           "weights": {"random": {"seed": 2, "low": -1, "high": 1}},
                           "biases": [rng.uniform(-.5, .5, 4).tolist(), rng.uniform(-.5, .5, 3).tolist()]},
               "loss": loss, "learning_rate": 0.1, "update": "batch", "reduction": "mean",
               "data": [{"x": x.tolist(), "y": y.tolist()} for x, y in zip(rng.uniform(-2, 2, (5, 3)), targets)]})
    H = hessian(p, p.weights, p.biases, p.X, p.Y)
    w = np.concatenate([W.ravel() for W in p.weights])

    def grad(w):
        Ws = [w[:12].reshape(4, 3), w[12:].reshape(3, 4)]
        return np.concatenate([g.ravel() for g in trace.gradients(p, Ws, p.biases, p.X, p.Y).grad_Ws])

    for _ in range(3):
        v = rng.normal(size=w.size)
        h = 1e-5
        fd = (grad(w + h * v) - grad(w - h * v)) / (2 * h)
        np.testing.assert_allclose(H @ v, fd, rtol=1e-6, atol=1e-8 * np.abs(fd).max())


def test_symmetric_as_computed_and_blockwise_alike(monkeypatch):
    # the rows as computed (before hessian() averages H with H^T) are symmetric to rounding,
    # and blocks of one direction at a time give the same rows; the penalty and the
    # problem's reduction (sum here) change nothing: H is of the plain mean loss
    rng = np.random.default_rng(11)
    p = parse({"network": {"sizes": [3, 5, 4, 3], "activation": ["swish", "tanh", "softmax"],
                           "weights": {"random": {"seed": 4}}, "biases": 0.1},
               "loss": "binary_cross_entropy", "learning_rate": 1, "update": "batch",
               "regularization": {"l2": 0.5, "l1": 0.1},
               "data": [{"x": x.tolist(), "y": y.tolist()}
                        for x, y in zip(rng.uniform(-2, 2, (6, 3)), rng.uniform(0, 1, (6, 3)))]})
    rows = hessian_rows(p, p.weights, p.biases, p.X, p.Y)
    assert np.abs(rows - rows.T).max() <= 1e-14 * np.abs(rows).max()
    H = hessian(p, p.weights, p.biases, p.X, p.Y)
    assert (H == H.T).all()
    monkeypatch.setattr("backprop_solver.hessian.BLOCK_NUMBERS", 1)
    np.testing.assert_array_equal(hessian_rows(p, p.weights, p.biases, p.X, p.Y), rows)
    mean = parse({**p.to_dict(), "regularization": {"l2": 0, "l1": 0}, "reduction": "mean"})
    np.testing.assert_array_equal(hessian(mean, p.weights, p.biases, p.X, p.Y), H)
