"""Spec stage: read a problem file, check every key, fill in the defaults.

``load(path)`` gives a :class:`Problem` (plain data: numbers, strings, NumPy arrays) or
raises :class:`~solver.errors.InputError` naming the file, the key path and what was
expected. Nothing later in the pipeline validates input again.

Key paths index lists from 0, as the YAML lists are written: ``network.weights[1]`` is
the second matrix, the one into layer 2 (layers are numbered 1..L, the input is 0).
"""

import datetime
import difflib
import math
import os
import re
import stat
import sys
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from .errors import InputError, plural
from .functions import ACTIVATIONS, LOG_LOSSES, LOSSES

NOTATIONS = ("default", "bracket", "netout", "ij")

#: limits that keep a trace (and its document) a sensible size
MAX_LAYERS = 50
MAX_UNITS = 100_000
MAX_PARAMETERS = 10_000_000
MAX_SAMPLES = 100_000
MAX_STEPS = 100_000
MAX_UPDATES = 100_000
MAX_TRACE_NUMBERS = 10_000_000
#: a training run recorded as a summary: at most this much work, counted as
#: runs x (steps x (training + test points) x parameters + updates x UPDATE_WORK),
#: about 15 s here (the spiral comparison of problems/ is 2.4e9, 4 s)
MAX_TRAINING_WORK = 10_000_000_000
#: the work of one update beyond its arithmetic (Python's share: about 50 microseconds)
UPDATE_WORK = 30_000
#: the default record is "full" for problems of at most this many updates (and
#: MAX_TRACE_NUMBERS numbers), else "summary"
FULL_RECORD_UPDATES = 1_000
#: runs of one compare, and the weights whose Hessian analysis: {hessian: true} computes
MAX_RUNS = 8
MAX_HESSIAN_WEIGHTS = 2_000
MAX_FILE_BYTES = 50_000_000
#: limits of the YAML itself, checked before it is built (see read_yaml)
MAX_DEPTH = 50              # lists and mappings nested in each other
MAX_ALIAS_NODES = 1_000_000  # values and collections the aliases add to the file
#: characters of the file's own text (a key, a name) shown in a message
SHOWN = 60

TOP_KEYS = ("title", "description", "network", "loss", "learning_rate", "data", "dataset", "test_data",
            "update", "reduction", "steps", "regularization", "record", "compare", "analysis", "predict",
            "display")
NETWORK_KEYS = ("sizes", "activation", "weights", "biases", "train_biases")
DISPLAY_KEYS = ("digits", "notation", "full_updates")

#: what courses and other tools call the keys and functions of this format: for a name
#: on the right that is not known where it is written, :func:`suggest` offers the name on
#: the left, if that one is allowed there (alpha is learning_rate at the top level and
#: slope in {leaky_relu: {alpha: 0.1}}); the one table of them, for keys, activation and
#: loss names and the functions of graph expressions
ALSO_CALLED = {
    "learning_rate": ("eta", "lr", "alpha", "step_size"),
    "steps": ("epochs", "epoch", "iterations", "iters", "n_epochs", "num_epochs"),
    "data": ("samples", "examples", "training_data", "train"),
    "test_data": ("test_set", "validation", "validation_data"),
    "record": ("history", "logging", "log"),
    "compare": ("sweep", "grid", "runs"),
    "sizes": ("layers", "units", "layer_sizes", "architecture"),
    "activation": ("nonlinearity", "transfer_function"),
    "loss": ("cost", "error", "loss_function", "objective", "criterion"),
    "update": ("optimizer", "method"),
    "predict": ("queries", "query", "test"),
    "regularization": ("weight_decay", "penalty"),
    "digits": ("precision", "decimals"),
    "slope": ("alpha", "negative_slope"),
    "sigmoid": ("sigma", "logistic", "logsig"),
    "relu": ("rectifier",),
    "linear": ("identity", "purelin"),
    "swish": ("silu",),
    "squared_error": ("se", "quadratic"),
    "sum_squared_error": ("sse",),
    "mean_squared_error": ("mse",),
    "binary_cross_entropy": ("bce", "log_loss", "logistic_loss"),
    "cross_entropy": ("ce", "categorical_cross_entropy", "nll", "negative_log_likelihood"),
}
_MEANS = {}
for _name, _words in ALSO_CALLED.items():
    for _word in _words:
        _MEANS.setdefault(_word, []).append(_name)


@dataclass
class Problem:
    """A checked layered problem. Arrays hold one sample per column.

    ``weights[l-1]`` (shape sizes[l] x sizes[l-1]) and ``biases[l-1]`` (shape sizes[l])
    belong to layer l; ``biases`` is None for a network without biases; ``activations``
    holds (name, option value) per computing layer: leaky_relu's slope, elu's alpha,
    else None; ``loss_param`` is the loss's option value (huber's delta), else None.
    """

    file: str
    name: str
    title: str
    description: str
    sizes: list
    activations: list
    weights: list
    biases: list | None
    train_biases: bool
    loss: str
    learning_rate: float
    X: np.ndarray
    Y: np.ndarray
    update: str = "sgd"
    reduction: str = "sum"
    steps: int = 1
    l1: float = 0.0
    l2: float = 0.0
    predict: np.ndarray | None = None
    digits: int = 6
    notation: str = "default"
    full_updates: int = 8
    targets_given_as_class: list = field(default_factory=list)
    loss_param: float | None = None
    X_test: np.ndarray | None = None
    Y_test: np.ndarray | None = None
    dataset: dict | None = None
    record: str = "full"
    compare: list | None = None
    hessian: bool = False

    @property
    def L(self):
        """Number of computing layers."""
        return len(self.sizes) - 1

    def to_dict(self):
        """The problem with every default filled in, in the problem-file format.

        Loading this mapping again gives the same problem.
        """
        def named(table, name, param):
            option = table[name].option
            return name if option is None else {name: {option[0]: param}}

        return {
            "title": self.title,
            "description": self.description,
            "network": {
                "sizes": list(self.sizes),
                "activation": [named(ACTIVATIONS, n, s) for n, s in self.activations],
                "weights": [w.tolist() for w in self.weights],
                "biases": None if self.biases is None else [b.tolist() for b in self.biases],
                "train_biases": self.train_biases,
            },
            "loss": named(LOSSES, self.loss, self.loss_param),
            "learning_rate": self.learning_rate,
            "data": _samples(self.X, self.Y),
            "test_data": [] if self.X_test is None else _samples(self.X_test, self.Y_test),
            "update": self.update,
            "reduction": self.reduction,
            "steps": self.steps,
            "regularization": {"l2": self.l2, "l1": self.l1},
            "record": self.record,
            "compare": None if self.compare is None else {
                self.compare[0]["what"]: [s["written"] for s in self.compare]},
            "analysis": {"hessian": self.hessian},
            "predict": [] if self.predict is None else self.predict.T.tolist(),
            "display": {"digits": self.digits, "notation": self.notation,
                        "full_updates": self.full_updates},
        }


def _samples(X, Y):
    """Samples as the problem file writes them: [{x: [...], y: [...]}] from columns."""
    return [{"x": x.tolist(), "y": y.tolist()} for x, y in zip(X.T, Y.T)]


class Loader(yaml.CSafeLoader if hasattr(yaml, "CSafeLoader") else yaml.SafeLoader):
    """Safe YAML that also reads 1e-4 and 2E3 as numbers (YAML 1.1 wants a dot)."""


def _construct_mapping(loader, node, deep=False):
    """A mapping that refuses a key written twice (YAML would silently keep the last)
    and a key that is a list or a mapping (Python cannot look it up)."""
    if not isinstance(node, yaml.MappingNode):  # !!map on a list or a scalar
        raise yaml.constructor.ConstructorError(
            None, None, f"the tag {clip_text(node.tag)} needs a mapping {{key: value, ...}}", node.start_mark)
    seen = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                None, None, f"a key must be a name or a number, got {kind_of(key)}",
                key_node.start_mark) from None
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"the key {clip_text(key)!r} is written twice (first on line {seen[key] + 1})",
                key_node.start_mark)
        seen[key] = key_node.start_mark.line
    return loader.construct_mapping(node, deep=deep)


def _guarded(construct, what):
    """``construct`` (a scalar constructor of PyYAML's) with a clear YAML error, at the
    value's line, for text it cannot read (``!!int abc``, ``!!float ''``, ``2001-13-45``,
    an integer of more than 4,300 digits), where PyYAML raises ValueError, KeyError,
    IndexError or AttributeError."""
    def guarded(loader, node):
        try:
            return construct(loader, node)
        except (ValueError, KeyError, IndexError, AttributeError, TypeError, OverflowError):
            raise yaml.constructor.ConstructorError(
                None, None, f"cannot read {clip_text(node.value)!r} as {what}", node.start_mark) from None
    return guarded


for _tag, _what in (("int", "a whole number"), ("float", "a number"), ("bool", "true or false"),
                    ("timestamp", "a date")):
    _tag = f"tag:yaml.org,2002:{_tag}"
    Loader.add_constructor(_tag, _guarded(Loader.yaml_constructors[_tag], _what))
Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
Loader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"""^[-+]?(?:[0-9][0-9_]*)(?:\.[0-9_]*)?[eE][-+]?[0-9]+$""", re.X),
    list("-+0123456789"))

#: characters YAML does not allow in a file (C0 and C1 controls but tab and line breaks,
#: surrogates, U+FFFE and U+FFFF)
_NOT_YAML = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _line_column(text, pos):
    """'line L, column C' (from 1) of the character at ``pos``."""
    line = text.count("\n", 0, pos)
    return f"line {line + 1}, column {pos - text.rfind(chr(10), 0, pos)}"


def _decode(path, raw):
    """The text of a file's bytes: UTF-8 (a byte order mark is allowed), else an InputError."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as e:
        for bom, name in ((b"\xff\xfe\x00\x00", "UTF-32"), (b"\x00\x00\xfe\xff", "UTF-32"),
                          (b"\xff\xfe", "UTF-16"), (b"\xfe\xff", "UTF-16")):
            if raw.startswith(bom):
                raise InputError(path, "", f"the file is {name} text; save it as UTF-8") from None
        line = raw.count(b"\n", 0, e.start)
        column = e.start - raw.rfind(b"\n", 0, e.start)
        raise InputError(path, f"line {line + 1}, column {column}",
                         f"the file is not UTF-8 text (byte 0x{raw[e.start]:02x})") from None


def _scan(path, text, loader):
    """Refuse, from PyYAML's event stream (an iterative parser) and before anything is
    built, collections nested more than MAX_DEPTH deep and aliases that would add more
    than MAX_ALIAS_NODES values and collections to the document (an "alias bomb": a few
    lines whose aliases expand to billions of numbers), counting each alias as the
    whole node it repeats. Also refuses an alias of an anchor not (yet) defined, one
    inside the node it names (a loop) and an anchor defined twice."""
    parser = loader(text)
    done = {}     # anchor -> (nodes, height) of its finished node
    where = {}    # anchor -> line of its definition
    stack = []    # open collections: [anchor, nodes so far, height of the highest child]
    extra = 0     # nodes the aliases add
    scalar, alias = yaml.ScalarEvent, yaml.AliasEvent
    starts, ends = (yaml.SequenceStartEvent, yaml.MappingStartEvent), (yaml.SequenceEndEvent, yaml.MappingEndEvent)

    def fail(event, message):
        mark = event.start_mark
        raise InputError(path, f"line {mark.line + 1}, column {mark.column + 1}", message)

    def define(event):
        a = event.anchor
        if a in where:
            fail(event, f"the anchor &{clip_text(a)} is defined twice (first on line {where[a] + 1})")
        where[a] = event.start_mark.line

    try:
        while True:
            event = parser.get_event()
            if event is None:
                break
            kind = type(event)
            if kind is scalar:
                nodes, height = 1, 0
                if event.anchor is not None:
                    define(event)
                    done[event.anchor] = (1, 0)
            elif kind in starts:
                if len(stack) >= MAX_DEPTH:
                    fail(event, f"the values are nested more than {MAX_DEPTH} deep")
                if event.anchor is not None:
                    define(event)
                stack.append([event.anchor, 1, 0])
                continue
            elif kind in ends:
                anchor, nodes, height = stack.pop()
                height += 1
                if anchor is not None:
                    done[anchor] = (nodes, height)
            elif kind is alias:
                a = event.anchor
                if a not in done:
                    if a in where:
                        fail(event, f"the alias *{clip_text(a)} is inside the node &{clip_text(a)} it repeats (a loop)")
                    fail(event, f"the alias *{clip_text(a)} names no anchor &{clip_text(a)} defined before it")
                nodes, height = done[a]
                extra += nodes - 1
                if extra > MAX_ALIAS_NODES:
                    fail(event, f"the aliases expand the file by more than {MAX_ALIAS_NODES:,} values "
                                f"(at *{clip_text(a)}); write the values out instead")
                if len(stack) + height > MAX_DEPTH:
                    fail(event, f"the values are nested more than {MAX_DEPTH} deep (at the alias *{clip_text(a)})")
            else:
                if kind is yaml.DocumentStartEvent:
                    done, where = {}, {}
                continue
            if stack:
                top = stack[-1]
                top[1] += nodes
                if height > top[2]:
                    top[2] = height
    finally:
        parser.dispose()


def read_yaml(path, what="problem file", loader=Loader, keys="title, network, ..."):
    """The YAML mapping in ``path``, or an InputError naming the file (and line).

    ``what`` names the kind of file in messages; ``keys`` says what the mapping holds.
    Before PyYAML builds anything, the file's size, encoding, characters, nesting depth
    and alias expansion are checked (see MAX_FILE_BYTES, MAX_DEPTH, MAX_ALIAS_NODES).
    """
    if path is not STDIN:
        path = Path(path)
    try:
        if path is STDIN:
            if sys.stdin is None:
                raise OSError("there is no standard input")
            raw = sys.stdin.buffer.read(MAX_FILE_BYTES + 1)
        else:  # a named pipe or a device is not opened: reading it could wait for ever
            mode = os.stat(path).st_mode
            if stat.S_ISDIR(mode):
                raise IsADirectoryError
            if not stat.S_ISREG(mode):
                odd = "a named pipe" if stat.S_ISFIFO(mode) else "a socket" if stat.S_ISSOCK(mode) else "a device"
                raise InputError(path, "", f"expected a {what}, got {odd}")
            with open(path, "rb") as f:
                raw = f.read(MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        raise InputError(path, "", f"no such {what}") from None
    except IsADirectoryError:
        raise InputError(path, "", f"expected a {what}, got a folder") from None
    except OSError as e:
        raise InputError(path, "", f"cannot read the file ({e.strerror or e})") from None
    if len(raw) > MAX_FILE_BYTES:
        raise InputError(path, "", f"the file is larger than {MAX_FILE_BYTES:,} bytes")
    text = _decode(path, raw)
    bad = _NOT_YAML.search(text)
    if bad:
        raise InputError(path, _line_column(text, bad.start()),
                         f"the character U+{ord(bad.group()):04X} is not allowed in YAML (a control "
                         f"character, NUL or non-character)")
    try:
        _scan(path, text, loader)
        data = yaml.load(text, Loader=loader)
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = e.problem or e.context or ""
        if e.context and problem.startswith("but "):  # "expected a single document ..., but found another"
            problem = f"{e.context}, {problem}"
        problem = clip_text(problem, 200)
        if isinstance(e, yaml.constructor.ConstructorError):
            raise InputError(path, where, problem) from None
        raise InputError(path, where, f"YAML syntax error: {problem}") from None
    except yaml.YAMLError as e:
        raise InputError(path, "", f"YAML error: {clip_text(e, 200)}") from None
    if not isinstance(data, dict):
        raise InputError(path, "", f"expected a YAML mapping of keys ({keys}), got {kind_of(data)}")
    return data


def load(path):
    """Read and check a layered problem file.

    >>> p = load("problems/seed001_q1_sigmoid_sgd.yaml")
    >>> p.sizes, p.activations[0], p.loss
    ([5, 3, 2], ('sigmoid', None), 'squared_error')
    """
    path = Path(path)
    return parse(read_yaml(path), path)


# ---------------------------------------------------------------- any problem file

#: what a problem file's name ends in (folders are searched for these)
PROBLEM_SUFFIXES = (".yaml", ".yml")


class _Stdin(str):
    """The type of :data:`STDIN`: a name, which :func:`read_yaml` reads standard input for."""


#: standard input as a problem file (``-`` on the command line), named ``<stdin>`` in messages
STDIN = _Stdin("<stdin>")


def problem_files(paths):
    """The problem files named by ``paths``: files as given, folders' *.yaml in name order,
    ``-`` as :data:`STDIN`; a file named twice (itself and in its folder, ``./p.yaml`` and
    ``p.yaml``) is there once, where it was named first.

    >>> [str(p) for p in problem_files(["problems/seed001_q1_sigmoid_sgd.yaml", "-",
    ...                                 "./problems/seed001_q1_sigmoid_sgd.yaml", "-"])]
    ['problems/seed001_q1_sigmoid_sgd.yaml', '<stdin>']
    """
    out = []
    for p in paths:
        p = STDIN if str(p) == "-" else Path(p)
        if p is not STDIN and p.is_dir():
            try:
                found = sorted(f for f in p.iterdir() if f.suffix in PROBLEM_SUFFIXES and f.is_file())
            except OSError as e:
                raise InputError(p, "", f"cannot read the folder ({e.strerror or e})") from None
            if not found:
                raise InputError(p, "", "the folder holds no problem files (*.yaml)")
            out.extend(found)
        else:
            out.append(p)
    unique, seen = [], set()
    for p in out:
        key = p if p is STDIN else os.path.realpath(p)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def problem_kind(data, as_graph=False):
    """Which engine solves a problem mapping (as :func:`read_yaml` gives it): "graph" for
    a graph problem (a top-level ``graph`` key) or with ``as_graph``, "derivation" for
    one that asks for derivations alone (a ``derive`` key and no ``data``), else "layered".

    The one place that tells the kinds apart: every command asks it (through
    :func:`read_problem`, or directly, as ``solve`` and ``verify`` do before parsing).

    >>> problem_kind({"graph": {}}), problem_kind({"network": {}}), problem_kind({"network": {}}, True)
    ('graph', 'layered', 'graph')
    >>> problem_kind({"derive": ["output_delta"]})
    'derivation'
    """
    from .derivations import is_derivation

    if is_derivation(data) and not as_graph:
        return "derivation"
    return "graph" if as_graph or (isinstance(data, dict) and "graph" in data) else "layered"


def parse_problem(data, path, as_graph=False):
    """("layered", Problem), ("graph", GraphProblem) or ("derivation",
    DerivationProblem) for a mapping read from ``path``, the kind as
    :func:`problem_kind` says.

    With ``as_graph`` a layered problem comes back as a graph problem (its first update
    written as equations). The graph package is imported only for graph problems, so the
    layered path stays as light as NumPy and YAML (no SymPy).
    """
    if isinstance(data, dict) and "problems" in data and not {"network", "graph", "derive"} & set(data):
        raise InputError(path, "problems", "this is an exam sheet (it lists problem files), not a problem: "
                                           "make it with backprop exam SHEET -o FOLDER")
    if isinstance(data, dict) and "derive" in data and "data" in data and "graph" not in data:
        raise InputError(path, "derive", "derive asks for derivations alone, without data; a problem with "
                                         "data derives its formulas anyway: remove derive or data")
    if problem_kind(data) == "derivation":
        from . import derivations
        if as_graph:
            raise InputError(path, "derive", "a problem that asks for derivations alone has no network "
                                             "to take through the graph path; leave out --as-graph")
        return "derivation", derivations.parse(data, path)
    if problem_kind(data) == "graph":
        from . import graph
        return "graph", graph.parse(data, path)
    p = parse(data, path)
    if not as_graph:
        return "layered", p
    from . import graph
    return "graph", graph.from_layered_problem(p, path)


def read_problem(path, as_graph=False):
    """("layered", Problem), ("graph", GraphProblem) or ("derivation", DerivationProblem)
    for any problem file.

    >>> read_problem("problems/seed001_q1_sigmoid_sgd.yaml")[0]
    'layered'
    """
    return parse_problem(read_yaml(path), path, as_graph)


def summary(p):
    """One line about a checked layered problem, for ``backprop check``.

    >>> summary(load("problems/seed001_q1_sigmoid_sgd.yaml"))
    '5-3-2, squared_error, sgd'
    """
    runs = "" if p.record == "full" else f", {plural(p.steps, 'step')}" + (
        f" x {len(p.compare)} runs" if p.compare else "")
    return f"{'-'.join(map(str, p.sizes))}, {p.loss}, {p.update}{runs}"


def check_problem(path):
    """Everything ``trace`` (and so ``solve``) refuses in a problem file, without writing
    anything: the problem is read, checked and, if layered, traced (a trace whose numbers
    overflow is refused only once computed; a graph problem's numbers are worked out by
    its parse, see solver.graph.validate). Returns a line about the problem
    (:func:`summary`); InputError if it is bad.
    """
    kind, p = read_problem(path)
    if kind == "graph":
        from . import graph
        return graph.summary(p)
    if kind == "derivation":  # every step of every derivation checked (solver.steps)
        from . import derivations
        derivations.build(p)
        return derivations.summary(p)
    if p.record == "summary":
        from . import training
        training.train(p)
    else:
        from . import trace
        trace.trace(p)
    return summary(p)


def clip_text(v, limit=SHOWN):
    """Text from the file (a key, a name, a number) for a message: at most ``limit``
    characters, cut with '...'; a whole number of more digits than that is described.

    >>> clip_text("k" * 100)[-8:], clip_text(10 ** 400)
    ('kkkkk...', 'a whole number of 401 digits')
    """
    if isinstance(v, int) and not isinstance(v, bool) and v.bit_length() > 3 * limit:
        try:
            return f"a whole number of {len(str(abs(v))):,} digits"
        except ValueError:  # more digits than Python converts to text
            return f"a whole number of about {int(v.bit_length() * 0.30103):,} digits"
    text = str(v)
    return text if len(text) <= limit else text[:limit - 3] + "..."


def show(v):
    """A number for a message: 0.5, 1e+300, 12,345, or the size of a huge whole number.

    >>> show(2.5), show(1e300), show(12345), show(10 ** 300), show(-10 ** 400)
    ('2.5', '1e+300', '12,345', '1e+300', 'a whole number of 401 digits')
    """
    if isinstance(v, int) and not isinstance(v, bool):
        if abs(v) < 10 ** 30:
            return f"{v:,}"
        try:
            return f"{float(v):g}"
        except OverflowError:
            return clip_text(v)
    if isinstance(v, float):
        return f"{v:g}"
    return clip_text(v)


def kind_of(v):
    if v is None:
        return "nothing (null)"
    if isinstance(v, bool):
        return f"the boolean {str(v).lower()}"
    if isinstance(v, str):
        return f"the text {clip_text(v, 40)!r}"
    if isinstance(v, (int, float)):
        return f"the number {show(v) if isinstance(v, int) else repr(v)}"
    if isinstance(v, list):
        return f"a list of {len(v):,}"
    if isinstance(v, dict):
        return "a mapping"
    if isinstance(v, datetime.datetime):
        return f"the date and time {v.isoformat()} (quote it to write text)"
    if isinstance(v, datetime.date):
        return f"the date {v.isoformat()} (quote it to write text)"
    if isinstance(v, bytes):
        return "binary data (!!binary)"
    if isinstance(v, (set, frozenset)):
        return "a set (!!set)"
    return type(v).__name__


def suggest(word, known):
    """The name in ``known`` that ``word`` most likely stands for, or None: the same name
    in other letter case (ReLU), a name it is also called (:data:`ALSO_CALLED`: eta,
    epochs, logistic, mse), else the closest spelling.

    >>> suggest("eta", TOP_KEYS), suggest("ReLU", ACTIVATIONS), suggest("lerning_rate", TOP_KEYS)
    ('learning_rate', 'relu', 'learning_rate')
    """
    if not isinstance(word, str) or len(word) > SHOWN:
        return None
    known = [k for k in known if isinstance(k, str)]
    folded = word.casefold()
    meant = [k for k in known if k.casefold() == folded]
    meant += [k for k in _MEANS.get(folded, ()) if k in known]
    meant += difflib.get_close_matches(word, known, n=1)
    return meant[0] if meant else None


def _key(parent, k):
    """The key path of key ``k`` inside ``parent`` (file text is shortened)."""
    k = clip_text(k)
    return f"{parent}.{k}" if parent else k


class Checker:
    """Small helpers that check one value at a key path and fail with a clear message."""

    def __init__(self, file):
        self.file = file

    def fail(self, key, message):
        raise InputError(self.file, key, message)

    def keys(self, d, key, allowed, required=()):
        if not isinstance(d, dict):
            self.fail(key or "(top level)", f"expected a mapping, got {kind_of(d)}")
        for k in d:
            if k not in allowed:
                close = suggest(str(k), allowed)
                hint = f" (did you mean '{close}'?)" if close else f" (known keys: {', '.join(allowed)})"
                self.fail(_key(key, k), f"unknown key{hint}")
        for k in required:
            if k not in d:
                self.fail(_key(key, k), "this key is required")

    def number(self, v, key, low=None, high=None, positive=False):
        if isinstance(v, bool) or not isinstance(v, (int, float)):
            self.fail(key, f"expected a number, got {kind_of(v)}")
        try:
            v = float(v)
        except OverflowError:  # a whole number beyond 1.8e308
            self.fail(key, f"expected a number of at most about 1.8e308, got {show(v)}")
        if not math.isfinite(v):
            self.fail(key, f"expected a finite number, got {v}")
        if positive and v <= 0:
            self.fail(key, f"expected a number greater than 0, got {v:g}")
        if low is not None and v < low:
            self.fail(key, f"expected a number of at least {low:g}, got {v:g}")
        if high is not None and v > high:
            self.fail(key, f"expected a number of at most {high:g}, got {v:g}")
        return v

    def whole(self, v, key, low=1, high=None):
        if isinstance(v, bool) or not (isinstance(v, int) or (isinstance(v, float) and v.is_integer())):
            self.fail(key, f"expected a whole number, got {kind_of(v)}")
        shown, v = show(v), int(v)
        if v < low:
            self.fail(key, f"expected a whole number of at least {low:,}, got {shown}")
        if high is not None and v > high:
            self.fail(key, f"expected a whole number of at most {high:,}, got {shown}")
        return v

    def choice(self, v, key, options):
        if not isinstance(v, str) or v not in options:
            got = kind_of(v)
            close = suggest(v, options)
            hint = f"; did you mean '{close}'?" if close else ""
            self.fail(key, f"expected one of {', '.join(options)}; got {got}{hint}")
        return v

    def boolean(self, v, key):
        if not isinstance(v, bool):
            self.fail(key, f"expected true or false, got {kind_of(v)}")
        return v

    def text(self, v, key):
        """Text the documents print (a title, a description): any character a PDF can show."""
        if v is None:
            return ""
        if isinstance(v, bool) or not isinstance(v, (str, int, float)):
            self.fail(key, f"expected text, got {kind_of(v)}")
        from .document.latex import unprintable

        ch = unprintable(v)
        if ch is not None:
            name = unicodedata.name(ch, "").lower()
            self.fail(key, f"the character {ch} (U+{ord(ch):04X}{', ' + name if name else ''}) cannot be printed "
                           "in the PDF: pdflatex's fonts here have Latin letters with their accents, Greek "
                           "letters and common signs, not this script (CJK would need texlive-lang-cjk); "
                           "write it in Latin letters")
        return str(v)

    def vector(self, v, key, n, what):
        """A list of n finite numbers (a single number where n is 1)."""
        if n == 1 and not isinstance(v, list):
            v = [v]
        if not isinstance(v, list):
            self.fail(key, f"expected a list of {plural(n, 'number')} ({what}), got {kind_of(v)}")
        if len(v) == n and all(isinstance(e, list) and len(e) == 1 for e in v):
            v = [e[0] for e in v]  # written as a column [[..], [..]]
        if len(v) != n:
            self.fail(key, f"expected {plural(n, 'number')} ({what}), got {len(v)}")
        return self.numbers(v, key)

    def numbers(self, v, key):
        """A flat list of finite numbers as an array; the slow path names the bad entry."""
        if set(map(type, v)) <= {int, float}:
            try:
                arr = np.array(v, dtype=float)
            except OverflowError:  # a whole number beyond float's range: named below
                arr = None
            if arr is not None and np.isfinite(arr).all():
                return arr
        return np.array([self.number(e, f"{key}[{i}]") for i, e in enumerate(v)], dtype=float)

    def matrix(self, v, key, rows, cols, what):
        """A rows x cols matrix as a list of rows; a flat list where rows or cols is 1."""
        shape = f"a {rows}x{cols} matrix ({what})"
        if not isinstance(v, list):
            self.fail(key, f"expected {shape}, got {kind_of(v)}")
        if all(not isinstance(e, list) for e in v) and (rows == 1 or cols == 1):
            flat = self.vector(v, key, rows * cols, what)
            return flat.reshape(rows, cols)
        if not all(isinstance(r, list) for r in v):
            self.fail(key, f"expected {shape} written as a list of rows, got a list that mixes numbers and rows")
        got = f"{len(v)}x{len(v[0]) if v else 0}"
        if len(v) != rows or any(len(r) != cols for r in v):
            if v and any(len(r) != len(v[0]) for r in v):
                lengths = ", ".join(str(len(r)) for r in v[:10]) + (", ..." if len(v) > 10 else "")
                got = f"{len(v)} rows of unequal lengths ({lengths})"
            self.fail(key, f"expected {shape}, got {got}")
        return np.array([self.numbers(r, f"{key}[{i}]") for i, r in enumerate(v)]).reshape(rows, cols)


def default_title(file):
    """The title of a problem that gives none: its file's name, or "Problem" for a
    problem given as Python data (named ``<problem>`` in messages).

    >>> default_title("problems/q1.yaml"), default_title("<problem>")
    ('q1', 'Problem')
    """
    return "Problem" if str(file).startswith("<") else Path(file).stem


def parse(data, file="<problem>"):
    """Check a problem mapping (as read from YAML) and fill in its defaults.

    >>> p = parse({"network": {"sizes": [2, 1], "activation": "sigmoid", "weights": 0.5},
    ...            "loss": "squared_error", "learning_rate": 1,
    ...            "data": [{"x": [1, 0], "y": 1}]})
    >>> p.weights[0].tolist(), p.biases[0].tolist(), p.update, p.steps
    ([[0.5, 0.5]], [0.0], 'sgd', 1)
    """
    c = Checker(file)
    c.keys(data, "", TOP_KEYS, required=("network", "loss", "learning_rate"))
    if ("data" in data) == ("dataset" in data):
        c.fail("data", "give the training samples either as data: [...] or as dataset: {moons: {...}}, "
                       + ("not both" if "data" in data else "this key is required"))
    net = data["network"]
    c.keys(net, "network", NETWORK_KEYS, required=("sizes", "activation", "weights"))

    sizes = net["sizes"]
    if not isinstance(sizes, list) or len(sizes) < 2:
        c.fail("network.sizes", f"expected a list of at least two layer sizes, input first "
                                f"(e.g. [5, 3, 2]), got {kind_of(sizes)}")
    if len(sizes) > MAX_LAYERS + 1:
        c.fail("network.sizes", f"expected at most {MAX_LAYERS} computing layers, got {len(sizes) - 1}")
    sizes = [c.whole(s, f"network.sizes[{i}]", 1, MAX_UNITS) for i, s in enumerate(sizes)]
    L = len(sizes) - 1
    n_params = sum(sizes[l] * sizes[l - 1] + sizes[l] for l in range(1, L + 1))
    if n_params > MAX_PARAMETERS:
        c.fail("network.sizes", f"a network of {n_params:,} parameters is too large to trace "
                                f"(the limit is {MAX_PARAMETERS:,})")

    def layer_name(l):
        return f"layer {l}" + (" (output)" if l == L else "")

    activations = _activations(c, net["activation"], L, sizes)

    loss, loss_param = _named(c, data["loss"], "loss", LOSSES, "loss")
    out_act = activations[-1][0]
    if loss in LOG_LOSSES and out_act not in ("sigmoid", "softmax"):
        c.fail("loss", f"{loss} takes logarithms of the outputs, which must lie in (0, 1); "
                       f"the output activation is {out_act}: use sigmoid or softmax")

    weights = _weights(c, net["weights"], sizes, layer_name)
    biases = net.get("biases", 0)
    if biases is None or biases == "none":
        biases = None
    elif isinstance(biases, list):
        if len(biases) != L:
            if L == 1 and all(not isinstance(b, (list, dict)) for b in biases):
                c.fail("network.biases", _one_layer(biases, "vector"))
            c.fail("network.biases", f"expected {L} bias vectors (one per computing layer), got {len(biases)}")
        biases = [c.vector(b, f"network.biases[{l - 1}]", sizes[l], f"{plural(sizes[l], 'unit')} in {layer_name(l)}")
                  if isinstance(b, list) else np.full(sizes[l], c.number(b, f"network.biases[{l - 1}]"))
                  for l, b in zip(range(1, L + 1), biases)]
    else:
        value = c.number(biases, "network.biases")
        biases = [np.full(sizes[l], value) for l in range(1, L + 1)]
    train_biases = c.boolean(net.get("train_biases", True), "network.train_biases")

    learning_rate = c.number(data["learning_rate"], "learning_rate", positive=True)
    X_test = Y_test = dataset = None
    if "dataset" in data:
        X, Y, X_test, Y_test, dataset = _dataset(c, data["dataset"], sizes, loss, Path(file).parent)
        as_class = []
    else:
        X, Y, as_class = _data(c, data["data"], sizes, loss)
    if data.get("test_data"):
        if X_test is not None:
            c.fail("test_data", "the dataset's test: already keeps test points; give one or the other")
        X_test, Y_test, _ = _data(c, data["test_data"], sizes, loss, "test_data")

    update = c.choice(data.get("update", "sgd"), "update", ["sgd", "batch"])
    reduction = c.choice(data.get("reduction", "sum"), "reduction", ["sum", "mean"])
    if "reduction" in data and update != "batch" and reduction != "sum":
        c.fail("reduction", "reduction applies to batch updates only; set update: batch or remove it")
    steps = c.whole(data.get("steps", 1), "steps", 1, MAX_STEPS)

    reg = data.get("regularization") or {}
    c.keys(reg, "regularization", ("l1", "l2"))
    l1 = c.number(reg.get("l1", 0.0), "regularization.l1", low=0)
    l2 = c.number(reg.get("l2", 0.0), "regularization.l2", low=0)

    predict = data.get("predict") or []
    if not isinstance(predict, list):
        c.fail("predict", f"expected a list of query points, got {kind_of(predict)}")
    predict = (np.array([c.vector(p, f"predict[{i}]", sizes[0], plural(sizes[0], "input"))
                         for i, p in enumerate(predict)]).T if predict else None)

    display = data.get("display") or {}
    c.keys(display, "display", DISPLAY_KEYS)
    digits = c.whole(display.get("digits", 6), "display.digits", 1, 17)
    notation = c.choice(display.get("notation", "default"), "display.notation", list(NOTATIONS))
    full_updates = c.whole(display.get("full_updates", 8), "display.full_updates", 0, 10_000)

    compare = _compare(c, data.get("compare"))
    analysis = data.get("analysis") or {}
    c.keys(analysis, "analysis", ("hessian",))
    hessian = c.boolean(analysis.get("hessian", False), "analysis.hessian")
    n_weights = sum(sizes[l] * sizes[l - 1] for l in range(1, L + 1))
    if hessian and n_weights > MAX_HESSIAN_WEIGHTS:
        c.fail("analysis.hessian", f"the Hessian in {n_weights:,} weights is too large to compute "
                                   f"here (the limit is {MAX_HESSIAN_WEIGHTS:,} weights)")

    n = X.shape[1]
    updates = steps * (n if update == "sgd" else 1)
    batch = 1 if update == "sgd" else n
    per_update = 3 * n_params + 3 * sum(sizes[1:]) * batch + (sizes[0] + sizes[-1]) * batch
    small = updates <= FULL_RECORD_UPDATES and updates * per_update <= MAX_TRACE_NUMBERS
    training = compare is not None or hessian or X_test is not None
    record = c.choice(data.get("record", "full" if small and not training else "summary"), "record",
                      ["full", "summary"])
    if record == "full":
        if training:
            what = ("the runs of compare are" if compare is not None else "the Hessian analysis is" if hessian
                    else "test points are")
            c.fail("record", f"{what} part of a training run recorded as a summary; remove record: full (or "
                             f"write record: summary)")
        if updates > MAX_UPDATES:
            c.fail("steps", f"{steps:,} steps over {n:,} samples make {updates:,} updates; the limit of a "
                            f"full record is {MAX_UPDATES:,}: write record: summary for a training run")
        if updates * per_update > MAX_TRACE_NUMBERS:
            c.fail("steps", f"{updates:,} updates of a {n_params:,}-parameter network would record "
                            f"{updates * per_update:,} numbers; the limit of a full record is "
                            f"{MAX_TRACE_NUMBERS:,}: write record: summary for a training run")
    else:
        points = n + (0 if X_test is None else X_test.shape[1])
        work = len(compare or [None]) * (steps * points * n_params + updates * UPDATE_WORK)
        if work > MAX_TRAINING_WORK:
            c.fail("steps", f"{steps:,} steps ({updates:,} updates) over {points:,} points with {n_params:,} "
                            f"parameters{f' in {len(compare)} runs' if compare else ''} is more work than a "
                            f"training run here takes on ({work:.1e} of at most {MAX_TRAINING_WORK:.0e}); use "
                            f"fewer steps or points" + (", or update: batch" if update == "sgd" else ""))

    path = Path(file)
    return Problem(
        file=str(file), name=path.stem, title=c.text(data.get("title", default_title(file)), "title"),
        description=c.text(data.get("description", ""), "description"),
        sizes=sizes, activations=activations, weights=weights, biases=biases,
        train_biases=train_biases, loss=loss, loss_param=loss_param, learning_rate=learning_rate, X=X, Y=Y,
        update=update, reduction=reduction, steps=steps, l1=l1, l2=l2, predict=predict,
        digits=digits, notation=notation, full_updates=full_updates,
        targets_given_as_class=as_class, X_test=X_test, Y_test=Y_test, dataset=dataset,
        record=record, compare=compare, hessian=hessian)


def _named(c, v, key, table, what):
    """(name, option value) of an activation or loss written as a name, or as
    {name: {option: value}} for one with an option (leaky_relu's slope, elu's alpha,
    huber's delta); the value is the option's default where not given, else None."""
    if isinstance(v, dict):
        if len(v) != 1:
            c.fail(key, f"expected one {what} name, e.g. {{leaky_relu: {{slope: 0.1}}}}")
        (v, opts), = v.items()
        c.choice(v, key, list(table))
        option = table[v].option
        if option is None:
            c.fail(f"{key}.{v}", f"{v} takes no options")
        opts = opts or {}
        c.keys(opts, f"{key}.{v}", (option[0],))
        return v, c.number(opts.get(option[0], option[1]), f"{key}.{v}.{option[0]}")
    c.choice(v, key, list(table))
    option = table[v].option
    return v, None if option is None else option[1]


def _activations(c, spec, L, sizes):
    """[(name, option value)] for layers 1..L from one name or a list of names."""
    key = "network.activation"
    if isinstance(spec, list):
        if len(spec) != L:
            c.fail(key, f"expected one activation per computing layer ({L}), got {len(spec)}")
        items = [(s, f"{key}[{i}]") for i, s in enumerate(spec)]
    else:
        items = [(spec, key)] * L
    out = []
    for l, (s, k) in enumerate(items, start=1):
        s, param = _named(c, s, k, ACTIVATIONS, "activation")
        if s == "softmax" and l != L:
            c.fail(k, f"softmax is for the output layer only; layer {l} is a hidden layer")
        if s == "softmax" and sizes[l] == 1:
            c.fail(k, "softmax over a single unit always outputs 1; use sigmoid for one output unit")
        out.append((s, param))
    return out


def _weights(c, spec, sizes, layer_name):
    L = len(sizes) - 1
    key = "network.weights"
    if isinstance(spec, dict):
        c.keys(spec, key, ("random",), required=("random",))
        r = spec["random"] or {}
        c.keys(r, f"{key}.random", ("seed", "low", "high"))
        seed = c.whole(r.get("seed", 0), f"{key}.random.seed", 0)
        low = c.number(r.get("low", -1.0), f"{key}.random.low")
        high = c.number(r.get("high", 1.0), f"{key}.random.high")
        if high <= low:
            c.fail(f"{key}.random.high", f"expected a number greater than low ({low:g}), got {high:g}")
        if not math.isfinite(high - low):
            c.fail(f"{key}.random.high", f"high - low must be at most about 1.8e308 (NumPy draws "
                                         f"low + (high - low) u), got {high:g} - ({low:g})")
        rng = np.random.default_rng(seed)
        return [rng.uniform(low, high, size=(sizes[l], sizes[l - 1])) for l in range(1, L + 1)]
    if isinstance(spec, list):
        if len(spec) != L:
            if L == 1 and spec and all(isinstance(r, list) and not any(isinstance(e, list) for e in r)
                                       for r in spec):
                c.fail(key, _one_layer(spec, "matrix"))
            c.fail(key, f"expected {L} weight matrices (one per computing layer), got {len(spec)}")
        out = []
        for l, w in zip(range(1, L + 1), spec):
            k = f"{key}[{l - 1}]"
            if isinstance(w, list):
                out.append(c.matrix(w, k, sizes[l], sizes[l - 1],
                                    f"{plural(sizes[l], 'unit')} in {layer_name(l)}, {sizes[l - 1]} in layer {l - 1}"))
            else:
                out.append(np.full((sizes[l], sizes[l - 1]), c.number(w, k)))
        return out
    value = c.number(spec, key)
    return [np.full((sizes[l], sizes[l - 1]), value) for l in range(1, L + 1)]


def _one_layer(value, what):
    """The message for one weight matrix or bias vector written where a network of one
    computing layer needs the list of them: [[0.1, 0.2]] for [[[0.1, 0.2]]]."""
    numbers = [e for r in value for e in (r if isinstance(r, list) else [r])]
    written = str([value])
    if len(written) > SHOWN or not all(type(e) in (int, float) and math.isfinite(e) for e in numbers):
        written = "[[[...]]]" if what == "matrix" else "[[...]]"
    plural, of = ("matrices", "weights") if what == "matrix" else ("vectors", "biases")
    return (f"expected a list of {plural} (one per computing layer), got one {what}; a network with "
            f"one layer of {of} still needs the list: write {written} (the {what} inside a list)")


def _data(c, data, sizes, loss, key="data"):
    """Inputs X (d0 x n) and targets Y (C x n); class indices become one-hot columns."""
    if not isinstance(data, list) or not data:
        c.fail(key, f"expected a list of samples, each {{x: [...], y: [...]}}, got {kind_of(data)}")
    if len(data) > MAX_SAMPLES:
        c.fail(key, f"expected at most {MAX_SAMPLES:,} samples, got {len(data):,}")
    d0, C = sizes[0], sizes[-1]
    xs, ys, as_class = [], [], []
    for i, s in enumerate(data):
        k = f"{key}[{i}]"
        c.keys(s, k, ("x", "y"), required=("x", "y"))
        xs.append(c.vector(s["x"], f"{k}.x", d0, plural(d0, "input")))
        y = s["y"]
        if C > 1 and not isinstance(y, list):
            if loss != "cross_entropy":
                c.fail(f"{k}.y", f"expected {C} target values (one per output unit), got {kind_of(y)}; "
                                 f"a class index is accepted for cross_entropy only")
            cls = c.whole(y, f"{k}.y", 0, C - 1)
            y = np.zeros(C)
            y[cls] = 1.0
            ys.append(y)
            as_class.append(i)
        else:
            ys.append(c.vector(y, f"{k}.y", C, plural(C, "output unit")))
        if loss in LOG_LOSSES and ((ys[-1] < 0) | (ys[-1] > 1)).any():
            c.fail(f"{k}.y", f"{loss} needs targets between 0 and 1, got {ys[-1].tolist()}")
    return np.array(xs).T, np.array(ys).T, as_class


def _dataset(c, spec, sizes, loss, base_dir):
    """Training and test points of ``dataset: {NAME: {...}, test: f}`` (solver.datasets):
    (X, Y, X_test, Y_test, description), columns as in :func:`_data`; the last
    round(f n) points (halves rounded up), in generation order, are the test set.

    A generator's class labels become targets as ``data``'s class indices do: the label
    itself for one output unit, one-hot columns for several.
    """
    from . import datasets

    key = "dataset"
    c.keys(spec, key, (*datasets.GENERATORS, "test", "features"))
    names = [k for k in spec if k not in ("test", "features")]
    if len(names) != 1:
        c.fail(key, f"expected one generator ({', '.join(datasets.GENERATORS)}), got "
                    f"{', '.join(names) if names else 'none'}")
    name = names[0]
    options = spec[name]
    if name == "csv" and isinstance(options, dict) and "inputs" not in options:
        options = {**options, "inputs": sizes[0]}  # the network says how many columns are inputs
    X, T = datasets.generate(c, name, options, f"{key}.{name}", base_dir)
    d0, C = sizes[0], sizes[-1]
    where = f"{key}.{name}"
    plane, feats = None, spec.get("features")
    if feats is not None:
        if not isinstance(feats, list) or not feats:
            c.fail(f"{key}.features", f"expected a list of features such as [x1, x2, x1^2], got {kind_of(feats)}")
        for i, f in enumerate(feats):
            c.choice(f, f"{key}.features[{i}]", list(datasets.FEATURES))
        if X.shape[1] != 2:
            c.fail(f"{key}.features", f"the features are of two inputs x1, x2; the points have {X.shape[1]}")
        plane, X = X, datasets.features(feats, X)
        where = f"{key}.features"
    if X.shape[1] != d0:
        c.fail(where, f"the points have {plural(X.shape[1], 'input')} and the network "
                      f"{plural(d0, 'input')} (network.sizes[0])")
    if T.shape[1] == C and name == "csv":
        Y = T.T
    elif T.shape[1] == 1:
        labels = T[:, 0]
        classes = int(labels.max()) + 1
        if not np.array_equal(labels, np.round(labels)) or labels.min() < 0:
            c.fail(where, f"expected {plural(C, 'target')} per row, or one class index 0, 1, ...")
        if C == 1:
            if classes > 2:
                c.fail(where, f"the points fall in {classes} classes and the network has one output "
                              f"unit (two classes); give it {classes} output units")
            Y = labels[None, :]
        else:
            if classes > C:
                c.fail(where, f"the points fall in {classes} classes and the network has "
                              f"{plural(C, 'output unit')}")
            Y = np.eye(C)[labels.astype(int)].T
    else:
        c.fail(where, f"the rows hold {plural(T.shape[1], 'target')} and the network has "
                      f"{plural(C, 'output unit')}")
    if loss in LOG_LOSSES and ((Y < 0) | (Y > 1)).any():
        c.fail(where, f"{loss} needs targets between 0 and 1")
    n = X.shape[0]
    test = c.number(spec.get("test", 0), f"{key}.test", low=0, high=0.9)
    m = math.floor(test * n + 0.5)
    if n - m < 1:
        c.fail(f"{key}.test", f"no training points would be left of {n}")
    X = X.T
    split = n - m
    description = {"name": name, "options": dict(spec[name] or {}), "n": n, "test": test, "features": feats,
                   "plane": None if plane is None else (plane[:split].T, plane[split:].T if m else None)}
    if m == 0:
        return X, Y, None, None, description
    return X[:, :split], Y[:, :split], X[:, split:], Y[:, split:], description


def _compare(c, spec):
    """The runs of ``compare: {regularization: [none, {l1: a}, {l2: b}]}`` or
    ``compare: {learning_rate: [...]}``: one dict per run with the setting it changes
    (``l1``, ``l2`` or ``learning_rate``), its ``label`` and the entry as ``written``
    (normalised); None without compare."""
    if spec is None:
        return None
    key = "compare"
    c.keys(spec, key, ("regularization", "learning_rate"))
    if len(spec) != 1:
        c.fail(key, "expected one setting to compare: regularization or learning_rate")
    (what, values), = spec.items()
    k = f"{key}.{what}"
    if not isinstance(values, list) or not 2 <= len(values) <= MAX_RUNS:
        c.fail(k, f"expected a list of 2 to {MAX_RUNS} settings, one per run, got {kind_of(values)}")
    runs = []
    for i, v in enumerate(values):
        ki = f"{k}[{i}]"
        if what == "learning_rate":
            eta = c.number(v, ki, positive=True)
            runs.append({"what": what, "learning_rate": eta, "label": f"eta = {eta:g}", "written": eta})
            continue
        if v is None or v == "none":
            v = {}
        c.keys(v, ki, ("l1", "l2"))
        l1 = c.number(v.get("l1", 0.0), f"{ki}.l1", low=0)
        l2 = c.number(v.get("l2", 0.0), f"{ki}.l2", low=0)
        label = " + ".join([f"L1 {l1:g}"] * bool(l1) + [f"L2 {l2:g}"] * bool(l2)) or "none"
        runs.append({"what": what, "l1": l1, "l2": l2, "label": label,
                     "written": {"l1": l1, "l2": l2} if (l1 or l2) else "none"})
    return runs
