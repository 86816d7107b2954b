"""Variants of exam problems (solver/variants.py): values drawn on a grid, the same on
every machine, expanded to the layered shapes, and redrawn until they meet the sheet's
requirements."""

import json
import math
import re
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest

from backprop_solver import spec, trace, variants
from backprop_solver.errors import InputError
from backprop_solver.variants import check, draw, is_grid, make, rng_for, to_yaml


def g(low, high, decimals=1, **options):
    return {"random": {"low": low, "high": high, "decimals": decimals, **options}}


def layered(**changes):
    """A 2-3-2 ReLU/sigmoid problem whose values the test replaces."""
    data = {
        "title": "A 2-3-2 network",
        "network": {"sizes": [2, 3, 2], "activation": ["relu", "sigmoid"], "weights": 0.5, "biases": 0.1},
        "loss": "squared_error",
        "learning_rate": 0.5,
        "data": [{"x": [1, 0], "y": [1, 0]}, {"x": [0, 1], "y": [0, 1]}],
    }
    for key, value in changes.items():
        if key in ("weights", "biases", "sizes", "activation"):
            data["network"][key] = value
        else:
            data[key] = value
    return data


def graph_problem(**values):
    leaves = {"x1": 1.0, "x2": 0.5, "t": 0.5, "w1": 0.2, "w2": 0.4}
    leaves.update(values)
    return {"graph": {
        "inputs": {"x1": leaves["x1"], "x2": leaves["x2"]},
        "targets": {"t": leaves["t"]},
        "parameters": {"w1": leaves["w1"], "w2": leaves["w2"]},
        "define": {"z3": "w1*x1 + w2*x2", "a3": "relu(z3)", "y": "tanh(a3)"},
        "loss": "(y - t)**2",
        "learning_rate": leaves.get("eta", 0.1)}}


def solved(data, file="p.yaml"):
    kind, p = spec.parse_problem(data, file)
    return kind, p, variants._solve(kind, p)


def broken(data, require):
    return check(*solved(data), require)


def leaves(v):
    if isinstance(v, list):
        for e in v:
            yield from leaves(e)
    else:
        yield v


# ------------------------------------------------------------------------ the grid

@pytest.mark.parametrize("grid", [g(-1, 1), g(0.1, 0.9), g(-2, 3, 0), g(-0.05, 0.07, 2), g(0.001, 0.004, 3),
                                  g(-1, 1, 1, nonzero=True), g(-3, 3, 0, exclude=[0, 1, -1]),
                                  g(-0.99, 0.99, 2, exclude=0.5), g(0.000001, 0.000009, 6)])
def test_draws_stay_on_the_grid(grid):
    r = grid["random"]
    d = r["decimals"]
    excluded = set(r.get("exclude", []) if isinstance(r.get("exclude", []), list) else [r["exclude"]])
    if r.get("nonzero"):
        excluded.add(0)
    lo = math.ceil(Fraction(repr(r["low"])) * 10 ** d)
    hi = math.floor(Fraction(repr(r["high"])) * 10 ** d)
    points = {k for k in range(lo, hi + 1) if Fraction(k, 10 ** d) not in {Fraction(repr(e)) for e in excluded}}
    data = {"learning_rate": 1, "values": [grid] * 400}
    values = draw(data, rng_for(3, 1, 0, 0), "p.yaml")["values"]
    seen = set()
    for v in values:
        k = Fraction(repr(v)) * 10 ** d  # the decimal the value prints as
        assert k.denominator == 1, v
        assert int(k) in points, v
        assert float(Fraction(int(k), 10 ** d)) == v
        assert isinstance(v, int) if d == 0 else isinstance(v, float)
        seen.add(int(k))
    if len(points) <= 20:
        assert seen == points  # uniform over the points: 400 draws reach each one


def test_values_print_as_short_decimals_and_reload(tmp_path):
    data = layered(weights=g(-1, 1, 1, nonzero=True), biases=g(-0.3, 0.3, 2), learning_rate=g(0.1, 0.9),
                   data=[{"x": g(0, 1, 6), "y": g(0, 1)}, {"x": [g(-2, 2, 0), 0.7], "y": [0.3, g(0, 1)]}],
                   predict=[g(-1, 1, 3), [0.5, g(0, 0.000009, 6)]])
    concrete = draw(data, rng_for(1, 2, 3, 0), "p.yaml")
    text = to_yaml(concrete)
    numbers = re.findall(r"-?[0-9][0-9.e+-]*", text.replace("2-3-2", ""))
    assert len(numbers) > 20
    for t in numbers:  # the decimals of the grid, never 0.30000000000000004 or 1e-06
        assert re.fullmatch(r"-?[0-9]+(\.[0-9]{1,6})?", t), t
    assert "weights:\n  - [[" in text and "biases: [[" in text  # a matrix a line
    assert "predict: [[" in text and "x: [" in text
    path = tmp_path / "v.yaml"
    path.write_text(text, encoding="utf-8")
    again = spec.read_yaml(path)
    assert again == concrete
    p, q = spec.parse(concrete, "p.yaml"), spec.load(path)
    for a, b in zip(p.weights + p.biases + [p.X, p.Y, p.predict], q.weights + q.biases + [q.X, q.Y, q.predict]):
        assert np.array_equal(a, b)
    assert q.learning_rate == concrete["learning_rate"]
    for w in leaves(concrete["network"]["weights"]):
        assert repr(w) in text and len(repr(w)) <= 4


def test_to_yaml_keeps_text_and_names(tmp_path):
    data = {"title": "Ünits: a 'test'", "names": ["yes", "1.0", "w[i]", "a, b", "null", "relu"],
            "graph": {"inputs": {"x": 1e-06, "y": None, "z": -2.5e-05}, "derivatives": ["w[i]", "v"]},
            "big": [1e20, 1e-300, 12345678901234567890], "flags": {"a": True}}
    text = to_yaml(data)
    assert "inputs: {x: 0.000001, y: null, z: -0.000025}" in text and "relu]" in text
    path = tmp_path / "t.yaml"
    path.write_text(text, encoding="utf-8")
    assert spec.read_yaml(path) == data


def test_huge_grids_are_drawn_within_range():
    values = draw({"v": [g(-1e300, 1e300, 6)] * 20, "w": g(0, 10 ** 30, 0)}, rng_for(0, 1, 0, 0), "p.yaml")
    for v in values["v"]:
        assert math.isfinite(v) and -1e300 <= v <= 1e300
    assert len({v for v in values["v"]}) == 20
    assert 0 <= values["w"] <= 10 ** 30 and isinstance(values["w"], int)


def test_a_grid_is_recognised_by_decimals():
    assert is_grid(g(0, 1))
    assert not is_grid({"random": {"seed": 0, "low": -1, "high": 1}})
    assert not is_grid({"random": None}) and not is_grid(0.5) and not is_grid([g(0, 1)])


# ------------------------------------------------------------------ determinism

SHEET_PROBLEM = layered(weights=g(-1, 1, 1, nonzero=True), biases=g(0, 0.5), learning_rate=g(0.1, 1),
                        data=[{"x": g(-2, 2, 0), "y": [1, 0]}, {"x": g(-2, 2, 0), "y": [0, 1]}],
                        predict=[g(-1, 1)])


def test_same_seed_variant_index_give_the_same_problem():
    a = make(SHEET_PROBLEM, "p.yaml", 11, 3, 2, {"no_dead_relu": True})[0]
    b = make(SHEET_PROBLEM, "p.yaml", 11, 3, 2, {"no_dead_relu": True})[0]
    assert a == b and to_yaml(a) == to_yaml(b)
    others = [make(SHEET_PROBLEM, "p.yaml", *key)[0] for key in ((11, 4, 2), (11, 3, 1), (12, 3, 2))]
    assert all(o != a for o in others)
    assert len({to_yaml(make(SHEET_PROBLEM, "p.yaml", 11, v, 2)[0]) for v in range(1, 9)}) == 8


def test_same_problem_in_a_fresh_process():
    code = ("import json, sys; from backprop_solver import variants; "
            "data = json.loads(sys.argv[1]); "
            "print(variants.to_yaml(variants.make(data, 'p.yaml', 11, 3, 2, {'no_dead_relu': True})[0]), end='')")
    out = subprocess.run([sys.executable, "-c", code, json.dumps(SHEET_PROBLEM)], capture_output=True,
                         text=True, check=True, env={"PYTHONHASHSEED": "123", "PATH": ""}).stdout
    assert out == to_yaml(make(SHEET_PROBLEM, "p.yaml", 11, 3, 2, {"no_dead_relu": True})[0])


def test_rng_for_takes_whole_numbers():
    assert rng_for(0, 1, 0, 0).integers(0, 10 ** 9) == rng_for(0, 1, 0, 0).integers(0, 10 ** 9)
    for bad in ((-1, 1, 0, 0), (0, 1.5, 0, 0), (0, 1, True, 0)):
        with pytest.raises(ValueError):
            rng_for(*bad)


# --------------------------------------------------------------- where grids stand

def test_whole_values_expand_to_their_shapes():
    data = layered(weights=g(-1, 1), biases=g(-1, 1),
                   data=[{"x": g(0, 1), "y": g(0, 1)}, {"x": [1, 0], "y": [0, 1]}],
                   test_data=None, predict=[g(-1, 1), g(-1, 1), [0, 0]])
    del data["test_data"]
    c = draw(data, rng_for(0, 1, 0, 0), "p.yaml")
    W = c["network"]["weights"]
    assert [np.shape(w) for w in W] == [(3, 2), (2, 3)]
    assert [np.shape(b) for b in c["network"]["biases"]] == [(3,), (2,)]
    assert np.shape(c["data"][0]["x"]) == (2,) and np.shape(c["data"][0]["y"]) == (2,)
    assert c["data"][1] == {"x": [1, 0], "y": [0, 1]}
    assert [np.shape(q) for q in c["predict"]] == [(2,), (2,), (2,)] and c["predict"][2] == [0, 0]
    assert len(set(leaves(W))) > 4  # each entry its own draw
    p = spec.parse(c, "p.yaml")
    assert p.weights[0].tolist() == W[0] and p.predict.shape == (2, 3)


def test_grids_inside_matrices_vectors_and_rows():
    data = layered(weights=[[[0.5, g(-1, 1)], g(2, 3), [0.3, -0.1]], g(-1, 1)],
                   biases=[[0, g(5, 6), 0], g(7, 8)],
                   data=[{"x": [1, g(2, 3)], "y": [g(0, 1), 1]}, {"x": [1, 0], "y": [0, 1]}])
    c = draw(data, rng_for(0, 1, 0, 0), "p.yaml")
    W0, W1 = c["network"]["weights"]
    assert W0[0][0] == 0.5 and -1 <= W0[0][1] <= 1 and W0[2] == [0.3, -0.1]
    assert len(W0[1]) == 2 and all(2 <= v <= 3 for v in W0[1])  # a grid row is a row
    assert np.shape(W1) == (2, 3)  # a grid matrix is a matrix
    b0, b1 = c["network"]["biases"]
    assert b0[0] == 0 and 5 <= b0[1] <= 6 and len(b1) == 2 and all(7 <= v <= 8 for v in b1)
    assert c["data"][0]["x"][0] == 1 and 2 <= c["data"][0]["x"][1] <= 3 and c["data"][0]["y"][1] == 1
    spec.parse(c, "p.yaml")
    # a number in the list of matrices stays a number; a one-row matrix may be flat
    one = {"network": {"sizes": [3, 1], "activation": "sigmoid", "weights": [[g(0, 1), 0.2, g(0, 1)]]},
           "loss": "squared_error", "learning_rate": 1, "data": [{"x": [1, 2, 3], "y": 1}]}
    c = draw(one, rng_for(0, 1, 0, 0), "p.yaml")
    assert np.shape(c["network"]["weights"]) == (1, 3) and c["network"]["weights"][0][1] == 0.2
    spec.parse(c, "p.yaml")


def test_grid_learning_rate_and_other_numbers():
    data = layered(learning_rate=g(0.1, 0.5), steps=g(1, 3, 0), regularization={"l2": g(0, 0.1, 2)})
    c = draw(data, rng_for(0, 1, 0, 0), "p.yaml")
    assert c["learning_rate"] in (0.1, 0.2, 0.3, 0.4, 0.5)
    assert c["steps"] in (1, 2, 3) and 0 <= c["regularization"]["l2"] <= 0.1
    p = spec.parse(c, "p.yaml")
    assert p.learning_rate == c["learning_rate"] and p.steps == c["steps"]


def test_graph_problem_values():
    data = graph_problem(x1=g(-2, 2, 0, nonzero=True), x2=g(0, 1), t=g(0, 1, 2), w1=g(-1, 1), eta=g(0.1, 0.3))
    c = draw(data, rng_for(0, 1, 0, 0), "g.yaml")
    gr = c["graph"]
    assert gr["inputs"]["x1"] in (-2, -1, 1, 2) and 0 <= gr["inputs"]["x2"] <= 1
    assert gr["parameters"]["w2"] == 0.4 and gr["learning_rate"] in (0.1, 0.2, 0.3)
    assert gr["define"] == data["graph"]["define"]
    kind, p, s = solved(c, "g.yaml")
    assert kind == "graph" and s.values["x1"] == gr["inputs"]["x1"] and s.values["t"] == gr["targets"]["t"]
    assert "inputs: {x1: " in to_yaml(c)


def test_uniform_random_weights_pass_through_untouched():
    data = layered(weights={"random": {"seed": 4, "low": -0.5, "high": 0.5}}, learning_rate=g(0.1, 1))
    c = draw(data, rng_for(0, 1, 0, 0), "p.yaml")
    assert c["network"]["weights"] == {"random": {"seed": 4, "low": -0.5, "high": 0.5}}
    assert c["network"] is not data["network"]  # a copy
    assert [w.tolist() for w in spec.parse(c, "p.yaml").weights] == \
           [w.tolist() for w in spec.parse(layered(weights=data["network"]["weights"]), "p.yaml").weights]
    plain = layered()
    assert draw(plain, rng_for(0, 1, 0, 0), "p.yaml") == plain


# ------------------------------------------------------------------ requirements

def test_no_dead_relu():
    assert broken(layered(weights=[[[-1, -1]] * 3, 0.5], biases=0), {"no_dead_relu": True}) == ["no_dead_relu"]
    assert broken(layered(), {"no_dead_relu": True}) == []
    assert broken(layered(weights=[[[-1, -1]] * 3, 0.5], biases=0), {"no_dead_relu": False}) == []
    # z exactly 0 (0.1 + 0.2 - 0.3, decided exactly) is dead too: ReLU'(0) = 0
    exact = layered(weights=[[[0.1, 0.2]] * 3, 0.5], biases=[-0.3, 0], data=[{"x": [1, 1], "y": [1, 0]}])
    assert broken(exact, {"no_dead_relu": True, "no_ties": True}) == ["no_dead_relu", "no_ties"]


def test_max_abs_z():
    assert broken(layered(weights=10), {"max_abs_z": 4}) == ["max_abs_z"]
    assert broken(layered(weights=10), {"max_abs_z": 303}) == ["max_abs_z"]  # z = 10 * 3 * 10.1 + 0.1
    assert broken(layered(weights=10), {"max_abs_z": 304}) == []
    assert broken(layered(), {"max_abs_z": 4}) == []
    # a query point far out saturates the units though the updates do not
    assert broken(layered(predict=[[100, 100]]), {"max_abs_z": 4}) == ["max_abs_z"]


def test_distinct_classes():
    # query points: pairwise different classes
    assert broken(layered(weights=[[[1, -1]] * 3, [[1, 1, 1], [-1, -1, -1]]], predict=[[1, 0], [2, 0]]),
                  {"distinct_classes": True}) == ["distinct_classes"]
    two = layered(weights=[[[1, 0], [0, 1], [0, 0]], [[2, -2, 0], [-2, 2, 0]]], biases=0,
                  predict=[[1, 0], [0, 1]])
    assert broken(two, {"distinct_classes": True}) == []
    # without query points: the training samples' classes at their first forward pass
    assert broken(layered(), {"distinct_classes": True}) == ["distinct_classes"]  # all weights equal
    del two["predict"]
    assert broken(two, {"distinct_classes": True}) == []
    with pytest.raises(InputError, match=r"require\.distinct_classes: 3 query points .* 2 classes"):
        broken(layered(predict=[[0, 0]] * 3), {"distinct_classes": True})
    with pytest.raises(InputError, match=r"require\.distinct_classes: .*one sample"):
        broken(layered(data=[{"x": [1, 0], "y": [1, 0]}]), {"distinct_classes": True})


def test_no_ties():
    assert broken(layered(), {"no_ties": True}) == ["no_ties"]  # equal weights: equal outputs
    assert broken(layered(weights=[0.5, [[0.1, 0.2, 0.3], [0.3, 0.2, 0.4]]]), {"no_ties": True}) == []
    one = {"network": {"sizes": [2, 1], "activation": "sigmoid", "weights": [[[1, -1]]], "biases": None},
           "loss": "squared_error", "learning_rate": 1, "data": [{"x": [2, 1], "y": 1}], "predict": [[0, 0]]}
    assert broken(one, {"no_ties": True}) == ["no_ties"]  # a query point's output is exactly 0.5
    one["predict"] = [[1, 2]]
    assert broken(one, {"no_ties": True}) == []
    one["data"] = [{"x": [1, 1], "y": 1}]
    assert broken(one, {"no_ties": True}) == ["no_ties"]  # the update's output is exactly 0.5
    leaky = layered(activation=[{"leaky_relu": {"slope": 0.1}}, "sigmoid"],
                    weights=[[[1, -1], [1, 0], [0, 1]], [[0.1, 0.2, 0.3], [0.3, 0.2, 0.4]]], biases=0,
                    data=[{"x": [1, 1], "y": [1, 0]}])
    assert broken(leaky, {"no_ties": True}) == ["no_ties"]  # z = 0 at the leaky ReLU's kink


def test_graph_requirements():
    assert broken(graph_problem(), {"max_abs_z": 1, "no_dead_relu": True}) == []
    assert broken(graph_problem(w1=5), {"max_abs_z": 4}) == ["max_abs_z"]
    assert broken(graph_problem(w1=-1), {"no_dead_relu": True}) == ["no_dead_relu"]
    assert broken(graph_problem(x2=-0.5), {"no_dead_relu": True}) == ["no_dead_relu"]  # z3 = 0.2 - 0.2 = 0
    for name in ("distinct_classes", "no_ties"):
        with pytest.raises(InputError, match=rf"require\.{name}: {name} does not apply to a graph problem "
                                             rf"\(those that do: no_dead_relu, max_abs_z\)"):
            broken(graph_problem(), {name: True})
    nameless = graph_problem()
    nameless["graph"]["define"] = {"h": "w1*x1 + w2*x2", "y": "tanh(h)"}
    with pytest.raises(InputError, match=r"require\.max_abs_z: the graph defines no quantity named z"):
        broken(nameless, {"max_abs_z": 3})


def test_bad_requirements():
    with pytest.raises(InputError, match=r"p\.yaml: require\.no_dead_relus: unknown requirement; did you mean "
                                         r"'no_dead_relu'\? known: no_dead_relu, max_abs_z, distinct_classes, "
                                         r"no_ties$"):
        broken(layered(), {"no_dead_relus": True})
    with pytest.raises(InputError, match=r"require\.max_abs_z: expected a number greater than 0"):
        broken(layered(), {"max_abs_z": -1})
    with pytest.raises(InputError, match=r"require\.no_ties: expected true or false"):
        broken(layered(), {"no_ties": "yes"})
    with pytest.raises(InputError, match=r"p\.yaml: require: expected a mapping"):
        broken(layered(), ["no_ties"])
    summary = layered(record="summary")
    with pytest.raises(InputError, match=r"require\.no_ties: .*summary"):
        make(summary, "p.yaml", 0, 1, 0, {"no_ties": True})
    assert make(summary, "p.yaml", 0, 1, 0)[3] is None


def test_make_redraws_until_the_requirements_are_met():
    data = layered(weights=g(-1, 1, 1, nonzero=True), biases=0.1,
                   data=[{"x": g(1, 2, 0), "y": [1, 0]}, {"x": g(1, 2, 0), "y": [0, 1]}])
    require = {"no_dead_relu": True}
    for seed in range(50):  # a seed whose first draw has a dead unit
        first = draw(data, rng_for(seed, 1, 0, 0), "p.yaml")
        if broken(first, require):
            break
    else:
        pytest.fail("no first draw with a dead unit")
    concrete, kind, p, t = make(data, "p.yaml", seed, 1, 0, require)
    assert concrete != first and kind == "layered" and isinstance(t, trace.Trace)
    assert check(kind, p, t, require) == [] and broken(concrete, require) == []
    assert concrete == draw(data, rng_for(seed, 1, 0, next(
        a for a in range(100) if draw(data, rng_for(seed, 1, 0, a), "p.yaml") == concrete)), "p.yaml")
    # without requirements: the first draw
    assert make(data, "p.yaml", seed, 1, 0)[0] == first


def test_impossible_requirements_say_what_failed():
    data = layered(weights=g(-1, -0.1), biases=0, learning_rate=g(0.1, 1))
    with pytest.raises(InputError) as e:
        make(data, "p.yaml", 0, 2, 0, {"no_dead_relu": True, "max_abs_z": 100}, tries=20)
    text = str(e.value)
    assert text.startswith("p.yaml: require: ") and "\n" not in text
    assert "no_dead_relu failed in 20 of 20 draws: give the ReLU units positive biases" in text
    assert "max_abs_z" not in text  # it was met
    with pytest.raises(InputError, match=r"^p\.yaml: require: .*max_abs_z \(\|z\| < 0\.001\) failed in 5 of 5 "
                                         r"draws: narrow the grids"):
        make(layered(weights=g(1, 2)), "p.yaml", 0, 1, 0, {"max_abs_z": 0.001}, tries=5)
    with pytest.raises(InputError, match=r"^p\.yaml: require: no draw of variant 1 met the requirements \(each "
                                         r"was met in some draws, never all at once\); "
                                         r"(no_dead_relu|max_abs_z).* failed in [0-9]+ of 30 draws"):
        # z = w, w -1 or 2: dead for -1, |z| >= 1.5 for 2
        make({"network": {"sizes": [1, 1], "activation": "relu", "weights": g(-1, 2, 0, exclude=[0, 1])},
              "loss": "squared_error", "learning_rate": 0.1, "data": [{"x": 1, "y": 0}]}, "p.yaml", 0, 1, 0,
             {"distinct_classes": False, "no_dead_relu": True, "max_abs_z": 1.5}, tries=30)


def test_a_refused_draw_is_the_sheets_error():
    with pytest.raises(InputError, match=r"^p\.yaml: learning_rate: expected a number greater than 0, got 0 "
                                         r"\(in variant 4, as drawn\)$"):
        make(layered(learning_rate=g(0, 0)), "p.yaml", 0, 4, 0)
    with pytest.raises(InputError, match=r"^p\.yaml: network\.activation: expected one of"):
        make(layered(activation="relux"), "p.yaml", 0, 1, 0)


# --------------------------------------------------------------------- bad grids

@pytest.mark.parametrize("grid, key, message", [
    (g(1, 0), "random.high", "expected a number of at least low (1), got 0"),
    (g(0, 1, 7), "random.decimals", "expected a whole number of at most 6, got 7"),
    (g(0, 1, -1), "random.decimals", "expected a whole number of at least 0"),
    (g(0, 1, 0.5), "random.decimals", "expected a whole number"),
    (g(0.11, 0.19), "random", "the grid from 0.11 to 0.19 in steps of 0.1 has no points"),
    (g(0, 0, 1, nonzero=True), "random", "every point of the grid from 0 to 0 in steps of 0.1 is excluded"),
    (g(0, 1, 1, exclude=[0.05]), "random.exclude[0]", "0.05 is not a point of the grid (steps of 0.1)"),
    (g(0, 1, 1, exclude="a"), "random.exclude", "expected a number"),
    (g(0, 1, 1, nonzero=1), "random.nonzero", "expected true or false"),
    (g(0, float("inf")), "random.high", "expected a finite number"),
    (g(-10 ** 400, 1), "random.low", "expected a number of at most about 1.8e308"),
    (g("a", 1), "random.low", "expected a number, got the text 'a'"),
    (g(0, 1, 1, seed=3), "random.seed", "unknown key"),
    ({"random": {"decimals": 1, "high": 1}}, "random.low", "this key is required"),
    ({"random": {"low": 0, "high": 1}}, "random", "a grid needs decimals"),
    ({**g(0, 1), "other": 1}, "other", "unknown key"),
])
def test_bad_grids_name_their_key(grid, key, message):
    data = layered(weights=[[[1, 2], [3, 4], [5, grid]], 0.5])
    with pytest.raises(InputError) as e:
        draw(data, rng_for(0, 1, 0, 0), "p.yaml")
    assert str(e.value).startswith(f"p.yaml: network.weights[0][2][1].{key}: {message}"), str(e.value)


def test_other_bad_places():
    with pytest.raises(InputError, match=r"^p\.yaml: network\.sizes\[1\]: the layer sizes cannot be drawn"):
        draw(layered(sizes=[2, g(1, 3, 0), 2]), rng_for(0, 1, 0, 0), "p.yaml")
    with pytest.raises(InputError, match=r"^p\.yaml: network\.sizes: the layer sizes cannot be drawn"):
        draw(layered(sizes=g(1, 3, 0)), rng_for(0, 1, 0, 0), "p.yaml")
    with pytest.raises(InputError, match=r"^p\.yaml: network\.sizes\[0\]: the layer sizes cannot be drawn"):
        draw({"network": {"weights": g(0, 1), "sizes": [g(1, 3, 0), 2]}}, rng_for(0, 1, 0, 0), "p.yaml")
    with pytest.raises(InputError, match=r"^p\.yaml: predict: the number of query points cannot be drawn"):
        draw(layered(predict=g(0, 1)), rng_for(0, 1, 0, 0), "p.yaml")
    with pytest.raises(InputError, match=r"^p\.yaml: learning_rate\.random: a grid needs decimals"):
        draw(layered(learning_rate={"random": {"low": 0.1, "high": 1}}), rng_for(0, 1, 0, 0), "p.yaml")
    with pytest.raises(InputError, match=r"^g\.yaml: graph\.inputs\.x1\.random\.decimals: expected a whole"):
        draw(graph_problem(x1=g(0, 1, 9)), rng_for(0, 1, 0, 0), "g.yaml")
