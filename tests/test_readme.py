"""The README documents every setting by its environment variable name."""

from __future__ import annotations

from pydantic import BaseModel

from undersign.settings import REPO_ROOT, Settings


def every_setting_variable() -> list[str]:
    """Return the environment variable name of every setting."""
    names: list[str] = []
    for name, field in Settings.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names += [f"UNDERSIGN_{name.upper()}__{sub.upper()}" for sub in annotation.model_fields]
        else:
            names.append(f"UNDERSIGN_{name.upper()}")
    return names


class TestReadme:
    def test_every_setting_is_in_the_settings_table(self) -> None:
        """Each setting's variable appears in the README's settings table."""
        readme = (REPO_ROOT / "README.md").read_text()
        missing = [name for name in every_setting_variable() if f"| `{name}` |" not in readme]
        assert missing == []
