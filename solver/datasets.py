"""Dataset generators for training problems: ``dataset: {moons: {n: 200, noise: 0.2}}``.

:func:`generate` checks the options written under a dataset's name and returns its
points ``X`` (n x d, one point per row, in generation order) and targets ``T`` (n x k).
The generators give one target column, the class 0, 1, 2, ... (as a float); ``csv``
gives the columns after the inputs as written. Every generator is reproducible: its
draws come from NumPy's legacy ``np.random.RandomState(seed)``, ``seed`` 0 unless given.
``n`` (default 100) is at least 2 and at most spec.MAX_SAMPLES.

moons {n, noise, seed, shuffle} -- scikit-learn's ``make_moons``, bit for bit.
    n_out = n // 2 points on the upper half circle, class 0, and n_in = n - n_out on
    the lower one shifted, class 1 (t = linspace(0, pi, m), both ends included)::

        (cos t, sin t)                  t over n_out points
        (1 - cos t, 1 - sin t - 0.5)    t over n_in points

    then, with shuffle (default true), the rows are permuted (``rng.shuffle`` of the
    indices, as ``sklearn.utils.shuffle``), and then, if noise is given, Gaussian noise
    of standard deviation ``noise`` is added to every coordinate (``rng.normal``). No
    noise key (or null) means no noise draws at all, as sklearn's ``noise=None``.

circles {n, noise, factor, seed, shuffle} -- scikit-learn's ``make_circles``, bit for bit.
    n_out = n // 2 points (cos t, sin t), class 0, and n_in = n - n_out points
    factor * (cos t, sin t), class 1, t = linspace(0, 2 pi, m, endpoint=False);
    factor in [0, 1), default 0.8; shuffle and noise as for moons.

blobs {n, centers, std, box, features, seed, shuffle} -- scikit-learn's ``make_blobs``, bit for bit.
    ``centers`` is a count (default 3; the centers are then drawn first,
    ``rng.uniform(low, high, (centers, features))`` with ``box: [low, high]``,
    default [-10, 10], and ``features`` default 2: sklearn's center_box and n_features)
    or a list of points (then ``features`` follows from them). Center i gets
    n // centers points, the first n % centers centers one more, drawn in center order
    as ``rng.normal(center_i, std_i, (n_i, features))``, class i; ``std`` (sklearn's
    cluster_std, default 1) is one number or one per center. Then the shuffle as above.

xor {n, noise, seed} -- the TensorFlow Playground's ``classifyXORData`` (src/dataset.ts).
    For each point, four draws u1..u4 ~ U(-5, 5) in this order::

        x = u1 + (0.3 if u1 > 0 else -0.3)        (the padding keeps points off the axes)
        y = u2 + (0.3 if u2 > 0 else -0.3)
        class 1 if (x + noise * u3) * (y + noise * u4) >= 0 else class 0

    so the points themselves carry no noise: noise flips the labels of points near the
    axes. Class 1 is the Playground's label +1 (quadrants I and III), class 0 its -1.

spiral {n, noise, seed, shuffle} -- the TensorFlow Playground's ``classifySpiralData``.
    Two arms of h = n / 2 points each (for odd n the first arm has one more); point
    i = 0, 1, ... of an arm, with draws u1, u2 ~ U(-1, 1) in this order::

        r = i / h * 5,   t = 1.75 * i / h * 2 pi + delta
        (x, y) = (r sin t + noise * u1,  r cos t + noise * u2)

    The first arm (delta = 0) is the Playground's label +1, class 1; the second
    (delta = pi) its -1, class 0. The Playground shuffles the points before it splits off
    its test points; here too: with shuffle (default true; the only key beyond the
    Playground's) the rows are permuted after the noise draws, as for moons.

    ``noise`` for xor and spiral is the number the Playground's generators receive: its
    noise slider (0 to 50) divided by 100, so slider 25 is ``noise: 0.25``. Default 0.
    The Playground draws with JavaScript's Math.random: the formulas and the shapes
    are its own, the individual points are not.

csv {file, header, inputs} -- a file of numbers, one sample a row: ``inputs`` columns
    (default all but the last) of inputs, then the targets. ``file`` is relative to the
    problem file's folder; ``header`` true, false or auto (default: the first row is a
    header when some cell of it is not a number). Blank lines are skipped; the rows
    keep their order. Refused: a missing or unreadable file, one of more than
    spec.MAX_FILE_BYTES bytes or more than spec.MAX_SAMPLES rows, no rows, a cell that
    is not a finite number (named by row and column), rows of unequal lengths.

>>> X, T = generate(spec.Checker("p.yaml"), "moons", {"n": 5, "shuffle": False}, "dataset.moons", ".")
>>> X.round(3).tolist(), T.ravel().tolist()
([[1.0, 0.0], [-1.0, 0.0], [0.0, 0.5], [1.0, -0.5], [2.0, 0.5]], [0.0, 0.0, 1.0, 1.0, 1.0])
>>> try:
...     generate(spec.Checker("p.yaml"), "circles", {"factor": 1}, "dataset.circles", ".")
... except spec.InputError as e:
...     print(e)
p.yaml: dataset.circles.factor: expected a number below 1 (sklearn's factor lies in [0, 1)), got 1
"""

import csv
import io
import math
import os
import stat
from pathlib import Path

import numpy as np

from . import spec  # its names are looked up when called: spec imports this module (in a function)

GENERATORS = ("moons", "circles", "blobs", "xor", "spiral", "csv")

KEYS = {
    "moons": ("n", "noise", "seed", "shuffle"),
    "circles": ("n", "noise", "factor", "seed", "shuffle"),
    "blobs": ("n", "centers", "std", "box", "features", "seed", "shuffle"),
    "xor": ("n", "noise", "seed"),
    "spiral": ("n", "noise", "seed", "shuffle"),
    "csv": ("file", "header", "inputs"),
}


#: the TensorFlow Playground's input features of a point (x1, x2), by the names a problem
#: writes in ``dataset: {features: [...]}``
FEATURES = {
    "x1": lambda x1, x2: x1,
    "x2": lambda x1, x2: x2,
    "x1^2": lambda x1, x2: x1 * x1,
    "x2^2": lambda x1, x2: x2 * x2,
    "x1*x2": lambda x1, x2: x1 * x2,
    "sin(x1)": lambda x1, x2: np.sin(x1),
    "sin(x2)": lambda x1, x2: np.sin(x2),
}


def features(names, X):
    """The named features (FEATURES) of 2-D points X (rows), one column each.

    >>> features(["x1", "x1*x2", "x2^2"], np.array([[2.0, 3.0]])).tolist()
    [[2.0, 6.0, 9.0]]
    """
    return np.column_stack([FEATURES[f](X[:, 0], X[:, 1]) for f in names])


def _shuffle(rng, X, y):
    """``sklearn.utils.shuffle(X, y, random_state=rng)``: one permutation of the rows."""
    i = np.arange(len(X))
    rng.shuffle(i)
    return X[i], y[i]


def _two_classes(X, n_out, n_in, noise, rng, shuffle):
    y = np.hstack([np.zeros(n_out, dtype=np.intp), np.ones(n_in, dtype=np.intp)])
    if shuffle:
        X, y = _shuffle(rng, X, y)
    if noise is not None:
        X += rng.normal(scale=noise, size=X.shape)
    return X, y


def moons(n=100, noise=None, seed=0, shuffle=True):
    """Points and classes of sklearn's ``make_moons(n, shuffle=shuffle, noise=noise, random_state=seed)``."""
    rng = np.random.RandomState(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out, t_in = np.linspace(0, np.pi, n_out), np.linspace(0, np.pi, n_in)
    X = np.vstack([np.append(np.cos(t_out), 1 - np.cos(t_in)),
                   np.append(np.sin(t_out), 1 - np.sin(t_in) - 0.5)]).T
    return _two_classes(X, n_out, n_in, noise, rng, shuffle)


def circles(n=100, noise=None, factor=0.8, seed=0, shuffle=True):
    """Points and classes of sklearn's ``make_circles(n, shuffle=shuffle, noise=noise,
    random_state=seed, factor=factor)``."""
    rng = np.random.RandomState(seed)
    n_out = n // 2
    n_in = n - n_out
    t_out = np.linspace(0, 2 * np.pi, n_out, endpoint=False)
    t_in = np.linspace(0, 2 * np.pi, n_in, endpoint=False)
    X = np.vstack([np.append(np.cos(t_out), np.cos(t_in) * factor),
                   np.append(np.sin(t_out), np.sin(t_in) * factor)]).T
    return _two_classes(X, n_out, n_in, noise, rng, shuffle)


def blobs(n=100, centers=3, features=2, std=1.0, box=(-10.0, 10.0), seed=0, shuffle=True):
    """Points and classes of sklearn's ``make_blobs(n, features, centers=centers, cluster_std=std,
    center_box=box, shuffle=shuffle, random_state=seed)``; ``centers`` a count or an array
    (one center a row, then ``features`` is its width), ``std`` a number or one per center."""
    rng = np.random.RandomState(seed)
    if isinstance(centers, int):
        centers = rng.uniform(box[0], box[1], size=(centers, features))
    centers = np.asarray(centers, dtype=np.float64)
    k, features = centers.shape
    std = np.broadcast_to(np.asarray(std, dtype=np.float64), (k,))
    counts = [n // k + (i < n % k) for i in range(k)]
    X = np.vstack([rng.normal(loc=centers[i], scale=std[i], size=(counts[i], features)) for i in range(k)])
    y = np.repeat(np.arange(k), counts)
    if shuffle:
        X, y = _shuffle(rng, X, y)
    return X, y


def xor(n=100, noise=0.0, seed=0):
    """Points and classes of the Playground's ``classifyXORData(n, noise)`` (class 1 = label +1)."""
    u = np.random.RandomState(seed).uniform(-5, 5, size=(n, 4))
    x = u[:, 0] + np.where(u[:, 0] > 0, 0.3, -0.3)
    y = u[:, 1] + np.where(u[:, 1] > 0, 0.3, -0.3)
    label = (x + u[:, 2] * noise) * (y + u[:, 3] * noise) >= 0
    return np.column_stack([x, y]), label.astype(np.intp)


def spiral(n=100, noise=0.0, seed=0, shuffle=True):
    """Points and classes of the Playground's ``classifySpiralData(n, noise)`` (class 1 = label +1,
    the arm starting at angle 0)."""
    rng = np.random.RandomState(seed)
    h = n / 2
    points, classes = [], []
    for m, delta, label in ((n - n // 2, 0.0, 1), (n // 2, np.pi, 0)):
        i = np.arange(m)
        r = i / h * 5
        t = 1.75 * i / h * 2 * np.pi + delta
        u = rng.uniform(-1, 1, size=(m, 2))
        points.append(np.column_stack([r * np.sin(t) + u[:, 0] * noise, r * np.cos(t) + u[:, 1] * noise]))
        classes.append(np.full(m, label, dtype=np.intp))
    X, y = np.vstack(points), np.concatenate(classes)
    if shuffle:
        X, y = _shuffle(rng, X, y)
    return X, y


def generate(c, name, options, key, base_dir):
    """Points and targets of dataset ``name`` with ``options`` (the mapping written under
    it, may be None): ``(X, T)``, X float64 n x d, T float64 n x k (see the module's text).

    ``c`` is a :class:`~solver.spec.Checker`: a bad value raises an InputError naming the
    key path under ``key`` (e.g. ``dataset.moons.noise``). ``base_dir``: the problem
    file's folder, where a csv file's path starts (None: the current folder).
    """
    if name not in GENERATORS:
        close = spec.suggest(name, GENERATORS)
        hint = f"did you mean '{close}'?" if close else f"known datasets: {', '.join(GENERATORS)}"
        c.fail(key, f"unknown dataset ({hint})")
    o = {} if options is None else options
    c.keys(o, key, KEYS[name], required=("file",) if name == "csv" else ())
    if name == "csv":
        return read_csv(c, o, key, base_dir)

    def at(k):
        return f"{key}.{k}"

    n = c.whole(o.get("n", 100), at("n"), 2, spec.MAX_SAMPLES)
    seed = c.whole(o.get("seed", 0), at("seed"), 0, 2 ** 32 - 1)
    args = {"n": n, "seed": seed}
    if "shuffle" in KEYS[name]:
        args["shuffle"] = c.boolean(o.get("shuffle", True), at("shuffle"))
    if "noise" in KEYS[name]:
        noise = o.get("noise")
        if noise is not None:
            args["noise"] = c.number(noise, at("noise"), low=0)
    if name == "circles":
        factor = args["factor"] = c.number(o.get("factor", 0.8), at("factor"), low=0)
        if factor >= 1:
            c.fail(at("factor"), f"expected a number below 1 (sklearn's factor lies in [0, 1)), got {factor:g}")
    if name == "blobs":
        args.update(_blobs_options(c, o, key, n))
    X, y = {"moons": moons, "circles": circles, "blobs": blobs, "xor": xor, "spiral": spiral}[name](**args)
    return X, y.astype(np.float64).reshape(-1, 1)


def _blobs_options(c, o, key, n):
    """The centers (a count or an array), features, std and box of blobs, checked."""
    def at(k):
        return f"{key}.{k}"

    centers = o.get("centers", 3)
    if isinstance(centers, list):
        if "box" in o:
            c.fail(at("box"), "box is where centers are drawn: it applies only when centers is a count")
        if not centers or not all(isinstance(p, list) and p for p in centers):
            c.fail(at("centers"), "expected a count or a list of points, e.g. [[0, 0], [3, 3]]")
        if len(centers) > n:
            c.fail(at("centers"), f"{len(centers):,} centers need n of at least {len(centers):,}, got {n:,}")
        width = len(centers[0])
        if width > spec.MAX_UNITS:
            c.fail(at("centers"), f"expected points of at most {spec.MAX_UNITS:,} coordinates, got {width:,}")
        centers = c.matrix(centers, at("centers"), len(centers), width, "one point a center")
        k, features = centers.shape
        if "features" in o and c.whole(o["features"], at("features"), 1, spec.MAX_UNITS) != features:
            c.fail(at("features"), f"the centers have {features} coordinates, features says {o['features']}")
        box = (-10.0, 10.0)
    else:
        k = centers = c.whole(centers, at("centers"), 1, spec.MAX_SAMPLES)
        if k > n:
            c.fail(at("centers"), f"{k:,} centers need n of at least {k:,}, got {n:,}")
        features = c.whole(o.get("features", 2), at("features"), 1, spec.MAX_UNITS)
        box = tuple(c.vector(o.get("box", [-10, 10]), at("box"), 2, "low and high").tolist())
        if not box[0] < box[1]:
            c.fail(at("box"), f"expected low < high, got [{box[0]:g}, {box[1]:g}]")
    if n * features > spec.MAX_TRACE_NUMBERS:
        c.fail(at("n"), f"{n:,} points of {features:,} coordinates are {n * features:,} numbers; "
                        f"the limit is {spec.MAX_TRACE_NUMBERS:,}")
    std = o.get("std", 1.0)
    if isinstance(std, list):
        std = c.vector(std, at("std"), k, "one standard deviation a center")
        for i, s in enumerate(std):
            if s < 0:
                c.fail(at(f"std[{i}]"), f"expected a number of at least 0, got {s:g}")
    else:
        std = c.number(std, at("std"), low=0)
    return {"centers": centers, "features": features, "std": std, "box": box}


def _number(cell):
    """The float a csv cell holds, or None."""
    try:
        return float(cell)
    except ValueError:
        return None


def read_csv(c, o, key, base_dir):
    """X (the first ``inputs`` columns) and T (the rest) of the csv file ``o["file"]``."""
    at = f"{key}.file"
    file = o["file"]
    if not isinstance(file, str) or not file.strip():
        c.fail(at, f"expected a file name, got {spec.kind_of(file)}")
    header = o.get("header", "auto")
    if header != "auto" and not isinstance(header, bool):
        c.fail(f"{key}.header", f"expected true, false or auto, got {spec.kind_of(header)}")
    path = Path(base_dir or ".") / file
    shown = spec.clip_text(file)
    try:  # a named pipe or a device is not opened: reading it could wait for ever
        mode = os.stat(path).st_mode
        if stat.S_ISDIR(mode):
            c.fail(at, f"{shown} is a folder, not a csv file")
        if not stat.S_ISREG(mode):
            c.fail(at, f"{shown} is not a regular file")
        if os.stat(path).st_size > spec.MAX_FILE_BYTES:
            c.fail(at, f"{shown} is larger than {spec.MAX_FILE_BYTES:,} bytes")
        with open(path, "rb") as f:
            raw = f.read(spec.MAX_FILE_BYTES + 1)
    except FileNotFoundError:
        c.fail(at, f"no such file: {shown} (a path is relative to the problem file's folder)")
    except OSError as e:
        c.fail(at, f"cannot read {shown} ({e.strerror or e})")
    if len(raw) > spec.MAX_FILE_BYTES:
        c.fail(at, f"{shown} is larger than {spec.MAX_FILE_BYTES:,} bytes")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        c.fail(at, f"{shown} is not UTF-8 text (byte {e.start:,} cannot be read)")

    rows, width, first = [], None, True
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for cells in reader:
            if not any(cell.strip() for cell in cells):
                continue  # a blank line
            line = reader.line_num
            values = [_number(cell) for cell in cells]
            if first and (header is True or (header == "auto" and None in values)):
                width, first = len(cells), False
                continue
            first = False
            if width is None:
                width = len(cells)
            if len(cells) != width:
                c.fail(at, f"{shown}: row {line} has {len(cells)} cells, the rows above have {width}")
            for j, (cell, v) in enumerate(zip(cells, values)):
                if v is None or not math.isfinite(v):
                    what = "a finite number" if v is not None else "a number"
                    got = spec.clip_text(cell.strip())
                    c.fail(at, f"{shown}: row {line}, column {j + 1}: expected {what}, got {got!r}")
            rows.append(values)
            if len(rows) > spec.MAX_SAMPLES:
                c.fail(at, f"{shown} has more than {spec.MAX_SAMPLES:,} rows of numbers (the limit)")
    except csv.Error as e:
        c.fail(at, f"{shown}: row {reader.line_num}: {e}")
    if not rows:
        c.fail(at, f"{shown} has no rows of numbers")
    if width < 2:
        c.fail(at, f"{shown} has one column: expected inputs, then targets")
    d = c.whole(o.get("inputs", width - 1), f"{key}.inputs", 1, width - 1)
    data = np.array(rows, dtype=np.float64)
    return data[:, :d], data[:, d:]
