"""backprop verify: claims checked against the trace, errors carried forward, exit codes.

Claims for the seed001 problems are in tests/claims/, transcribed from the exercise's
printed worked solution ("the seed" below), mistakes included. Every flag the tool
raises on them is listed here with the reason it is right.
"""

import json

import numpy as np
import pytest

from conftest import PROBLEMS, ROOT, run_cli
from backprop_solver import spec
from backprop_solver.claims import half_unit

CLAIMS = ROOT / "tests" / "claims"
Q1 = PROBLEMS / "seed001_q1_sigmoid_sgd.yaml"
Q2B = PROBLEMS / "seed001_q2b_tanh_batch.yaml"
Q3 = PROBLEMS / "seed001_q3_softmax_ce_batch.yaml"


def verify_json(problem, claims):
    """Run ``backprop verify --json``: (exit code, results, summary)."""
    code, out, err = run_cli("verify", problem, claims, "--json")
    assert "Traceback" not in err
    data = json.loads(out)
    return code, data["results"], data["summary"]


def flags(results):
    """{(layer, quantity): status} of every result that is not ok."""
    return {(r["layer"], r["quantity"]): r["status"] for r in results if r["status"] != "ok"}


@pytest.fixture
def claims_file(problem_file):
    """Write YAML text to a temporary claims file (conftest's problem_file, another name)."""
    return lambda text, name="claims.yaml": problem_file(text, name)


# ---------------------------------------------------------------- seed 001

def test_seed001_q1_every_printed_number_is_right():
    # Question 1 is a single sample, so bias gradients are single columns: the seed's
    # numbers are all right to the digits printed, the prediction and its class too.
    code, results, summary = verify_json(Q1, CLAIMS / "seed001_q1.claims.yaml")
    assert code == 0
    assert summary == {"ok": 23, "wrong": 0, "carried_forward": 0, "wrong_shape": 0, "total": 23}
    assert {r["quantity"] for r in results if r["update"] is None} == {"input", "output", "class"}


def test_seed001_q2b_flags_the_real_mistakes():
    code, results, summary = verify_json(Q2B, CLAIMS / "seed001_q2b.claims.yaml")
    assert code == 1
    assert flags(results) == {
        # z^[2], x^[2], z^[3], x^[3] are printed with 4 rows, but layers 2 and 3 have 3
        # units (sizes 4-4-3-3): the seed copied the row count of layer 1.
        (2, "z"): "wrong_shape", (2, "a"): "wrong_shape",
        (3, "z"): "wrong_shape", (3, "a"): "wrong_shape",
        # dE/db^[l] is printed as delta^[l] itself, one column per sample. For a batch the
        # bias gradient is delta^[l] times a column of ones: one number per unit, summed
        # over the samples (the seed even writes the ones vector, then does not multiply).
        (1, "grad_b"): "wrong_shape", (2, "grad_b"): "wrong_shape", (3, "grad_b"): "wrong_shape",
        # ... and so the updated biases b - eta dE/db are printed per sample too.
        (1, "b_new"): "wrong_shape", (2, "b_new"): "wrong_shape", (3, "b_new"): "wrong_shape",
        # delta^[3][0][0] (and [2][0]) is 0.02361835..., which rounds to 0.0236184; the
        # seed prints 0.0236183 (truncated; its own b^[3] = -0.00236184 shows the
        # rounded value). One unit off in the last digit written.
        (3, "delta"): "wrong",
    }
    wrong = next(r for r in results if r["status"] == "wrong")
    assert wrong["differ"] == [[0, 0], [2, 0]]
    assert summary["ok"] == 16
    # every other number printed (forward pass of layer 1, the other deltas, the weight
    # gradients and the updated weights) is right
    assert {(r["layer"], r["quantity"]) for r in results if r["status"] == "ok"} >= {
        (1, "z"), (1, "a"), (2, "delta"), (1, "delta"), (3, "grad_W"), (2, "grad_W"),
        (1, "grad_W"), (3, "W_new"), (2, "W_new"), (1, "W_new")}


def test_seed001_q3_flags_the_real_mistakes():
    code, results, summary = verify_json(Q3, CLAIMS / "seed001_q3.claims.yaml")
    assert code == 1
    assert flags(results) == {
        # delta^[2] and delta^[1] are printed as 2x2 zero matrices; they are 3x2 and 4x2
        # (units x samples). Their values are zero (true ~1e-17: equal outgoing weights
        # and softmax deltas that sum to 0 per sample), so only the shape is wrong.
        (2, "delta"): "wrong_shape", (1, "delta"): "wrong_shape",
        # as in question 2 (b): the bias gradient and the updated bias per sample
        (3, "grad_b"): "wrong_shape", (3, "b_new"): "wrong_shape",
    }
    assert summary == {"ok": 4, "wrong": 0, "carried_forward": 0, "wrong_shape": 4, "total": 8}
    shape = {r["quantity"]: r.get("expected_shape") for r in results if r["layer"] == 3}
    assert shape["grad_b"] == [3]


def test_seed_report_is_readable_first_error_first():
    code, out, err = run_cli("verify", Q2B, CLAIMS / "seed001_q2b.claims.yaml")
    assert code == 1 and err == ""
    lines = out.splitlines()
    assert lines[0].startswith("z (update 1, layer 2): wrong shape")
    assert "expected 3x2 (3 units in layer 2 x 2 samples), claimed 4x2" in lines[1]
    assert "delta[0][0]: claimed 0.0236183, correct 0.0236184" in out
    assert "summed over its samples" in out
    assert lines[-1] == ("27 claimed quantities (tolerance: the digits written): "
                         "16 ok, 1 wrong, 0 carried forward, 10 wrong shape")


# ---------------------------------------------------------------- the trace as claims

@pytest.mark.parametrize("problem", sorted(PROBLEMS.glob("*.yaml")), ids=lambda p: p.stem)
def test_the_trace_itself_is_all_ok(problem, tmp_path, claims_file):
    # JSON is YAML: the tool's own trace is a claims file with every quantity in it
    # (a graph problem's too: tests/test_verify_graph.py; a symbolic one has no numbers).
    data = spec.read_yaml(problem)
    if spec.problem_kind(data) == "layered" and spec.parse(data, problem).record == "summary":
        (tmp_path / "t.json").write_text("{}")  # a training run: no update to check
        code, _, err = run_cli("verify", problem, tmp_path / "t.json")
        assert code == 2 and "write record: full" in err
        return
    code, out, _ = run_cli("trace", problem)
    (tmp_path / "t.json").write_text(out)
    if "derivations" in json.loads(out):  # derivations alone: no numbers to check
        code, _, err = run_cli("verify", problem, tmp_path / "t.json")
        assert code == 2 and "it has no numbers to check" in err
        return
    code, results, summary = verify_json(problem, tmp_path / "t.json")
    symbolic = json.loads(out).get("values") == {}
    assert code == 0 and summary["ok"] == summary["total"] and (summary["total"] > 0 or symbolic)


# ---------------------------------------------------------------- carried forward

def sigmoid(z):
    return 1 / (1 + np.exp(-z))


def rows(m):
    return "[" + ", ".join("[" + ", ".join(f"{v:.6g}" for v in r) + "]" for r in m) + "]"


def test_one_mistyped_number_and_everything_after_it_is_carried_forward(claims_file):
    # A student does question 1 by hand (plain NumPy here, independent of the solver),
    # types x^[1]_1 = 0.594834 instead of 0.549834 and computes everything after it from
    # that, writing 6 significant digits.
    x, y = np.array([[1.0], [1], [0], [0], [0]]), np.array([[1.0], [0]])
    W1, W2 = np.full((3, 5), 0.1), np.full((2, 3), 0.1)
    z1 = W1 @ x
    a1 = sigmoid(z1)
    a1[0, 0] = 0.594834                                   # the typo
    z2 = W2 @ a1
    a2 = sigmoid(z2)
    d2 = (a2 - y) * a2 * (1 - a2)
    d1 = W2.T @ d2 * a1 * (1 - a1)
    gW2, gW1 = d2 @ a1.T, d1 @ x.T
    W1n, W2n, b1n, b2n = W1 - gW1, W2 - gW2, -d1, -d2
    loss = 0.5 * float(((a2 - y) ** 2).sum())
    out = sigmoid(W2n @ sigmoid(W1n @ np.array([[1.0], [0], [0], [0], [1]]) + b1n) + b2n)
    f = claims_file(f"""
updates:
  - index: 1
    layers:
      - layer: 1
        z: {rows(z1)}
        a: {rows(a1)}
        delta: {rows(d1)}
        grad_W: {rows(gW1)}
        grad_b: {rows(d1)}
        W_new: {rows(W1n)}
        b_new: {rows(b1n)}
      - layer: 2
        z: {rows(z2)}
        a: {rows(a2)}
        delta: {rows(d2)}
        grad_W: {rows(gW2)}
        grad_b: {rows(d2)}
        W_new: {rows(W2n)}
        b_new: {rows(b2n)}
    loss: {loss:.6g}
predictions:
  - output: {rows(out.T)[1:-1]}
""")
    code, results, summary = verify_json(Q1, f)
    assert code == 1
    status = {(r["layer"], r["quantity"]): r["status"] for r in results}
    assert status.pop((1, "z")) == "ok"                   # computed before the typo
    assert status.pop((1, "a")) == "wrong"                # the typo itself
    assert set(status.values()) == {"carried_forward"}    # the other 14
    assert summary == {"ok": 1, "wrong": 1, "carried_forward": 14, "wrong_shape": 0, "total": 16}
    cf = {(r["layer"], r["quantity"]): r for r in results}
    assert cf[(2, "z")]["from"] == ["a (update 1, layer 1)"]
    assert cf[(None, "loss")]["layer"] is None and "recomputed" in cf[(None, "loss")]
    _, text, _ = run_cli("verify", Q1, f)
    assert text.splitlines()[0] == "a (update 1, layer 1): WRONG   [updates[0].layers[0].a]"
    assert "1 ok, 1 wrong, 14 carried forward, 0 wrong shape" in text


def test_a_wrong_number_computed_from_right_inputs_is_wrong_not_carried(claims_file):
    # a^[2] is wrong and z^[2] right: a^[2] cannot be blamed on an earlier number.
    f = claims_file("updates: [{index: 1, layers: [{layer: 2, z: [0.16495, 0.16495], a: [0.55, 0.541144]}]}]")
    code, results, _ = verify_json(Q1, f)
    assert [r["status"] for r in results] == ["ok", "wrong"]
    assert results[1]["differ"] == [[0, 0]] and results[1]["expected"][0][0] == pytest.approx(0.541144, abs=1e-6)


def test_a_wrong_shape_is_not_used_downstream(claims_file):
    # z^[2] written with 3 rows is wrong_shape; a^[2] is then judged from the true z^[2]:
    # right is ok, and a wrong a^[2] is wrong, never carried forward from the bad shape.
    f = claims_file("""
updates:
  - index: 1
    layers:
      - {layer: 2, z: [0.3, 0.3, 0.3], a: [0.574443, 0.574443]}
""")
    code, results, _ = verify_json(Q1, f)
    assert [r["status"] for r in results] == ["wrong_shape", "wrong"]
    assert results[0]["expected_shape"] == [2, 1] and results[0]["claimed"] == [0.3, 0.3, 0.3]


# ---------------------------------------------------------------- tolerance

def test_half_unit_of_the_last_digit_written():
    assert half_unit("0.1626") == pytest.approx(5e-5)
    assert half_unit("0") == 0.5
    assert half_unit("-0.008382") == pytest.approx(5e-7)
    assert half_unit("1e-3") == pytest.approx(5e-4)
    assert half_unit("1.50e-3") == pytest.approx(5e-6)
    assert half_unit("10") == 0.5


@pytest.mark.parametrize("tolerance, written, status", [
    # written (the default): agree to the last digit written; z^[2] = 0.164950198...
    ("written", "0.16495", "ok"),
    ("written", "0.16", "ok"),            # few digits: 0.155..0.165 accepted
    ("written", "0.2", "ok"),             # one digit: 0.15..0.25
    ("written", "0.17", "wrong"),
    ("written", "0.1650", "ok"),          # 0.16495..0.16505
    ("written", "0.1651", "wrong"),
    ("written", "1.65e-1", "ok"),         # exponent form: 0.1645..0.1655
    ("written", "1.6e-1", "ok"),
    ("written", "0.164950", "ok"),
    ("written", "0.164951", "wrong"),     # 0.1649505..0.1649515 misses 0.1649502
    ("{abs: 1e-3}", "0.1655", "ok"),
    ("{abs: 1e-3}", "0.2", "wrong"),      # few digits get no extra room under abs
    ("{abs: 1e-3}", "0.1661", "wrong"),
    ("{rel: 1e-2}", "0.1665", "ok"),      # |diff| 1.55e-3 <= 1.65e-3
    ("{rel: 1e-2}", "0.167", "wrong"),
    ("{abs: 1e-4, rel: 1e-3}", "0.16520", "ok"),   # 2.5e-4 <= 1e-4 + 1.65e-4
])
def test_tolerance_modes(claims_file, tolerance, written, status):
    f = claims_file(f"tolerance: {tolerance}\nupdates: [{{index: 1, layers: [{{layer: 2, z: [{written}, 0.16495]}}]}}]")
    code, results, _ = verify_json(Q1, f)
    assert results[0]["status"] == status
    assert code == (0 if status == "ok" else 1)


def test_zero_written_accepts_floating_noise(claims_file):
    # question 3's delta^[1] is ~1e-18 (floating-point noise); 0 written means 0 +- 0.5
    f = claims_file("updates: [{index: 1, layers: [{layer: 1, delta: [[0, 0], [0, 0], [0, 0], [0, 0]]}]}]")
    assert verify_json(Q3, f)[0] == 0


# ---------------------------------------------------------------- JSON shape

def test_json_has_every_field_and_null_layer_for_loss_and_predictions(claims_file):
    f = claims_file("""
updates:
  - index: 1
    loss: 0.1
    layers: [{layer: 2, delta: [-0.113937, 0.13437]}]
predictions:
  - {output: [0.59438, 0.477189], class: 1}
""")
    code, results, summary = verify_json(Q1, f)
    assert code == 1
    by = {r["quantity"]: r for r in results}
    assert by["delta"] == {"update": 1, "layer": 2, "quantity": "delta", "status": "ok",
                           "claimed": [[-0.113937], [0.13437]], "expected": by["delta"]["expected"],
                           "key": "updates[0].layers[0].delta"}
    assert by["loss"]["layer"] is None and by["loss"]["status"] == "wrong"
    assert by["loss"]["expected"] == pytest.approx(0.2516930, abs=1e-6)
    assert by["class"]["layer"] is None and by["class"]["update"] is None
    assert by["class"]["prediction"] == 1 and by["class"]["expected"] == 0 and by["class"]["claimed"] == 1
    assert by["class"]["status"] == "wrong" and by["output"]["status"] == "ok"
    assert summary == {"ok": 2, "wrong": 2, "carried_forward": 0, "wrong_shape": 0, "total": 4}


def test_no_biases_claimed_null_is_ok(problem_file, claims_file):
    p = problem_file("""
network: {sizes: [2, 1], activation: sigmoid, weights: 0.5, biases: none}
loss: squared_error
learning_rate: 1
data: [{x: [1, 0], y: 1}]
""")
    ok = claims_file("updates: [{index: 1, layers: [{layer: 1, b: null, grad_b: null, z: 0.5}]}]")
    assert verify_json(p, ok)[0] == 0
    bad = claims_file("updates: [{index: 1, layers: [{layer: 1, b: 0}]}]", "bad.yaml")
    code, results, _ = verify_json(p, bad)
    assert code == 1 and results[0]["status"] == "wrong_shape"


# ---------------------------------------------------------------- bad input: exit 2

@pytest.mark.parametrize("text, message", [
    ("updates: [{index: 2, layers: []}]", "updates[0].index: update 2 does not exist: the problem makes 1 update"),
    ("updates: [{index: 1, layers: [{layer: 3, z: 0}]}]",
     "updates[0].layers[0].layer: layer 3 does not exist: the network's layers are 1 to 2"),
    ("updates: [{index: 1, layers: [{layer: 1}, {layer: 1}]}]", "layer 1 is claimed twice"),
    ("updates: [{index: 1}, {index: 1}]", "updates[1].index: update 1 is claimed twice"),
    ("updates: [{layers: []}]", "updates[0].index: this key is required"),
    ("updates: [{index: 1, layers: [{layer: 1, zz: 0}]}]", "updates[0].layers[0].zz: unknown key (did you mean 'z'?)"),
    ("updates: [{index: 1, layers: [{layer: 1, z: [0.2, abc, 0.2]}]}]",
     "updates[0].layers[0].z[1]: expected a number or a list of numbers, got the text 'abc'"),
    ("updates: [{index: 1, layers: [{layer: 1, z: [[0.2], [0.2, 0.1]]}]}]",
     "updates[0].layers[0].z: expected rows of equal lengths, got 1, 2"),
    ("updates: [{index: 1, layers: [{layer: 1, z: [0.2, [0.2]]}]}]", "mixes both"),
    ("updates: [{index: 1, layers: [{layer: 1, z: []}]}]", "expected numbers, got an empty list"),
    ("updates: [{index: 1, layers: [{layer: 1, z: .inf}]}]", "expected a finite number"),
    ("predictions: [{class: 0}, {class: 0}]", "predictions[1]: prediction 2 does not exist"),
    ("updates: [{index: 1, layers: [{layer: 1, z: }]}]", "updates[0].layers[0].z: expected a number or a list "
                                                          "of numbers, got nothing (null)"),
    ("tolerance: loose", "tolerance: expected written, {abs: 1e-4} or {rel: 1e-3}"),
    ("tolerance: {abs: -1}", "tolerance.abs: expected a number of at least 0"),
    ("tolerance: {absolute: 1}", "tolerance.absolute: unknown key"),
    ("- 1\n- 2", "expected a YAML mapping of keys (tolerance, updates, predictions), got a list of 2"),
    ("updates: [", "YAML syntax error"),
    ("colour: red", "colour: unknown key"),
])
def test_bad_claims_exit_2_with_file_and_key(claims_file, text, message):
    f = claims_file(text)
    code, out, err = run_cli("verify", Q1, f)
    assert code == 2 and out == "" and "Traceback" not in err
    assert err.startswith(f"{f}: ") and message in err


def test_missing_files_and_bad_problem_exit_2(claims_file, problem_file):
    f = claims_file("updates: []")
    code, _, err = run_cli("verify", Q1, "no/such.yaml")
    assert code == 2 and "no/such.yaml: no such claims file" in err
    code, _, err = run_cli("verify", "no/such.yaml", f)
    assert code == 2 and "no such problem file" in err
    bad = problem_file("network: {sizes: [2, 1]}\nloss: squared_error\nlearning_rate: 1\ndata: []")
    code, _, err = run_cli("verify", bad, f)
    assert code == 2 and "Traceback" not in err


def test_empty_claims_are_all_ok(claims_file):
    code, out, _ = run_cli("verify", Q1, claims_file("tolerance: written"))
    assert code == 0 and out.strip().startswith("0 claimed quantities")


def test_carried_forward_across_updates_and_wrong_when_it_does_not_follow(problem_file, claims_file):
    # z = W x + b, linear output, squared error, eta 1, two SGD updates:
    # update 1 (x 1, y 0): z 0.5, delta 0.5, W_new 0, b_new -0.5; update 2 (x 2, y 1): z -0.5.
    p = problem_file("""
network: {sizes: [1, 1], activation: linear, weights: 0.5, biases: 0}
loss: squared_error
learning_rate: 1
data: [{x: 1, y: 0}, {x: 2, y: 1}]
""")
    f = claims_file("""
updates:
  - index: 1
    layers: [{layer: 1, z: 0.5, W_new: 0.1, b_new: -0.5}]     # W_new slipped: 0.5 - 0.5 = 0
  - index: 2
    layers: [{layer: 1, W: 0.1, b: -0.5, z: -0.3, a: 0.4}]    # W, z follow from it; a does not
""")
    code, results, summary = verify_json(p, f)
    got = [(r["update"], r["quantity"], r["status"]) for r in results]
    assert got == [(1, "z", "ok"), (1, "W_new", "wrong"), (1, "b_new", "ok"),
                   (2, "W", "carried_forward"), (2, "b", "ok"), (2, "z", "carried_forward"),
                   (2, "a", "wrong")]
    assert code == 1


# ---------------------------------------------------------------- the document

def test_pdf_source_shows_claims_beside_the_correct_numbers(tmp_path):
    # --pdf NAME.tex writes the LaTeX source: the seed's wrong delta^[3] entries in red,
    # the per-sample bias gradients as wrong shapes, right numbers ticked.
    tex_path = tmp_path / "q2b.tex"
    code, out, err = run_cli("verify", Q2B, CLAIMS / "seed001_q2b.claims.yaml", "--pdf", tex_path)
    assert code == 1 and "Traceback" not in err
    tex = tex_path.read_text()
    assert r"\textcolor{red}{\text{claimed (wrong):}}" in tex
    assert r"\textcolor{red}{0.0236183}" in tex
    assert r"claimed (wrong shape, expected 3 numbers)" in tex
    assert r"\checkmark" in tex
    assert r"\section*{The claims checked}" in tex
    assert "16 ok, 1 wrong, 0 carried forward, 10 wrong shape" in tex


def test_pdf_source_colours_carried_forward_apart(claims_file, tmp_path):
    f = claims_file("updates: [{index: 1, layers: [{layer: 1, a: [0.594834, 0.549834, 0.549834]}, "
                    "{layer: 2, z: [0.16945, 0.16945]}]}]")
    tex_path = tmp_path / "q1.tex"
    code, _, _ = run_cli("verify", Q1, f, "--pdf", tex_path)
    tex = tex_path.read_text()
    assert code == 1
    assert r"\textcolor{red}{0.594834}" in tex
    assert r"\textcolor{orange!85!black}{\text{claimed (carried forward):}}" in tex


def test_pdf_compiles(tmp_path):
    pdf = tmp_path / "q3.pdf"
    code, _, err = run_cli("verify", Q3, CLAIMS / "seed001_q3.claims.yaml", "--pdf", pdf)
    assert code == 1 and err == ""
    assert pdf.read_bytes().startswith(b"%PDF")


def test_the_example_claims_in_problems_say_what_their_comment_says():
    code, results, summary = verify_json(Q1, PROBLEMS / "claims" / "seed001_q1_mistyped.claims.yaml")
    assert code == 1
    assert summary == {"ok": 1, "wrong": 1, "carried_forward": 14, "wrong_shape": 0, "total": 16}
    assert [(r["layer"], r["quantity"]) for r in results if r["status"] == "wrong"] == [(1, "a")]
