"""Bad input of every kind: exit code 2, one line naming the file and the key path, no traceback."""

import pytest

from conftest import run_cli

GOOD = """\
network:
  sizes: [5, 3, 2]
  activation: sigmoid
  weights: 0.1
loss: squared_error
learning_rate: 1
data:
  - x: [1, 1, 0, 0, 0]
    y: [1, 0]
"""

CASES = {
    # name: (replace this, with this, the key path, words the message must hold)
    "wrong matrix shape": ("weights: 0.1", "weights: [[[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]], 0.1]",
                           "network.weights[0]", ["3x5 matrix", "got 3x4"]),
    "ragged matrix": ("weights: 0.1", "weights: [[[1, 2, 3, 4, 5], [1, 2], [1, 2, 3, 4, 5]], 0.1]",
                      "network.weights[0]", ["3x5", "unequal lengths"]),
    "unknown activation": ("activation: sigmoid", "activation: sigmod",
                           "network.activation", ["sigmoid, tanh, relu, leaky_relu, linear, softplus, softmax",
                                                  "did you mean 'sigmoid'"]),
    "softmax on a hidden layer": ("activation: sigmoid", "activation: [softmax, softmax]",
                                  "network.activation[0]", ["output layer only", "layer 1"]),
    "target of the wrong length": ("y: [1, 0]", "y: [1, 0, 0]", "data[0].y", ["expected 2 numbers", "got 3"]),
    "input of the wrong length": ("x: [1, 1, 0, 0, 0]", "x: [1, 1, 0]", "data[0].x", ["expected 5 numbers"]),
    "string where a number belongs": ("learning_rate: 1", "learning_rate: fast",
                                      "learning_rate", ["expected a number", "'fast'"]),
    "quoted number": ("weights: 0.1", "weights: '0.1'", "network.weights", ["expected a number"]),
    "boolean where a number belongs": ("learning_rate: 1", "learning_rate: yes",
                                       "learning_rate", ["expected a number", "boolean"]),
    "NaN": ("weights: 0.1", "weights: .nan", "network.weights", ["finite", "nan"]),
    "infinity in a matrix": ("y: [1, 0]", "y: [1, .inf]", "data[0].y[1]", ["finite"]),
    "negative size": ("sizes: [5, 3, 2]", "sizes: [5, -3, 2]", "network.sizes[1]", ["at least 1", "-3"]),
    "fractional size": ("sizes: [5, 3, 2]", "sizes: [5, 2.5, 2]", "network.sizes[1]", ["whole number"]),
    "network too large": ("sizes: [5, 3, 2]", "sizes: [5, 30000, 30000, 2]", "network.sizes",
                          ["too large", "10,000,000"]),
    "absurd size": ("sizes: [5, 3, 2]", "sizes: [5, 1000000000, 2]", "network.sizes[1]", ["at most 100,000"]),
    "too many updates": ("learning_rate: 1", "learning_rate: 1\nsteps: 100000000", "steps", ["at most"]),
    "unknown loss": ("loss: squared_error", "loss: hinge", "loss", ["squared_error", "log_cosh"]),
    "unknown network key": ("weights: 0.1", "weights: 0.1\n  bias: 0", "network.bias",
                            ["did you mean 'biases'"]),
    "cross-entropy needs (0, 1) outputs": ("activation: sigmoid\n", "activation: [sigmoid, relu]\n",
                                           "loss", []),
    "unknown key with a hint": ("learning_rate: 1", "learning_rat: 1", "learning_rat",
                                ["did you mean 'learning_rate'"]),
    "missing key": ("learning_rate: 1\n", "", "learning_rate", ["required"]),
    "class index without cross-entropy": ("y: [1, 0]", "y: 1", "data[0].y", ["class index", "cross_entropy"]),
    "negative learning rate": ("learning_rate: 1", "learning_rate: -1", "learning_rate", ["greater than 0"]),
    "wrong number of activations": ("activation: sigmoid", "activation: [sigmoid]",
                                    "network.activation", ["one activation per computing layer (2)"]),
    "reduction without batch": ("learning_rate: 1", "learning_rate: 1\nreduction: mean", "reduction",
                                ["batch"]),
    "unknown notation": ("learning_rate: 1", "learning_rate: 1\ndisplay: {notation: fancy}",
                         "display.notation", ["default, bracket, netout"]),
    "bad random weights": ("weights: 0.1", "weights: {random: {seed: 1, low: 1, high: 0}}",
                           "network.weights.random.high", ["greater than low"]),
}


def _apply(text, old, new):
    assert old in text
    return text.replace(old, new, 1)


@pytest.mark.parametrize("name", list(CASES))
def test_bad_input_exits_2_naming_file_and_key(name, problem_file):
    old, new, key, words = CASES[name]
    text = _apply(GOOD, old, new)
    if name == "cross-entropy needs (0, 1) outputs":
        text = _apply(text, "loss: squared_error", "loss: cross_entropy")
        words = ["cross_entropy", "relu", "sigmoid or softmax"]
    path = problem_file(text)
    for command in ("check", "trace"):
        code, out, err = run_cli(command, path)
        assert code == 2, (command, err)
        assert "Traceback" not in err
        assert out == ""
        lines = err.strip().splitlines()
        assert len(lines) == 1, err
        assert lines[0].startswith(f"{path}: {key}: "), lines[0]
        for w in words:
            assert w in lines[0], (w, lines[0])


def test_missing_file(tmp_path):
    code, out, err = run_cli("trace", tmp_path / "nope.yaml")
    assert code == 2 and "Traceback" not in err
    assert err.strip() == f"{tmp_path / 'nope.yaml'}: no such problem file"


def test_yaml_syntax_error_names_the_line(problem_file):
    path = problem_file(GOOD.replace("  - x: [1, 1, 0, 0, 0]", "  - x: [1, 1, 0, 0, 0"))
    code, _, err = run_cli("check", path)
    assert code == 2 and "Traceback" not in err
    assert err.startswith(f"{path}: line 9, column ") and "YAML syntax error" in err


def test_a_key_written_twice_is_an_error(problem_file):
    path = problem_file(GOOD + "learning_rate: 2\n")
    code, _, err = run_cli("check", path)
    assert code == 2 and "Traceback" not in err
    assert err.startswith(f"{path}: line 10, column 1: ") and "'learning_rate' is written twice (first on line 6)" in err


def test_not_a_mapping(problem_file):
    code, _, err = run_cli("check", problem_file("- just\n- a list\n"))
    assert code == 2 and "expected a YAML mapping" in err


def test_folder_reports_every_bad_file_and_writes_nothing_for_them(tmp_path):
    src = tmp_path / "problems"
    src.mkdir()
    (src / "a_good.yaml").write_text(GOOD)
    (src / "b_bad.yaml").write_text(GOOD.replace("sizes: [5, 3, 2]", "sizes: [5, 0, 2]"))
    out = tmp_path / "out"
    code, _, err = run_cli("trace", src, "-o", out)
    assert code == 2
    assert "b_bad.yaml: network.sizes[1]" in err and "1 of 2 problem files done, 1 with errors" in err
    assert sorted(p.name for p in out.iterdir()) == ["a_good.json"]


@pytest.mark.parametrize("extra,cause", [("", "the outputs are too large for the loss"),
                                         ("regularization: {l2: 0.1}\n", "the regularization overflows")])
def test_a_loss_that_overflows_is_an_error_with_its_cause(problem_file, extra, cause):
    # z = 2e155 is finite, and so are the gradients; 1/2 z^2 (and 0.05 W^2) are not
    text = ("network: {sizes: [1, 1], activation: linear, weights: 1e155}\n"
            "loss: squared_error\nlearning_rate: 1e-200\ndata: [{x: [2], y: [0]}]\n" + extra)
    code, _, err = run_cli("trace", problem_file(text))
    assert code == 2 and len(err.strip().splitlines()) == 1  # no warning, no traceback
    assert ": loss: the loss of update 1 is not finite (" in err and cause in err


def test_a_query_point_that_overflows_is_an_error(problem_file):
    text = ("network: {sizes: [1, 1], activation: linear, weights: 2}\n"
            "loss: squared_error\nlearning_rate: 1e-9\ndata: [{x: [2], y: [0]}]\n"
            "predict: [[1], [1e308]]\n")  # 2 * 1e308 overflows
    code, _, err = run_cli("trace", problem_file(text))
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert ": predict[1]: the output of this query point overflows" in err


def test_overflow_is_an_error_not_a_silent_inf(problem_file):
    text = GOOD.replace("activation: sigmoid", "activation: linear").replace(
        "weights: 0.1", "weights: 1e200").replace("sizes: [5, 3, 2]", "sizes: [5, 3, 2]")
    code, _, err = run_cli("trace", problem_file(text))
    assert code == 2 and "Traceback" not in err
    assert "overflowed" in err or "not finite" in err
