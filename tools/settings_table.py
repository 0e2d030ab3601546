"""Print the README's settings table (variable, default, meaning) from the Settings model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from undersign.settings import PACKAGE_DIR, REPO_ROOT, Settings


def shown_path(path: Path) -> str:
    """Show a shipped file's path as it reads on any clone or install (``<repo>/...``), never this machine's."""
    for root in (PACKAGE_DIR, REPO_ROOT):
        if path.is_relative_to(root):
            return f"<repo>/{path.relative_to(root).as_posix()}"
    return str(path)


def _default(field: FieldInfo) -> str | None:
    if field.default_factory is not None:
        value: Any = field.default_factory()  # type: ignore[call-arg]
        if isinstance(value, BaseModel):
            return None
        if isinstance(value, Path):
            return shown_path(value)
        return repr(value) if value else "(empty)"
    value = field.default
    if value is None:
        return "(unset)"
    if hasattr(value, "get_secret_value"):
        return "(empty)" if not value.get_secret_value() else "***"
    return str(getattr(value, "value", value))


def rows() -> list[tuple[str, str | None, str]]:
    """Return (variable, default, meaning) for every setting."""
    out: list[tuple[str, str | None, str]] = []
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            for sub, sub_field in annotation.model_fields.items():
                out.append(
                    (f"UNDERSIGN_{name.upper()}__{sub.upper()}", _default(sub_field), sub_field.description or "")
                )
        else:
            out.append((f"UNDERSIGN_{name.upper()}", _default(field), field.description or ""))
    return out


if __name__ == "__main__":
    print("| variable | default | meaning |\n|---|---|---|")
    for variable, default, meaning in rows():
        print(f"| `{variable}` | `{default}` | {meaning} |")
