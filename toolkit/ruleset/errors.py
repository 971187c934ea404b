"""Errors of rulesets: every one a :class:`~toolkit.errors.SegkitError` (one readable line)."""

from __future__ import annotations

from toolkit.errors import SegkitError

class RulesetError(SegkitError):
    """A ruleset file or object that cannot be used (bad YAML, missing key, duplicate id...)."""



class YamlSyntaxError(RulesetError):
    """A ruleset file that is not valid YAML; ``line`` and ``col`` (1-based) say where."""

    def __init__(self, message: str, line: int | None = None, col: int | None = None):
        super().__init__(message)
        self.line = line
        self.col = col



__all__ = ["RulesetError", "YamlSyntaxError"]
