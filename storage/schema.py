"""The complete table metadata: importing this module registers every area's tables.

Each area keeps its tables in its own module on the shared ``metadata``; add the import here.
"""

from __future__ import annotations

from storage import tables_audit as tables_audit
from storage import tables_dunning as tables_dunning
from storage import tables_envelopes as tables_envelopes
from storage import tables_evidence as tables_evidence
from storage import tables_integrations as tables_integrations
from storage import tables_risks as tables_risks
from storage import tables_tasks as tables_tasks
from storage import tables_templates as tables_templates
from storage import tables_users as tables_users
from storage.tables import metadata

__all__ = ["metadata"]
