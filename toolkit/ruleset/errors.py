"""Errors of rulesets: every one a :class:`~toolkit.errors.SegkitError` (one readable line).

Where a mistake is travels as fields, not inside the text: ``line`` and ``col`` (1-based,
in the YAML file), ``segment`` (the id of the segment it is in) and ``source`` (the file).
``str(error)`` renders them the way the CLI has always printed them; an editor reads the
fields (:func:`toolkit.ruleset.editing.parse_text`) and never parses a message. A rule's
own errors are :class:`toolkit.rules.RuleError`, which carry the same fields for the file
(``file_line``, ``file_col``, ``segment``) beside their position inside the rule.
"""

from __future__ import annotations

from toolkit.errors import SegkitError


class RulesetError(SegkitError):
    """A ruleset file or object that cannot be used (bad YAML, missing key, duplicate id...).

    ``message`` says what is wrong; ``line``/``col`` (1-based) and ``segment`` say where,
    when known. With ``source`` the text reads ``"<source>, line <line>: <message>"`` (or
    ``"<source>: <message>"`` without a line); without it, the message alone.
    """

    def __init__(self, message: str, line: int | None = None, col: int | None = None,
                 segment: str | None = None, source: str | None = None):
        self.message = message
        self.line = line
        self.col = col
        self.segment = segment
        self.source = source
        super().__init__(self._render())

    def _render(self) -> str:
        if self.source is None:
            return self.message
        if self.line is None:
            return f"{self.source}: {self.message}"
        return f"{self.source}, line {self.line}: {self.message}"

    def __reduce__(self):  # keep the fields through pickling (worker processes, copies)
        return (type(self), (self.message, self.line, self.col, self.segment, self.source),
                self.__dict__)


class YamlSyntaxError(RulesetError):
    """A ruleset file that is not valid YAML; ``line`` and ``col`` (1-based) say where.

    ``message`` is the plain-words fix; the text reads
    ``"<source>: YAML syntax error at line <line>, col <col>: <message>"``.
    """

    def _render(self) -> str:
        where = f"{self.source}: " if self.source is not None else ""
        at = f" at line {self.line}, col {self.col}" if self.line is not None else ""
        return f"{where}YAML syntax error{at}: {self.message}"


__all__ = ["RulesetError", "YamlSyntaxError"]
