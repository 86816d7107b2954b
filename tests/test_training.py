"""Training runs (issue 13): datasets in problems, summary records, compare, checked
against references that cannot share the engine's errors: scikit-learn's generators,
exact rational gradient descent, the full trace, and runs made one by one."""

import json
import tracemalloc
from fractions import Fraction

import numpy as np
import pytest
import yaml

from backprop_solver import api, spec, training
from backprop_solver.errors import InputError
from backprop_solver.trace import trace as full_trace

from conftest import run_cli

MOONS = {
    "network": {"sizes": [2, 4, 1], "activation": ["tanh", "sigmoid"],
                "weights": {"random": {"seed": 1, "low": -0.5, "high": 0.5}}},
    "loss": "binary_cross_entropy", "learning_rate": 0.5,
    "dataset": {"moons": {"n": 40, "noise": 0.2, "seed": 3}, "test": 0.25},
    "update": "batch", "reduction": "mean", "steps": 30, "record": "summary",
}


def test_the_dataset_is_scikit_learns_split_as_documented():
    from sklearn.datasets import make_moons

    X, y = make_moons(n_samples=40, noise=0.2, random_state=3)
    t = api.solve(MOONS).trace
    data, test = t["problem"]["data"], t["problem"]["test_data"]
    assert len(data) == 30 and len(test) == 10  # the last round(0.25 * 40) points are the test set
    assert np.array_equal([s["x"] for s in data + test], X)
    assert np.array_equal([s["y"][0] for s in data + test], y)


def test_the_test_share_rounds_halves_up():
    p = spec.parse({**MOONS, "dataset": {"moons": {"n": 10, "seed": 0}, "test": 0.25}})
    assert p.X.shape[1] == 7 and p.X_test.shape[1] == 3  # 2.5 -> 3


def _full(p, data):
    """The full-record problem of the training points of ``p`` (no test set)."""
    q = {k: v for k, v in data.items() if k not in ("dataset", "record")}
    q["data"] = [{"x": x.tolist(), "y": y.tolist()} for x, y in zip(p.X.T, p.Y.T)]
    return spec.parse({**q, "record": "full"})


def test_summary_history_matches_the_full_trace():
    """Batch mean without a penalty: the full trace's update k starts from the parameters
    after pass k, so its loss is history[k]; the final parameters agree."""
    p = spec.parse({**MOONS, "record": "summary"})
    q = _full(p, MOONS)
    run = training.train(p).runs[0]
    t = full_trace(q)
    assert np.allclose(run.history[:-1, 0], [u.loss for u in t.updates], rtol=1e-12, atol=0)
    for W, W_full in zip(run.weights, t.weights):
        assert np.allclose(W, W_full, rtol=1e-11, atol=1e-14)


def test_history_of_linear_regression_equals_exact_rational_descent():
    """A 1-1 linear unit, squared error, batch mean: w <- w - eta mean((w x - y) x), and the
    loss mean((w x - y)^2 / 2), computed in exact fractions."""
    xs, ys = [Fraction(1, 2), Fraction(3, 2), Fraction(-1)], [Fraction(1), Fraction(2), Fraction(-1, 4)]
    eta, w, steps = Fraction(3, 10), Fraction(-1, 5), 40
    exact = []
    for k in range(steps + 1):
        exact.append(sum((w * x - y) ** 2 / 2 for x, y in zip(xs, ys)) / 3)
        w -= eta * sum((w * x - y) * x for x, y in zip(xs, ys)) / 3
    p = spec.parse({"network": {"sizes": [1, 1], "activation": "linear", "weights": -0.2, "biases": None},
                    "loss": "squared_error", "learning_rate": 0.3, "update": "batch", "reduction": "mean",
                    "data": [{"x": float(x), "y": float(y)} for x, y in zip(xs, ys)], "steps": steps,
                    "record": "summary"})
    run = training.train(p).runs[0]
    assert np.allclose(run.history[:, 0], [float(v) for v in exact], rtol=1e-13, atol=0)
    assert np.isnan(run.history[:, 1:]).all()  # no test set; targets are no classes


def test_sgd_history_is_scored_after_each_pass():
    data = {**MOONS, "update": "sgd", "steps": 3}
    del data["reduction"]
    p = spec.parse(data)
    run = training.train(p).runs[0]
    full = full_trace(_full(p, data))
    n = p.X.shape[1]
    for k in (1, 2, 3):  # the parameters after pass k: those after update k n
        last = full.updates[k * n - 1].layers
        Ws, bs = [s.W_new for s in last], [s.b_new for s in last]
        score = training._Scorer(p, p.X_test, p.Y_test)
        loss, acc = score(Ws, bs)
        assert run.history[k, 1] == pytest.approx(loss, rel=1e-10)
        assert run.history[k, 3] == acc


def test_accuracy_counts_classes():
    p = spec.parse(MOONS)
    run = training.train(p).runs[0]
    from backprop_solver.trace import predict
    preds = predict(p, run.weights, run.biases, p.X_test)
    right = np.mean([q.cls == int(y) for q, y in zip(preds, p.Y_test[0])])
    assert run.history[-1, 3] == right


def test_compare_runs_are_the_runs_made_one_by_one():
    data = {**MOONS, "compare": {"regularization": ["none", {"l1": 0.01}, {"l2": 0.05}]}}
    del data["record"]
    t = api.solve(data).trace
    assert [r["settings"]["label"] for r in t["runs"]] == ["none", "L1 0.01", "L2 0.05"]
    for r, reg in zip(t["runs"], [{}, {"l1": 0.01}, {"l2": 0.05}]):
        alone = api.solve({**MOONS, "regularization": reg}).trace
        assert r["history"] == alone["history"] and r["parameters"] == alone["parameters"]
    lr = api.solve({**MOONS, "compare": {"learning_rate": [0.1, 1]}}).trace
    assert [r["settings"]["learning_rate"] for r in lr["runs"]] == [0.1, 1.0]


def test_the_trace_reloads_to_the_same_run(tmp_path):
    t = api.solve(MOONS).trace
    again = api.solve(t["problem"]).trace
    assert again["history"] == t["history"] and again["parameters"] == t["parameters"]


def test_memory_does_not_grow_with_the_steps():
    def peak(steps):
        p = spec.parse({**MOONS, "steps": steps})
        tracemalloc.start()
        training.train(p)
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top

    small, large = peak(100), peak(2_000)
    assert large - small < 200_000, (small, large)  # the history itself: 1,900 x 4 doubles


def test_the_command_prints_the_summary_trace(tmp_path):
    path = tmp_path / "moons.yaml"
    path.write_text(yaml.safe_dump(MOONS))
    code, out, err = run_cli("trace", str(path))
    assert code == 0, err
    t = json.loads(out)
    assert t["record"] == "summary" and len(t["history"]) == 31
    assert set(t["history"][0]) == {"step", "loss", "test_loss", "train_accuracy", "test_accuracy"}
    assert "updates" not in t
    code, out, err = run_cli("check", str(path))
    assert code == 0 and "30 steps" in out + err


@pytest.mark.parametrize("change, key, words", [
    ({"data": [{"x": [0, 0], "y": 0}]}, "data", ["not both"]),
    ({"dataset": {"moon": {}}}, "dataset.moon", ["did you mean 'moons'"]),
    ({"dataset": {"moons": {}, "test": 0.95}}, "dataset.test", ["at most 0.9"]),
    ({"dataset": {"moons": {}, "circles": {}}}, "dataset", ["expected one generator"]),
    ({"dataset": {"blobs": {"centers": 3}}}, "dataset.blobs", ["3 classes", "one output unit"]),
    ({"dataset": {"moons": {}, "features": ["x1", "x3"]}}, "dataset.features[1]", ["expected one of"]),
    ({"dataset": {"moons": {}, "features": ["x1", "x2", "x1^2"]}}, "dataset.features", ["3 inputs"]),
    ({"compare": {"regularization": ["none"]}}, "compare.regularization", ["2 to 8 settings"]),
    ({"compare": {"regularization": ["none", {"l3": 1}]}}, "compare.regularization[1].l3", ["unknown key"]),
    ({"compare": {"momentum": [1, 2]}}, "compare.momentum", ["unknown key"]),
    ({"record": "full", "compare": {"learning_rate": [1, 2]}}, "record", ["runs of compare", "record: summary"]),
    ({"record": "full"}, "record", ["test points are part of a training run"]),
    ({"record": "full", "analysis": {"hessian": True}, "dataset": {"moons": {}}}, "record", ["Hessian analysis"]),
    ({"record": "everything"}, "record", ["full, summary"]),
    ({"analysis": {"hessian": "yes"}}, "analysis.hessian", ["true or false"]),
    ({"steps": 100_000, "network": {"sizes": [2, 300, 300, 1], "activation": "sigmoid", "weights": 0.1}},
     "steps", ["more work than a training run"]),
    ({"test_data": [{"x": [0, 0], "y": 1}]}, "test_data", ["one or the other"]),
])
def test_bad_training_problems_are_refused_in_one_line(tmp_path, change, key, words):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({**MOONS, **change}))
    with pytest.raises(InputError) as e:  # in process; the command prints this line (below)
        api.solve(path).trace
    line = str(e.value)
    assert "\n" not in line and line.startswith(f"{path}: {key}: "), line
    for w in words:
        assert w in line, line


def test_a_bad_training_problem_is_one_line_from_the_command(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({**MOONS, "record": "everything"}))
    code, out, err = run_cli("trace", str(path))
    assert code == 2 and err.count("\n") == 1 and "Traceback" not in err and f"{path}: record: " in err, err


def test_verify_asks_for_a_full_record(tmp_path):
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump(MOONS))
    claims = tmp_path / "c.yaml"
    claims.write_text("updates: []\n")
    code, out, err = run_cli("verify", str(path), str(claims))
    assert code == 2 and "record: full" in err, err


def test_a_diverging_run_is_refused_with_a_message():
    p = spec.parse({**MOONS, "network": {**MOONS["network"], "activation": ["linear", "linear"]},
                    "loss": "squared_error", "learning_rate": 1e6})
    with pytest.raises(InputError, match="too large to train with|overflowed"):
        training.train(p)
