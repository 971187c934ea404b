"""Rulesets: segments as an ordered list of human-editable rules, stored as YAML.

The package, by job (each module's docstring says more):

* :mod:`~toolkit.ruleset.model` -- :class:`Segment`, :class:`DefaultSegment`,
  :class:`Provenance` and :class:`Ruleset` (first match wins), applied in Polars or as SQL;
* :mod:`~toolkit.ruleset.ops` -- check, diff and export a ruleset;
* :mod:`~toolkit.ruleset.editing` -- what an editor needs: errors placed in the file, text
  edits, live coverage, safe saves.

``from toolkit.ruleset import Ruleset, Segment`` is the public way in; the names below are
re-exported so it keeps working whatever module a class lives in.
"""

from __future__ import annotations

from toolkit.ruleset.model import (
    APPLY_CHUNK, FORMAT, SOURCES, DefaultSegment, Provenance, Ruleset, RulesetError, Segment,
    YamlSyntaxError, as_frame, check_slug, slugify,
)

__all__ = ["Ruleset", "Segment", "DefaultSegment", "Provenance", "RulesetError", "YamlSyntaxError",
           "FORMAT", "SOURCES", "APPLY_CHUNK", "as_frame", "check_slug", "slugify"]
