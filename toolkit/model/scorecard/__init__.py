"""The scorecard: a fitted EBM compiled into plain JSON that scores without interpret.

``from toolkit.model.scorecard import Scorecard, compile_ebm`` is the way in (the old path
``toolkit.scorecard`` maps here, see :mod:`toolkit._compat`). The package is split along its
jobs: :mod:`.card` (the :class:`Scorecard` class), :mod:`.format` (the JSON document and its
validation), :mod:`.plan` (Polars binning and lookup), :mod:`.merge` (the one "merge equal
adjacent bins" rule: merged terms for SQL, ranges for shapes), :mod:`.reasons`,
:mod:`.explain` (importances, shapes, interaction tables) and :mod:`.compile` (from a fitted
EBM). The names below are every name code imported from the single module this used to be.
"""

from toolkit.model.scorecard.card import (CHUNK_ROWS, DECISION_COLUMN, PROBABILITY_COLUMN,
                                          SCORE_CHUNK_ROWS, Scorecard, _inv_logit)
from toolkit.model.scorecard.compile import _fold_unseen_into_other, compile_ebm
from toolkit.model.scorecard.explain import (MISSING_LABEL, UNSEEN_LABEL, InteractionTable,
                                             ShapeBin)
from toolkit.model.scorecard.format import (FORMAT, FORMAT_VERSION, MAX_JSON_DEPTH,
                                            MAX_TERM_FEATURES, _dumps, _plain, _validate)
from toolkit.model.scorecard.merge import MergedAxis, MergedTerm, _run_starts
from toolkit.model.scorecard.reasons import _signed, _value_text

__all__ = [
    "CHUNK_ROWS", "DECISION_COLUMN", "FORMAT", "FORMAT_VERSION", "InteractionTable",
    "MAX_JSON_DEPTH", "MAX_TERM_FEATURES", "MISSING_LABEL", "MergedAxis", "MergedTerm",
    "PROBABILITY_COLUMN", "SCORE_CHUNK_ROWS", "Scorecard", "ShapeBin", "UNSEEN_LABEL",
    "compile_ebm",
]
