"""Editing a ruleset as text: error positions, structured edits, safe saves, conflicts.

What an editor (the TUI's Rules screen) needs besides the figures, which come from
:mod:`toolkit.ruleset.coverage`:

* :func:`parse_text` -- the YAML text to a :class:`~toolkit.ruleset.Ruleset` or one
  :class:`Problem` with its line and column *in the file* (YAML syntax errors, bad keys, and
  rule errors inside a ``rule:`` value, including unknown columns when the data's columns
  are given), read from the fields the loader's errors carry;
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
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

from toolkit.errors import SegkitError
from toolkit.data.files import atomic_write_text
from toolkit.ruleset.errors import RulesetError
from toolkit.ruleset.model import Ruleset
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
