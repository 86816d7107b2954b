"""The trace: its JSON layout (see docs/problem-format.md), update order, defaults and the
problem-file features."""

import json
import tempfile
from pathlib import Path

import numpy as np
import pytest

from conftest import PROBLEMS, run_cli
from backprop_solver import spec, trace


def parse(text_or_dict, file="p.yaml"):
    """spec.parse on a mapping, or on YAML text read as every problem file is (spec.read_yaml)."""
    if isinstance(text_or_dict, str):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / file
            path.write_text(text_or_dict, encoding="utf-8")
            text_or_dict = spec.read_yaml(path)
    return spec.parse(text_or_dict, file)


BASE = {
    "network": {"sizes": [2, 3, 2], "activation": "sigmoid", "weights": 0.1},
    "loss": "squared_error", "learning_rate": 0.5,
    "data": [{"x": [1, 0], "y": [1, 0]}, {"x": [0, 1], "y": [0, 1]}, {"x": [1, 1], "y": [1, 1]}],
}


def with_(**changes):
    d = json.loads(json.dumps(BASE))
    for k, v in changes.items():
        if k in d["network"] or k in ("biases", "train_biases"):
            d["network"][k] = v
        else:
            d[k] = v
    return d


def test_json_follows_the_documented_layout():
    code, out, err = run_cli("trace", PROBLEMS / "seed001_q2b_tanh_batch.yaml")
    assert code == 0, err
    t = json.loads(out)
    assert t["format"] == 1 and set(t) >= {"format", "problem", "updates", "predictions"}
    (u,) = t["updates"]
    assert u["index"] == 1 and u["samples"] == [0, 1]
    assert np.shape(u["input"]) == (4, 2)
    assert isinstance(u["loss"], float)
    sizes = [4, 4, 3, 3]
    for l, layer in enumerate(u["layers"], start=1):
        assert layer["layer"] == l
        assert np.shape(layer["W"]) == np.shape(layer["grad_W"]) == np.shape(layer["W_new"]) == (sizes[l], sizes[l - 1])
        assert np.shape(layer["b"]) == np.shape(layer["grad_b"]) == np.shape(layer["b_new"]) == (sizes[l],)
        for q in ("z", "a", "delta"):
            assert np.shape(layer[q]) == (sizes[l], 2)


def test_problem_in_the_trace_has_defaults_filled_and_loads_again():
    p = parse(with_())
    d = p.to_dict()
    assert d["update"] == "sgd" and d["reduction"] == "sum" and d["steps"] == 1
    assert d["network"]["biases"] == [[0.0] * 3, [0.0] * 2] and d["network"]["train_biases"] is True
    assert d["regularization"] == {"l2": 0.0, "l1": 0.0}
    assert d["display"]["digits"] == 6 and d["display"]["notation"] == "default"
    again = spec.parse(json.loads(json.dumps(d)), "again.yaml")
    t1, t2 = trace.to_json(trace.trace(p)), trace.to_json(trace.trace(again))
    assert t1["updates"] == t2["updates"]


def test_sgd_updates_after_each_sample_in_order_for_every_step():
    t = trace.trace(parse(with_(steps=2)))
    assert [u.samples for u in t.updates] == [[0], [1], [2], [0], [1], [2]]
    assert [u.index for u in t.updates] == [1, 2, 3, 4, 5, 6]
    for before, after in zip(t.updates, t.updates[1:]):
        for s0, s1 in zip(before.layers, after.layers):
            np.testing.assert_array_equal(s0.W_new, s1.W)
            np.testing.assert_array_equal(s0.b_new, s1.b)
    np.testing.assert_array_equal(t.weights[0], t.updates[-1].layers[0].W_new)


def test_batch_mean_is_the_batch_sum_divided_by_n():
    s = trace.trace(parse(with_(update="batch", reduction="sum"))).updates[0]
    m = trace.trace(parse(with_(update="batch", reduction="mean"))).updates[0]
    for ls, lm in zip(s.layers, m.layers):
        np.testing.assert_allclose(lm.grad_W, ls.grad_W / 3)
        np.testing.assert_allclose(lm.grad_b, ls.grad_b / 3)
        np.testing.assert_array_equal(lm.delta, ls.delta)  # per-sample deltas, before the 1/n
    assert m.loss == pytest.approx(s.loss / 3)


def test_batch_sum_is_the_sum_of_per_sample_gradients():
    t = trace.trace(parse(with_(update="batch")))
    p = parse(with_())
    for i in range(3):
        one = trace.gradients(p, p.weights, p.biases, p.X[:, [i]], p.Y[:, [i]])
        if i == 0:
            total = [g.copy() for g in one.grad_Ws]
        else:
            total = [a + g for a, g in zip(total, one.grad_Ws)]
    for s, g in zip(t.updates[0].layers, total):
        np.testing.assert_allclose(s.grad_W, g)


def test_train_biases_false_keeps_biases():
    t = trace.trace(parse(with_(biases=0.3, train_biases=False)))
    for s in t.updates[0].layers:
        np.testing.assert_array_equal(s.b_new, s.b)
        assert np.abs(s.grad_b).sum() > 0
        assert not np.array_equal(s.W_new, s.W)


def test_no_biases_gives_null():
    t = trace.to_json(trace.trace(parse(with_(biases=None))))
    layer = t["updates"][0]["layers"][0]
    assert layer["b"] is None and layer["grad_b"] is None and layer["b_new"] is None
    assert t["problem"]["network"]["biases"] is None


def test_bias_vectors_and_explicit_weights():
    p = parse(with_(biases=[[0.1, 0.2, 0.3], 0.5],
                    weights=[[[1, 2], [3, 4], [5, 6]], [[1, 0, 1], [0, 1, 0]]]))
    np.testing.assert_array_equal(p.biases[0], [0.1, 0.2, 0.3])
    np.testing.assert_array_equal(p.biases[1], [0.5, 0.5])
    z = trace.trace(p).updates[0].layers[0].z
    np.testing.assert_allclose(z[:, 0], [1.1, 3.2, 5.3])


def test_flat_row_for_a_single_output_unit():
    p = parse({"network": {"sizes": [3, 1], "activation": "linear", "weights": [[1, 2, 3]], "biases": None},
               "loss": "squared_error", "learning_rate": 1, "data": [{"x": [1, 1, 1], "y": 0}]})
    np.testing.assert_array_equal(p.weights[0], [[1, 2, 3]])


def test_random_weights_are_the_same_on_every_machine():
    """PCG64 with a seed is platform independent; these are its first numbers for seed 0."""
    p = parse(with_(weights={"random": {"seed": 0, "low": -1, "high": 1}}))
    np.testing.assert_allclose(p.weights[0].ravel()[:3], [0.27392337, -0.46042657, -0.91805295], atol=1e-8)
    assert p.weights[0].shape == (3, 2) and p.weights[1].shape == (2, 3)
    q = parse(with_(weights={"random": {"seed": 0, "low": -1, "high": 1}}))
    np.testing.assert_array_equal(p.weights[1], q.weights[1])


def test_regularization_and_leaky_slope():
    p = parse(with_(regularization={"l2": 1e-2}, activation=[{"leaky_relu": {"slope": 0.2}}, "sigmoid"]))
    assert p.l2 == 0.01 and p.activations[0] == ("leaky_relu", 0.2)


def test_exponent_without_a_dot_is_a_number(problem_file):
    path = problem_file("network: {sizes: [1, 1], activation: linear, weights: 1}\n"
                        "loss: squared_error\nlearning_rate: 1e-3\ndata: [{x: 1, y: 1}]\n"
                        "regularization: {l2: 2E-4}\n")
    p = spec.load(path)
    assert p.learning_rate == 0.001 and p.l2 == 0.0002


def test_predictions_class_rules():
    t = trace.trace(parse(with_(predict=[[1, 0], [0, 1]])))
    assert [p.cls for p in t.predictions] == [int(np.argmax(p.output)) for p in t.predictions]
    one = {"network": {"sizes": [1, 1], "activation": "sigmoid", "weights": 1, "biases": 0},
           "loss": "binary_cross_entropy", "learning_rate": 1e-12, "data": [{"x": 0, "y": 1}],
           "predict": [[0], [3], [-3]]}
    t = trace.trace(parse(one))
    assert [p.cls for p in t.predictions] == [1, 1, 0]  # yhat >= 0.5; sigma(0) = 0.5 gives 1


def test_trace_to_a_folder_writes_one_json_per_problem(tmp_path):
    code, _, err = run_cli("trace", PROBLEMS, "-o", tmp_path)
    assert code == 0, err
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == sorted(f.stem + ".json" for f in PROBLEMS.glob("*.yaml"))
    assert "problem files done" in err


@pytest.mark.parametrize("f", sorted(f for f in PROBLEMS.glob("seed00[014]*.yaml")
                                     if spec.problem_kind(spec.read_yaml(f)) == "layered"
                                     and spec.load(f).record == "full"), ids=lambda f: f.stem)
def test_every_layered_example_problem_traces(f):
    t = trace.trace(spec.load(f))
    assert t.updates and all(np.isfinite(u.loss) for u in t.updates)
