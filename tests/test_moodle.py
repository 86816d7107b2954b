r"""The Moodle XML writer (solver.moodle): a quiz file Moodle's question bank imports.

No XSD of Moodle XML exists (Moodle ships none; its importer is PHP code), so the
reference is Moodle's own reading of the file, ported here: the element paths that
question/format/xml/format.php reads, the cloze parser of
question/type/multianswer/questiontype.php (qtype_multianswer_extract_question), the
place split of its question type, and the category path split of question/format.php.
"""

import base64
import math
import re
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from hypothesis import given, settings, strategies as st

from backprop_solver import moodle
from backprop_solver.moodle import Category, Part, Question

# --- Moodle's cloze parser, ported from question/type/multianswer/questiontype.php (4.x) ---
# define('ANSWER_ALTERNATIVE_FRACTION_REGEX', '=|%(-?[0-9]+(?:[.,][0-9]*)?)%');
# define('ANSWER_ALTERNATIVE_ANSWER_REGEX', '.+?(?<!\\\\|&|&amp;)(?=[~#}]|$)');
# define('ANSWER_ALTERNATIVE_FEEDBACK_REGEX', '.*?(?<!\\\\)(?=[~}]|$)');
# define('ANSWER_ALTERNATIVE_REGEX', '(' . FRACTION . ')?' . '(' . ANSWER . ')' . '(#(' . FEEDBACK . '))?');
# define('NUMBER_REGEX', '-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)');
# define('NUMERICAL_ALTERNATIVE_REGEX', '^(' . NUMBER_REGEX . ')(:' . NUMBER_REGEX . ')?$');
# define('ANSWER_START_REGEX', '\{([0-9]*):(' . ANSWER_TYPE_DEF_REGEX . '):');
# define('ANSWER_REGEX', ANSWER_START_REGEX . '(' . ALT . '(~' . ALT . ')*)\}');
# ... preg_match('/'.ANSWER_REGEX.'/s', $text) finds the first blank, which is then replaced
# by "{#$positionkey}"; the renderer splits the text on '/\{#(\d+)\}/'.
# PCRE's (?<!\\|&|&amp;) has branches of different lengths, which Python's re refuses in
# one lookbehind; three lookbehinds in a row mean the same.
FRACTION = r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%"
ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
ALT = "(" + FRACTION + ")?" + "(" + ANSWER + ")" + "(#(" + FEEDBACK + "))?"
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL_ALT = re.compile("^(" + NUMBER + ")(:" + NUMBER + ")?$", re.S)
TYPES = ("(NUMERICAL|NM)|(MULTICHOICE|MC)|(MULTICHOICE_V|MCV)|(MULTICHOICE_H|MCH)|"
         "(SHORTANSWER|SA|MW)|(SHORTANSWER_C|SAC|MWC)|"
         "(MULTICHOICE_S|MCS)|(MULTICHOICE_VS|MCVS)|(MULTICHOICE_HS|MCHS)|"
         "(MULTIRESPONSE|MR)|(MULTIRESPONSE_H|MRH)|(MULTIRESPONSE_S|MRS)|(MULTIRESPONSE_HS|MRHS)")
ANSWER_REGEX = re.compile(r"\{([0-9]*):(" + TYPES + "):(" + ALT + "(~" + ALT + ")*)\\}", re.S)
ALT_REGEX = re.compile("~?" + ALT, re.S)
# parenthesis positions, as the PHP defines them
NORM, TYPE_NUMERICAL, ALTERNATIVES = 1, 3, 16
ALT_FRACTION, ALT_ANSWER = 1, 3          # ALT_FRACTION + 1: the n of %n%
NUMERICAL_CORRECT_ANSWER, NUMERICAL_ABS_ERROR_MARGIN = 1, 6
# the numerical answer processor (question/type/numerical/questiontype.php, build_regex,
# with '.' as decimal point and ',' as thousands separator), anchored at both ends
PROCESSOR = re.compile(r"([+-]?[,\d]*)(?:\.(\d*))?(?:(?:e|E|(?:x|\*|×)10(?:\^|\*\*))([+-]?\d+))?\Z")


def extract(text):
    """qtype_multianswer_extract_question in Python: the blanks found, each as
    (weight, type is numerical, [(fraction, answer, tolerance)]), and the text left with
    {#k} in their place."""
    blanks = []
    k = 1
    while (m := ANSWER_REGEX.search(text)):
        weight = int(m.group(NORM)) if m.group(NORM) else 1
        alternatives, rest = [], m.group(ALTERNATIVES)
        while (a := ALT_REGEX.match(rest)):
            percent = a.group(ALT_FRACTION + 1)
            fraction = 1.0 if a.group(ALT_FRACTION) == "=" else 0.01 * float(percent.replace(",", ".")) if percent else 0.0
            num = NUMERICAL_ALT.match(a.group(ALT_ANSWER)) if m.group(TYPE_NUMERICAL) else None
            if num:
                alternatives.append((fraction, num.group(NUMERICAL_CORRECT_ANSWER),
                                     num.group(NUMERICAL_ABS_ERROR_MARGIN) or "0"))
            else:
                alternatives.append((fraction, a.group(ALT_ANSWER), None))
            rest = rest[len(a.group(0)):]
        blanks.append((weight, bool(m.group(TYPE_NUMERICAL)), alternatives))
        text = text.replace(m.group(0), "{#%d}" % k, 1)
        k += 1
    return blanks, text


def places(text):
    """The renderer's split (preg_split('/\\{#(\\d+)\\}/', ...)): the place numbers."""
    return [int(p) for p in re.split(r"\{#(\d+)\}", text)[1::2]]


def split_category_path(path):
    """question/format.php split_category_path: preg_split('~(?<!/)/(?!/)~'), then '//' -> '/'."""
    return [name.replace("//", "/").strip() for name in re.split(r"(?<!/)/(?!/)", path)]


# --- helpers ---

EVIL = "<b>x</b> & y < z ]]> {1:NUMERICAL:=9} {:SA:=a} {#1} {#} ~ # / \" \\ \\(w_{1:2}\\) {"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><circle r="4"/></svg>'


def parse(data):
    assert isinstance(data, bytes)
    assert data.startswith(b'<?xml version="1.0" encoding="UTF-8"?>')
    data.decode("utf-8")
    return ET.fromstring(data)


def text_of(element, tag):
    found = element.find(f"{tag}/text")
    assert found is not None, f"no {tag}/text"
    return found.text or ""


def numerical(name="q1 variant 1", value=0.162647, digits=4, **kw):
    return Question(name, "<p>Find \\(\\delta_1\\).</p>",
                    [Part("\\(\\delta_1\\) =", value, moodle.tolerance(value, digits))], **kw)


def cloze(name="q2 variant 1", values=(0.25, -1.5, 1e-05), points=3.0, labels=None, text="<p>Find the gradients.</p>"):
    labels = labels or [f"\\(g_{{{i}}}\\) =" for i in range(len(values))]
    parts = [Part(label, v, moodle.tolerance(v, 4)) for label, v in zip(labels, values)]
    return Question(name, text, parts, points=points)


def questions_of(root):
    return [q for q in root.findall("question") if q.get("type") != "category"]


# --- the document ---

def test_root_categories_first_then_their_questions():
    cats = [Category("q1", [numerical("q1 variant 1"), numerical("q1 variant 2", value=2.5)]),
            Category("q2", [cloze("q2 variant 1"), cloze("q2 variant 2", values=(1, 2))])]
    root = parse(moodle.write(cats, title="Sheet 3"))
    assert root.tag == "quiz"
    items = root.findall("question")
    assert [q.get("type") for q in items] == ["category", "numerical", "numerical", "category", "cloze", "cloze"]
    assert [text_of(q, "category") for q in items if q.get("type") == "category"] == [
        "$course$/top/Sheet 3/q1", "$course$/top/Sheet 3/q2"]
    assert [text_of(q, "name") for q in questions_of(root)] == [
        "q1 variant 1", "q1 variant 2", "q2 variant 1", "q2 variant 2"]
    for c in items[0], items[3]:
        assert c.find("info").get("format") == "html"      # import_category reads @format when info is there


def test_without_title_the_category_is_under_top():
    root = parse(moodle.write([Category("problem 1", [numerical()])]))
    assert text_of(root.find("question"), "category") == "$course$/top/problem 1"


def test_every_question_has_the_fields_the_importer_reads():
    root = parse(moodle.write([Category("q", [numerical(), cloze()])]))
    for q in questions_of(root):
        assert text_of(q, "name")
        assert q.find("questiontext").get("format") == "html"
        assert text_of(q, "questiontext")
        assert q.find("generalfeedback").get("format") == "html"
        assert float(q.findtext("penalty")) == pytest.approx(1 / 3, abs=1e-6)
        assert q.findtext("hidden") == "0"


def test_numerical_question():
    q = numerical(value=-0.162647, digits=4, points=2, feedback_html="<p>see the worked solution</p>")
    (element,) = questions_of(parse(moodle.write([Category("q", [q])])))
    assert element.get("type") == "numerical"
    assert float(element.findtext("defaultgrade")) == 2
    (answer,) = element.findall("answer")
    assert answer.get("fraction") == "100"
    assert float(answer.findtext("text")) == -0.162647
    assert float(answer.findtext("tolerance")) == 5e-05
    assert answer.find("feedback").get("format") == "html"
    assert element.findtext("showunits") == "3"                   # qtype_numerical::UNITNONE
    assert text_of(element, "generalfeedback") == "<p>see the worked solution</p>"
    text = text_of(element, "questiontext")
    assert text.startswith(q.text_html) and "<p>\\(\\delta_1\\) =</p>" in text
    # the answer and the tolerance are numbers both Moodle parsers read
    for field in answer.findtext("text"), answer.findtext("tolerance"):
        assert NUMERICAL_ALT.match(field) and PROCESSOR.match(field)


def test_numerical_question_text_is_kept_as_written():
    q = Question("n", EVIL, [Part(EVIL, 1.0, 0.05)])
    (element,) = questions_of(parse(moodle.write([Category("q", [q])])))
    assert text_of(element, "questiontext") == EVIL + f"\n<p>{EVIL}</p>"


def test_cloze_question_blanks_read_back_by_moodles_parser():
    values = (0.25, -1.5, 1e-05, 123456.0, 0.0)
    q = cloze(values=values, points=10)
    (element,) = questions_of(parse(moodle.write([Category("q", [q])])))
    assert element.get("type") == "cloze"
    assert element.find("answer") is None
    assert element.find("defaultgrade") is None        # the mark of a cloze is the sum of its weights
    blanks, rest = extract(text_of(element, "questiontext"))
    assert len(blanks) == len(values)
    for (weight, is_numerical, alternatives), part in zip(blanks, q.parts):
        assert weight == 2 and is_numerical
        ((fraction, value, tol),) = alternatives
        assert fraction == 1.0
        assert float(value) == part.value and float(tol) == part.tolerance
        assert PROCESSOR.match(value)
    assert places(rest) == list(range(1, len(values) + 1))


def test_cloze_weights_split_the_points():
    for points, n, expected in (3, 3, [1, 1, 1]), (6, 3, [2, 2, 2]), (1, 2, [1, 1]), (2.5, 2, [1, 1]):
        q = cloze(values=tuple(range(1, n + 1)), points=points)
        (element,) = questions_of(parse(moodle.write([Category("q", [q])])))
        blanks, _ = extract(text_of(element, "questiontext"))
        assert [b[0] for b in blanks] == expected


def test_hostile_text_and_labels_break_neither_the_xml_nor_the_cloze():
    labels = [EVIL, "{2:MULTICHOICE:=a~b}", "a}b#c~d/e\\f\"g", "{#2}", "x {"]
    q = Question("evil <name> & ]]>", EVIL, [Part(l, 0.5 + i, 0.005) for i, l in enumerate(labels)],
                 feedback_html=EVIL)
    root = parse(moodle.write([Category("a/b <c> & {#1}", [q])], title="/sheet/"))
    (element,) = questions_of(root)
    assert text_of(element, "name") == "evil <name> & ]]>"
    assert text_of(element, "generalfeedback") == EVIL
    text = text_of(element, "questiontext")
    blanks, rest = extract(text)
    assert [b[2][0][1] for b in blanks] == ["0.5", "1.5", "2.5", "3.5", "4.5"]
    assert all(b[1] for b in blanks)
    assert places(rest) == [1, 2, 3, 4, 5]
    # the only change to the author's HTML: a '{' Moodle could misread is written &#123;
    shown = text.replace("&#123;", "{")
    assert EVIL in shown and all(label in shown for label in labels)
    assert "{1:NUMERICAL:=9}" not in text and "{#1}" not in text.split("<table")[0]
    path = text_of(root.find("question"), "category")
    assert split_category_path(path) == ["$course$", "top", "/sheet/", "a/b <c> & {#1}"]


def test_characters_xml_forbids_do_not_make_an_ill_formed_file():
    q = Question("bell\x07", "<p>a\x00b\x1bc</p>", [Part("x\x0b", 1.0, 0.5)])
    element = questions_of(parse(moodle.write([Category("c\x01", [q])])))[0]
    assert text_of(element, "name") == "bell\ufffd"


def test_unicode_survives():
    q = Question("Übung – ∂E/∂w", "<p>∂E/∂w₁₁ für η = 0,5</p>", [Part("Δw =", 0.5, 0.005)])
    element = questions_of(parse(moodle.write([Category("Blatt 3 · Aufgabe 1", [q])])))[0]
    assert text_of(element, "name") == "Übung – ∂E/∂w"
    assert "∂E/∂w₁₁ für η" in text_of(element, "questiontext")


def test_images_embedded_and_referenced():
    text = "<p>The network:</p>" + moodle.image_html("net.svg", alt="the network")
    one = Question("n", text, [Part("a", 1, 0.5)], images=[("net.svg", SVG)])
    several = Question("c", text, [Part("a", 1, 0.5), Part("b", 2, 0.5)], images=[("net.svg", SVG), ("w.png", b"\x89PNG")])
    for q in one, several:
        element = questions_of(parse(moodle.write([Category("q", [q])])))[0]
        qtext = element.find("questiontext")
        files = qtext.findall("file")
        assert [(f.get("name"), f.get("path"), f.get("encoding")) for f in files] == [
            (name, "/", "base64") for name, _ in q.images]
        assert [base64.b64decode(f.text) for f in files] == [data for _, data in q.images]
        assert 'src="@@PLUGINFILE@@/net.svg"' in text_of(element, "questiontext")


@pytest.mark.parametrize("bad", [
    dict(images=[("../net.svg", SVG)]),
    dict(images=[("net svg", SVG)]),
    dict(images=[("net.svg", SVG), ("net.svg", SVG)]),
    dict(images=[("net.svg", "not bytes")]),
    dict(parts=[Part("a", float("nan"), 0.1)]),
    dict(parts=[Part("a", 1.0, float("inf"))]),
    dict(parts=[Part("a", 1.0, -0.1)]),
    dict(points=0),
])
def test_bad_questions_are_refused(bad):
    q = numerical()
    for key, value in bad.items():
        setattr(q, key, value)
    with pytest.raises(ValueError):
        moodle.write([Category("q", [q])])


def test_empty_category_name_is_refused():
    with pytest.raises(ValueError):
        moodle.write([Category("  ", [numerical()])])


# --- tolerance() and number() ---

def test_a_subnormal_value_gets_a_tolerance_above_zero():
    assert moodle.tolerance(5e-324, 3) == 5e-324


@pytest.mark.parametrize("value, digits, expected", [
    (0.162647, 4, 5e-05), (0.162647, 3, 5e-04), (0.162647, 6, 5e-07),
    (-0.162647, 4, 5e-05), (-2.71828, 3, 0.005), (123456.0, 3, 500.0), (123456.0, 6, 0.5),
    (9.9996, 4, 0.005), (0.099996, 4, 5e-05), (1.5e-09, 3, 5e-12), (-3.2e-07, 6, 5e-13),
    (1.0, 1, 0.5), (0.0, 4, 5e-05), (0.0, 3, 5e-04), (-0.0, 6, 5e-07),
])
def test_tolerance(value, digits, expected):
    assert moodle.tolerance(value, digits) == expected


def test_tolerance_floor():
    assert moodle.tolerance(1e-17, 4, floor=1e-06) == 1e-06       # round-off dust accepts 0
    assert moodle.tolerance(0.162647, 4, floor=1e-06) == 5e-05     # a floor below changes nothing
    assert moodle.tolerance(0, 4, floor=1e-03) == 1e-03


@pytest.mark.parametrize("args", [(float("nan"), 4), (float("inf"), 4), (1.0, 0), (1.0, 2.5), (1.0, True), ("x", 3),
                                  (1.0, 3, -1.0)])
def test_tolerance_refuses(args):
    with pytest.raises(ValueError):
        moodle.tolerance(*args)


@settings(max_examples=300, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False, allow_subnormal=False, min_value=-1e12, max_value=1e12),
       st.integers(1, 10))
def test_tolerance_accepts_every_correctly_rounded_answer(value, digits):
    t = moodle.tolerance(value, digits)
    shown = float(f"{value:.{digits - 1}e}")         # the value rounded to the digits asked for
    # (a tie such as 2^-14 to 9 digits is half a unit off exactly; the doubles of the
    # two numbers then add their own rounding, a few units in the last place)
    assert abs(shown - value) <= t * (1 + 1e-12) + 4 * math.ulp(value) or value == 0
    if value != 0:
        # half a unit of the last digit asked for: a power of ten times 5
        assert Decimal(repr(t)).normalize().as_tuple().digits == (5,)
    # (subnormal values, below 2.2e-308, have fewer digits than asked: tolerance() gives
    # them the smallest positive double rather than 0, tested below)
        assert t <= abs(value) * 5 * 10 ** (1 - digits) * (1 + 1e-12)


@settings(max_examples=500, deadline=None)
@given(st.floats(allow_nan=False, allow_infinity=False))
def test_number_round_trips_and_moodle_reads_it(value):
    text = moodle.number(value)
    assert float(text) == value
    assert NUMERICAL_ALT.match(text) and PROCESSOR.match(text), text
    if value == 0 or 1e-80 < abs(value) < 1e80:
        assert "e" not in text


@pytest.mark.parametrize("value, digits, expected", [
    (0.1, None, "0.1"), (1e-05, None, "0.00001"), (-2.5e-07, None, "-0.00000025"), (1e16, None, "10000000000000000"),
    (-0.0, None, "0"), (3, None, "3"), (0.1 + 0.2, None, "0.30000000000000004"),
    (0.162647, 4, "0.1626"), (123456, 3, "123000"), (-0.000123456, 2, "-0.00012"), (2.5, 6, "2.5"),
])
def test_number(value, digits, expected):
    assert moodle.number(value, digits) == expected


def test_number_refuses_what_moodle_cannot_read():
    for bad in float("nan"), float("inf"), -float("inf"), "abc", None:
        with pytest.raises(ValueError):
            moodle.number(bad)


def test_number_keeps_an_exponent_only_where_a_plain_decimal_would_be_too_long():
    assert moodle.number(1e-300) == "1e-300" and moodle.number(1e200) == "1e+200"
    assert all(NUMERICAL_ALT.match(t) for t in ("1e-300", "1e+200"))


def test_category_path_round_trips_through_moodles_split():
    for names in (["Sheet 3", "q1"], ["a/b", "/c", "d/", "//e//"], ["top"], ["$course$"]):
        assert split_category_path(moodle.category_path(*names)) == ["$course$", "top", *[n.strip() for n in names]]


def test_blank_and_cloze_text():
    assert moodle.blank(3, 0.5, 0.005) == "{3:NUMERICAL:=0.5:0.005}"
    assert extract(moodle.blank(3, -1e-05, 5e-10))[0] == [(3, True, [(1.0, "-0.00001", "0.0000000005")])]
    for bad in (0, 1.5, True):
        with pytest.raises(ValueError):
            moodle.blank(bad, 1, 0.1)
    escaped = moodle.cloze_text(EVIL)
    assert extract(escaped)[0] == [] and places(escaped) == []
    assert escaped.replace("&#123;", "{") == EVIL
    assert moodle.cloze_text(r"\(\frac{1}{2} w_{11}\)") == r"\(\frac{1}{2} w_{11}\)"   # TeX untouched


def test_math_is_left_for_mathjax():
    q = cloze(text=r"<p>\[ \frac{\partial E}{\partial w_{11}} = \delta_1 x_1 \]</p>")
    element = questions_of(parse(moodle.write([Category("q", [q])])))[0]
    text = text_of(element, "questiontext")
    assert r"\[ \frac{\partial E}{\partial w_{11}} = \delta_1 x_1 \]" in text
    assert r"\(g_{0}\) =" in text


def test_a_question_without_parts_is_an_essay_graded_by_hand():
    q = Question("derive", "<p>Show that \\(\\delta = \\hat{y} - y\\).</p>", [], points=3,
                 feedback_html="<p>See the worked solution.</p>")
    root = ET.fromstring(moodle.write([Category("d", [q])]))
    (e,) = [x for x in root if x.get("type") == "essay"]
    assert e.findtext("defaultgrade") == "3" and e.findtext("responseformat") == "editor"
    assert e.findtext("graderinfo/text") == "<p>See the worked solution.</p>"
    assert e.find("answer") is None
