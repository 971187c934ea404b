"""Editing a ruleset interactively: live coverage, error positions, safe saves, conflicts.

Why a module: an editor (the TUI's Rules screen) re-checks the ruleset on every pause in
typing. :func:`toolkit.ruleset.ops.check` answers the same questions but evaluates every
rule and a first-match ``CASE`` from scratch; here :class:`CoverageEngine` keeps each rule's
match mask (keyed by the parsed rule, so spacing edits are free) and combines masks with
NumPy, so one edited rule on 180K customers costs one Polars expression plus a few
milliseconds. Its figures equal :func:`~toolkit.ruleset.ops.check`'s (tested), plus what an
editor needs: the change against the saved version (customers moving in and out) and the
fidelity to the clusters the rules were distilled from, when the run has
``assignments.parquet``.

* :func:`parse_text` -- the YAML text to a :class:`~toolkit.ruleset.Ruleset` or one
  :class:`Problem` with its line and column *in the file* (YAML syntax errors, bad keys, and
  rule errors inside a ``rule:`` value, including unknown columns when the data's columns
  are given);
* :func:`segment_spans` / :func:`segment_at` / :func:`rule_location` -- which segment a line
  of the file belongs to, where a rule starts;
* :func:`rename_in_text` / :func:`move_in_text` -- structured edits as text in, text out
  (through :meth:`Ruleset.rename_segment`, :meth:`Ruleset.move_segment`, comments kept);
* :class:`EditSession` -- the file being edited: what was saved, whether the file changed on
  disk since (mtime, size and SHA-256), atomic save (:meth:`Ruleset.save`) that refuses to
  overwrite a changed file, save-as, reload, and a recovery copy of unsaved text.
"""

from __future__ import annotations

import hashlib
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np
import polars as pl

from toolkit.errors import SegkitError
from toolkit.fileio import atomic_write_text
from toolkit.ruleset.errors import RulesetError
from toolkit.ruleset.model import APPLY_CHUNK, Ruleset
from toolkit.ruleset.ops import CoverageFindings, OverlapCounter, require_rule_columns
from toolkit.ruleset.yaml_load import load_text

# --------------------------------------------------------------------------------------------
# parsing with positions


@dataclass
class Problem:
    """Why the text is not a usable ruleset, and where (1-based, in the YAML file)."""

    message: str
    line: int | None = None
    col: int | None = None
    segment: str | None = None

    def __str__(self) -> str:
        return self.message


def _problem(exc: SegkitError) -> Problem:
    """The editor's view of an error from loading: its words and the place fields it carries
    (never a position read back out of the message)."""
    from toolkit.rules import RuleError

    if isinstance(exc, RuleError):
        if exc.segment is None:
            return Problem(str(exc))
        where = f"line {exc.file_line}, col {exc.file_col}: " if exc.file_line else ""
        return Problem(f"{where}segment '{exc.segment}': {exc.message}", exc.file_line,
                       exc.file_col, exc.segment)
    if isinstance(exc, RulesetError):
        return Problem(str(exc), exc.line, exc.col, exc.segment)
    return Problem(str(exc))


def parse_text(text: str, columns: Mapping[str, object] | Sequence[str] | None = None,
               source: str = "segments.yaml") -> tuple[Ruleset | None, Problem | None]:
    """``(ruleset, None)`` when ``text`` is a valid ruleset, else ``(None, problem)``.

    With ``columns`` (names, or name -> dtype) each rule is also checked against the data:
    an unknown column or a text compared with a number is a problem at its position. The
    YAML is parsed once; the loader's errors carry their place in the file as fields.
    """
    try:
        return load_text(text, source, columns), None
    except SegkitError as exc:
        return None, _problem(exc)


# --------------------------------------------------------------------------------------------
# where segments are in the text


@dataclass(frozen=True)
class SegmentSpan:
    """Lines (0-based, ``end`` exclusive) of one segment's block in the YAML text."""

    id: str
    start: int
    end: int
    is_default: bool = False


_ITEM = re.compile(r"^(\s*)-\s+id:\s*['\"]?([^'\"\s#]+)")
_DEFAULT = re.compile(r"^default:\s*(#.*)?$")
_TOP = re.compile(r"^[A-Za-z_]")
_DEFAULT_ID = re.compile(r"^\s+id:\s*['\"]?([^'\"\s#]+)")


def segment_spans(text: str) -> list[SegmentSpan]:
    """Segment blocks found by layout (works while the text does not parse)."""
    lines = text.splitlines()
    spans: list[SegmentSpan] = []
    current: list | None = None  # [id, start, is_default]
    for i, line in enumerate(lines):
        item = _ITEM.match(line)
        top = _TOP.match(line)
        if (item or top) and current is not None:
            spans.append(SegmentSpan(current[0], current[1], i, current[2]))
            current = None
        if item:
            current = [item.group(2), i, False]
        elif top and _DEFAULT.match(line):
            current = ["", i, True]
        elif current is not None and current[2] and not current[0]:
            found = _DEFAULT_ID.match(line)
            if found:
                current[0] = found.group(1)
    if current is not None:
        spans.append(SegmentSpan(current[0], current[1], len(lines), current[2]))
    return [s for s in spans if s.id]


def segment_at(text: str, line: int) -> str | None:
    """The id of the segment whose block holds ``line`` (0-based), or None."""
    for s in segment_spans(text):
        if s.start <= line < s.end:
            return s.id
    return None


def rule_location(text: str, segment_id: str) -> tuple[int, int] | None:
    """(0-based line, 0-based col) where ``segment_id``'s rule text starts, or its block."""
    for s in segment_spans(text):
        if s.id != segment_id:
            continue
        lines = text.splitlines()
        for i in range(s.start, s.end):
            m = re.match(r"^(\s*(?:-\s+)?)rule:\s*", lines[i])
            if m:
                rest = lines[i][m.end():]
                if rest[:1] in ("|", ">") and i + 1 < s.end:
                    nxt = lines[i + 1]
                    return i + 1, len(nxt) - len(nxt.lstrip(" "))
                return i, m.end() + (1 if rest[:1] in ("'", '"') else 0)
        return s.start, 0
    return None


# --------------------------------------------------------------------------------------------
# structured edits as text


def rename_in_text(text: str, segment_id: str, new_name: str) -> str:
    """The text with ``segment_id``'s display name changed (the id stays)."""
    rs = Ruleset.loads(text)
    rs.rename_segment(segment_id, new_name)
    return rs.dumps()


def move_in_text(text: str, segment_id: str, delta: int) -> tuple[str, int]:
    """The text with ``segment_id`` moved ``delta`` places (-1: checked earlier); new index.

    The default segment cannot move (it is always last), nor can a segment move past the
    ends: both raise a :class:`RulesetError` saying so.
    """
    rs = Ruleset.loads(text)
    if segment_id == rs.default.id:
        raise RulesetError(f"'{segment_id}' is the default segment: it always comes last")
    index = rs.index(segment_id)
    new = index + delta
    if not 0 <= new < len(rs.segments):
        where = "first" if new < 0 else "last"
        raise RulesetError(f"'{segment_id}' is already {where}")
    rs.move_segment(segment_id, new)
    return rs.dumps(), new


# --------------------------------------------------------------------------------------------
# live coverage


@dataclass
class LiveSegment:
    id: str
    name: str
    position: int | None          # None: default segment
    matched: int                  # rows the rule matches alone (default: rows no rule matches)
    assigned: int                 # rows it gets under first-match order
    share: float
    saved_assigned: int | None    # the same segment under the saved ruleset (None: new)
    moved_in: int = 0             # customers that were elsewhere in the saved version
    moved_out: int = 0            # customers that were here and are elsewhere now
    purchase_rate: float | None = None
    mean_probability: float | None = None

    @property
    def change(self) -> int | None:
        return None if self.saved_assigned is None else self.assigned - self.saved_assigned


@dataclass
class LiveCoverage(CoverageFindings):
    """Coverage of an edited ruleset (figures as :func:`toolkit.ruleset.ops.check` gives)."""

    rows: int
    segments: list[LiveSegment]
    overlap: dict[str, dict[str, int]]
    empty: list[str] = field(default_factory=list)
    unreachable: list[str] = field(default_factory=list)
    moved: int | None = None          # customers whose segment differs from the saved version
    fidelity: float | None = None     # share in the segment their cluster became
    saved_fidelity: float | None = None
    seconds: float = 0.0


class CoverageEngine:
    """Coverage of rulesets on one frame, reusing every rule's match mask across calls.

    ``clusters`` (cluster number per row, e.g. from assignments.parquet) with
    ``cluster_segments`` (cluster -> segment id) enables the fidelity figure; ``target``
    and ``probability`` (0/1 outcome, predicted probability per row) enable the per-segment
    purchase rate and mean probability.
    """

    MAX_CACHED = 512

    def __init__(self, frame: pl.DataFrame, saved: Ruleset | None = None, *,
                 clusters: np.ndarray | pl.Series | None = None,
                 cluster_segments: Mapping[int, str] | None = None,
                 target: str | None = None, probability: str | None = None):
        self.frame = frame
        self.schema = frame.schema
        self.n = frame.height
        self._masks: dict[tuple, np.ndarray] = {}
        self._y = self._column(target)
        self._p = self._column(probability)
        self._codes: dict[str, int] = {"": 0}  # segment id -> small integer, stable per engine
        self._cluster_seg: np.ndarray | None = None
        if clusters is not None and cluster_segments:
            c = clusters if isinstance(clusters, pl.Series) else pl.Series(np.asarray(clusters))
            mapping = {int(k): self._code(v) for k, v in cluster_segments.items()}
            self._cluster_seg = (c.cast(pl.Int64, strict=False)
                                 .replace_strict(mapping, default=0, return_dtype=pl.Int64)
                                 .fill_null(0).to_numpy())
        self.saved: Ruleset | None = None
        self._saved_ids: np.ndarray | None = None
        self.set_saved(saved)

    def _code(self, segment_id: str) -> int:
        return self._codes.setdefault(segment_id, len(self._codes))

    def _column(self, name: str | None) -> np.ndarray | None:
        if name is None or name not in self.frame.columns:
            return None
        return self.frame.get_column(name).cast(pl.Float64).to_numpy()

    @property
    def has_clusters(self) -> bool:
        return self._cluster_seg is not None

    def set_saved(self, saved: Ruleset | None) -> None:
        """The version changes are measured against (call after a save or reload)."""
        self.saved = saved
        self._saved_ids = self._assign(saved)[0] if saved is not None else None

    # -- masks ----------------------------------------------------------------------------
    def _masks_for(self, ruleset: Ruleset) -> list[np.ndarray]:
        from toolkit.rules import to_polars

        nan = ruleset.nan_columns(self.schema)
        keys = []
        todo: dict[tuple, pl.Expr] = {}
        for s in ruleset.segments:
            node = s.node
            key = (node, frozenset(c for c in s.columns if c in nan))
            keys.append(key)
            if key not in self._masks and key not in todo:
                todo[key] = to_polars(node, set(key[1]), self.schema).fill_null(False)
        if todo:
            missing = ruleset.missing_columns(self.frame.columns)
            if missing:
                require_rule_columns(ruleset, self.frame)
            names = [f"m{i}" for i in range(len(todo))]
            out = self.frame.select([e.alias(nm) for e, nm in zip(todo.values(), names)])
            if len(self._masks) + len(todo) > self.MAX_CACHED:
                self._masks.clear()
            for key, nm in zip(todo, names):
                self._masks[key] = out.get_column(nm).to_numpy().astype(bool, copy=False)
        return [self._masks[k] for k in keys]

    def _first(self, masks: list[np.ndarray]) -> np.ndarray:
        """Index of the first matching rule per row; ``len(masks)`` (the default) for none."""
        if not masks:
            return np.zeros(self.n, dtype=np.int64)
        stack = np.vstack(masks)
        first = np.argmax(stack, axis=0)
        first[~stack.any(axis=0)] = len(masks)
        return first

    def _assign(self, ruleset: Ruleset) -> tuple[np.ndarray, list[np.ndarray]]:
        """Segment code per row (first match wins; see ``_code``) and the masks."""
        masks = self._masks_for(ruleset)
        codes = np.array([self._code(i) for i in ruleset.ids], dtype=np.int64)
        return codes[self._first(masks)], masks

    def assign(self, ruleset: Ruleset) -> np.ndarray:
        """Segment id per row, as :meth:`Ruleset.apply` gives (object array of str)."""
        labels, _ = self._assign(ruleset)
        names = np.empty(len(self._codes), dtype=object)
        for sid, code in self._codes.items():
            names[code] = sid
        return names[labels]

    # -- the figures ----------------------------------------------------------------------
    def coverage(self, ruleset: Ruleset) -> LiveCoverage:
        """Coverage, overlaps, empty/unreachable segments, change vs saved and fidelity."""
        started = time.perf_counter()
        ruleset.validate(self.schema)
        masks = self._masks_for(ruleset)
        k = len(masks)
        n = self.n
        first = self._first(masks)
        counts = np.bincount(first, minlength=k + 1)
        ids = [s.id for s in ruleset.segments]
        counter = OverlapCounter(ids, first)  # the same figures as `segkit rules check`
        for start in range(0, k, APPLY_CHUNK):
            block = masks[start:start + APPLY_CHUNK]
            counter.add(start, np.column_stack(block) if block else np.zeros((n, 0), dtype=bool))
        overlap = counter.result()
        matched = counter.matched
        rate = mean_p = None
        if self._y is not None:
            valid = ~np.isnan(self._y)
            sums = np.bincount(first[valid], weights=self._y[valid], minlength=k + 1)
            cnt = np.bincount(first[valid], minlength=k + 1)
            rate = [float(s / c) if c else None for s, c in zip(sums, cnt)]
        if self._p is not None:
            valid = ~np.isnan(self._p)
            sums = np.bincount(first[valid], weights=self._p[valid], minlength=k + 1)
            cnt = np.bincount(first[valid], minlength=k + 1)
            mean_p = [float(s / c) if c else None for s, c in zip(sums, cnt)]
        codes = np.array([self._code(i) for i in ruleset.ids], dtype=np.int64)
        labels = codes[first]
        size = len(self._codes)
        saved_counts: dict[str, int] = {}
        moved = None
        moved_in: dict[str, int] = {}
        moved_out: dict[str, int] = {}
        if self._saved_ids is not None:
            diff = labels != self._saved_ids
            moved = int(np.count_nonzero(diff))
            by_code = np.bincount(self._saved_ids, minlength=size)
            ins = np.bincount(labels[diff], minlength=size)
            outs = np.bincount(self._saved_ids[diff], minlength=size)
            for sid, code in self._codes.items():
                saved_counts[sid] = int(by_code[code])
                moved_in[sid] = int(ins[code])
                moved_out[sid] = int(outs[code])
        segments = []
        for i, s in enumerate([*ruleset.segments, ruleset.default]):
            is_default = i == k
            assigned = int(counts[i])
            segments.append(LiveSegment(
                id=s.id, name=s.name, position=None if is_default else i + 1,
                matched=assigned if is_default else matched[i], assigned=assigned,
                share=assigned / n if n else 0.0,
                saved_assigned=(saved_counts.get(s.id, 0) if self.saved is not None
                                and s.id in self.saved.ids else None),
                moved_in=moved_in.get(s.id, 0), moved_out=moved_out.get(s.id, 0),
                purchase_rate=rate[i] if rate else None,
                mean_probability=mean_p[i] if mean_p else None))
        empty = [s.id for s in segments if s.position is not None and s.matched == 0]
        unreachable = [s.id for s in segments if s.position is not None and s.matched > 0
                       and s.assigned == 0]
        fidelity = saved_fidelity = None
        if self._cluster_seg is not None and n:
            fidelity = float(np.mean(labels == self._cluster_seg))
            if self._saved_ids is not None:
                saved_fidelity = float(np.mean(self._saved_ids == self._cluster_seg))
        return LiveCoverage(n, segments, overlap, empty, unreachable, moved, fidelity,
                            saved_fidelity, time.perf_counter() - started)


# --------------------------------------------------------------------------------------------
# the file being edited


class ConflictError(SegkitError):
    """The file changed on disk since it was opened (or last saved) in the editor."""


@dataclass(frozen=True)
class FileStamp:
    """What a file looked like when read: modification time, size and content hash."""

    mtime_ns: int
    size: int
    sha256: str

    @classmethod
    def of(cls, path: str | Path) -> "FileStamp | None":
        p = Path(path)
        try:
            st = p.stat()
            data = p.read_bytes()
        except FileNotFoundError:
            return None
        return cls(st.st_mtime_ns, st.st_size, hashlib.sha256(data).hexdigest())

    @classmethod
    def of_text(cls, text: str) -> "FileStamp":
        data = text.encode("utf-8")
        return cls(0, len(data), hashlib.sha256(data).hexdigest())


def changed_since(path: str | Path, stamp: FileStamp | None) -> bool:
    """Whether ``path``'s content differs from ``stamp`` (a deleted or new file counts).

    The hash decides: a file touched without a change is not a conflict, and a change
    within the file system's timestamp resolution still is.
    """
    now = FileStamp.of(path)
    if now is None or stamp is None:
        return (now is None) != (stamp is None)
    if now.mtime_ns == stamp.mtime_ns and now.size == stamp.size and now.sha256 == stamp.sha256:
        return False
    return now.sha256 != stamp.sha256


class EditSession:
    """A ruleset file open in an editor: saved text, conflict checks, safe writes."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.saved_text = ""
        self.stamp: FileStamp | None = None
        self.reload()

    def reload(self) -> str:
        """Read the file again (the editor's text becomes this); '' when it does not exist."""
        try:
            text = self.path.read_text(encoding="utf-8") if self.path.exists() else ""
        except (OSError, UnicodeDecodeError) as exc:
            raise RulesetError(f"cannot read {self.path}: {exc}") from None
        self.saved_text = text
        self.stamp = FileStamp.of(self.path)
        return text

    def is_dirty(self, text: str) -> bool:
        return text != self.saved_text

    def changed_on_disk(self) -> bool:
        """Whether someone else changed the file since it was opened or last saved here."""
        return changed_since(self.path, self.stamp)

    def save(self, text: str, *, force: bool = False,
             columns: Mapping[str, object] | Sequence[str] | None = None) -> tuple[Ruleset, str]:
        """Parse ``text`` and write it atomically with :meth:`Ruleset.save`.

        Refuses (nothing written) when the text does not parse (:class:`RulesetError` or a
        rule error with its position) or, unless ``force``, when the file changed on disk
        since it was read (:class:`ConflictError`). Returns the ruleset and the text written
        (``Ruleset.dumps``: equal to ``text`` for files written by segkit).
        """
        ruleset, problem = parse_text(text, columns, source=str(self.path))
        if problem is not None:
            raise RulesetError(f"not saved: {problem.message}")
        if not force and self.changed_on_disk():
            raise ConflictError(f"{self.path} changed on disk since it was opened; reload it "
                                "(your edits are discarded) or save under another name")
        written = ruleset.dumps()
        ruleset.save(self.path)
        self.saved_text = written
        self.stamp = FileStamp.of(self.path)
        self.clear_recovery()
        return ruleset, written

    def save_as(self, text: str, path: str | Path, *, overwrite: bool = False,
                columns: Mapping[str, object] | Sequence[str] | None = None) -> tuple[Ruleset, str]:
        """Write ``text`` to ``path`` and keep editing that file from now on."""
        target = Path(path)
        if target.is_dir():
            raise SegkitError(f"{target} is a folder; give a file name ending in .yaml")
        if target.suffix.lower() not in (".yaml", ".yml"):
            raise SegkitError(f"{target}: a ruleset file name ends in .yaml or .yml")
        if target.exists() and not overwrite and target.resolve() != self.path.resolve():
            raise SegkitError(f"{target} already exists; choose another name")
        ruleset, problem = parse_text(text, columns, source=str(target))
        if problem is not None:
            raise RulesetError(f"not saved: {problem.message}")
        self.clear_recovery()
        written = ruleset.dumps()
        ruleset.save(target)
        self.path = target
        self.saved_text = written
        self.stamp = FileStamp.of(target)
        return ruleset, written

    # -- recovery of unsaved text ---------------------------------------------------------
    @property
    def recovery_path(self) -> Path:
        return self.path.with_name(f".{self.path.name}.unsaved")

    def write_recovery(self, text: str) -> None:
        """Keep unsaved text beside the file, so a crash or a killed terminal loses nothing."""
        if self.is_dirty(text):
            atomic_write_text(self.recovery_path, text)
        else:
            self.clear_recovery()

    def read_recovery(self) -> str | None:
        """Unsaved text left by an earlier session (None when there is none or it is saved)."""
        p = self.recovery_path
        if not p.exists():
            return None
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return None
        return text if text != self.saved_text else None

    def clear_recovery(self) -> None:
        self.recovery_path.unlink(missing_ok=True)
