"""The command line as a whole: help, folders, parallel solving."""

import shutil

import pytest

from conftest import PROBLEMS, run_cli


@pytest.mark.parametrize("command", ["", "check", "trace", "solve", "verify"])
def test_help(command):
    code, out, err = run_cli(*([command] if command else []), "--help")
    assert code == 0 and "Usage: " in out and err == ""


def test_solve_a_folder_in_parallel_with_one_bad_file(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    for name in ("seed001_q1_sigmoid_sgd", "seed001_q2a_tanh_sgd", "seed004_4_5_1_sigmoid"):
        shutil.copy(PROBLEMS / f"{name}.yaml", src)
    (src / "zz_bad.yaml").write_text((PROBLEMS / "seed001_q1_sigmoid_sgd.yaml").read_text()
                                     .replace("sizes: [5, 3, 2]", "sizes: [5, 3]"))
    out = tmp_path / "out"
    code, _, err = run_cli("solve", src, "-o", out, "-j", "2")
    assert code == 2 and "Traceback" not in err
    assert "zz_bad.yaml: " in err and "3 of 4 problem files done, 1 with errors" in err
    assert sum(line.startswith("[") for line in err.splitlines()) == 3  # one per good file
    assert sorted(p.name for p in out.iterdir()) == sorted(
        f"{n}.{ext}" for n in ("seed001_q1_sigmoid_sgd", "seed001_q2a_tanh_sgd", "seed004_4_5_1_sigmoid")
        for ext in ("pdf", "tex"))


# ---------------------------------------------------------------- one kind dispatch

LAYERED, GRAPH = PROBLEMS / "seed001_q1_sigmoid_sgd.yaml", PROBLEMS / "seed003_ex4_shared_parameters.yaml"


def _commands(tmp_path, monkeypatch, kind_of_file):
    """Run check, trace, solve and verify in this process on the two example files with
    spec.problem_kind replaced by ``kind_of_file`` (pdflatex replaced too): what each did."""
    from click.testing import CliRunner

    from backprop_solver import compile as cp, spec
    from backprop_solver.cli import main

    asked, started = [], []
    monkeypatch.setattr(spec, "problem_kind",
                        lambda data, as_graph=False: asked.append(1) or kind_of_file(data, as_graph))

    class Pending:  # pdflatex started early, on the house preamble
        def __init__(self, preamble):
            started.append(preamble)

        def finish(self, tex, pdf_path, source_name=""):
            pass

        def cancel(self):
            pass

    monkeypatch.setattr(cp, "start", Pending)
    monkeypatch.setattr(cp, "compile_pdf", lambda *a, **k: None)
    monkeypatch.setenv("BACKPROP_CACHE", str(tmp_path / "cache"))
    claims = tmp_path / "claims.yaml"
    claims.write_text("updates: []\n")
    runner = CliRunner()
    done = {}
    for f in (LAYERED, GRAPH):
        for command in (["check"], ["trace"], ["solve", "-o", tmp_path / "out"], ["verify"]):
            asked.clear(), started.clear()
            args = [*command, f] + ([claims] if command == ["verify"] else [])
            r = runner.invoke(main, list(map(str, args)))
            assert asked, f"{command[0]} did not ask spec.problem_kind"
            done[f.name, command[0]] = (r.exit_code, r.stdout + r.stderr, len(started))
    return done


def test_every_command_asks_the_one_kind_dispatch(tmp_path, monkeypatch):
    from backprop_solver import spec

    assert spec.read_problem(LAYERED)[0] == "layered" and spec.read_problem(GRAPH)[0] == "graph"
    done = _commands(tmp_path, monkeypatch, spec.problem_kind)
    lay, gr = LAYERED.name, GRAPH.name
    assert done[lay, "check"][:2] == (0, f"{LAYERED}: ok (5-3-2, squared_error, sgd)\n")
    assert done[gr, "check"][0] == 0 and "ok (graph of" in done[gr, "check"][1]
    assert '"updates"' in done[lay, "trace"][1] and '"updates"' not in done[gr, "trace"][1]
    assert done[lay, "solve"][::2] == (0, 1) and done[gr, "solve"][::2] == (0, 1)  # pdflatex early
    assert "this is a graph problem" not in done[lay, "verify"][1]
    assert done[gr, "verify"][0] == 2 and "this is a graph problem" in done[gr, "verify"][1]  # claims: updates


def test_the_kind_dispatch_decides_for_every_command(tmp_path, monkeypatch):
    # told that every file is layered, every command reads the graph file as a layered
    # one and refuses it for what the layered reader misses (no network key)
    done = _commands(tmp_path, monkeypatch, lambda data, as_graph=False: "layered")
    for command in ("check", "trace", "solve", "verify"):
        code, text, _ = done[GRAPH.name, command]
        assert code == 2 and f"{GRAPH}: " in text and "network" in text, (command, text)
        assert "this is a graph problem" not in text
