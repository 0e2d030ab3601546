"""The complete table metadata: importing this module registers every area's tables.

Each area keeps its tables in its own module on the shared ``metadata``; add the import here.
"""

from __future__ import annotations

from undersign.storage.tables import metadata

__all__ = ["metadata"]
