"""The README documents every setting by its environment variable name."""

from __future__ import annotations

import re
from urllib.parse import unquote

from pydantic import BaseModel

from tools.settings_table import rows as settings_rows
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


# Markdown links and images: [text](target) and ![alt](target); the target ends at a space or ")".
_LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
# Absolute paths of a developer's machine that must never be shown as a default or an example.
_MACHINE_PATH = re.compile(r"(?<![\w.<])/(?:work|home|root|Users|tmp)/[\w./-]+")


def relative_link_targets(markdown: str) -> list[str]:
    """Return every link target in ``markdown`` that is a path in the repository (no scheme, no anchor only)."""
    targets: list[str] = []
    for target in _LINK.findall(markdown):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            continue
        targets.append(target.split("#", 1)[0])
    return targets


class TestReadmeLinks:
    def test_every_relative_link_resolves_inside_the_repository(self) -> None:
        """Each relative link or image in README.md names a file or folder of the repository."""
        readme = REPO_ROOT / "README.md"
        targets = relative_link_targets(readme.read_text())
        assert targets, "the README links to no file at all: the link pattern is broken"
        root = REPO_ROOT.resolve()
        broken = [
            t
            for t in targets
            if not (readme.parent / unquote(t)).exists()
            or not (readme.parent / unquote(t)).resolve().is_relative_to(root)
        ]
        assert broken == []

    def test_a_link_out_of_the_repository_is_reported(self) -> None:
        """The link check finds a link that climbs out of the repository, as the old templates/FORMAT.md one did."""
        targets = relative_link_targets("See [`FORMAT.md`](../../templates/FORMAT.md) and [ok](docs/audit-chain.md#x).")
        assert targets == ["../../templates/FORMAT.md", "docs/audit-chain.md"]
        assert not (REPO_ROOT / targets[0]).resolve().is_relative_to(REPO_ROOT.resolve())

    def test_no_machine_specific_path(self) -> None:
        """The README shows no absolute path of a developer's machine (a default must read the same on any clone)."""
        found = _MACHINE_PATH.findall((REPO_ROOT / "README.md").read_text())
        assert found == []
        assert _MACHINE_PATH.findall("| `UNDERSIGN_X` | `/work/main/policies/a.yaml` |") == [
            "/work/main/policies/a.yaml"
        ]

    def test_the_generated_settings_table_shows_no_machine_path(self) -> None:
        """The settings-table generator shows shipped files as ``<repo>/...``, whatever folder it runs in."""
        defaults = {variable: default or "" for variable, default, _meaning in settings_rows()}
        assert defaults["UNDERSIGN_DUNNING__POLICY_PATH"] == "<repo>/policies/default-ladder.yaml"
        assert defaults["UNDERSIGN_TEMPLATES_DIR"] == "<repo>/templates"
        assert not [v for v, d in defaults.items() if str(REPO_ROOT) in d or _MACHINE_PATH.search(d)]
