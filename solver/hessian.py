"""The exact Hessian of a layered network's mean training loss in its weights.

    H[i, j] = d^2 Lbar / dw_i dw_j,   Lbar = (1/n) sum_k E(yhat_k, y_k)

over the n samples given, without any regularization penalty (L2 adds l2 I to H, L1
nothing away from 0), at the given parameters; w holds the weights only (the biases
are held fixed), layer 1 first, each matrix row-major (``W.ravel()``).

Method: Pearlmutter's R-operator (forward over reverse), one Hessian-vector product
R{grad} = H v per weight direction v, all unit vectors of one layer's weights taken
together (in blocks of bounded memory) with the directions as a leading array axis.
With z^l = W^l a^(l-1) + b^l, a^l = f_l(z^l), delta^L = dE/dz^L and
delta^l = (W^(l+1)^T delta^(l+1)) * f_l'(z^l), for a direction V (V^m = e_i e_j^T in
the layer m of the weight (i, j), 0 elsewhere):

    forward    R{z^l} = V^l a^(l-1) + W^l R{a^(l-1)},     R{a^0} = 0
               R{a^l} = f_l'(z^l) * R{z^l}
    output     R{delta^L} = M R{z^L},    M = d delta^L / d z^L  (the Hessian of E in z^L)
    backward   R{delta^l} = (V^(l+1)^T delta^(l+1) + W^(l+1)^T R{delta^(l+1)}) * f_l'(z^l)
                            + (W^(l+1)^T delta^(l+1)) * f_l''(z^l) * R{z^l}
    gradient   R{dLbar/dW^l} = (1/n) (R{delta^l} a^(l-1)^T + delta^l R{a^(l-1)}^T)

M per sample (C output units; g = dE/dyhat, h = d^2E/dyhat^2, diagonal since every
loss is a sum of per-unit terms, functions.Loss.hessian_diag):

* element-wise output f:           M = diag(f''(z) g + f'(z)^2 h)
* sigmoid + binary_cross_entropy:  M = diag(s(z) s(-z))            (delta = s - y)
* sigmoid + cross_entropy:         M = diag(y s(z) s(-z))          (delta = -y s(-z))
* softmax + cross_entropy:         M = (sum_i y_i) J,  J = diag(p) - p p^T
* softmax + any loss but the logs: M r = J (h * J r) + (J r) * (g - p.g) - p ((J r).g),
  from delta = J g and the directional derivative of J
* softmax + binary_cross_entropy:  M = (sum_i y_i) J + sum_i (1 - y_i) p_i K_i with
  K_i = (1 - p_i)(e_i e_i^T - e_i pi_i^T - pi_i e_i^T) + (2 - p_i) pi_i pi_i^T - diag(pi_i),
  pi_i = (p_j / (1 - p_i))_j (0 at j = i), the softmax of the units other than i: the
  Hessian of -ln(1 - p_i) written in these bounded ratios, so that a unit saturated at
  p_i = 1 gives its finite Hessian instead of inf - inf.

The sigmoid, cross-entropy and softmax pairs are computed from z as functions.output_delta
does, so large |z| (hundreds) gives neither overflow nor NaN. Kinks (relu, leaky_relu
at 0, elu's f' where alpha != 1, huber at |yhat - y| = delta) contribute no
distributional term: f'' there is the one-sided value of functions.Activation.second_derivative.

The result is symmetrised, (H + H^T) / 2; :func:`hessian_rows` gives the rows as computed.
It is of the mean loss whatever the problem's ``reduction`` (the loss a batch-sum update
descends is n times it, the L2 penalty adds l2 I).

Cost: one forward and backward pass of the R-operator per weight, about
n_w x n x (the weights) multiply-adds, as matrix products over blocks of directions: a
2-10-1 network on 150 samples (30 weights) takes under a millisecond, a 2-8-8-8-8-8-8-1
one on 100 samples (344 weights) about 20 ms, a 2-100-100-1 one on 1,000 samples
(10,300 weights) over a minute.
"""

import numpy as np

from .functions import _log_one_minus_softmax, log_softmax, make_activation, make_loss, output_delta, sigmoid
from .trace import forward

#: about the most numbers one block of directions holds at once (its R{z}, R{a} and
#: R{delta} of every layer, directions x units x samples, and its rows of H)
BLOCK_NUMBERS = 2_000_000


def hessian(problem, weights, biases, X, Y):
    """H[i, j] = d^2 Lbar / dw_i dw_j, Lbar = (1/n) sum_k E(yhat_k, y_k), the mean per-sample loss over the
    n samples X, Y (columns; float64), WITHOUT any regularization penalty, at the given parameters;
    w = the weights only (biases held fixed), layer 1 first, each matrix row-major (W.ravel()).
    Returns a symmetric float64 array (n_w x n_w).

    Any activations and loss of the registry (softmax at the output); the mean whatever
    problem.reduction, and problem.l1, l2 are ignored. See the module docstring.

    >>> from backprop_solver.spec import parse
    >>> p = parse({"network": {"sizes": [2, 1], "activation": "linear", "weights": 0.5},
    ...            "loss": "squared_error", "learning_rate": 1,
    ...            "data": [{"x": [1, 2], "y": 1}, {"x": [3, 0], "y": 0}]})
    >>> hessian(p, p.weights, p.biases, p.X, p.Y).tolist()  # (1/n) sum x x^T
    [[5.0, 1.0], [1.0, 2.0]]
    """
    H = hessian_rows(problem, weights, biases, X, Y)
    return (H + H.T) / 2


def hessian_rows(problem, weights, biases, X, Y):
    """The rows H v of :func:`hessian` for each unit vector v, as computed (symmetric up to
    rounding; hessian() averages H with its transpose)."""
    acts = [make_activation(n, s) for n, s in problem.activations]
    loss = make_loss(problem.loss, problem.loss_param)
    weights = [np.asarray(W, dtype=float) for W in weights]
    biases = None if biases is None else [np.asarray(b, dtype=float) for b in biases]
    X, Y = np.asarray(X, dtype=float), np.asarray(Y, dtype=float)
    L, n = len(weights), X.shape[1]
    zs, as_ = forward(weights, biases, acts, X)
    a_in = [X] + as_[:-1]  # a^(l-1) of each layer
    f1 = [f.derivative(z, a) for f, z, a in zip(acts[:-1], zs, as_)]
    f2 = [f.second_derivative(z, a) for f, z, a in zip(acts[:-1], zs, as_)]
    output = _output_curvature(acts[-1], loss, zs[-1], as_[-1], Y)
    deltas = [None] * L
    back = [None] * L  # W^(l+1)^T delta^(l+1): delta^l before the factor f'(z^l)
    deltas[-1] = output.delta
    for l in range(L - 2, -1, -1):
        back[l] = weights[l + 1].T @ deltas[l + 1]
        deltas[l] = back[l] * f1[l]

    offsets = np.concatenate([[0], np.cumsum([W.size for W in weights])])
    H = np.empty((offsets[-1], offsets[-1]))
    per_direction = 3 * n * sum(W.shape[0] for W in weights) + offsets[-1]  # R{z}, R{a}, R{delta}, a row
    step = max(1, BLOCK_NUMBERS // per_direction)
    for m, W in enumerate(weights):
        for d0 in range(0, W.size, step):
            d = np.arange(d0, min(d0 + step, W.size))
            rows = _directions(weights, m, d, a_in, f1, f2, deltas, back, output)
            H[offsets[m] + d] = np.concatenate([r.reshape(len(d), -1) for r in rows], axis=1) / n
    return H


def _directions(weights, m, d, a_in, f1, f2, deltas, back, output):
    """n H v for the unit vectors v of the weights d (flat, row-major) of layer m (0-based):
    one array (directions x units x inputs) per layer."""
    L = len(weights)
    i, j = np.divmod(d, weights[m].shape[1])  # W^m[i, j]
    D = len(d)
    Rz = [None] * L  # R{z^l}, 0 below layer m
    Ra = [None] * L  # R{a^l}
    Rz[m] = np.zeros((D, weights[m].shape[0], a_in[m].shape[1]))
    Rz[m][np.arange(D), i, :] = a_in[m][j]  # V^m a^(m-1) = e_i (row j of a^(m-1))
    for l in range(m, L):
        if l > m:
            Rz[l] = weights[l] @ Ra[l - 1]
        if l < L - 1:
            Ra[l] = f1[l] * Rz[l]
    Rd = [None] * L  # R{delta^l}
    Rd[-1] = output.apply(Rz[-1])
    for l in range(L - 2, -1, -1):
        s = weights[l + 1].T @ Rd[l + 1]
        if l + 1 == m:  # V^m^T delta^m = e_j (row i of delta^m)
            s[np.arange(D), j, :] += deltas[m][i]
        s = s * f1[l]
        if l >= m:
            s = s + (back[l] * f2[l]) * Rz[l]
        Rd[l] = s
    rows = []
    for l in range(L):
        r = Rd[l] @ a_in[l].T
        if l > m:
            r = r + deltas[l] @ Ra[l - 1].transpose(0, 2, 1)
        rows.append(r)
    return rows


class _Output:
    """The output layer's delta = dE/dz^L and the map r -> M r (r: directions x units x samples)."""

    def __init__(self, delta, apply):
        self.delta = delta
        self.apply = apply


def _output_curvature(act, loss, z, a, y):
    """delta^L and M = d delta^L / d z^L, per sample, for the output activation and loss."""
    delta = output_delta(act, loss, z, a, y)
    pair = (act.name, loss.name)
    if pair == ("sigmoid", "binary_cross_entropy"):
        diag = sigmoid(z) * sigmoid(-z)
    elif pair == ("sigmoid", "cross_entropy"):
        diag = y * sigmoid(z) * sigmoid(-z)
    elif act.name == "softmax" and loss.name == "cross_entropy":
        p, total = a, y.sum(axis=0)
        return _Output(delta, lambda r: total * _jacobian(p, r))
    elif act.name == "softmax" and loss.name == "binary_cross_entropy":
        return _Output(delta, _softmax_bce(z, y))
    elif act.name == "softmax":
        p, g, h = a, loss.grad(a, y), loss.hessian_diag(a, y)
        pg = (p * g).sum(axis=0)

        def apply(r):
            u = _jacobian(p, r)  # R{p}
            return _jacobian(p, h * u) + u * (g - pg) - p * (u * g).sum(axis=1, keepdims=True)

        return _Output(delta, apply)
    else:
        d1 = act.derivative(z, a)
        diag = act.second_derivative(z, a) * loss.grad(a, y) + d1 * d1 * loss.hessian_diag(a, y)
    return _Output(delta, lambda r: diag * r)


def _jacobian(p, r):
    """J r per sample and direction, J = diag(p) - p p^T the softmax Jacobian."""
    return p * (r - (p * r).sum(axis=-2, keepdims=True))


def _softmax_bce(z, y):
    """r -> M r for softmax + binary cross-entropy (see the module docstring), every
    factor bounded: pi[j, i] = p_j / (1 - p_i) = e^z_j / sum_(k != i) e^z_k (0 at j = i) is
    the softmax of z without unit i, computed as one, and 1 - p_i from log space."""
    p, q = np.exp(log_softmax(z)), np.exp(_log_one_minus_softmax(z))  # q = 1 - p, without cancellation
    C = z.shape[0]
    others = np.where(np.eye(C, dtype=bool)[:, :, None], -np.inf, z[:, None, :])  # [j, i, n]: z_j, j != i
    e = np.exp(others - others.max(axis=0))
    pi = e / e.sum(axis=0)
    total = y.sum(axis=0)
    kappa = (1 - y) * p  # (1 - y_i) p_i

    def apply(r):
        pir = np.einsum("jin,djn->din", pi, r)  # pi_i . r
        inner = kappa * ((2 - p) * pir - q * r)
        return (total * _jacobian(p, r) + kappa * q * (r - pir) + np.einsum("kin,din->dkn", pi, inner)
                - r * np.einsum("kin,in->kn", pi, kappa))

    return apply
