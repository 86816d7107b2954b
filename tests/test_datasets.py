"""Dataset generators: sklearn's moons, circles and blobs bit for bit, the Playground's xor
and spiral, csv files, and one InputError naming the key for every bad option."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from backprop_solver import spec
from backprop_solver.datasets import GENERATORS, generate
from backprop_solver.errors import InputError
from backprop_solver.spec import Checker

sk = pytest.importorskip("sklearn.datasets")


def gen(name, options, base_dir="."):
    return generate(Checker("p.yaml"), name, options, f"dataset.{name}", base_dir)


def same(ours, theirs):
    X, T = ours
    Xs, ys = theirs
    assert X.dtype == T.dtype == np.float64 and T.shape == (len(ys), 1)
    assert np.array_equal(X, Xs) and np.array_equal(T[:, 0], ys)


# -- sklearn's generators, bit for bit --------------------------------------------------

@pytest.mark.parametrize("n", [2, 3, 10, 101])
@pytest.mark.parametrize("noise", [None, 0.0, 0.3])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("seed", [0, 7])
def test_moons_and_circles_are_sklearns(n, noise, shuffle, seed):
    options = {"n": n, "shuffle": shuffle, "seed": seed}
    if noise is not None:
        options["noise"] = noise
    same(gen("moons", options), sk.make_moons(n, shuffle=shuffle, noise=noise, random_state=seed))
    for factor in (0.0, 0.5, 0.8):
        same(gen("circles", {**options, "factor": factor}),
             sk.make_circles(n, shuffle=shuffle, noise=noise, random_state=seed, factor=factor))


def test_defaults_are_sklearns_with_seed_0():
    same(gen("moons", None), sk.make_moons(random_state=0))
    same(gen("circles", {}), sk.make_circles(random_state=0))
    same(gen("blobs", None), sk.make_blobs(random_state=0))


@pytest.mark.parametrize("n", [3, 10, 101])
@pytest.mark.parametrize("shuffle", [True, False])
@pytest.mark.parametrize("seed", [0, 1, 42])
def test_blobs_are_sklearns(n, shuffle, seed):
    ours = {"n": n, "shuffle": shuffle, "seed": seed}
    theirs = {"shuffle": shuffle, "random_state": seed}
    for more, skl in [
        ({}, {}),
        ({"centers": 2, "std": 0.5}, {"centers": 2, "cluster_std": 0.5}),
        ({"centers": 3, "features": 4, "box": [-1, 2.5]},
         {"centers": 3, "n_features": 4, "center_box": (-1, 2.5)}),
        ({"centers": 1, "features": 1, "std": 0}, {"centers": 1, "n_features": 1, "cluster_std": 0.0}),
        ({"centers": [[0, 0], [3, 3], [-2, 4]], "std": [1, 0.2, 2]},
         {"centers": [[0, 0], [3, 3], [-2, 4]], "cluster_std": [1, 0.2, 2]}),
        ({"centers": [[1, 2, 3]], "features": 3}, {"centers": [[1, 2, 3]]}),
    ]:
        same(gen("blobs", {**ours, **more}), sk.make_blobs(n, **theirs, **skl))


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["moons", "circles", "blobs"]), st.integers(2, 300), st.integers(0, 2 ** 32 - 1),
       st.one_of(st.none(), st.floats(0, 2)), st.booleans(), st.integers(1, 5), st.integers(1, 4))
def test_any_options_are_sklearns(name, n, seed, noise, shuffle, centers, features):
    options = {"n": n, "seed": seed, "shuffle": shuffle}
    if name == "blobs":
        centers = min(centers, n)
        theirs = sk.make_blobs(n, features, centers=centers, shuffle=shuffle, random_state=seed)
        options.update(centers=centers, features=features)
    else:
        options["noise"] = noise
        theirs = getattr(sk, f"make_{name}")(n, shuffle=shuffle, noise=noise, random_state=seed)
    same(gen(name, options), theirs)


# -- the Playground's xor and spiral ----------------------------------------------------

def test_xor():
    X, T = gen("xor", {"n": 2000, "seed": 5})
    assert X.shape == (2000, 2) and T.shape == (2000, 1) and set(T[:, 0]) == {0.0, 1.0}
    assert (np.abs(X) >= 0.3).all() and (np.abs(X) <= 5.3).all()  # the padding keeps points off the axes
    assert np.array_equal(T[:, 0], X[:, 0] * X[:, 1] >= 0)  # no noise: class 1 in quadrants I and III
    assert 0.45 < T.mean() < 0.55
    Xn, Tn = gen("xor", {"n": 2000, "seed": 5, "noise": 0.5})
    assert np.array_equal(X, Xn)  # noise moves no point, it flips labels near the axes
    flipped = T[:, 0] != Tn[:, 0]
    assert 0 < flipped.sum() < 400
    assert np.median(np.abs(X[flipped]).min(axis=1)) < np.median(np.abs(X).min(axis=1))


@pytest.mark.parametrize("n", [2, 7, 500])
def test_spiral(n):
    X, T = gen("spiral", {"n": n, "seed": 1, "shuffle": False})
    assert X.shape == (n, 2) and T[:, 0].tolist() == [1.0] * (n - n // 2) + [0.0] * (n // 2)
    h = n / 2
    r = np.hypot(X[:, 0], X[:, 1])
    i = np.r_[np.arange(n - n // 2), np.arange(n // 2)]
    assert np.allclose(r, i / h * 5)  # radius 5 at the end, no noise
    t = 1.75 * i / h * 2 * np.pi + np.pi * (T[:, 0] == 0)
    assert np.allclose(X, np.column_stack([r * np.sin(t), r * np.cos(t)]))
    Xn, _ = gen("spiral", {"n": n, "seed": 1, "shuffle": False, "noise": 0.2})
    assert 0 < np.abs(Xn - X).max() <= 0.2


def test_spiral_shuffle_permutes_the_same_points():
    X, T = gen("spiral", {"n": 50, "seed": 2, "noise": 0.1, "shuffle": False})
    Xs, Ts = gen("spiral", {"n": 50, "seed": 2, "noise": 0.1})
    assert not np.array_equal(X, Xs)
    order = np.lexsort(X.T), np.lexsort(Xs.T)
    assert np.array_equal(X[order[0]], Xs[order[1]]) and np.array_equal(T[order[0]], Ts[order[1]])


@pytest.mark.parametrize("name", [g for g in GENERATORS if g != "csv"])
def test_same_seed_same_points(name):
    a, b, other = (gen(name, {"n": 40, "seed": s}) for s in (3, 3, 4))
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
    assert not np.array_equal(a[0], other[0])


# -- csv --------------------------------------------------------------------------------

def test_csv(tmp_path):
    (tmp_path / "data.csv").write_text("x1, x2, y\n1, 2, 0\n\n3.5, -4e-1, 1\n")
    X, T = gen("csv", {"file": "data.csv"}, tmp_path)
    assert X.tolist() == [[1, 2], [3.5, -0.4]] and T.tolist() == [[0], [1]]
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "plain.csv").write_bytes(b"\xef\xbb\xbf1,2,3,4\r\n5,6,7,8\r\n")
    X, T = gen("csv", {"file": "sub/plain.csv", "inputs": 1, "header": False}, tmp_path)
    assert X.tolist() == [[1], [5]] and T.tolist() == [[2, 3, 4], [6, 7, 8]]
    X, T = gen("csv", {"file": "sub/plain.csv", "header": True}, tmp_path)
    assert X.tolist() == [[5, 6, 7]] and T.tolist() == [[8]]
    assert X.dtype == T.dtype == np.float64


CSV_ERRORS = {
    # name: (file text or None for no file, options, key, words the message must hold)
    "missing": (None, {}, "file", ["no such file", "nothing.csv"]),
    "empty": ("", {}, "file", ["no rows of numbers"]),
    "header only": ("a,b\n", {}, "file", ["no rows of numbers"]),
    "word": ("1,2\n3,abc\n", {}, "file", ["row 2, column 2", "'abc'"]),
    "empty cell": ("1,2\n3,\n", {}, "file", ["row 2, column 2", "expected a number"]),
    "header false": ("a,b\n1,2\n", {"header": False}, "file", ["row 1, column 1", "'a'"]),
    "ragged": ("1,2,3\n4,5\n", {}, "file", ["row 2 has 2 cells", "above have 3"]),
    "nan": ("1,2\nnan,3\n", {}, "file", ["row 2, column 1", "finite"]),
    "inf": ("1,-inf\n", {}, "file", ["row 1, column 2", "finite"]),
    "one column": ("1\n2\n", {}, "file", ["one column"]),
    "not utf-8": (b"1,2\n\xff,3\n", {}, "file", ["not UTF-8"]),
    "inputs": ("1,2,3\n", {"inputs": 3}, "inputs", ["at most 2"]),
    "header value": ("1,2\n", {"header": "yes"}, "header", ["true, false or auto"]),
    "file name": ("1,2\n", {"file": 3}, "file", ["file name"]),
    "unknown key": ("1,2\n", {"inputz": 1}, "inputz", ["did you mean 'inputs'"]),
}


@pytest.mark.parametrize("case", CSV_ERRORS)
def test_csv_errors(tmp_path, case):
    text, options, key, words = CSV_ERRORS[case]
    name = "nothing.csv" if text is None else "d.csv"
    if text is not None:
        (tmp_path / name).write_bytes(text if isinstance(text, bytes) else text.encode())
    with pytest.raises(InputError) as e:
        gen("csv", {"file": name, **options}, tmp_path)
    assert e.value.file == "p.yaml" and e.value.key == f"dataset.csv.{key}"
    assert all(w in e.value.message for w in words), e.value.message


def test_csv_limits(tmp_path, monkeypatch):
    (tmp_path / "d.csv").write_text("1,2\n" * 5)
    monkeypatch.setattr(spec, "MAX_SAMPLES", 4)
    with pytest.raises(InputError, match="more than 4 rows"):
        gen("csv", {"file": "d.csv"}, tmp_path)
    monkeypatch.setattr(spec, "MAX_FILE_BYTES", 10)
    with pytest.raises(InputError, match="larger than 10 bytes"):
        gen("csv", {"file": "d.csv"}, tmp_path)
    with pytest.raises(InputError, match="is a folder"):
        gen("csv", {"file": "."}, tmp_path)
    with pytest.raises(InputError, match=r"dataset\.csv\.file: this key is required"):
        gen("csv", None, tmp_path)


# -- bad options ------------------------------------------------------------------------

BAD = [
    # name, options, key, words the message must hold
    ("moons", {"n": 1}, "n", ["at least 2"]),
    ("moons", {"n": spec.MAX_SAMPLES + 1}, "n", ["at most 100,000"]),
    ("moons", {"n": 2.5}, "n", ["whole number"]),
    ("moons", {"noise": -0.1}, "noise", ["at least 0"]),
    ("moons", {"noise": float("nan")}, "noise", ["finite"]),
    ("moons", {"noise": "a lot"}, "noise", ["expected a number"]),
    ("moons", {"seed": -1}, "seed", ["at least 0"]),
    ("moons", {"seed": 2 ** 32}, "seed", ["at most"]),
    ("moons", {"shuffle": "yes"}, "shuffle", ["true or false"]),
    ("moons", {"nosie": 0.1}, "nosie", ["did you mean 'noise'"]),
    ("moons", {"factor": 0.5}, "factor", ["unknown key"]),
    ("moons", [1, 2], None, ["expected a mapping"]),
    ("circles", {"factor": 1}, "factor", ["below 1"]),
    ("circles", {"factor": -0.5}, "factor", ["at least 0"]),
    ("blobs", {"n": 4, "centers": 5}, "centers", ["n of at least 5"]),
    ("blobs", {"centers": 0}, "centers", ["at least 1"]),
    ("blobs", {"centers": [[0, 0], [1]]}, "centers", ["2x2 matrix"]),
    ("blobs", {"centers": [1, 2]}, "centers", ["list of points"]),
    ("blobs", {"centers": [[0, "x"]]}, "centers[0][1]", ["expected a number"]),
    ("blobs", {"centers": [[0, 0]], "box": [0, 1]}, "box", ["only when centers is a count"]),
    ("blobs", {"centers": [[0, 0]], "features": 3}, "features", ["2 coordinates"]),
    ("blobs", {"features": 0}, "features", ["at least 1"]),
    ("blobs", {"box": [1, 1]}, "box", ["low < high"]),
    ("blobs", {"box": 3}, "box", ["2 numbers"]),
    ("blobs", {"std": -1}, "std", ["at least 0"]),
    ("blobs", {"std": [1, 2]}, "std", ["3 numbers"]),
    ("blobs", {"std": [1, -2, 1]}, "std[1]", ["at least 0"]),
    ("blobs", {"n": 100_000, "features": 1000}, "n", ["the limit"]),
    ("xor", {"noise": -1}, "noise", ["at least 0"]),
    ("xor", {"shuffle": True}, "shuffle", ["unknown key"]),
    ("spiral", {"n": 0}, "n", ["at least 2"]),
]


@pytest.mark.parametrize("name, options, key, words", BAD)
def test_bad_options(name, options, key, words):
    with pytest.raises(InputError) as e:
        gen(name, options)
    assert e.value.key == f"dataset.{name}" + (f".{key}" if key else "")
    assert all(w in e.value.message for w in words), e.value.message


def test_unknown_dataset():
    with pytest.raises(InputError, match=r"dataset\.moon: unknown dataset \(did you mean 'moons'\?\)"):
        generate(Checker("p.yaml"), "moon", {}, "dataset.moon", ".")
