"""The default payment ladder, read from its YAML file (re-read only when the file changes)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml

from domain.errors import TemplateInvalid


@functools.lru_cache(maxsize=8)
def _parse(path: Path, mtime_ns: int) -> dict[str, Any]:
    with path.open(encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, dict):
        raise TemplateInvalid(f"The ladder policy {path} is not a mapping.")
    return data


def read_ladder_policy(path: Path) -> dict[str, Any]:
    """Return the ladder policy file at ``path`` as data; an unreadable or malformed file is a clear error."""
    try:
        return _parse(path, path.stat().st_mtime_ns)
    except OSError as exc:
        raise TemplateInvalid(f"The ladder policy {path} cannot be read: {exc}") from exc
    except yaml.YAMLError as exc:
        raise TemplateInvalid(f"The ladder policy {path} is not valid YAML: {exc}") from exc
