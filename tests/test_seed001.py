"""Seed 001, questions 1 to 3: every number the worked solution prints, to the digits printed.

Numbers are copied as the exercise's printed worked solution ("the seed" below) gives
them (rows separated by ';').
Where the worked solution is wrong, the test asserts the correct value and says why.
"""

import numpy as np
import pytest

from conftest import PROBLEMS, assert_printed
from backprop_solver import spec, trace


def run(name):
    return trace.trace(spec.load(PROBLEMS / name))


def traced(name, file):
    """A module-wide fixture ``name``: the trace of problems/``file``."""
    return pytest.fixture(scope="module", name=name)(lambda: run(file))


q1 = traced("q1", "seed001_q1_sigmoid_sgd.yaml")
q2a = traced("q2a", "seed001_q2a_tanh_sgd.yaml")
q2b = traced("q2b", "seed001_q2b_tanh_batch.yaml")
q3 = traced("q3", "seed001_q3_softmax_ce_batch.yaml")


def test_q1_forward(q1):
    l1, l2 = q1.updates[0].layers
    assert_printed(l1.z, "0.2; 0.2; 0.2", "z1")
    assert_printed(l1.a, "0.549834; 0.549834; 0.549834", "x1")
    assert_printed(l2.z, "0.16495; 0.16495", "z2")
    assert_printed(l2.a, "0.541144; 0.541144", "x2")


def test_q1_backward_and_update(q1):
    l1, l2 = q1.updates[0].layers
    assert_printed(l2.delta, "-0.113937; 0.13437", "delta2")
    assert_printed(l1.delta, "0.00050575; 0.00050575; 0.00050575", "delta1")
    assert_printed(l2.grad_W, "-0.0626465 -0.0626465 -0.0626465; 0.0738812 0.0738812 0.0738812", "dE/dw2")
    assert_printed(l2.grad_b, "-0.113937; 0.13437", "dE/db2")
    assert_printed(l1.grad_W, "0.00050575 0.00050575 0 0 0; " * 2 + "0.00050575 0.00050575 0 0 0", "dE/dw1")
    assert_printed(l1.grad_b, "0.00050575; 0.00050575; 0.00050575", "dE/db1")
    assert_printed(l2.W_new, "0.162647 0.162647 0.162647; 0.0261188 0.0261188 0.0261188", "w2 new")
    assert_printed(l2.b_new, "0.113937; -0.13437", "b2 new")
    assert_printed(l1.W_new, "0.0994943 0.0994943 0.1 0.1 0.1; " * 2 + "0.0994943 0.0994943 0.1 0.1 0.1", "w1 new")
    assert_printed(l1.b_new, "-0.00050575; -0.00050575; -0.00050575", "b1 new")


def test_q1b_prediction(q1):
    (p,) = q1.predictions
    assert_printed(p.output, "0.59438; 0.477189", "x_new output")
    assert p.cls == 0  # "belonging to the first class": argmax


def test_q1b_prediction_intermediates(q1):
    """The seed also prints the forward pass of the query point with the new parameters."""
    from backprop_solver.functions import make_activation
    acts = [make_activation(n, s) for n, s in q1.problem.activations]
    zs, as_ = trace.forward(q1.weights, q1.biases, acts, q1.problem.predict)
    assert_printed(zs[0], "0.198989; 0.198989; 0.198989", "z1 new")
    assert_printed(as_[0], "0.549584; 0.549584; 0.549584", "x1 new")
    assert_printed(zs[1], "0.382101; -0.0913066", "z2 new")


# Question 2: the seed prints the batch (b) with one column per sample; column 1 is (a).
Q2_Z1 = "0.2 1; 0.2 1; 0.2 1; 0.2 1"
Q2_X1 = "0.197375 0.761594; " * 3 + "0.197375 0.761594"
# The seed prints z2, x2, z3, x3 with 4 rows, but layers 2 and 3 have 3 units: the
# extra row is a copy; we check the 3 rows the network has.
Q2_Z2 = "0.0789501 0.304638; " * 2 + "0.0789501 0.304638"
Q2_X2 = "0.0787865 0.295551; " * 2 + "0.0787865 0.295551"
# z3's first column is 0.02363595...: the seed prints 0.0236359 (computed from the rounded
# x2 = 0.0787865: 3 * 0.1 * 0.0787865 = 0.02363595, rounded down); rounded correctly to
# the digits printed it is 0.0236360, which is what we assert.
Q2_Z3 = "0.0236360 0.0886653; " * 2 + "0.0236360 0.0886653"
# Likewise x3 = tanh(z3) = 0.02363155 (0.0236315 to the digits printed): the seed's
# 0.0236316 is tanh of its rounded z3.
Q2_X3 = "0.0236315 0.0884337; " * 2 + "0.0236315 0.0884337"
# delta3's first entry is 0.023618353 (0.0236184; the seed prints 0.0236183 here but its
# own bias update -0.00236184 = -0.1 * 0.0236184 shows the correct value).
Q2_D3 = "0.0236184 0.0877421; -0.975823 0.0877421; 0.0236184 -0.904437"
Q2_D2 = "-0.0922822 -0.0665279; " * 2 + "-0.0922822 -0.0665279"
Q2_D1 = "-0.0266062 -0.008382; " * 3 + "-0.0266062 -0.008382"


def first_column(printed):
    return "; ".join(r.split()[0] for r in printed.split(";"))


def test_q2a_sgd_is_the_first_column(q2a):
    (u,) = q2a.updates
    l1, l2, l3 = u.layers
    for got, printed, what in [(l1.z, Q2_Z1, "z1"), (l1.a, Q2_X1, "x1"), (l2.z, Q2_Z2, "z2"),
                               (l2.a, Q2_X2, "x2"), (l3.z, Q2_Z3, "z3"), (l3.a, Q2_X3, "x3"),
                               (l3.delta, Q2_D3, "delta3"), (l2.delta, Q2_D2, "delta2"),
                               (l1.delta, Q2_D1, "delta1")]:
        assert_printed(got, first_column(printed), what)
    # one sample, eta = 1: W_new = W - delta a^T
    np.testing.assert_allclose(l3.W_new, 0.1 - np.outer(l3.delta, l2.a), rtol=1e-12)


def test_q2b_batch_forward_and_deltas(q2b):
    (u,) = q2b.updates
    l1, l2, l3 = u.layers
    assert_printed(l1.z, Q2_Z1, "z1")
    assert_printed(l1.a, Q2_X1, "x1")
    assert_printed(l2.z, Q2_Z2, "z2")
    assert_printed(l2.a, Q2_X2, "x2")
    assert_printed(l3.z, Q2_Z3, "z3")
    assert_printed(l3.a, Q2_X3, "x3")
    assert_printed(l3.delta, Q2_D3, "delta3")
    assert_printed(l2.delta, Q2_D2, "delta2")
    assert_printed(l1.delta, Q2_D1, "delta1")


def test_q2b_batch_gradients_and_update(q2b):
    l1, l2, l3 = q2b.updates[0].layers
    assert_printed(l3.grad_W, "0.0277931 0.0277931 0.0277931; -0.0509494 -0.0509494 -0.0509494; "
                              "-0.265447 -0.265447 -0.265447", "dE/dw3")
    assert_printed(l2.grad_W, "-0.0688815 -0.0688815 -0.0688815 -0.0688815; " * 2
                   + "-0.0688815 -0.0688815 -0.0688815 -0.0688815", "dE/dw2")
    assert_printed(l1.grad_W, "-0.0266062 0 -0.110426 0; " * 3 + "-0.0266062 0 -0.110426 0", "dE/dw1")
    assert_printed(l3.W_new, "0.0972207 0.0972207 0.0972207; 0.105095 0.105095 0.105095; "
                             "0.126545 0.126545 0.126545", "w3 new")
    assert_printed(l2.W_new, "0.106888 0.106888 0.106888 0.106888; " * 2
                   + "0.106888 0.106888 0.106888 0.106888", "w2 new")
    assert_printed(l1.W_new, "0.102661 0.1 0.111043 0.1; " * 3 + "0.102661 0.1 0.111043 0.1", "w1 new")


def test_q2b_bias_gradients_are_summed_not_per_sample(q2b):
    """The seed's mistake: it prints dE/db = delta [1 1]^T but writes delta itself, one
    column per sample, and then 'updates' b into a 2-column matrix. A bias is a vector:
    its batch gradient is the sum of the columns of delta. We assert the correct sums,
    built from the seed's own (correct) deltas."""
    l1, l2, l3 = q2b.updates[0].layers
    assert l3.grad_b.shape == (3,) and l3.b_new.shape == (3,)
    assert_printed(l3.grad_b, "0.111360; -0.888081; -0.880819", "dE/db3 = 0.0236183 + 0.0877421, ...")
    assert_printed(l2.grad_b, "-0.158810; -0.158810; -0.158810", "dE/db2 = -0.0922822 - 0.0665279")
    assert_printed(l1.grad_b, "-0.0349882; -0.0349882; -0.0349882; -0.0349882", "dE/db1")
    # eta = 0.1; the seed's per-sample columns -0.00236184 and -0.0087742 sum to this:
    assert_printed(l3.b_new, "-0.0111360; 0.0888081; 0.0880819", "b3 new")
    assert_printed(l2.b_new, "0.0158810; 0.0158810; 0.0158810", "b2 new")
    assert_printed(l1.b_new, "0.00349882; 0.00349882; 0.00349882; 0.00349882", "b1 new")


def test_q3_softmax_cross_entropy(q3):
    l1, l2, l3 = q3.updates[0].layers
    assert_printed(l3.a, "0.333333 0.333333; " * 2 + "0.333333 0.333333", "x3 = softmax(z3)")
    assert_printed(l3.delta, "0.333333 0.333333; -0.666667 0.333333; 0.333333 -0.666667", "delta3 = x3 - z")
    # The seed prints delta2 and delta1 as 2x2 zero matrices; they are 3x2 and 4x2.
    # W3 has equal entries and each column of delta3 sums to 0, so W3^T delta3 = 0
    # up to rounding (about 1e-17): zero to every digit the seed prints.
    assert l2.delta.shape == (3, 2) and l1.delta.shape == (4, 2)
    assert_printed(l2.delta, "0 0; 0 0; 0 0", "delta2")
    assert_printed(l1.delta, "0 0; 0 0; 0 0; 0 0", "delta1")
    assert np.abs(l2.delta).max() < 1e-15 and np.abs(l1.delta).max() < 1e-15
    assert_printed(l3.grad_W, "0.124779 0.124779 0.124779; 0.0459927 0.0459927 0.0459927; "
                              "-0.170772 -0.170772 -0.170772", "dE/dw3")
    assert_printed(l3.W_new, "0.0875221 0.0875221 0.0875221; 0.0954007 0.0954007 0.0954007; "
                             "0.117077 0.117077 0.117077", "w3 new")
    # The seed again writes the bias gradient per sample; summed over the batch:
    # 0.333333 + 0.333333, -0.666667 + 0.333333, 0.333333 - 0.666667.
    assert_printed(l3.grad_b, "0.666667; -0.333333; -0.333333", "dE/db3")
    assert_printed(l3.b_new, "-0.0666667; 0.0333333; 0.0333333", "b3 new")
    # Layers 1 and 2 do not move (the seed: "will not be updated").
    np.testing.assert_allclose(l2.W_new, 0.1, atol=1e-15)
    np.testing.assert_allclose(l1.W_new, 0.1, atol=1e-15)


def test_q3_class_index_targets_are_one_hot(q3):
    np.testing.assert_array_equal(q3.problem.Y, [[0, 0], [1, 0], [0, 1]])
