"""One exception type for user mistakes, so shells can print a message instead of a traceback."""

from __future__ import annotations


class SegkitError(Exception):
    """A problem the user can fix (bad file, bad column, bad rule).

    The CLI and the TUI catch this type and show ``str(error)`` alone; anything else is a bug
    and keeps its traceback.
    """


class DataError(SegkitError):
    """The input table is unusable as given: missing columns, wrong types, empty, ..."""


class LeakageError(SegkitError):
    """The leakage audit refused one or more features."""
