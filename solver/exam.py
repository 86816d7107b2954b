"""Exam sheets: ``backprop exam SHEET.yaml -o DIR`` (docs/exam-sheets.md).

A sheet names problem files, the number of variants and a seed::

    title: "Midterm: backpropagation by hand"
    variants: 30
    seed: 7
    problems:
      - file: q1.yaml           # relative to the sheet
        points: 8
        require: {no_dead_relu: true, max_abs_z: 4}

Each variant v = 1..N of each problem is drawn by solver.variants (grid values
``{random: {low, high, decimals}}`` in the problem file, the sheet's seed, v and the
problem's place deciding the draw; requirements redrawn a bounded number of times),
then solved by the same stages as ``backprop solve``. DIR receives:

    questions.pdf       every variant's sheet, each on new pages: title, variant, points,
                        each problem's statement and tasks, no answers (one pdflatex run)
    solutions.pdf       the worked solutions in the same order (one pdflatex run)
    variants/<v>/<problem>.yaml   each variant's concrete problem file
    answers.json, answers.csv     the quantities the tasks ask for, as paths into the
                        variant problem's ``backprop trace`` JSON
    moodle.xml          a Moodle XML quiz: a category per problem, a question per variant

Everything is built in a temporary folder and moved into DIR only when all of it
succeeded, each file whole or absent.
"""

import csv
import io
import json
from dataclasses import dataclass
from pathlib import Path

from .errors import InputError, plural
from .spec import Checker, read_yaml

SHEET_KEYS = ("title", "variants", "seed", "problems", "digits", "description")
ENTRY_KEYS = ("file", "points", "require", "name")
MAX_VARIANTS = 500
MAX_SHEET_PROBLEMS = 20


@dataclass
class Entry:
    """One problem of a sheet: its name (the file's stem), file, mapping, points and
    requirements."""

    name: str
    file: Path
    data: dict
    points: float
    require: dict


@dataclass
class Sheet:
    file: str
    title: str
    description: str
    variants: int
    seed: int
    digits: int
    entries: list


@dataclass
class Variant:
    """Variant ``v`` of one entry: its concrete problem mapping and its Solution."""

    v: int
    entry: Entry
    data: dict
    solution: object
    question: list = None  # its blocks on the question sheet, made once (question_blocks)


def read_sheet(path):
    """The checked sheet in ``path`` (its problem files read and checked too)."""
    path = Path(path)
    data = read_yaml(path, "sheet file", keys="title, variants, seed, problems")
    c = Checker(path)
    c.keys(data, "", SHEET_KEYS, required=("problems",))
    variants = c.whole(data.get("variants", 1), "variants", 1, MAX_VARIANTS)
    seed = c.whole(data.get("seed", 0), "seed", 0, 2 ** 32 - 1)
    digits = c.whole(data.get("digits", 4), "digits", 1, 10)
    problems = data["problems"]
    if not isinstance(problems, list) or not problems:
        c.fail("problems", "expected a list of problems, each {file: q1.yaml, points: 8}")
    if len(problems) > MAX_SHEET_PROBLEMS:
        c.fail("problems", f"expected at most {MAX_SHEET_PROBLEMS} problems, got {len(problems)}")
    entries, names = [], {}
    for i, e in enumerate(problems):
        key = f"problems[{i}]"
        if isinstance(e, str):
            e = {"file": e}
        c.keys(e, key, ENTRY_KEYS, required=("file",))
        if not isinstance(e["file"], str) or not e["file"]:
            c.fail(f"{key}.file", "expected the path of a problem file, relative to the sheet")
        file = path.parent / e["file"]
        name = e.get("name", Path(e["file"]).stem)
        if not isinstance(name, str) or not name.replace("_", "").replace("-", "").isalnum():
            c.fail(f"{key}.name", "expected a name of letters, digits, - and _")
        if name in names:
            c.fail(f"{key}.name" if "name" in e else f"{key}.file",
                   f"problems[{names[name]}] is named {name!r} too; give one of them name: ...")
        names[name] = i
        points = c.number(e.get("points", 1), f"{key}.points", low=0)
        require = e.get("require") or {}
        c.keys(require, f"{key}.require", tuple(_requirements()))
        entries.append(Entry(name, file, read_yaml(file), points, require))
    return Sheet(str(path), c.text(data.get("title", path.stem), "title"),
                 c.text(data.get("description", ""), "description"), variants, seed, digits, entries)


def _requirements():
    from .variants import REQUIREMENTS
    return REQUIREMENTS


def draw(sheet, progress=None):
    """Every variant of every entry: [[Variant of entry 1, entry 2, ...] for v = 1..N]."""
    from .api import Solution
    from .variants import make

    out = []
    for v in range(1, sheet.variants + 1):
        row = []
        for index, e in enumerate(sheet.entries):
            try:
                concrete, kind, problem, result = make(e.data, e.file, sheet.seed, v, index, e.require)
            except InputError as err:
                if err.key != "require":
                    raise
                raise InputError(sheet.file, f"problems[{index}].require",
                                 f"{e.name}: {err.message}") from None
            solution = Solution(kind, problem)
            if result is not None:  # solved already, to check the requirements
                solution.result = result
            row.append(Variant(v, e, concrete, solution))
        out.append(row)
        if progress is not None:
            progress(v, sheet.variants)
    return out


# ---- answers ----------------------------------------------------------------------------


def quantities(solution):
    """[(path into the trace JSON, value, words)]: what a problem's tasks ask for.

    Layered (full record): each update's loss, the parameters after the last update
    (W_new, b_new of every layer), each query point's outputs and class. Graph: the
    requested derivatives, and the updated parameters with a learning rate. Training runs:
    the final losses and accuracies. Derivations alone: none.
    """
    t = solution.trace
    out = []
    if solution.kind == "graph":
        for name, value in t["gradients"].items():
            out.append((f"gradients.{name}", value, f"dE/d{name}"))
        for name, value in t["updated"].items():
            out.append((f"updated.{name}", value, f"{name} after the update"))
        return out
    if solution.kind != "layered":
        return out
    if t.get("record") == "summary":
        runs = [("", t, "")] if "history" in t else [
            (f"runs[{k}].", r, f" ({r['settings']['label']})") for k, r in enumerate(t["runs"])]
        for where, run, which in runs:
            last = len(run["history"]) - 1
            for key in ("loss", "test_loss", "train_accuracy", "test_accuracy"):
                value = run["history"][last][key]
                if value is not None:
                    out.append((f"{where}history[{last}].{key}", value, f"final {key.replace('_', ' ')}{which}"))
        return out
    updates = t["updates"]
    for k, u in enumerate(updates):
        out.append((f"updates[{k}].loss", u["loss"], f"the loss of update {k + 1}"))
    last = len(updates) - 1
    for l, layer in enumerate(updates[-1]["layers"]):
        for i, row in enumerate(layer["W_new"]):
            for j, value in enumerate(row):
                out.append((f"updates[{last}].layers[{l}].W_new[{i}][{j}]", value,
                            f"new weight of layer {l + 1}, row {i + 1}, column {j + 1}"))
        for i, value in enumerate(layer["b_new"] or []):
            out.append((f"updates[{last}].layers[{l}].b_new[{i}]", value, f"new bias of layer {l + 1}, unit {i + 1}"))
    for q, pred in enumerate(t["predictions"]):
        for i, value in enumerate(pred["output"]):
            out.append((f"predictions[{q}].output[{i}]", value, f"output {i + 1} for query point {q + 1}"))
        out.append((f"predictions[{q}].class", pred["class"], f"class of query point {q + 1} (counted from 0)"))
    return out


def answers(variants):
    """The answer key: [{"variant", "problem", "quantity", "value"}] in sheet order."""
    return [{"variant": x.v, "problem": x.entry.name, "quantity": path, "value": value}
            for row in variants for x in row for path, value, _ in quantities(x.solution)]


def answers_csv(rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["variant", "problem", "quantity", "value"])
    for r in rows:
        w.writerow([r["variant"], r["problem"], r["quantity"], repr(r["value"])])
    return buf.getvalue()


def lookup(trace, path):
    """The value at ``path`` (``updates[0].layers[1].W_new[0][1]``) in a trace dict.

    >>> lookup({"a": [{"b": [[1, 2]]}]}, "a[0].b[0][1]")
    2
    """
    import re

    value = trace
    for name, index in re.findall(r"([A-Za-z_]\w*)|\[(\d+)\]", path):
        value = value[name] if name else value[int(index)]
    return value


# ---- documents --------------------------------------------------------------------------


def _tasks(x):
    """What a problem asks, in words (the question sheet's list of tasks)."""
    s, p = x.solution, x.solution.problem
    if s.kind == "derivation":
        from . import derivations
        return [f"Show: {d['title']}." for d in derivations.to_json(p, s.result)["derivations"]]
    if s.kind == "graph":
        from .document.notation import tex_name
        names = ", ".join(f"${tex_name(n)}$" for n in s.trace["gradients"])
        tasks = [f"Compute the forward pass and the loss $E$, then the derivatives of $E$ with respect to {names} "
                 "by the chain rule (the backward pass)."]
        if s.trace["updated"]:
            tasks.append(rf"Give each of these parameters after one gradient-descent step with learning rate "
                         rf"$\eta = {p.learning_rate:g}$.")
        return tasks
    if p.record == "summary":
        return ["Train the network as described and report the loss and accuracy curves, the final "
                "losses and accuracies, and the decision boundary."]
    n_updates = len(s.trace["updates"])
    one = "the update" if n_updates == 1 else f"each of the {n_updates} updates"
    tasks = [f"For {one}: compute the forward pass (the pre-activations and activations of every layer) "
             "and the loss.",
             "Compute the backward pass: the error of every layer, then the gradients of the weights and "
             "biases." if p.biases is not None else
             "Compute the backward pass: the error of every layer, then the gradients of the weights.",
             "Give the parameters after " + ("the update." if n_updates == 1 else "every update.")]
    if p.predict is not None:
        rule = (r"class 1 if $\hat{y} \ge 0.5$, else class 0" if p.sizes[-1] == 1 else
                "the output unit with the largest value, units counted from 0")
        tasks.append(f"With the final parameters, give the output and the class of each query point ({rule}).")
    return tasks


def question_blocks(x, sheet):
    """A variant's problem as the question sheet states it: its statement and tasks
    (made once; the question sheet and the Moodle quiz share them)."""
    if x.question is None:
        x.question = _question_blocks(x, sheet)
    return x.question


def _question_blocks(x, sheet):
    from .document import model as m
    from .document.notation import Notation, description_text

    s, p = x.solution, x.solution.problem
    j = sheet.entries.index(x.entry)
    blocks = [m.Heading((f"Problem {j + 1}: ", *m.plain(p.title)), note=(f"{_points(x.entry.points)}",))]
    if p.description:
        blocks.append(m.Para(description_text(p.description)))
    if s.kind == "layered":
        from .document import layered
        n = Notation(p.notation)
        show = layered.Matrices(p.digits)
        from .derive import derive_problem
        loss = layered.loss_tex(n, derive_problem(p))
        updates = len(s.trace["updates"]) if p.record == "full" else p.steps
        blocks += layered.statement(p, n, show, loss, updates)
        if p.predict is not None:
            rows = [[m.Math(str(k)), show.math(q[None, :], layered.LINE_WIDTH / 2, False)]
                    for k, q in enumerate(p.predict.T, start=1)]
            blocks += [m.Para((m.Styled("bold", ("Query points.",)),)),
                       m.MathTable([r"\text{query}", rf"{n.x}^{{\top}}"], rows), m.Break()]
    elif s.kind == "graph":
        from .document import graph as graph_doc
        blocks += graph_doc.statement(s.result)
    digits = "" if s.kind == "derivation" else (f" Give the results to {plural(sheet.digits, 'significant digit')}, "
                                                "working with full precision in between.")
    blocks += [m.Break(), m.Para((m.Styled("bold", ("Tasks.",)), digits)),
               m.Items([m.text(t) for t in _tasks(x)])]
    return blocks


def _sections(blocks):
    """A problem's own sections one level down (under the sheet's problem heading)."""
    from dataclasses import replace

    from .document import model as m
    return [replace(b, level=2) if isinstance(b, m.Heading) and b.level == 1 and b.number else b for b in blocks]


def _points(points):
    return plural(int(points), "point") if float(points).is_integer() else f"{points:g} points"


def documents(sheet, variants):
    """(questions, solutions) as two Documents, each variant starting on a new page."""
    from .document import model as m

    questions, solutions = m.Document(), m.Document()
    total = sum(e.points for e in sheet.entries)
    for k, row in enumerate(variants):
        v = row[0].v
        head = [m.Title(m.plain(sheet.title), (f"Variant {v}", f" \u00b7 {_points(total)}"))]
        if sheet.description:
            head.append(m.Para(m.plain(sheet.description)))
        if k:
            questions.add(m.Skip("page"))
            solutions.add(m.Skip("page"))
        questions.add(*head)
        solutions.add(m.Title(m.plain(sheet.title), (f"Variant {v}: worked solutions",)))
        for j, x in enumerate(row):
            if j:
                questions.add(m.Break())
                solutions.add(m.Skip("page"))
            questions.add(*_sections(question_blocks(x, sheet)))
            doc = x.solution.document
            first, rest = doc.blocks[0], doc.blocks[1:]
            solutions.add(m.Heading((f"Problem {j + 1}: ", *first.title),
                                    note=(f"variant {v}, {_points(x.entry.points)}",)), *_sections(rest))
    return questions, solutions


# ---- the command ------------------------------------------------------------------------


def build(sheet_path, out_dir, progress=None, tex_only=False):
    """Make every output of a sheet in ``out_dir`` (see the module docstring); returns
    the list of files written. InputError for a bad sheet, problem or requirement."""
    from concurrent.futures import ThreadPoolExecutor

    from . import compile as comp
    from .document import latex, preamble
    from .files import TempFolder, place, write_atomic
    from .variants import to_yaml

    sheet = read_sheet(sheet_path)
    # the two pdflatex runs start on the preamble now, while the variants are drawn and solved
    pending = {} if tex_only else {name: comp.start(preamble()) for name in ("questions", "solutions")}
    try:
        variants = draw(sheet, progress)
        docs = dict(zip(("questions", "solutions"), documents(sheet, variants)))
        files, built = {}, {}
        with TempFolder() as tmp, ThreadPoolExecutor(2) as pool:
            # the two pdflatex runs go on while the answer key and the quiz are made
            done = {}
            if not tex_only:  # the longer one first; the TeX written here, not in the threads (the GIL)
                for name in ("solutions", "questions"):
                    tex = latex.write(docs[name])
                    done[name] = pool.submit(pending[name].finish, tex, tmp / f"{name}.pdf", source_name=sheet.file)
            rows = answers(variants)
            files.update({Path("variants") / str(x.v) / f"{x.entry.name}.yaml": to_yaml(x.data).encode()
                          for row in variants for x in row})
            files[Path("answers.json")] = (json.dumps(rows, indent=1) + "\n").encode()
            files[Path("answers.csv")] = answers_csv(rows).encode()
            files[Path("moodle.xml")] = moodle_xml(sheet, variants)
            if tex_only:
                for name, doc in docs.items():
                    files[Path(f"{name}.tex")] = latex.write(doc).encode()
            for name, future in done.items():
                built[Path(f"{name}.pdf")] = future.result()
            out = Path(out_dir)
            for rel, data in files.items():
                write_atomic(out / rel, data, sheet.file)
            for rel, pdf in built.items():
                place(pdf, out / rel, sheet.file)
    finally:
        for p in pending.values():
            p.cancel()
    return sorted([*files, *built])


def moodle_xml(sheet, variants):
    """The Moodle XML quiz: a category per problem, a question per variant (solver.moodle),
    its statement in HTML (formulas for MathJax) with the network as an SVG image."""
    from . import moodle
    from .document import html, model as m

    categories = []
    for j, e in enumerate(sheet.entries):
        questions = []
        for row in variants:
            x = row[j]
            text, images = "", []
            for b in question_blocks(x, sheet):  # a drawing becomes an image file, the rest HTML
                drawings = [d for d in m.walk([b]) if isinstance(d, m.Drawing)]
                if not drawings:
                    text += html.blocks_html([b])
                    continue
                for d in drawings:
                    name = f"network{len(images) + 1}.svg"
                    images.append((name, _svg(html.blocks_html([d])).encode()))
                    text += f'<p><img src="@@PLUGINFILE@@/{name}" alt="the network"/></p>\n'
                text += html.blocks_html([c for c in m.walk([b]) if isinstance(c, m.Para)])
            parts = [moodle.Part(html.escape(words), value,
                                 0.0 if path.endswith("class") else moodle.tolerance(value, sheet.digits))
                     for path, value, words in quantities(x.solution)]
            feedback = (f"<p>The worked solution: solutions.pdf of the sheet, variant {x.v}, problem {j + 1}"
                        f" ({html.escape(e.name)}).</p>")
            questions.append(moodle.Question(f"{e.name} variant {x.v}", text, parts, images, e.points, feedback))
        categories.append(moodle.Category(e.name, questions))
    return moodle.write(categories, sheet.title)


def _svg(fragment):
    """The <svg> element of an HTML drawing, as a file of its own."""
    start, end = fragment.index("<svg"), fragment.rindex("</svg>") + len("</svg>")
    svg = fragment[start:end]
    if "xmlns=" not in svg[:200]:
        svg = svg.replace("<svg", '<svg xmlns="http://www.w3.org/2000/svg"', 1)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + svg + "\n"
