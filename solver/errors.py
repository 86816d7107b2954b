"""The one error type for bad input, shared by every stage.

Every command turns an :class:`InputError` into exit code 2 and a single line on
stderr, ``FILE: KEY: MESSAGE``, and never shows a traceback for it.
"""


def one_line(text):
    r"""``text`` with every character that is not printable (a line break, a tab, a
    control character) written as its escape, so that a message stays one line.

    >>> one_line("a\nb\tc\x07")
    'a\\nb\\tc\\x07'
    """
    text = str(text)
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def plural(n, word):
    """A count and its noun, in the singular for one: the one way messages and documents
    write a count.

    >>> plural(1, "unit"), plural(3, "output unit"), plural(0, "sample")
    ('1 unit', '3 output units', '0 samples')
    """
    return f"{n} {word}" + ("" if n == 1 else "s")


class InputError(Exception):
    """Bad input: which file, which key path, what was expected.

    The file, the key and the message are made one line each (see :func:`one_line`).

    >>> str(InputError("p.yaml", "network.sizes[1]", "expected a positive whole number, got -3"))
    'p.yaml: network.sizes[1]: expected a positive whole number, got -3'
    """

    def __init__(self, file, key, message):
        self.file, self.key, self.message = one_line(file), one_line(key), one_line(message)
        super().__init__(f"{self.file}: {self.key}: {self.message}" if key else f"{self.file}: {self.message}")
