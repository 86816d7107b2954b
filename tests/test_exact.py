"""Every number right: the engine against references that cannot share its errors.

* Networks of relu, leaky_relu and linear units with squared-type losses stay rational:
  the reference is exact :class:`fractions.Fraction` arithmetic on the decimals as
  written. Hypothesis builds such problems and lands units exactly on their kinks
  (z = 0 in exact decimals, though not in binary floats), puts weights at exactly 0 for
  L1's sign and makes exact ties; every number must be the exact value correctly
  rounded, and exactly 0 where the exact value is 0.
* Smooth networks (sigmoid, tanh, softplus, softmax, every loss) are checked against a
  naive textbook implementation in mpmath at 120 digits (sigma' = a(1 - a),
  1 - a^2, the softmax Jacobian: fine at that precision), saturated units included:
  every number to 1e-12 relative (the reference gets |z| more digits where a saturated
  unit needs them).
PyTorch and NumPy float64 are not references here: they share the float errors.
"""

from fractions import Fraction

import mpmath
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from conftest import run_cli
from backprop_solver import spec, trace as tr

QUANTITIES = ("z", "a", "delta", "grad_W", "grad_b", "W_new", "b_new")


# ------------------------------------------------------------------ a reference engine

class Reference:
    """A textbook forward/backward pass on any number type: Fraction (exact) or mpf.

    Written independently of solver.functions: plain lists, loops, the formulas of
    the seeds (sigma' = a(1 - a), tanh' = 1 - a^2, delta^L = f' * dE/dyhat or the
    softmax Jacobian), each kink decided by comparing exact (or 120-digit) values.
    """

    def __init__(self, num, exp=None, log=None, tanh=None):
        self.num, self.exp, self.log, self.tanh = num, exp, log, tanh

    def act(self, name, z, slope):
        if name == "relu":
            return [max(v, 0 * v) for v in z]
        if name == "leaky_relu":
            return [v if v > 0 else slope * v for v in z]
        if name == "linear":
            return list(z)
        if name == "sigmoid":
            return [1 / (1 + self.exp(-v)) for v in z]
        if name == "tanh":
            return [self.tanh(v) for v in z]
        if name == "softplus":
            return [self.log(1 + self.exp(v)) for v in z]
        if name == "elu":
            return [v if v > 0 else slope * (self.exp(v) - 1) for v in z]
        if name == "swish":
            return [v / (1 + self.exp(-v)) for v in z]
        if name == "softmax":
            e = [self.exp(v) for v in z]
            return [v / sum(e) for v in e]
        raise ValueError(name)

    def fprime(self, name, z, a, slope):
        return {"relu": lambda: [1 if v > 0 else 0 for v in z],
                "leaky_relu": lambda: [1 if v > 0 else slope for v in z],
                "linear": lambda: [1] * len(z),
                "sigmoid": lambda: [v * (1 - v) for v in a],
                "tanh": lambda: [1 - v * v for v in a],
                "softplus": lambda: [1 / (1 + self.exp(-v)) for v in z],
                "elu": lambda: [1 if v > 0 else slope * self.exp(v) for v in z],
                "swish": lambda: [(1 + v * (1 - s)) * s for v, s in ((v, 1 / (1 + self.exp(-v))) for v in z)],
                }[name]()

    def loss(self, name, a, y, k=None):
        C = len(a)
        d = [p - t for p, t in zip(a, y)]
        if name == "huber":  # d^2 / 2 within k, k (|d| - k / 2) beyond; gradient d clipped
            return (sum(v * v / 2 if abs(v) <= k else k * (abs(v) - k / 2) for v in d),
                    [v if abs(v) <= k else (k if v > 0 else -k) for v in d])
        return {"squared_error": lambda: (sum(v * v for v in d) / 2, d),
                "sum_squared_error": lambda: (sum(v * v for v in d), [2 * v for v in d]),
                "mean_squared_error": lambda: (sum(v * v for v in d) / C, [2 * v / C for v in d]),
                "binary_cross_entropy": lambda: (
                    -sum(t * self.log(p) + (1 - t) * self.log(1 - p) for p, t in zip(a, y)),
                    [(p - t) / (p * (1 - p)) for p, t in zip(a, y)]),
                "cross_entropy": lambda: (-sum(t * self.log(p) for p, t in zip(a, y) if t),
                                          [-t / p for p, t in zip(a, y)]),
                "log_cosh": lambda: (sum(self.log((self.exp(v) + self.exp(-v)) / 2) for v in d),
                                     [self.tanh(v) for v in d])}[name]()

    def trace(self, p):
        n = self.num
        W = [[[n(v) for v in row] for row in M.tolist()] for M in p.weights]
        b = None if p.biases is None else [[n(v) for v in B.tolist()] for B in p.biases]
        acts = p.activations
        L, eta, l1, l2 = p.L, n(p.learning_rate), n(p.l1), n(p.l2)
        X, Y = [[n(v) for v in col] for col in p.X.T.tolist()], [[n(v) for v in col] for col in p.Y.T.tolist()]
        batches = [[i] for i in range(len(X))] if p.update == "sgd" else [list(range(len(X)))]
        out = []
        for _ in range(p.steps):
            for samples in batches:
                R = Fraction(1, len(samples)) if p.reduction == "mean" else 1
                rec = [{q: [] for q in QUANTITIES} for _ in range(L)]
                gW = [[[0 * v for v in row] for row in M] for M in W]
                gb = None if b is None else [[0 * v for v in B] for B in b]
                total = 0
                for k in samples:
                    a_all, z_all = [X[k]], []
                    for l in range(L):
                        z = [sum(w * v for w, v in zip(row, a_all[-1])) + (b[l][i] if b else 0)
                             for i, row in enumerate(W[l])]
                        z_all.append(z)
                        a_all.append(self.act(acts[l][0], z, n(acts[l][1] or 0)))
                    E, dE = self.loss(p.loss, a_all[-1], Y[k], None if p.loss_param is None else n(p.loss_param))
                    total += E
                    name = acts[-1][0]
                    if name == "softmax":
                        s = a_all[-1]
                        delta = [sum(dE[i] * s[i] * ((1 if i == j else 0) - s[j]) for i in range(len(s)))
                                 for j in range(len(s))]
                    else:
                        delta = [g * f for g, f in zip(dE, self.fprime(name, z_all[-1], a_all[-1], n(acts[-1][1] or 0)))]
                    deltas = [None] * L
                    deltas[-1] = delta
                    for l in range(L - 2, -1, -1):
                        back = [sum(W[l + 1][j][i] * deltas[l + 1][j] for j in range(len(W[l + 1])))
                                for i in range(len(W[l]))]
                        f = self.fprime(acts[l][0], z_all[l], a_all[l + 1], n(acts[l][1] or 0))
                        deltas[l] = [g * d for g, d in zip(back, f)]
                    for l in range(L):
                        rec[l]["z"].append(z_all[l])
                        rec[l]["a"].append(a_all[l + 1])
                        rec[l]["delta"].append(deltas[l])
                        for i, row in enumerate(gW[l]):
                            for j in range(len(row)):
                                row[j] += R * deltas[l][i] * a_all[l][j]
                            if gb:
                                gb[l][i] += R * deltas[l][i]
                penalty = sum(l2 / 2 * v * v + l1 * abs(v) for M in W for row in M for v in row)
                for l in range(L):
                    for i, row in enumerate(gW[l]):
                        for j, w in enumerate(row):
                            row[j] = w + l2 * W[l][i][j] + l1 * ((W[l][i][j] > 0) - (W[l][i][j] < 0))
                    W_new = [[w - eta * g for w, g in zip(Wr, gr)] for Wr, gr in zip(W[l], gW[l])]
                    b_new = None if b is None else (
                        [v - eta * g for v, g in zip(b[l], gb[l])] if p.train_biases else list(b[l]))
                    rec[l].update(grad_W=gW[l], W_new=W_new, grad_b=None if b is None else gb[l],
                                  b_new=b_new, z=_cols(rec[l]["z"]), a=_cols(rec[l]["a"]),
                                  delta=_cols(rec[l]["delta"]))
                out.append({"layers": rec, "loss": R * total + penalty})
                W = [r["W_new"] for r in rec]
                b = None if b is None else [r["b_new"] for r in rec]
        return out


def _cols(vectors):
    """Per-sample vectors as a units x samples matrix."""
    return [list(row) for row in zip(*vectors)]


def _flat(x):
    return [v for row in x for v in row] if x and isinstance(x[0], list) else list(x)


def assert_every_number(t, ref, rel):
    """Every number of the engine's trace is the reference's, to ``rel`` relative, and
    exactly 0 where the reference is exactly 0."""
    assert len(t.updates) == len(ref)
    for u, r in zip(t.updates, ref):
        for s, rl in zip(u.layers, r["layers"]):
            for q in QUANTITIES:
                got, want = getattr(s, q), rl[q]
                if want is None:
                    assert got is None
                    continue
                got = np.ravel(got).tolist()
                want = _flat(want)
                assert len(got) == len(want), (u.index, s.layer, q)
                for i, (g, w) in enumerate(zip(got, want)):
                    where = f"update {u.index}, layer {s.layer}, {q}[{i}]"
                    if w == 0:
                        assert g == 0, f"{where}: {g!r} where the exact value is 0"
                    else:
                        assert abs(g - float(w)) <= rel * abs(float(w)), f"{where}: {g!r} vs {float(w)!r}"
        assert abs(u.loss - float(r["loss"])) <= rel * abs(float(r["loss"])) + 1e-300


# ------------------------------------------------------- exact rationals, kinks, ties

DECIMALS = st.integers(-9, 9).map(lambda k: k / 10)  # one-decimal numbers, 0 included


@st.composite
def piecewise_linear_problems(draw):
    """A small relu / leaky_relu / linear network with a squared-type loss, with units
    put exactly on their kink: the bias of a chosen first-layer unit is -(W x) of the
    first sample, in decimals."""
    sizes = [draw(st.integers(1, 3)) for _ in range(draw(st.integers(2, 4)))]
    L = len(sizes) - 1
    acts = [draw(st.sampled_from(["relu", "leaky_relu", "linear"])) for _ in range(L)]
    slope = draw(st.sampled_from([0.01, 0.1, 0.25]))
    W = [[[draw(DECIMALS) for _ in range(sizes[l - 1])] for _ in range(sizes[l])] for l in range(1, L + 1)]
    n = draw(st.integers(1, 3))
    X = [[draw(DECIMALS) * 2 for _ in range(sizes[0])] for _ in range(n)]
    Y = [[draw(DECIMALS) for _ in range(sizes[-1])] for _ in range(n)]
    b = [[draw(DECIMALS) for _ in range(sizes[l])] for l in range(1, L + 1)]
    for i in range(sizes[1]):
        if draw(st.booleans()):  # exactly on the kink for sample 1
            b[0][i] = -float(sum(Fraction(str(w)) * Fraction(str(x)) for w, x in zip(W[0][i], X[0])))
    update = draw(st.sampled_from(["sgd", "batch"]))
    data = {"network": {"sizes": sizes, "activation": [{a: {"slope": slope}} if a == "leaky_relu" else a
                                                        for a in acts],
                        "weights": W, "biases": b},
            "loss": draw(st.sampled_from(["squared_error", "sum_squared_error", "mean_squared_error",
                                          "huber", {"huber": {"delta": 0.3}}])),
            "learning_rate": draw(st.sampled_from([0.1, 0.5, 1, 0.3])),
            "data": [{"x": x, "y": y} for x, y in zip(X, Y)], "update": update,
            "steps": draw(st.integers(1, 2)),
            "regularization": {"l1": draw(st.sampled_from([0, 0.1])), "l2": draw(st.sampled_from([0, 0.2]))}}
    if update == "batch":
        data["reduction"] = draw(st.sampled_from(["sum", "mean"]))
    return spec.parse(data, "kinks.yaml")


#: the issue's kink: z = 0.5*1 - 0.3*2 + 0.1 of the first hidden unit is 0 in decimals
KINK = """
network:
  sizes: [2, 3, 2]
  activation: [relu, softmax]
  weights: [[[0.5, -0.3], [0.2, 0.4], [-0.1, 0.3]], [[0.3, -0.2, 0.1], [0.5, 0.1, -0.4]]]
  biases: [[0.1, 0.0, 0.0], [0, 0]]
loss: cross_entropy
learning_rate: 1
data: [{x: [1.0, 2.0], y: 1}]
"""

EXACT = Reference(lambda v: Fraction(str(v)) if isinstance(v, float) else Fraction(v))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(piecewise_linear_problems())
def test_piecewise_linear_networks_are_exact_at_their_kinks(p):
    t = tr.trace(p)
    assert t.exact
    assert_every_number(t, EXACT.trace(p), rel=2.0 ** -52)


def test_the_kink_of_the_issue_is_decided_exactly(problem_file):
    # z = 0.5*1 - 0.3*2 + 0.1 is 0 in the decimals written, 2.8e-17 in binary floats:
    # relu'(0) = 0, so the first hidden unit's bias gradient is 0 (floats gave -0.0975)
    f = problem_file(KINK)
    p = spec.load(f)
    float_mode = tr.trace(p, exact=False).updates[0].layers[0]
    assert float_mode.z[0, 0] != 0 and float_mode.grad_b[0] != 0  # what floats decide
    s = tr.trace(p).updates[0].layers[0]
    assert s.z[0, 0] == 0 and s.a[0, 0] == 0 and s.fprime[0, 0] == 0
    assert s.grad_b[0] == 0 and not s.grad_W[0].any() and s.b_new[0] == 0.1
    code, out, _ = run_cli("trace", f)
    assert code == 0 and '"grad_b": [0.0, ' in out


def test_l1_sign_and_leaky_slope_at_exact_zero(problem_file):
    # W = 0.3 - 0.3 after one step would be 5.6e-17 in floats; sign(0) = 0 for L1, and
    # leaky_relu'(0) is the slope (the format's convention)
    f = problem_file("""
network: {sizes: [1, 1], activation: {leaky_relu: {slope: 0.2}}, weights: 0.3, biases: -0.3}
loss: squared_error
learning_rate: 1
data: [{x: 1, y: 0.7}]
regularization: {l1: 0.5}
""")
    s = tr.trace(spec.load(f)).updates[0].layers[0]
    assert s.z[0, 0] == 0 and s.fprime[0, 0] == 0.2
    assert s.delta[0, 0] == pytest.approx(-0.14, rel=1e-15)  # (0 - 0.7) * 0.2
    assert s.grad_W[0, 0] == pytest.approx(-0.14 + 0.5, rel=1e-15)


def test_tied_classes_are_ties(problem_file):
    # the outputs are 0.3 * 1 + 0 * 1 and 0.1 * 1 + 0.2 * 1: exactly equal, so arg-max
    # takes the first (floats make the second larger: 0.30000000000000004); the targets
    # equal the outputs, so the gradients are exactly 0 and the weights stay
    f = problem_file("""
network: {sizes: [2, 2], activation: linear, weights: [[[0.3, 0.0], [0.1, 0.2]]], biases: 0}
loss: squared_error
learning_rate: 0.1
data: [{x: [1, 1], y: [0.3, 0.3]}]
predict: [[1, 1]]
""")
    p = spec.load(f)
    assert tr.trace(p, exact=False).predictions[0].cls == 1
    t = tr.trace(p)
    assert not t.updates[0].layers[0].delta.any() and (t.weights[0] == p.weights[0]).all()
    q = t.predictions[0]
    assert q.output[0] == q.output[1] and q.cls == 0


# --------------------------------------------------- smooth networks, 120-digit mpmath

def mp_reference():
    return Reference(lambda v: mpmath.mpf(repr(float(v))) if isinstance(v, float) else mpmath.mpf(v),
                     exp=mpmath.exp, log=mpmath.log, tanh=mpmath.tanh)


SMOOTH = [(["sigmoid", "sigmoid"], "squared_error"), (["tanh", "softmax"], "cross_entropy"),
          (["softplus", "sigmoid"], "binary_cross_entropy"), (["tanh", "linear"], "log_cosh"),
          (["sigmoid", "softmax"], "binary_cross_entropy"), (["tanh", "tanh"], "mean_squared_error"),
          (["softplus", "softmax"], "sum_squared_error"), (["sigmoid", "sigmoid"], "cross_entropy"),
          ([{"elu": {"alpha": 0.7}}, "swish"], "huber"), (["swish", "elu"], "squared_error"),
          (["elu", "sigmoid"], "binary_cross_entropy")]


@pytest.mark.parametrize("scale", [(1, 1), (12, 3), (20, 1)], ids=["ordinary", "large", "saturated"])
@pytest.mark.parametrize("acts,loss", SMOOTH, ids=["-".join(map(str, a)) + "-" + l for a, l in SMOOTH])
def test_smooth_networks_agree_with_120_digit_mpmath(acts, loss, scale):
    rng = np.random.default_rng(sum(map(ord, "".join(map(str, acts)) + loss)) + scale[0])
    sizes = [2, 3, 3 if acts[-1] == "softmax" else 2]
    dec = lambda shape, s=1.0: np.round(rng.uniform(-s, s, shape), 2).tolist()  # noqa: E731
    onehot = loss == "cross_entropy"
    Y = [rng.integers(0, 2, sizes[-1]).tolist() for _ in range(2)]
    if onehot or acts[-1] == "softmax":
        Y = [np.eye(sizes[-1], dtype=int)[rng.integers(0, sizes[-1])].tolist() for _ in range(2)]
    data = {"network": {"sizes": sizes, "activation": acts,
                        "weights": [dec((sizes[1], sizes[0]), scale[0]), dec((sizes[2], sizes[1]), scale[1])],
                        "biases": [dec(sizes[1]), dec(sizes[2])]},
            "loss": loss, "learning_rate": 0.5, "update": "batch", "reduction": "mean", "steps": 2,
            "data": [{"x": dec(2), "y": y} for y in Y], "regularization": {"l2": 0.01}}
    p = spec.parse(data, "smooth.yaml")
    t = tr.trace(p)
    assert t.exact
    # 120 digits, and more where a saturated unit's 1 - sigma(z) ~ e^-|z| needs them
    largest = max(abs(float(v)) for u in t.updates for s in u.layers for v in s.z.ravel())
    with mpmath.workdps(120 + int(largest)):
        ref = mp_reference().trace(p)
    assert_every_number(t, ref, rel=1e-12)


@pytest.mark.parametrize("w,delta", [(30, 9.35762296884e-14), (40, 4.24835425529e-18)])
def test_a_saturated_sigmoid_keeps_its_digits(problem_file, w, delta):
    # the issue's cases: a(1 - a) of the rounded activation gave 9.34808e-14 and 0
    f = problem_file(f"network: {{sizes: [1, 1], activation: sigmoid, weights: {w}, biases: 0}}\n"
                     "loss: squared_error\nlearning_rate: 1\ndata: [{x: [1], y: [0]}]\n")
    t = tr.trace(spec.load(f))
    assert t.updates[0].layers[0].delta[0, 0] == pytest.approx(delta, rel=1e-11)
    assert t.digits > 2 * tr.EXACT_DIGITS  # the precision grew with z


def test_one_minus_tanh_squared_is_not_cancellation_noise(problem_file, tmp_path):
    # W_new = 1 - tanh(15)^2: floats gave 3.74367e-13; the true value is 3.74305e-13,
    # and the document shows it (the float noise rule would have shown 0 or noise)
    f = problem_file("network: {sizes: [1, 1, 1], activation: [tanh, linear], weights: [[[15]], [[1]]], "
                     "biases: 0}\nloss: squared_error\nlearning_rate: 1\ndata: [{x: [1], y: [0]}]\n")
    with mpmath.workdps(60):
        true = float(1 - mpmath.tanh(15) ** 2)
    assert tr.trace(spec.load(f)).updates[0].layers[1].W_new[0, 0] == pytest.approx(true, rel=1e-14)
    code, _, err = run_cli("solve", f, "-o", tmp_path, "--tex-only")
    assert code == 0, err
    assert "3.74305" in (tmp_path / "problem.tex").read_text()


def test_units_saturated_beyond_a_hand_calculation_run_in_float64(problem_file, tmp_path):
    # |z| = 4,500 would need ~4,000 digits (a minute of work): float64 instead, at once,
    # and the document says so
    f = problem_file("network: {sizes: [1, 1], activation: sigmoid, weights: 4500, biases: 0}\n"
                     "loss: squared_error\nlearning_rate: 1\ndata: [{x: [1], y: [1]}]\n")
    t = tr.trace(spec.load(f))
    assert not t.exact and t.updates[0].layers[0].delta[0, 0] == 0
    code, _, err = run_cli("solve", f, "-o", tmp_path, "--tex-only")
    assert code == 0, err
    assert "computed in double precision" in (tmp_path / "problem.tex").read_text()


def test_large_problems_stay_in_float64(problem_file):
    p = spec.parse({"network": {"sizes": [50, 60, 10], "activation": "sigmoid", "weights": 0.01},
                    "loss": "squared_error", "learning_rate": 1,
                    "data": [{"x": [0.1] * 50, "y": [0] * 10}] * 5}, "big.yaml")
    assert tr.count_numbers(p) > tr.EXACT_NUMBERS
    assert not tr.trace(p).exact


def test_verify_agrees_with_the_trace_at_the_kink(problem_file):
    # a student who writes relu'(0) = 0 and so grad_b = 0 for the unit on the kink is
    # right (float64 would have called the 0 wrong, with -0.0975 as the "true" value)
    f = problem_file(KINK)
    claims = problem_file("""
updates:
  - index: 1
    layers:
      - layer: 1
        z: [0, 1, 0.5]
        a: [0, 1, 0.5]
        grad_b: [0, -0.146251, 0.243751]
        b_new: [0.1, 0.146251, -0.243751]
""", name="claims.yaml")
    code, out, err = run_cli("verify", f, claims, "--json")
    assert code == 0, out + err


def test_the_graph_path_agrees_at_a_kink_that_only_floats_miss(problem_file):
    # z = 0.1 + 0.2 - 0.3 is 0 in decimals, 5.6e-17 in floats: the engine (exact mode)
    # and --as-graph (exact rationals) both take relu'(0) = 0
    import json
    f = problem_file("network: {sizes: [3, 2, 1], activation: [relu, linear], "
                     "weights: [[[0.1, 0.2, -0.3], [0.4, 0.1, 0.2]], [[1.0, -0.5]]], biases: 0}\n"
                     "loss: squared_error\nlearning_rate: 1\ndata: [{x: [1, 1, 1], y: [1]}]\n")
    code, out, err = run_cli("trace", f)
    assert code == 0, err
    layer = json.loads(out)["updates"][0]["layers"][0]
    assert layer["z"][0] == [0.0] and layer["grad_W"][0] == [0.0, 0.0, 0.0] and layer["grad_b"][0] == 0.0
    code, out, err = run_cli("trace", "--as-graph", f)
    assert code == 0, err
    g = json.loads(out)["gradients"]
    assert [g["w1_1_1"], g["w1_1_2"], g["w1_1_3"], g["b1_1"]] == [0.0] * 4
    assert g["b1_2"] == pytest.approx(layer["grad_b"][1], rel=1e-15)
