"""Reading a column roles file: the one file ``segkit train`` and ``segkit segment`` both read.

Why here: training (:mod:`toolkit.model`) and segmentation (:mod:`toolkit.segments`) both use
it, and ``data`` is the layer below both. The file is JSON, or YAML for ``.yaml``/``.yml``::

    {"segment": [...], "describe": [...], "ignore": [...], "id": "...", "target": "..."}

every key optional. ``segment`` / ``describe`` matter to ``segkit segment`` only; ``id``,
``target`` and ``ignore`` (columns neither clustered nor used as model features) to both.
What each role means is in :mod:`toolkit.segments.roles`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import DataError

ROLES_KEYS = ("segment", "describe", "ignore", "id", "target")


@dataclass(frozen=True)
class RolesSpec:
    """Roles stated by the user (a roles file and/or options); None: not stated."""

    segment: tuple[str, ...] | None = None
    describe: tuple[str, ...] | None = None
    ignore: tuple[str, ...] = ()
    id: str | None = None
    target: str | None = None
    source: str = "options"


def read_roles_file(path: str | Path) -> RolesSpec:
    """A roles file (JSON, or YAML for .yaml/.yml), checked: known keys, lists of names."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except OSError as exc:
        raise DataError(f"cannot read the roles file {p}: {exc.strerror or exc}") from None
    try:
        if p.suffix.lower() in (".yaml", ".yml"):
            from ruamel.yaml import YAML
            from ruamel.yaml.error import YAMLError

            try:
                data = YAML(typ="safe", pure=True).load(text)
            except YAMLError as exc:
                raise DataError(f"the roles file {p} is not valid YAML: {str(exc).splitlines()[0]}") from None
        else:
            data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataError(f"the roles file {p} is not valid JSON: {exc.msg} (line {exc.lineno})") from None
    if not isinstance(data, dict):
        raise DataError(f"the roles file {p} must be a mapping with keys {', '.join(ROLES_KEYS)}")
    unknown = sorted(set(map(str, data)) - set(ROLES_KEYS))
    if unknown:
        raise DataError(f"the roles file {p} has unknown keys {', '.join(unknown)}; known: {', '.join(ROLES_KEYS)}")

    def names(key: str) -> tuple[str, ...] | None:
        value = data.get(key)
        if value is None:
            return None
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            raise DataError(f"the roles file {p}: {key!r} must be a list of column names")
        return tuple(dict.fromkeys(value))

    for key in ("id", "target"):
        if data.get(key) is not None and not isinstance(data[key], str):
            raise DataError(f"the roles file {p}: {key!r} must be one column name")
    return RolesSpec(segment=names("segment"), describe=names("describe"), ignore=names("ignore") or (),
                     id=data.get("id"), target=data.get("target"), source=f"roles file {p.name}")
