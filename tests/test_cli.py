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
