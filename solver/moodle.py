r"""Moodle XML: a quiz file of numerical and cloze questions, one category per problem.

:func:`write` turns :class:`Category` objects (each a list of :class:`Question`) into
one ``<quiz>`` document that Moodle's question bank imports (Question bank > Import >
Moodle XML format). A question with one :class:`Part` becomes a *numerical* question;
one with several becomes a *cloze* (embedded answers) question whose text holds one
``{k:NUMERICAL:=value:tolerance}`` blank per part. Formulas stay TeX between ``\( \)``
and ``\[ \]`` for Moodle's MathJax filter; a drawing travels inside the file as a
base64 ``<file>`` of the question text and is referenced as ``@@PLUGINFILE@@/name``
(:func:`image_html`).

The rules below were read in Moodle's own importer, not guessed:

* ``question/format/xml/format.php`` (qformat_xml, plugin version 2023042400, Moodle
  4.2): the root ``<quiz>``, ``<question type="...">`` read by ``import_question``
  (``cloze`` and ``multianswer`` both go to ``import_multianswer``), ``<name><text>``,
  ``<questiontext format="html"><text>`` plus ``<file name path encoding="base64">``
  (``import_text_with_files`` / ``import_files_as_draft``; files are stored under
  ``path`` + ``name`` and duplicates are skipped), ``<defaultgrade>``, ``<penalty>``
  (0.3333333 is Moodle's default), ``<generalfeedback>``, numerical answers
  ``<answer fraction="100"><text>v</text><tolerance>t</tolerance><feedback>``
  (``import_numerical``). The XML is read by PHP's XML parser (``xmlize``), so
  escaped text and CDATA are the same to it; Moodle's exporter uses CDATA only where
  the text needs escaping, this writer escapes (ElementTree cannot write CDATA).
  For a cloze question the importer ignores ``<defaultgrade>`` (its mark is the sum
  of the blanks' weights) and Moodle's exporter omits it; so does this writer.
* ``question/format.php`` (qformat_default): a category path is ``$course$/top/A/B``;
  ``/`` inside a name is written ``//``, and a name that starts or ends with ``/``
  is padded with a space (``assemble_category_path`` / ``split_category_path``);
  since Moodle 3.5 every category lies under the context's ``top`` one.
* ``question/type/multianswer/questiontype.php`` (``qtype_multianswer_extract_question``,
  Moodle 4.x): a blank is ``ANSWER_REGEX`` =
  ``\{([0-9]*):(NUMERICAL|NM|...):(alternatives)\}``, its weight the optional
  digits (missing: 1); an alternative is ``(=|%n%)? answer (#feedback)?``, the answer
  ``.+?(?<!\\|&|&amp;)(?=[~#}]|$)``, and a numerical answer must match
  ``^(NUMBER)(:NUMBER)?$`` with ``NUMBER_REGEX = -?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)
  ([eE][-+]?[0-9]+)?)`` (value, then absolute tolerance). Each blank found is replaced
  by ``{#k}``, which the renderer later splits on (``/\{#(\d+)\}/``). Numbers never
  contain ``} # ~ / " \``, so nothing inside a blank needs escaping; what needs care
  is the text *around* the blanks: a ``{`` there that starts ``{digits:`` or ``{#``
  could be read as a blank or a place, so such a ``{`` is written ``&#123;`` (the
  browser, and so MathJax, still sees ``{``). Moodle 1.9's parser had no ``/s`` flag,
  so every blank is kept on one line.
* ``question/type/numerical/question.php`` (``qtype_numerical_answer``): the nominal
  tolerance accepts ``answer - t <= response <= answer + t`` (plus a rounding
  epsilon), so half a unit of the last digit asked for accepts every correctly
  rounded answer; its answer processor reads ``1e-05`` and ``3x10^8`` too, but
  :func:`number` writes plain decimals, which every parser above accepts.
"""

import base64
import html
import math
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from decimal import Decimal

#: Moodle's default penalty for each wrong try (interactive behaviour), as its exporter writes it
PENALTY = "0.3333333"

#: the category under which Moodle 3.5+ keeps every category of a context
TOP = "$course$/top"

#: a file name that Moodle's file API keeps as it is and that needs no escaping in a URL
_FILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*\Z")

#: characters XML 1.0 does not allow (ElementTree would write them into an ill-formed file)
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

#: a "{" in cloze text that Moodle could take for the start of a blank ({1:NUMERICAL:...,
#: {:SA:...) or for a place the renderer fills ({#1}); at the end of a piece of text it
#: could join what follows, so it is escaped there too
_CLOZE_BRACE = re.compile(r"\{(?=[0-9]*(?::|\Z)|#)")

#: longest plain decimal :func:`number` writes before it falls back to an exponent
#: (Moodle's tolerance column holds 255 characters)
_LONGEST = 100


@dataclass
class Part:
    """One numerical answer: the text before its blank, the value, an absolute tolerance."""

    label: str
    value: float
    tolerance: float


@dataclass
class Question:
    """One question: its HTML, its parts (none: an essay question graded by hand, one:
    numerical, several: cloze), images, points."""

    name: str
    text_html: str
    parts: list
    images: list = ()
    points: float = 1.0
    feedback_html: str = ""


@dataclass
class Category:
    """A category of the question bank (one problem of a sheet) and its questions."""

    name: str
    questions: list = field(default_factory=list)


def _finite(value, what):
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} must be finite, got {value!r}")
    return x


def tolerance(value, digits, floor=None):
    """The absolute tolerance that fits ``digits`` significant digits of ``value``:
    half a unit in the last digit asked for, so every correctly rounded answer is
    accepted (Moodle's nominal tolerance is inclusive).

    The last digit is that of ``value`` rounded to ``digits`` digits (9.9996 to 4
    digits is 10.00, tolerance 0.005). A value of 0 has no significant digits; it gets
    half a unit in the ``digits``-th decimal place (0 to 4 digits: 0.00005), as if
    written 0.0000, unless ``floor`` is given. ``floor``, when given, is the smallest
    tolerance returned, e.g. one fitting the size of the problem's other numbers, so
    that round-off dust such as 1e-17 accepts 0.

    >>> tolerance(0.162647, 4), tolerance(-0.162647, 4), tolerance(123456, 3)
    (5e-05, 5e-05, 500.0)
    >>> tolerance(9.9996, 4), tolerance(0, 4), tolerance(1e-17, 3, floor=5e-05)
    (0.005, 5e-05, 5e-05)
    """
    x = _finite(value, "value")
    if not isinstance(digits, int) or isinstance(digits, bool) or digits < 1:
        raise ValueError(f"digits must be a whole number of at least 1, got {digits!r}")
    if floor is not None and (_finite(floor, "floor") < 0):
        raise ValueError(f"floor must not be negative, got {floor!r}")
    if x == 0:
        return float(floor) if floor is not None else float(f"5e-{digits + 1}")
    exponent = int(f"{abs(x):.{digits - 1}e}".split("e")[1])
    t = float(f"5e{exponent - digits}") or math.ulp(0.0)  # (a subnormal value: never a tolerance of 0)
    return max(t, float(floor)) if floor is not None else t


def number(value, digits=None):
    """How a value is written in the file: a plain decimal (no exponent), the shortest
    one that reads back as the same float (``float(number(x)) == x``), or ``value``
    rounded to ``digits`` significant digits when given. Minus zero is written 0.

    Moodle's cloze parser (NUMBER_REGEX) and its numerical answer processor both read
    exponents too, but a plain decimal is read by every version and by PHP's
    ``is_numeric`` alike; only a number whose plain form would pass 100 characters
    (beyond 1e100 or below 1e-90) keeps its exponent, which both parsers accept.

    >>> number(0.1), number(1e-05), number(-2.5e-07), number(1e16), number(-0.0), number(3)
    ('0.1', '0.00001', '-0.00000025', '10000000000000000', '0', '3')
    >>> number(0.162647, 4), number(123456, 3), number(-0.000123456, 2)
    ('0.1626', '123000', '-0.00012')
    """
    x = _finite(value, "value")
    if x == 0:
        return "0"
    if digits is None:
        d = Decimal(repr(x))
    else:
        if not isinstance(digits, int) or isinstance(digits, bool) or digits < 1:
            raise ValueError(f"digits must be a whole number of at least 1, got {digits!r}")
        d = Decimal(f"{x:.{digits - 1}e}")
    text = format(d, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    if len(text) > _LONGEST:
        text = repr(x) if digits is None else f"{x:.{digits - 1}e}"
    return text


def image_html(name, alt="", width=None):
    """The ``<img>`` that shows a question's embedded file ``name``.

    >>> image_html("net.svg", alt="the network", width=320)
    '<img src="@@PLUGINFILE@@/net.svg" alt="the network" width="320"/>'
    """
    _check_file_name(name)
    size = "" if width is None else f' width="{int(width)}"'
    return f'<img src="@@PLUGINFILE@@/{name}" alt="{html.escape(alt)}"{size}/>'


def _check_file_name(name):
    if not isinstance(name, str) or not _FILE_NAME.match(name):
        raise ValueError(f"an image file name must be letters, digits, '.', '_' or '-' "
                         f"(not starting with '.', '_' or '-'), got {name!r}")


def _clean(text):
    """``text`` with the characters XML 1.0 forbids replaced by U+FFFD."""
    return _NOT_XML.sub("\ufffd", str(text))


def cloze_text(html_text):
    """HTML for the text around cloze blanks: every ``{`` that Moodle could read as the
    start of a blank (``{1:NUMERICAL:``, ``{:SA:``) or of a place (``{#1}``) becomes
    ``&#123;``; all other text, TeX included, is left as it is.

    >>> cloze_text(r"\\(w_{1}\\) {1:NUMERICAL:=9} {#2} {")
    '\\\\(w_{1}\\\\) &#123;1:NUMERICAL:=9} &#123;#2} &#123;'
    """
    return _CLOZE_BRACE.sub("&#123;", html_text)


def blank(weight, value, tol):
    """The cloze blank of one numerical part: ``{weight:NUMERICAL:=value:tolerance}``.

    >>> blank(1, 0.162647, 5e-05), blank(2, -3, 0)
    ('{1:NUMERICAL:=0.162647:0.00005}', '{2:NUMERICAL:=-3:0}')
    """
    if not isinstance(weight, int) or isinstance(weight, bool) or weight < 1:
        raise ValueError(f"a blank's weight must be a whole number of at least 1, got {weight!r}")
    t = _finite(tol, "tolerance")
    if t < 0:
        raise ValueError(f"a tolerance must not be negative, got {tol!r}")
    return f"{{{weight}:NUMERICAL:={number(value)}:{number(t)}}}"


def weights(points, n):
    """The weights of ``n`` blanks that share ``points`` evenly. Moodle's weights are
    whole numbers and a cloze question's mark is their sum, so ``points`` split into
    whole shares when it can (6 points, 3 blanks: 2 each) and every blank weighs 1
    otherwise (the question is then worth ``n``; a quiz can rescale a slot's mark).

    >>> weights(6, 3), weights(1, 3), weights(2.5, 2)
    ([2, 2, 2], [1, 1, 1], [1, 1])
    """
    share = _finite(points, "points") / n
    return [int(share)] * n if share >= 1 and share == int(share) else [1] * n


def category_path(*names):
    """The Moodle path of nested categories under the course's top category, each name
    escaped as ``assemble_category_path`` does.

    >>> category_path("Sheet 3", "q1 a/b")
    '$course$/top/Sheet 3/q1 a//b'
    >>> category_path("/x/")
    '$course$/top/ //x// '
    """
    parts = [TOP]
    for name in names:
        name = str(name).strip()
        if not name:
            raise ValueError("a category name must not be empty")
        escaped = name.replace("/", "//")
        if escaped.startswith("/"):
            escaped = " " + escaped
        if escaped.endswith("/"):
            escaped += " "
        parts.append(escaped)
    return "/".join(parts)


def _text(parent, tag, content, **attrs):
    element = ET.SubElement(parent, tag, attrs)
    ET.SubElement(element, "text").text = _clean(content)
    return element


def _question_html(q):
    """The question text and the Moodle type of ``q``: essay (no numerical answer: a
    derivation, graded by hand), numerical (one) or cloze (several)."""
    if not q.parts:
        return q.text_html, "essay"
    if len(q.parts) == 1:
        label = q.parts[0].label
        return q.text_html + (f"\n<p>{label}</p>" if label else ""), "numerical"
    rows = []
    for part, w in zip(q.parts, weights(q.points, len(q.parts))):
        rows.append(f"<tr><td>{cloze_text(part.label)}</td>"
                    f"<td>{blank(w, part.value, part.tolerance)}</td></tr>")
    table = '<table class="backprop-parts">\n' + "\n".join(rows) + "\n</table>"
    return cloze_text(q.text_html) + "\n" + table, "cloze"


def _check(q):
    points = _finite(q.points, "points")
    if points <= 0:
        raise ValueError(f"question {q.name!r}: points must be positive, got {q.points!r}")
    for part in q.parts:
        _finite(part.value, "value")
        if _finite(part.tolerance, "tolerance") < 0:
            raise ValueError(f"question {q.name!r}: a tolerance must not be negative")
    seen = set()
    for name, data in q.images:
        _check_file_name(name)
        if name in seen:
            raise ValueError(f"question {q.name!r}: two images named {name!r}")
        if not isinstance(data, (bytes, bytearray)):
            raise ValueError(f"question {q.name!r}: image {name!r} must be bytes")
        seen.add(name)


def _question(quiz, q):
    _check(q)
    text, kind = _question_html(q)
    element = ET.SubElement(quiz, "question", type=kind)
    _text(element, "name", q.name)
    qtext = _text(element, "questiontext", text, format="html")
    for name, data in q.images:
        f = ET.SubElement(qtext, "file", name=name, path="/", encoding="base64")
        f.text = base64.b64encode(bytes(data)).decode("ascii")
    _text(element, "generalfeedback", q.feedback_html, format="html")
    if kind in ("numerical", "essay"):
        ET.SubElement(element, "defaultgrade").text = number(q.points)
    ET.SubElement(element, "penalty").text = PENALTY
    ET.SubElement(element, "hidden").text = "0"
    if kind == "essay":  # the fields Moodle's import_essay reads (question/format/xml/format.php)
        ET.SubElement(element, "responseformat").text = "editor"
        ET.SubElement(element, "responserequired").text = "1"
        ET.SubElement(element, "responsefieldlines").text = "15"
        ET.SubElement(element, "attachments").text = "0"
        _text(element, "graderinfo", q.feedback_html, format="html")
    if kind == "numerical":
        part = q.parts[0]
        answer = ET.SubElement(element, "answer", fraction="100", format="moodle_auto_format")
        ET.SubElement(answer, "text").text = number(part.value)
        ET.SubElement(answer, "tolerance").text = number(part.tolerance)
        _text(answer, "feedback", "", format="html")
        # no units: what Moodle's exporter writes for a numerical question without any
        ET.SubElement(element, "unitgradingtype").text = "0"
        ET.SubElement(element, "unitpenalty").text = "0.1"
        ET.SubElement(element, "showunits").text = "3"
        ET.SubElement(element, "unitsleft").text = "0"


def write(categories, title=None):
    """The whole Moodle XML file (UTF-8 bytes): for each category a
    ``<question type="category">`` naming ``$course$/top/NAME`` (``$course$/top/TITLE/NAME``
    when ``title`` is given, so a sheet's problems sit under one category), then its
    questions in order.

    >>> q = Question("q1 variant 1", "<p>Find \\\\(y\\\\).</p>", [Part("\\\\(y\\\\) =", 0.25, 5e-05)])
    >>> xml = write([Category("q1", [q])]).decode()
    >>> "<text>$course$/top/q1</text>" in xml, "<tolerance>0.00005</tolerance>" in xml
    (True, True)
    """
    quiz = ET.Element("quiz")
    quiz.append(ET.Comment(" written by backprop-solver (solver/moodle.py) "))
    for category in categories:
        names = ([title] if title is not None else []) + [category.name]
        c = ET.SubElement(quiz, "question", type="category")
        _text(c, "category", _clean(category_path(*names)))
        _text(c, "info", "", format="html")
        for q in category.questions:
            _question(quiz, q)
    ET.indent(quiz, space="  ")
    # empty elements as <text></text>, the way Moodle's exporter writes them
    return (b'<?xml version="1.0" encoding="UTF-8"?>\n'
            + ET.tostring(quiz, encoding="unicode", short_empty_elements=False).encode("utf-8") + b"\n")
