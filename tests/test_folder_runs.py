"""Runs over many problem files, as real processes: Ctrl-C (and SIGTERM) stops them at
once and cleanly, outputs that clash are refused before any work, a file named twice is
done once, file-system errors are one line, and ``-`` reads a problem from standard input."""

import os
import queue
import re
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time

import pytest

from conftest import PROBLEMS, ROOT, run_cli

LAYERED = ["seed001_q1_sigmoid_sgd", "seed001_q2a_tanh_sgd", "seed001_q3_softmax_ce_batch", "seed004_4_5_1_sigmoid"]
GRAPH = ["seed003_ex1_relu_boundary", "seed003_ex2_logcosh", "seed003_ex4_shared_parameters", "seed003_ex3_tanh_multilayer"]


def folder_of(tmp_path, names, copies=2):
    """A folder of ``copies`` copies of each example problem in ``names``."""
    src = tmp_path / "in"
    src.mkdir()
    for i in range(copies):
        for name in names:
            shutil.copy(PROBLEMS / f"{name}.yaml", src / f"c{i}_{name}.yaml")
    return src


def one_line_error(code, err, *parts):
    assert code == 2 and "Traceback" not in err and len(err.splitlines()) == 1, err
    for part in parts:
        assert part in err, err


# ---------------------------------------------------------------- interrupting a run

def pdflatex_in(folder):
    """The pdflatex processes whose working folder is (or was) under ``folder``."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if (b"pdflatex" in open(f"/proc/{pid}/cmdline", "rb").read()
                    and os.readlink(f"/proc/{pid}/cwd").startswith(str(folder))):
                found.append(pid)
        except OSError:
            pass
    return found


def interrupt(tmp_path, args, sig, group=False):
    """Start ``backprop ARGS`` (its temporary files in a folder of the test's own), send
    ``sig`` once it reports its first finished file: (exit code, stderr, seconds it took
    to exit, its temporary folder)."""
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    # SIGINT as a terminal gives it, even where the tests run in the background (which ignores it)
    p = subprocess.Popen([sys.executable, "-m", "backprop_solver", *map(str, args)], cwd=tmp_path,
                         env=dict(os.environ, TMPDIR=str(tmp)), stdout=subprocess.DEVNULL,
                         stderr=subprocess.PIPE, text=True, start_new_session=group,
                         preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    lines = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in p.stderr] + [lines.put("")], daemon=True).start()
    err = []
    while not (err and err[-1].startswith("[1/")):
        err.append(lines.get(timeout=120))
        assert err[-1], f"the run ended before its first file: {''.join(err)}"
    if group:  # as a Ctrl-C in a terminal: the whole process group gets SIGINT
        os.killpg(p.pid, sig)
    else:
        p.send_signal(sig)
    sent = time.monotonic()
    try:
        code = p.wait(timeout=20)
    finally:
        p.kill()
    took = time.monotonic() - sent
    while (line := lines.get(timeout=10)):
        err.append(line)
    return code, "".join(err), took, tmp


@pytest.mark.parametrize("jobs, sig, group", [(1, signal.SIGINT, False), (2, signal.SIGINT, False),
                                              (2, signal.SIGINT, True), (2, signal.SIGTERM, False)],
                         ids=["j1-SIGINT", "j2-SIGINT", "j2-Ctrl-C-to-group", "j2-SIGTERM"])
def test_an_interrupted_solve_stops_at_once_and_leaves_only_finished_files(tmp_path, jobs, sig, group):
    src = folder_of(tmp_path, LAYERED)
    out = tmp_path / "out"
    code, err, took, tmp = interrupt(tmp_path, ["solve", src, "-o", out, "-j", jobs], sig, group)
    assert code == 128 + sig and took < 5, (code, took, err)
    assert "Traceback" not in err
    assert re.fullmatch(r"interrupted: \d of 8 problem files done", err.splitlines()[-1]), err
    assert list(tmp.iterdir()) == [] and pdflatex_in(tmp) == []
    first = re.search(r"^\[1/8\] \S+ -> (\S+)\.pdf$", err, re.M).group(1)
    names = sorted(p.name for p in out.iterdir())
    assert f"{os.path.basename(first)}.pdf" in names  # what was done stays
    assert not [n for n in names if n.startswith(".") or not n.endswith((".pdf", ".tex"))], names
    for pdf in out.glob("*.pdf"):  # every PDF there is whole
        data = pdf.read_bytes()
        assert data.startswith(b"%PDF") and data.rstrip().endswith(b"%%EOF"), pdf
        if shutil.which("pdfinfo"):
            subprocess.run(["pdfinfo", pdf], check=True, capture_output=True)
    assert len(names) <= 2 * 8 - 2  # it did stop


@pytest.mark.parametrize("command, copies", [(["trace", "-o", "out"], 2), (["check"], 8)])
def test_an_interrupted_trace_or_check_stops_at_once(tmp_path, command, copies):
    src = folder_of(tmp_path, GRAPH, copies)
    code, err, took, tmp = interrupt(tmp_path, [command[0], src, *command[1:]], signal.SIGINT)
    assert code == 130 and took < 5 and "Traceback" not in err, (code, took, err)
    assert re.fullmatch(rf"interrupted: \d+ of {4 * copies} problem files done", err.splitlines()[-1]), err
    assert list(tmp.iterdir()) == []
    if command[0] == "trace":
        import json
        names = [p.name for p in (tmp_path / "out").iterdir()]
        assert names and all(n.endswith(".json") for n in names), names
        for f in (tmp_path / "out").iterdir():
            json.loads(f.read_text())  # whole


# ---------------------------------------------------------------- outputs that clash

def test_two_files_that_would_write_the_same_output_are_refused_before_any_work(tmp_path):
    for d in "abc":
        (tmp_path / d).mkdir()
        shutil.copy(PROBLEMS / f"{LAYERED[0]}.yaml", tmp_path / d / "p.yaml")
    code, _, err = run_cli("solve", "a/p.yaml", "b/p.yaml", "-o", "out", cwd=tmp_path)
    one_line_error(code, err)
    assert err == ("b/p.yaml: two problem files would write out/p.pdf (a/p.yaml too); "
                   "rename one or give them different output folders\n")
    assert not (tmp_path / "out").exists()
    code, _, err = run_cli("trace", "a", "b/p.yaml", "c", "-o", "out", cwd=tmp_path)
    assert code == 2 and err.splitlines() == [
        f"{d}/p.yaml: two problem files would write out/p.json (a/p.yaml too); "
        "rename one or give them different output folders" for d in "bc"]
    assert not (tmp_path / "out").exists()


def test_a_file_named_twice_is_done_once(tmp_path):
    src = folder_of(tmp_path, LAYERED[:2], copies=1)
    first = f"in/c0_{LAYERED[0]}.yaml"
    code, _, err = run_cli("solve", first, f"./{first}", "in", first, "--tex-only", "-j", 1, "-o", "out", cwd=tmp_path)
    assert code == 0 and err.splitlines() == [
        f"[1/2] {first} -> out/c0_{LAYERED[0]}.tex",
        f"[2/2] in/c0_{LAYERED[1]}.yaml -> out/c0_{LAYERED[1]}.tex",
        "2 of 2 problem files done"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == sorted(
        f"{p.stem}.tex" for p in src.iterdir())


# ---------------------------------------------------------------- file-system errors

def test_an_output_folder_through_a_file_is_one_line(tmp_path):
    (tmp_path / "somefile").write_text("x")
    problem = PROBLEMS / f"{LAYERED[0]}.yaml"
    for command in (["solve", problem], ["solve", PROBLEMS, "--tex-only"], ["trace", problem, PROBLEMS]):
        code, _, err = run_cli(*command, "-o", "somefile/out", cwd=tmp_path)
        one_line_error(code, err, "somefile/out: cannot make the output folder (", "somefile is not a folder)")
    code, _, err = run_cli("verify", problem, PROBLEMS / "claims" / "seed001_q1_mistyped.claims.yaml",
                           "--pdf", "somefile/checked.tex", cwd=tmp_path)
    one_line_error(code, err)
    assert err == f"{problem}: cannot write somefile/checked.tex (somefile is not a folder)\n"
    assert (tmp_path / "somefile").read_text() == "x"


def test_an_output_that_cannot_be_written_names_it(tmp_path):
    (tmp_path / "out" / "p.tex").mkdir(parents=True)  # in the way of the .tex
    shutil.copy(PROBLEMS / f"{LAYERED[0]}.yaml", tmp_path / "p.yaml")
    code, _, err = run_cli("solve", "p.yaml", "-o", "out", "--tex-only", cwd=tmp_path)
    one_line_error(code, err)
    assert err == "p.yaml: cannot write out/p.tex (Is a directory)\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["p.tex"]


def test_a_write_that_fails_half_way_leaves_nothing(tmp_path):
    """A file-size limit makes the write fail as a full disk would (EFBIG for ENOSPC)."""
    shutil.copy(PROBLEMS / f"{LAYERED[0]}.yaml", tmp_path / "p.yaml")
    run = subprocess.run([sys.executable, "-m", "backprop_solver", "trace", "p.yaml", "-o", "out"],
                         cwd=tmp_path, capture_output=True, text=True, timeout=60,
                         preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000)))
    one_line_error(run.returncode, run.stderr)
    assert run.stderr == "p.yaml: cannot write out/p.json (File too large)\n"
    assert list((tmp_path / "out").iterdir()) == []


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_an_output_folder_without_permission_is_one_line(tmp_path):
    (tmp_path / "ro").mkdir(mode=0o555)
    code, _, err = run_cli("solve", PROBLEMS / f"{LAYERED[0]}.yaml", "-o", "ro/out", cwd=tmp_path)
    one_line_error(code, err, "ro/out: cannot write into the output folder (", "permission denied)")


def test_a_named_pipe_or_a_device_is_refused_without_reading_it(tmp_path):
    os.mkfifo(tmp_path / "pipe.yaml")  # nobody writes to it: reading would wait for ever
    code, _, err = run_cli("trace", "pipe.yaml", cwd=tmp_path)
    one_line_error(code, err)
    assert err == "pipe.yaml: expected a problem file, got a named pipe\n"
    code, _, err = run_cli("check", "/dev/zero", cwd=tmp_path)
    one_line_error(code, err)
    assert err == "/dev/zero: expected a problem file, got a device\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root may read anything")
def test_an_unreadable_problem_file_is_one_line(tmp_path):
    shutil.copy(PROBLEMS / f"{LAYERED[0]}.yaml", tmp_path / "p.yaml")
    (tmp_path / "p.yaml").chmod(0)
    code, _, err = run_cli("check", "p.yaml", cwd=tmp_path)
    one_line_error(code, err, "p.yaml: cannot read the file (Permission denied)")


# ---------------------------------------------------------------- standard input

def cli_with_input(data, *args):
    p = subprocess.run([sys.executable, "-m", "backprop_solver", *map(str, args)], cwd=ROOT, input=data,
                       capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode(), p.stderr.decode()


def test_trace_and_check_read_a_problem_from_standard_input():
    problem = PROBLEMS / f"{LAYERED[0]}.yaml"
    code, out, err = cli_with_input(problem.read_bytes(), "trace", "-")
    assert code == 0 and err == ""
    assert out == run_cli("trace", problem)[1]
    code, _, err = cli_with_input(problem.read_bytes(), "check", "-")
    assert code == 0 and err == "<stdin>: ok (5-3-2, squared_error, sgd)\n"
    code, _, err = cli_with_input(b"network: {sizes: [2, 1]}\n", "trace", "-")
    one_line_error(code, err)
    assert err.startswith("<stdin>: ")
    code, _, err = cli_with_input(problem.read_bytes(), "solve", "-", "-o", "out")
    one_line_error(code, err, "<stdin>: a problem read from standard input has no name for an output file")


def test_standard_input_has_the_size_limit_of_a_file():
    from backprop_solver.spec import MAX_FILE_BYTES

    code, _, err = cli_with_input(b"#" * (MAX_FILE_BYTES + 10), "trace", "-")
    one_line_error(code, err)
    assert err == f"<stdin>: the file is larger than {MAX_FILE_BYTES:,} bytes\n"


def test_ctrl_c_in_a_one_file_trace_is_one_line_and_exit_130():
    """A single problem's trace (a training run of about 2 s) interrupted: 'interrupted',
    exit 130, nothing on stdout (click alone would print 'Aborted!' and exit 1)."""
    p = subprocess.Popen([sys.executable, "-m", "backprop_solver", "trace",
                          PROBLEMS / "seed000_ex3_spiral_regularization.yaml"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.0)
    p.send_signal(signal.SIGINT)
    out, err = p.communicate(timeout=30)
    assert (p.returncode, err, out) == (130, "interrupted\n", "")
