"""Errors raised for a rule's text, each pointing at the place in the rule that is wrong.

Every error is a :class:`toolkit.errors.SegkitError`, so shells print ``str(error)`` alone:
``line 1, col 14: expected a value after '>='`` followed by the rule's line and a caret.
Positions are fields: ``line``/``col`` inside the rule's text and, once the rule is known
to come from a ruleset file (:meth:`RuleError.in_file`), ``file_line``/``file_col`` in that
file and the ``segment`` id, so an editor never reads a position out of the message.
"""

from __future__ import annotations

import copy

from toolkit.errors import SegkitError


def caret_display(text: str, line: int, col: int) -> str:
    """The rule's ``line`` (1-based) indented, with a caret under ``col`` (1-based)."""
    lines = text.splitlines() or [""]
    if not 1 <= line <= len(lines):
        return ""
    shown = lines[line - 1].replace("\t", " ")
    width = max(col - 1, 0)
    return f"  {shown}\n  {' ' * width}^"


class RuleError(SegkitError):
    """A rule that cannot be used: the message names the line and column of the problem.

    ``line``/``col`` (1-based) are inside the rule's text; ``file_line``/``file_col`` and
    ``segment`` are set by :meth:`in_file` when the rule was read from a ruleset file.
    """

    def __init__(self, message: str, text: str = "", line: int = 1, col: int = 1):
        self.message = message
        self.text = text
        self.line = line
        self.col = col
        self.context = ""
        self.segment: str | None = None
        self.file_line: int | None = None
        self.file_col: int | None = None
        super().__init__(self._render())

    def _render(self) -> str:
        display = caret_display(self.text, self.line, self.col) if self.text else ""
        full = f"line {self.line}, col {self.col}: {self.message}"
        if self.context:
            full = f"{self.context}: {full}"
        if display:
            full += "\n" + display
        return full

    def in_context(self, context: str) -> "RuleError":
        """A copy of this error whose message starts with ``context`` (file, segment id...)."""
        clone = copy.copy(self)
        clone.context = f"{context}: {self.context}" if self.context else context
        clone.args = (clone._render(),)
        return clone

    def in_file(self, context: str, segment: str, file_line: int | None,
                file_col: int | None) -> "RuleError":
        """:meth:`in_context`, plus where the problem is in the ruleset file (1-based) and
        the id of the segment whose rule it is."""
        clone = self.in_context(context)
        clone.segment = segment
        clone.file_line = file_line
        clone.file_col = file_col
        return clone


class RuleSyntaxError(RuleError):
    """The text is not a rule: a bad token, a missing value, an unclosed parenthesis, ..."""


class RuleColumnError(RuleError):
    """The rule names a column the data does not have."""

    def __init__(self, message: str, text: str = "", line: int = 1, col: int = 1,
                 column: str = "", suggestions: tuple[str, ...] = ()):
        self.column = column
        self.suggestions = suggestions
        super().__init__(message, text, line, col)


class RuleTypeError(RuleError):
    """The rule compares a column with a value of the wrong kind (text with a number, ...)."""
