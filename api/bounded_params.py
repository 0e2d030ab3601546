"""Path and query parameters with bounds, so an out-of-range number is a 422 and never reaches a driver.

Both databases store versions as 64-bit signed integers; 2^63 in a URL used to answer 500 on SQLite.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path

from domain.bounds import MAX_VERSION

VersionNumber = Annotated[int, Path(ge=1, le=MAX_VERSION, description="A version number, from 1")]
