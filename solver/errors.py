"""The one error type for bad input, shared by every stage.

Every command turns an :class:`InputError` into exit code 2 and a single line on
stderr, ``FILE: KEY: MESSAGE``, and never shows a traceback for it.
"""


class InputError(Exception):
    """Bad input: which file, which key path, what was expected.

    >>> str(InputError("p.yaml", "network.sizes[1]", "expected a positive whole number, got -3"))
    'p.yaml: network.sizes[1]: expected a positive whole number, got -3'
    """

    def __init__(self, file, key, message):
        self.file, self.key, self.message = str(file), key, message
        super().__init__(f"{self.file}: {key}: {message}" if key else f"{self.file}: {message}")
