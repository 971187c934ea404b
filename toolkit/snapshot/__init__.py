"""Raw logs (orders, sessions, marketing events, profiles) -> the customer table at a date.

``load_sources`` reads and checks the logs, ``build_snapshot`` computes the point-in-time
features and the label, ``write_snapshot`` writes the table and its ``.snapshot.json``
sidecar. The features are listed, with their formulas, in :mod:`toolkit.snapshot.features`.
"""

from toolkit.snapshot.build import (Snapshot, build_snapshot, label_name, select_features,
                                    sidecar_path, write_snapshot)
from toolkit.snapshot.sources import LogSources, Table, load_sources

__all__ = ["LogSources", "Snapshot", "Table", "build_snapshot", "label_name", "load_sources",
           "select_features", "sidecar_path", "write_snapshot"]
