"""Messages that teach: for the usual stumbles of a problem file, the one line of bad
input says what to write instead (exit code 2, the file, the key and the hint)."""

import pytest

from conftest import GRAPH_PROBLEM, run_cli
from backprop_solver import spec
from backprop_solver.functions import ACTIVATIONS, LOSSES
from backprop_solver.graph import problem as graph_problem
from backprop_solver.graph.language import function_names

LAYERED = """\
network:
  sizes: [2, 2]
  activation: sigmoid
  weights: 0.1
loss: squared_error
learning_rate: 1
data:
  - x: [1, 0]
    y: [1, 0]
"""

LAYERED_CASES = [
    # (replace this, with this, the key, the hint)
    ("weights: 0.1", "weights: [[0.1, 0.2], [0.3, 0.4]]", "network.weights",
     "a network with one layer of weights still needs the list: write [[[0.1, 0.2], [0.3, 0.4]]] "
     "(the matrix inside a list)"),
    ("weights: 0.1", "weights: 0.1\n  biases: [0.1, 0.2]", "network.biases",
     "a network with one layer of biases still needs the list: write [[0.1, 0.2]] (the vector inside a list)"),
    ("learning_rate: 1", "eta: 1", "eta", "unknown key (did you mean 'learning_rate'?)"),
    ("learning_rate: 1", "lr: 1", "lr", "did you mean 'learning_rate'?"),
    ("learning_rate: 1", "alpha: 1", "alpha", "did you mean 'learning_rate'?"),
    ("learning_rate: 1", "learning_rate: 1\nepochs: 3", "epochs", "unknown key (did you mean 'steps'?)"),
    ("learning_rate: 1", "learning_rate: 1\niterations: 3", "iterations", "did you mean 'steps'?"),
    ("activation: sigmoid", "activation: logistic", "network.activation", "did you mean 'sigmoid'?"),
    ("activation: sigmoid", "activation: sigma", "network.activation", "did you mean 'sigmoid'?"),
    ("activation: sigmoid", "activation: ReLU", "network.activation", "did you mean 'relu'?"),
    ("activation: sigmoid", "activation: {leaky_relu: {alpha: 0.1}}", "network.activation.leaky_relu.alpha",
     "did you mean 'slope'?"),
    ("loss: squared_error", "loss: mse", "loss", "did you mean 'mean_squared_error'?"),
    ("loss: squared_error", "loss: CE", "loss", "did you mean 'cross_entropy'?"),
    ("loss: squared_error", "loss: bce", "loss", "did you mean 'binary_cross_entropy'?"),
]

GRAPH_CASES = [
    ("z: w*x", "z: 2w*x", "graph.define.z", "a product is written with *: write 2*w*x"),
    ("z: w*x", "z: (w + 1)(x - 1)", "graph.define.z", "write (w + 1)*(x - 1)"),
    ("y: tanh(z)", "y: e^(w*x)", "graph.define.y", "unknown name e; for e to a power write exp(w*x)"),
    ("y: tanh(z)", "y: 1/(1 + e**-z)", "graph.define.y", "write exp(-z)"),
    ("y: tanh(z)", "y: sigma(z)", "graph.define.y", "unknown name sigma; did you mean sigmoid(z)?"),
    ("y: tanh(z)", "y: logistic(z)", "graph.define.y", "did you mean sigmoid(z)?"),
    ("y: tanh(z)", "y: tahn(z)", "graph.define.y", "did you mean tanh(z)?"),
    ("y: tanh(z)", "y: tanh(zz)", "graph.define.y", "unknown name zz; did you mean z?"),
    ("loss: (y - t)**2", "loss: (y - t)**2\n  eta: 0.1", "graph.eta", "did you mean 'learning_rate'?"),
]


def refused(path, key, hint):
    code, out, err = run_cli("check", path)
    assert code == 2, (out, err)
    lines = err.splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith(f"{path}: {key}: "), lines[0]
    assert hint in lines[0], lines[0]


@pytest.mark.parametrize("old, new, key, hint", LAYERED_CASES, ids=[c[1] for c in LAYERED_CASES])
def test_layered_stumble_says_what_to_write(problem_file, old, new, key, hint):
    assert old in LAYERED
    refused(problem_file(LAYERED.replace(old, new, 1)), key, hint)


@pytest.mark.parametrize("old, new, key, hint", GRAPH_CASES, ids=[c[1] for c in GRAPH_CASES])
def test_graph_stumble_says_what_to_write(problem_file, old, new, key, hint):
    assert old in GRAPH_PROBLEM
    refused(problem_file(GRAPH_PROBLEM.replace(old, new, 1)), key, hint)


def test_a_known_e_is_a_name_and_the_one_layer_list_is_accepted(problem_file):
    """The hints never refuse what was accepted: a quantity may be called e, and the
    written-out list of one matrix is what the hint asks for."""
    graph = GRAPH_PROBLEM.replace("parameters: {w: 0.3}", "parameters: {w: 0.3, e: 2}")
    assert run_cli("check", problem_file(graph.replace("y: tanh(z)", "y: e^z"), "g.yaml"))[0] == 0
    layered = LAYERED.replace("weights: 0.1", "weights: [[[0.1, 0.2], [0.3, 0.4]]]\n  biases: [[0.1, 0.2]]")
    assert run_cli("check", problem_file(layered))[0] == 0


def test_every_name_the_synonyms_offer_exists():
    """ALSO_CALLED offers only names that some place of the format allows."""
    names = {*spec.TOP_KEYS, *spec.NETWORK_KEYS, *spec.DISPLAY_KEYS, *graph_problem.GRAPH_KEYS,
             *ACTIVATIONS, *LOSSES, *function_names(),
             *(c.option[0] for c in (*ACTIVATIONS.values(), *LOSSES.values()) if c.option)}
    assert set(spec.ALSO_CALLED) <= names, set(spec.ALSO_CALLED) - names
