"""The Dockerfile and compose file, which cannot be built here, checked against the code they package.

No Docker engine runs on the development machine, so these tests read the files: every package the
wheel ships is copied into the build, the lock file is used, and every ``UNDERSIGN_*`` variable the
image or the compose file sets is a real setting that lands where intended.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from undersign.settings import REPO_ROOT, Mode, Settings

DOCKERFILE = (REPO_ROOT / "Dockerfile").read_text(encoding="utf-8")
COMPOSE = (REPO_ROOT / "docker-compose.yml").read_text(encoding="utf-8")
PYPROJECT = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))


def _image_env() -> dict[str, str]:
    """The UNDERSIGN_* variables the runtime stage sets with ENV."""
    runtime_stage = DOCKERFILE.split("AS runtime", 1)[1]
    return dict(re.findall(r"(UNDERSIGN_[A-Z0-9_]+)=(\S+)", runtime_stage))


class TestDockerfile:
    def test_every_shipped_package_and_data_folder_is_copied(self) -> None:
        """The build stage copies each package the wheel ships, and the templates and policies."""
        packages = PYPROJECT["tool"]["hatch"]["build"]["targets"]["wheel"]["packages"]
        build_stage = DOCKERFILE.split("AS runtime", 1)[0]
        for folder in [*packages, "templates", "policies"]:
            assert f"COPY {folder} ./{folder}" in build_stage, folder

    def test_installs_exactly_what_the_lock_pins(self) -> None:
        """The image installs with uv from uv.lock (frozen), with the uv version the Makefile pins."""
        makefile_uv = re.search(r"UV_VERSION := (\S+)", (REPO_ROOT / "Makefile").read_text()).group(1)  # type: ignore[union-attr]
        assert "COPY pyproject.toml uv.lock" in DOCKERFILE
        assert f"uv=={makefile_uv}" in DOCKERFILE
        assert DOCKERFILE.count("uv sync --frozen --no-dev") == 2

    def test_image_settings_are_real_settings(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Each UNDERSIGN_* the image sets is read by Settings, and the data folders point at the copies."""
        for name, value in _image_env().items():
            monkeypatch.setenv(name, value)
        # Production refuses placeholders; the secrets come from compose, so supply stand-ins here.
        monkeypatch.setenv("UNDERSIGN_MODE", Mode.DEVELOPMENT.value)
        settings = Settings()
        assert settings.templates_dir == Path("/app/templates")
        assert settings.dunning.policy_path == Path("/app/policies/default-ladder.yaml")
        assert "COPY templates /app/templates" in DOCKERFILE and "COPY policies /app/policies" in DOCKERFILE
        assert settings.server.host == "0.0.0.0" and settings.data_dir  # noqa: S104 - the image listens on all == Path("/var/lib/undersign")


class TestCompose:
    def test_every_variable_is_a_setting(self) -> None:
        """Every UNDERSIGN_* variable in docker-compose.yml names an existing setting (a typo would be ignored)."""
        names = set(re.findall(r"(UNDERSIGN_[A-Z0-9_]+):", COMPOSE))
        assert names
        for name in names:
            path = name.removeprefix("UNDERSIGN_").lower().split("__")
            model: object = Settings
            for part in path:
                fields = model.model_fields  # type: ignore[attr-defined]
                assert part in fields, f"{name}: no setting {part!r}"
                model = fields[part].annotation
