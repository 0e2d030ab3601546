"""Path and query parameters with bounds, so an out-of-range number is a 422 and never reaches a driver.

Versions are 32-bit columns; 2^63 in a URL used to answer 500 on SQLite, and 2^31 on PostgreSQL.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from domain.bounds import MAX_VERSION

VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION, description="A version number, from 1")]
