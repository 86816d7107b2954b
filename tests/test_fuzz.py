"""Seeded fuzzing of the problem and claims formats (issue 9): no crash on any input.

The generator is benchmarks/fuzz.py (mutations of problems/*.yaml and of the claims
files; run it there with --count 3400 for the full count per class). Here a fixed
sample runs in this process through the click commands (check -q and trace for
problem files, verify --json for claims files), and a smaller one as real
``python -m backprop_solver`` processes, which also catches segfaults and anything written to
stderr outside click. Every file must give exit 0 (1 for a verify mismatch) with
nothing on stderr, or exit 2 with exactly one line starting with the file's path, no
traceback, no warning, within the time limit; check and trace must agree.
"""

import importlib.util
import sys

import pytest

from conftest import ROOT

SEED = 9
IN_PROCESS = 600       # cases run through click in this process
SUBPROCESSES = 16      # of them, evenly spread, also as real processes
SECONDS = 20.0         # time limit of one command

#: cases of this seed that fail in code outside the input handling, with the reason; they
#: are not run here (each costs the time limit) but in an xfail test below, which turns
#: into a failure once the cause is fixed (then remove the entry)
KNOWN = {}  # 1431 (|z| = 4,500 worked to 4,000 digits) runs in float64 since issue 9


def _fuzz():
    spec = importlib.util.spec_from_file_location("fuzz", ROOT / "benchmarks" / "fuzz.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz"] = module
    spec.loader.exec_module(module)
    return module


fuzz = _fuzz()


@pytest.fixture(scope="module")
def cases():
    return list(fuzz.generate(IN_PROCESS, SEED))


def _report(title, outcomes):
    counts = fuzz.tally(outcomes)
    failures = [(c, o, d) for c, o, d in outcomes if o in fuzz.FAILURES]
    print(f"\n{title}: {len(outcomes)} files, " + ", ".join(f"{k}: {v}" for k, v in counts.items())
          + f"; failures: {len(failures)}")
    return failures, "\n".join(f"case {c.index} ({c.kind}, {c.seed}, {'+'.join(c.notes)}): {o}: {d[:300]}"
                               for c, o, d in failures)


def test_generator_is_seeded_and_varied(cases):
    again = list(fuzz.generate(40, SEED))
    assert [c.content for c in again] == [c.content for c in cases[:40]]
    kinds = {c.kind for c in cases}
    notes = {n for c in cases for n in c.notes}
    assert kinds == {"problem", "claims"}
    assert {"delete", "replace", "number", "bomb", "control", "folder"} <= notes, notes


def test_fuzzed_files_in_process(cases, tmp_path):
    outcomes = []
    for c in cases:
        if c.index in KNOWN:
            continue
        path = fuzz.write(c, tmp_path)
        outcomes.append((c, *fuzz.judge(c, str(path), fuzz.invoke, SECONDS)))
    failures, text = _report("in process", outcomes)
    assert not failures, text
    counts = fuzz.tally(outcomes)
    assert counts["exit 0"] + counts["exit 1"] > IN_PROCESS // 20  # some files stay valid
    assert counts["exit 2"] > IN_PROCESS // 2


@pytest.mark.xfail(strict=True, reason="known failures outside the input handling (see KNOWN)")
@pytest.mark.parametrize("index", sorted(KNOWN))
def test_known_failures(cases, tmp_path, index):
    case = next(c for c in cases if c.index == index)
    path = fuzz.write(case, tmp_path)
    outcome, detail = fuzz.judge(case, str(path), fuzz.invoke, 5.0)
    assert outcome not in fuzz.FAILURES, detail


def test_fuzzed_files_as_processes(cases, tmp_path):
    outcomes = []
    for c in [c for c in cases if c.index not in KNOWN][::IN_PROCESS // SUBPROCESSES][:SUBPROCESSES]:
        path = fuzz.write(c, tmp_path)
        outcomes.append((c, *fuzz.judge(c, str(path), fuzz.run_subprocess, SECONDS)))
    failures, text = _report("as processes", outcomes)
    assert not failures, text


@pytest.mark.parametrize("snippet", ["[" * 50_000, "[" * 50_000 + "]" * 50_000, "{a: " * 300 + "1" + "}" * 300])
def test_the_segfaults_and_recursion_as_processes(tmp_path, snippet):
    # as a real process: the C composer crashed with SIGSEGV on these before issue 9
    for kind, base in (("problem", ROOT / "problems" / "seed001_q1_sigmoid_sgd.yaml"),
                       ("claims", ROOT / "tests" / "claims" / "seed001_q1.claims.yaml")):
        case = fuzz.Case(0, kind, base.name, ["deep"], (base.read_text() + f"x: {snippet}\n").encode(),
                         "problems/seed001_q1_sigmoid_sgd.yaml")
        path = fuzz.write(case, tmp_path)
        assert fuzz.judge(case, str(path), fuzz.run_subprocess, SECONDS)[0] == "exit 2"
