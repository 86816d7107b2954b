"""Fuzz the problem and claims formats (issue 9).

    .venv/bin/python benchmarks/fuzz.py [--count 3400] [--seed 9] [--jobs 2] [--subprocess N]

Generates COUNT files by mutating the layered example problems (problems/*.yaml without
a top-level ``graph:``) and claims files (tests/claims/, problems/claims/ and the trace
JSON of two layered problems and a graph one, which is itself a claims file): keys
deleted, renamed, added or written twice; values replaced by huge, tiny, negative, NaN,
infinite, 400-digit, boolean, date, text or null values; types swapped; lists grown
and nested; shared (aliased) values, alias bombs and self-referencing aliases; deep
nesting; unhashable keys; tags; control characters, NUL bytes, byte flips, truncation,
UTF-16, binary files, empty files and folders.

Problem files go through ``backprop check -q`` and ``backprop trace``, claims files
through ``backprop verify PROBLEM CLAIMS --json``. Every outcome must be exit 0 (exit 1
too for verify: a mismatch) with nothing on stderr, or exit 2 with exactly one line on
stderr starting with the file's path, nothing on stdout and no warning; check and
trace must agree. Anything else is a failure, sorted into a class:

    traceback   an exception other than bad input escaped (the command crashed)
    segfault    the process died from a signal
    hang        it ran longer than the time limit
    memory      it needed more than the memory limit (MemoryError or killed)
    messy       exit 2 with not exactly one clean line, a warning, output on the wrong
                stream, or an unexpected exit code
    disagree    check and trace disagree (one exits 0, the other 2)

Each case runs in a forked child of this process (the modules are imported once), so
a segfault, a hang or an alias bomb only loses that child; ``--subprocess N`` also runs
N of the cases as real ``python -m backprop_solver`` processes. The same generator and checks
are used by tests/test_fuzz.py (in-process, fewer cases).
"""

import argparse
import copy
import datetime
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import tempfile
import time
import traceback
import warnings
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # fork-safe NumPy

import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FAILURES = ("traceback", "segfault", "hang", "memory", "messy", "disagree")

#: key names a mutation may add or rename to (every key of both formats, and typos)
VOCABULARY = [
    "title", "description", "network", "loss", "learning_rate", "data", "update", "reduction",
    "steps", "regularization", "predict", "display", "sizes", "activation", "weights", "biases",
    "train_biases", "random", "seed", "low", "high", "x", "y", "l1", "l2", "digits", "notation",
    "full_updates", "leaky_relu", "slope", "tolerance", "abs", "rel", "written", "updates",
    "layers", "predictions", "index", "layer", "W", "b", "z", "a", "delta", "grad_W", "grad_b",
    "W_new", "b_new", "samples", "input", "target", "sample_losses", "penalty", "output",
    "class", "format", "problem", "learning_rat", "weigths", "bias", "", "<<",
]

BIG_INT = 10 ** 400


def _interesting(rng):
    """A value chosen to break things: edges of every limit, every YAML type."""
    pool = [
        0, 1, -1, 2, 3, 17, 18, 50, 51, 1000, 99999, 100000, 100001, 10_000_000, 2 ** 31,
        2 ** 63, 2 ** 64 + 1, 10 ** 20, BIG_INT, -BIG_INT, 10 ** 1000,
        0.5, -0.0, 1.5, 2.5, 1e-320, 1e-300, 1e-12, 1e12, 1e300, -1e300, 1e308, -1e308,
        1.7976931348623157e308, float("nan"), float("inf"), float("-inf"),
        True, False, None, "", "x", "sigmoid", "softmax", "relu", "leaky_relu", "linear",
        "tanh", "batch", "sgd", "mean", "sum", "none", "written", "bracket", "netout",
        "cross_entropy", "binary_cross_entropy", "squared_error", "log_cosh",
        "a" * 700, "sigmoid" + "d" * 600, "é\u2028ü\u200b", "line\nbreak", "tab\there",
        "\x1b[31mred", "1e5", "0x1F", "yes", "~", "{a: 1}", "[1, 2]", "*alias", "&anchor",
        datetime.date(2001, 1, 1), datetime.datetime(2001, 1, 1, 10, 0, 0), b"\x00\x01binary",
        [], {}, [[]], [None], [1e308, 1e308], [[1e308] * 3] * 3, list(range(1000)),
        {"random": {}}, {"random": {"seed": 0, "low": -1e308, "high": 1e308}},
        {"random": {"seed": BIG_INT, "low": -1, "high": 1}}, {"leaky_relu": {"slope": 1e308}},
        {"abs": 1e308}, {"rel": 1e308}, {"abs": float("nan")}, {"abs": -1}, {"index": 1},
        {"layer": 99}, {"index": 10 ** 300}, {"x": [1], "y": [1]},
    ]
    v = rng.choice(pool)
    return copy.deepcopy(v) if isinstance(v, (list, dict)) else v


def _alias_bomb(rng):
    """Nested lists that share their elements: the dumper writes them as anchors and
    aliases, a few hundred bytes that expand to width**levels numbers."""
    width, levels = rng.choice([(9, 9), (10, 8), (4, 16), (2, 40), (9, 6), (3, 5)])
    node = [0.5] * width
    for _ in range(levels - 1):
        node = [node] * width
    return node


def _positions(tree):
    """Every (container, key) in the tree, breadth first."""
    out, todo, seen = [], [tree], set()
    while todo:
        node = todo.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        if isinstance(node, dict):
            for k, v in node.items():
                out.append((node, k))
                todo.append(v)
        elif isinstance(node, list):
            for i, v in enumerate(node):
                out.append((node, i))
                todo.append(v)
    return out


def _swap_type(v, rng):
    if isinstance(v, list):
        return rng.choice([v[0] if v else None, {"k": v}, str(v)[:50], len(v), [v]])
    if isinstance(v, dict):
        return rng.choice([list(v.values()), list(v.keys()), None, "mapping", [v]])
    if isinstance(v, bool):
        return rng.choice([int(v), str(v), None])
    if isinstance(v, (int, float)):
        return rng.choice([str(v), [v], [[v]], {"v": v}, bool(v), None, datetime.date(2001, 1, 1)])
    if isinstance(v, str):
        return rng.choice([len(v), [v], {v: 1}, None, True, v * 100])
    return rng.choice([0, "x", [], {}])


def _number_mutation(v, rng):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return _interesting(rng)
    try:
        scaled = [v * 1e300, v * 1e-300, v + 0.5, v * 10 ** 400 if isinstance(v, int) else v * 1e308]
    except OverflowError:  # v is already a whole number beyond float range
        scaled = [v * 10 ** 400]
    return rng.choice([-v, *scaled, float("nan"), float("inf"), 0, v + 1, v - 1, BIG_INT, 1e308, -1e308])


def _mutate_tree(tree, rng, notes):
    """One mutation of the parsed file, in place (the root may be replaced: returned)."""
    spots = _positions(tree)
    op = rng.choices(
        ["delete", "replace", "swap_type", "number", "rename", "add_key", "grow", "shrink",
         "nest", "share", "bomb", "self_reference", "placeholder"],
        weights=[10, 16, 10, 16, 8, 8, 6, 4, 5, 4, 3, 2, 12])[0]
    if not spots:
        notes.append("replace root")
        return _interesting(rng)
    node, key = rng.choice(spots)
    here = f"{op} {key!s:.20}"
    notes.append(op)
    v = node[key]
    if op == "delete":
        del node[key]
    elif op == "replace":
        node[key] = _interesting(rng)
    elif op == "swap_type":
        node[key] = _swap_type(v, rng)
    elif op == "number":
        nums = [(n, k) for n, k in spots if isinstance(n[k], (int, float)) and not isinstance(n[k], bool)]
        n, k = rng.choice(nums) if nums else (node, key)
        n[k] = _number_mutation(n[k], rng)
    elif op == "rename" and isinstance(node, dict):
        new = rng.choice([rng.choice(VOCABULARY), key + "x" if isinstance(key, str) else 1,
                          "k" * 700, 1, 2.5, None, True, datetime.date(2001, 1, 1), "é\x85", "a\nb"])
        if new not in node:
            items = [(new if k == key else k, val) for k, val in node.items()]
            node.clear()
            node.update(items)
    elif op == "add_key":
        dicts = [n for n, _ in spots if isinstance(n, dict)] + ([tree] if isinstance(tree, dict) else [])
        d = rng.choice(dicts) if dicts else None
        if d is not None:
            d[rng.choice(VOCABULARY)] = _interesting(rng)
    elif op == "grow" and isinstance(v, list):
        if v and rng.random() < 0.5:
            v.extend(copy.deepcopy(v[-1:]) * rng.choice([1, 2, 100, 5000]))
        else:
            v.append(_interesting(rng))
    elif op == "shrink" and isinstance(v, list):
        del v[rng.randrange(len(v) + 1):]
    elif op == "nest":
        node[key] = rng.choice([[v], {"k": v}, [[v]], [v, v]])
    elif op == "share":
        lists = [n for n, _ in spots if isinstance(n, list) and len(n) >= 2]
        if lists:
            n = rng.choice(lists)
            n[rng.randrange(len(n))] = n[0]  # the dumper writes an anchor and an alias
    elif op == "bomb":
        node[key] = _alias_bomb(rng)
    elif op == "self_reference":
        loop = [1]
        loop.append(loop)
        node[key] = rng.choice([loop, [loop]])
    elif op == "placeholder":
        node[key] = "@@SNIPPET@@"
    del here
    return tree


def _big_number_text(rng):
    return rng.choice(["9" * 400, "-" + "9" * 400, "9" * 5000, "0x" + "f" * 2000, "0b" + "1" * 3000,
                       ":".join(["59"] * 600), "1" * 400 + ".5", "1e99999", "-1e400", "0.0e400",
                       "1e-400", "0." + "0" * 500 + "1", "1" + "0" * 320 + ".0", "1e" + "9" * 5000,
                       "1.5e" + "3" * 30, ".NaN", "-.inf", "1_000", "0o777", "+12", "012", "1:30"])


def _flow_snippet(rng):
    """YAML text for a value position (block or flow context)."""
    kind = rng.choice(["bomb", "deep", "brackets", "unclosed", "recursive", "tag", "number",
                       "date", "unhashable", "alias", "string", "merge"])
    if kind == "bomb":
        w, n = rng.choice([(9, 9), (10, 8), (2, 60), (9, 7)])
        parts = ["&a0 [" + ", ".join(["0.5"] * w) + "]"]
        parts += [f"&a{k} [" + ", ".join([f"*a{k - 1}"] * w) + "]" for k in range(1, n)]
        return kind, rng.choice(["[" + ", ".join(parts) + "]",
                                 "[" + ", ".join(parts) + f", *a{n - 1}, *a{n - 1}]"])
    if kind == "deep":
        n = rng.choice([60, 100, 250, 300, 1000, 5000])
        return kind, rng.choice(["{a: " * n + "1" + "}" * n, "[" * n + "1" + "]" * n,
                                 "{a: [" * (n // 2) + "1" + "]}" * (n // 2)])
    if kind == "brackets":
        return kind, "[" * 50000 + "]" * 50000
    if kind == "unclosed":
        return kind, rng.choice(["[" * 50000, "{" * 50000, "[" * 300])
    if kind == "recursive":
        return kind, rng.choice(["&r [*r]", "&r {a: *r}", "&r [1, [2, *r]]"])
    if kind == "tag":
        return kind, rng.choice([
            "!!python/object/apply:os.system ['true']", "!!python/object:os.system {}",
            "!!binary AAAA", "!!binary '%%%'", "!!timestamp 2001-13-45", "!!timestamp nope",
            "!!int abc", "!!int ''", "!!float x", "!!float ''", "!!bool maybe", "!!null x",
            "!!set {a, b}", "!!omap [a: 1, b: 2]", "!!omap [1, 2]", "!!pairs [a: 1]", "!foo 1",
            "!!str 1", "!!int '" + "9" * 5000 + "'", "!!map [1]", "!!seq {a: 1}", "!<tag:x> 1",
            "!!float '1e400'", "!!int 0x" + "f" * 20])
    if kind == "number":
        return kind, _big_number_text(rng)
    if kind == "date":
        return kind, rng.choice(["2001-01-01", "2001-13-45", "2001-02-30", "2001-01-01 10:00:00",
                                 "2001-01-01T25:61:61Z", "12:30:00", "9999-12-31T23:59:59.999999999+99:99"])
    if kind == "unhashable":
        return kind, rng.choice(["{[1]: 2}", "{{a: 1}: 2}", "{? [1, 2] : 3}", "{!!set {a}: 1}"])
    if kind == "alias":
        return kind, rng.choice(["*undefined", "&x 1", "[&x 1, *x, *x]", "&x [&y 1, *y]"])
    if kind == "string":
        return kind, rng.choice(['"\\x00"', '"\\u2028\\u0085"', '"' + "x" * 100000 + '"',
                                 "'" + "é" * 2000 + "'", '"\\e[31m"', '"\\uD800"', "|\n  text"])
    return kind, rng.choice(["{<<: {a: 1}}", "{<<: [*undefined]}", "{<<: 1}", "{<<: [{a: 1}, {a: 2}]}"])


def _key_snippet(rng):
    """YAML text of one more top-level entry (at the end of the file)."""
    return rng.choice(["[1]: 2", "{a: 1}: 2", "? [a, b]\n: 1", "? {a: [1]}\n: 1", "~: 1", "1: 2",
                       ".nan: 1", "2001-01-01: 1", "'" + "k" * 700 + "': 1", "\"a\\nb\": 1",
                       "<<: {title: merged}", "<<: [*undefined]", "title: 2", "x: " + "{a: " * 300 + "1" + "}" * 300,
                       "x: " + "[" * 50000, "x:\n" + "".join("  " * i + "- \n" for i in range(300)),
                       "x: " + "- " * 300 + "1", "? " + "[" * 300 + "1" + "]" * 300 + "\n: 1",
                       "x: !!python/object/new:os.system [true]", "%TAG ! tag:x,2000:\n---"])


CONTROL = ["\x00", "\x01", "\x07", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x80", "\x9f",
           "\ufffe", "\uffff", "\t", "\r", "\x85", "\u2028", "\ufeff"]


def _mutate_text(text, rng, notes):
    """One mutation of the YAML text."""
    op = rng.choices(["truncate", "control", "duplicate_line", "delete_line", "swap_lines",
                      "append_key", "snippet_line", "crlf", "tab", "long_line", "directive",
                      "documents", "indent"],
                     weights=[8, 10, 8, 5, 4, 12, 10, 2, 3, 2, 2, 2, 4])[0]
    notes.append(op)
    lines = text.split("\n")
    i = rng.randrange(len(lines))
    if op == "truncate":
        return text[:rng.randrange(len(text) + 1)]
    if op == "control":
        pos = rng.randrange(len(text) + 1)
        return text[:pos] + rng.choice(CONTROL) + text[pos:]
    if op == "duplicate_line":
        lines.insert(i, lines[i])
    elif op == "delete_line":
        del lines[i]
    elif op == "swap_lines":
        j = rng.randrange(len(lines))
        lines[i], lines[j] = lines[j], lines[i]
    elif op == "append_key":
        return text.rstrip("\n") + "\n" + _key_snippet(rng) + "\n"
    elif op == "snippet_line":
        m = [k for k, line in enumerate(lines) if re.match(r"^\s*[A-Za-z_]+: \S", line)]
        if m:
            k = rng.choice(m)
            kind, snippet = _flow_snippet(rng)
            notes.append(kind)
            lines[k] = re.sub(r":\s.*$", ": " + snippet.replace("\\", "\\\\"), lines[k], count=1)
    elif op == "crlf":
        return text.replace("\n", "\r\n")
    elif op == "tab":
        lines[i] = "\t" + lines[i]
    elif op == "long_line":
        lines.insert(i, "# " + "x" * rng.choice([10_000, 1_000_000]))
    elif op == "directive":
        return rng.choice(["%YAML 1.2\n---\n", "%YAML 9.9\n---\n", "--- !!map\n", "---\n"]) + text
    elif op == "documents":
        return text + "\n---\n" + text
    elif op == "indent":
        lines[i] = " " * rng.choice([1, 3, 200]) + lines[i]
    return "\n".join(lines)


def _mutate_bytes(data, rng, notes):
    op = rng.choice(["flip", "utf16", "latin1", "bom", "binary", "empty", "nul_run"])
    notes.append(op)
    if op == "flip":
        b = bytearray(data)
        for _ in range(rng.choice([1, 1, 3])):
            if b:
                b[rng.randrange(len(b))] = rng.randrange(256)
        return bytes(b)
    if op == "utf16":
        return data.decode("utf-8", "replace").encode(rng.choice(["utf-16", "utf-16-le", "utf-32"]))
    if op == "latin1":
        return data + "\ntitle2: caf\xe9\n".encode("latin-1")
    if op == "bom":
        return b"\xef\xbb\xbf" + data
    if op == "binary":
        return bytes(rng.randrange(256) for _ in range(rng.choice([1, 100, 4096])))
    if op == "empty":
        return rng.choice([b"", b"\n", b"# just a comment\n", b"---\n", b"...\n", b"null\n", b"[]\n", b"1\n"])
    return data[:len(data) // 2] + b"\x00" * 100 + data[len(data) // 2:]


@dataclass
class Case:
    index: int
    kind: str                 # "problem" or "claims"
    seed: str                 # the file it was made from
    notes: list               # the mutations applied
    content: bytes | None     # None: a folder named like a file
    problem: str | None = None  # claims: the (valid) problem file to verify against


def _dump(tree, rng):
    try:
        return yaml.safe_dump(tree, sort_keys=False, default_flow_style=rng.choice([None, False, True]),
                              allow_unicode=rng.random() < 0.5, width=rng.choice([80, 10 ** 6]))
    except (yaml.YAMLError, RecursionError, TypeError, ValueError):
        return yaml.safe_dump({"undumpable": True})


def seeds():
    """(kind, name, text, problem) for every file the generator starts from."""
    from backprop_solver import spec, trace

    out = []
    for p in sorted((ROOT / "problems").glob("*.yaml")):
        text = p.read_text()
        if re.search(r"^(dataset|compare|analysis)\s*:", text, re.M):  # a training run: a few steps
            text = re.sub(r"^steps: \d+", "steps: 3", text, flags=re.M)
        if not re.search(r"^graph\s*:", text, re.M):
            out.append(("problem", f"problems/{p.name}", text, None))
    problem_of = {"seed001_q1": "problems/seed001_q1_sigmoid_sgd.yaml",
                  "seed001_q2b": "problems/seed001_q2b_tanh_batch.yaml",
                  "seed001_q3": "problems/seed001_q3_softmax_ce_batch.yaml",
                  "seed003_ex4": "problems/seed003_ex4_shared_parameters.yaml"}
    for c in sorted([*(ROOT / "tests" / "claims").glob("*.yaml"), *(ROOT / "problems" / "claims").glob("*.yaml")]):
        prefix = next(k for k in problem_of if c.name.startswith(k))
        out.append(("claims", str(c.relative_to(ROOT)), c.read_text(), problem_of[prefix]))
    for name in ("seed001_q1", "seed001_q2b"):
        t = trace.to_json(trace.trace(spec.load(ROOT / problem_of[name])))
        out.append(("claims", f"trace of {problem_of[name]}", json.dumps(t), problem_of[name]))
    from backprop_solver import graph  # a graph problem's trace is a claims file too
    t = graph.to_json(graph.solve(graph.load(ROOT / problem_of["seed003_ex4"])))
    out.append(("claims", f"trace of {problem_of['seed003_ex4']}", json.dumps(t), problem_of["seed003_ex4"]))
    return out


def generate(count, seed=9):
    """``count`` cases, the same for the same seed; case i depends only on (seed, i)."""
    bases = seeds()
    loader = __import__("solver.spec", fromlist=["Loader"]).Loader
    parsed = {name: yaml.load(text, Loader=loader) for _, name, text, _ in bases}
    for i in range(count):
        rng = random.Random(f"{seed}:{i}")
        kind, name, text, problem = rng.choice(bases)
        notes = []
        if rng.random() < 0.02:
            notes.append("folder")
            yield Case(i, kind, name, notes, None, problem)
            continue
        r = rng.random()
        if r < 0.05:
            out = text  # unchanged, or only a text or byte mutation below
        else:
            tree = copy.deepcopy(parsed[name])
            for _ in range(rng.choice([1, 1, 1, 2, 3])):
                tree = _mutate_tree(tree, rng, notes)
            out = _dump(tree, rng)
            if "@@SNIPPET@@" in out:
                k, snippet = _flow_snippet(rng)
                notes.append(k)
                out = re.sub(r"'?@@SNIPPET@@'?", lambda _: snippet, out, count=1)
        if rng.random() < 0.3:
            out = _mutate_text(out, rng, notes)
        data = out.encode("utf-8", "surrogatepass")
        if rng.random() < 0.06:
            data = _mutate_bytes(data, rng, notes)
        yield Case(i, kind, name, notes, data, problem)


# --------------------------------------------------------------------------- running

def write(case, folder):
    """The case's file (or folder) under ``folder``; its path as the CLI will see it."""
    path = Path(folder) / f"case{case.index:05d}.yaml"
    if case.content is None:
        path.mkdir()
        (path / "inside.yaml").write_bytes(b"title: x\n")
    else:
        path.write_bytes(case.content)
    return path


class _Timeout(Exception):
    pass


def _alarm(signum, frame):
    raise _Timeout()


def invoke(args, seconds):
    """Run the ``backprop`` click command in this process: a dict with code, stdout,
    stderr, warnings, the escaped exception (as text) and the time taken."""
    from click.testing import CliRunner

    from backprop_solver.cli import main

    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    t = time.perf_counter()
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            r = CliRunner().invoke(main, list(map(str, args)))
        code, out, err = r.exit_code, r.stdout, r.stderr
        exc = None
        if r.exception is not None and not isinstance(r.exception, SystemExit):
            if isinstance(r.exception, _Timeout):
                code, exc = "hang", None
            else:
                frame = traceback.extract_tb(r.exc_info[2])[-1]
                exc = (f"{Path(frame.filename).name}:{frame.lineno} in {frame.name}: "
                       f"{type(r.exception).__name__}: {r.exception}")
                code = "memory" if isinstance(r.exception, MemoryError) else code
    except _Timeout:
        code, out, err, exc, caught = "hang", "", "", None, []
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    return {"code": code, "stdout": out, "stderr": err, "exception": exc,
            "warnings": [f"{w.category.__name__}: {w.message}" for w in caught],
            "seconds": time.perf_counter() - t}


def run_subprocess(args, seconds):
    """The same as :func:`invoke`, as a real ``python -m backprop_solver`` process."""
    t = time.perf_counter()
    try:
        p = subprocess.run([sys.executable, "-m", "backprop_solver", *map(str, args)], cwd=ROOT,
                           capture_output=True, timeout=seconds)
    except subprocess.TimeoutExpired:
        return {"code": "hang", "stdout": "", "stderr": "", "exception": None, "warnings": [],
                "seconds": time.perf_counter() - t}
    err = p.stderr.decode("utf-8", "replace")
    code = p.returncode if p.returncode >= 0 else "segfault"
    exc = err if "Traceback (most recent call last)" in err else None
    if exc and "MemoryError" in err:
        code = "memory"
    return {"code": code, "stdout": p.stdout.decode("utf-8", "replace"), "stderr": err,
            "exception": exc, "warnings": [], "seconds": time.perf_counter() - t}


def judge(case, path, run, seconds=20.0):
    """Run the case's commands with ``run`` (invoke or run_subprocess); the outcome:
    ("exit 0" | "exit 1" | "exit 2" | a failure class, detail)."""
    if case.kind == "claims":
        results = {"verify": run(["verify", case.problem, path, "--json"], seconds)}
        allowed = (0, 1)
    else:
        results = {"check": run(["check", "-q", path], seconds), "trace": run(["trace", path], seconds)}
        allowed = (0,)
    for command, r in results.items():
        where = f"{command}: "
        if r["code"] in ("hang", "segfault", "memory"):
            return r["code"], where + (r["exception"] or f"{r['seconds']:.1f} s")
        if r["exception"]:
            return "traceback", where + r["exception"].strip().splitlines()[-1][:300]
        if r["warnings"]:
            return "messy", where + "warning " + r["warnings"][0][:200]
        if r["code"] in allowed:
            if r["stderr"]:
                return "messy", where + f"exit {r['code']} with stderr {r['stderr'][:200]!r}"
            continue
        if r["code"] != 2:
            return "messy", where + f"exit {r['code']}"
        lines = r["stderr"].split("\n")
        if lines[-1] == "":
            lines.pop()
        # a folder's message names the file in it
        named = lines and (lines[0].startswith(f"{path}: ") or case.content is None and lines[0].startswith(f"{path}/"))
        if len(lines) != 1 or not named or r["stdout"]:
            return "messy", where + f"exit 2 with stderr {r['stderr'][:300]!r}" + (
                f" and stdout {r['stdout'][:100]!r}" if r["stdout"] else "")
        if len(lines[0]) > 400:
            return "messy", where + f"a message of {len(lines[0])} characters: {lines[0][:200]!r}"
    codes = {r["code"] for r in results.values()}
    if len(codes) > 1:
        return "disagree", " / ".join(f"{c} exit {r['code']}: {r['stderr'][:150]!r}" for c, r in results.items())
    return f"exit {codes.pop()}", ""


def run_forked(cases, folder, jobs=2, seconds=20.0, memory=1 << 30):
    """judge() every case in a forked child of this process: (case, outcome, detail) in
    order. A child that dies by a signal is a segfault (or memory, when it hit the
    limit of ``memory`` bytes above this process's size), one that runs over ``seconds``
    (plus a margin) is killed: a hang."""
    base = _vm_size()
    running, done = {}, {}
    todo = list(cases)
    while todo or running:
        while todo and len(running) < jobs:
            case = todo.pop(0)
            out = Path(folder) / f"case{case.index:05d}.json"
            pid = os.fork()
            if pid == 0:  # the child
                try:
                    resource.setrlimit(resource.RLIMIT_AS, (base + memory, base + memory))
                    path = write(case, folder)
                    outcome = judge(case, str(path), invoke, seconds)
                    out.write_text(json.dumps(outcome))
                finally:
                    os._exit(0)
            running[pid] = (case, out, time.monotonic())
        pid, status = os.waitpid(-1, os.WNOHANG)
        if pid == 0:
            now = time.monotonic()
            for p, (case, out, start) in list(running.items()):
                if now - start > 2 * seconds + 10:
                    os.kill(p, signal.SIGKILL)
            time.sleep(0.002)
            continue
        case, out, start = running.pop(pid)
        if out.exists():
            done[case.index] = (case, *json.loads(out.read_text()))
        elif os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL:
            done[case.index] = (case, "hang", f"killed after {time.monotonic() - start:.0f} s")
        elif os.WIFSIGNALED(status):
            cls = "segfault" if os.WTERMSIG(status) in (signal.SIGSEGV, signal.SIGBUS) else "memory"
            done[case.index] = (case, cls, f"signal {os.WTERMSIG(status)}")
        else:
            done[case.index] = (case, "memory", "the child died without a result (memory limit?)")
    return [done[c.index] for c in cases]


def _vm_size():
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return 0


def tally(outcomes):
    """Counts per outcome class, in a fixed order."""
    counts = Counter(o for _, o, _ in outcomes)
    return {k: counts.get(k, 0) for k in ("exit 0", "exit 1", "exit 2", *FAILURES)}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--count", type=int, default=3400)
    ap.add_argument("--seed", type=int, default=9)
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--seconds", type=float, default=20.0, help="time limit of one command")
    ap.add_argument("--subprocess", type=int, default=200, metavar="N",
                    help="also run the first N cases as real processes")
    ap.add_argument("--show", type=int, default=3, help="examples to print per failure class")
    args = ap.parse_args()

    import backprop_solver.cli  # noqa: F401  (loaded once, before forking)
    import backprop_solver.trace  # noqa: F401
    import backprop_solver.claims  # noqa: F401

    t0 = time.perf_counter()
    cases = list(generate(args.count, args.seed))
    with tempfile.TemporaryDirectory() as folder:
        outcomes = run_forked(cases, folder, args.jobs, args.seconds)
    elapsed = time.perf_counter() - t0
    counts = tally(outcomes)
    kinds = Counter(c.kind for c in cases)
    print(f"{len(cases)} files ({kinds['problem']} problem files, {kinds['claims']} claims files), "
          f"seed {args.seed}, {elapsed:.0f} s")
    print("  " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
    print(f"  failures: {sum(counts[k] for k in FAILURES)}")
    for cls in FAILURES:
        bad = [(c, d) for c, o, d in outcomes if o == cls]
        for c, d in bad[:args.show]:
            print(f"  {cls}: case {c.index} ({c.kind}, {c.seed}, {'+'.join(c.notes)}): {d[:240]}")
    if args.subprocess:
        sample = cases[:args.subprocess]
        with tempfile.TemporaryDirectory() as folder:
            sub = []
            for c in sample:
                path = write(c, folder)
                sub.append((c, *judge(c, str(path), run_subprocess, args.seconds)))
        counts = tally(sub)
        print(f"{len(sample)} of them as real processes: " + ", ".join(f"{k}: {v}" for k, v in counts.items()))
        for cls in FAILURES:
            for c, _, d in [s for s in sub if s[1] == cls][:args.show]:
                print(f"  {cls}: case {c.index} ({c.kind}, {c.seed}, {'+'.join(c.notes)}): {d[:240]}")
    return 1 if any(o in FAILURES for _, o, _ in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
