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

    def test_runs_api_worker_postgresql_and_seaweedfs(self) -> None:
        """The stack has the api, a worker running `undersign worker` (a real command), PostgreSQL and SeaweedFS."""
        import yaml
        from typer.main import get_command

        from cli.main import app

        services = yaml.safe_load(COMPOSE)["services"]
        assert {"api", "worker", "db", "s3"} <= set(services)
        assert services["worker"]["command"] == ["undersign", "worker"]
        assert "worker" in get_command(app).commands  # type: ignore[attr-defined]
        assert services["db"]["image"].startswith("postgres:")
        assert "seaweedfs" in services["s3"]["image"]
        # The worker reads the same settings as the api: same database, same store, same sealing key.
        assert services["worker"]["environment"] == services["api"]["environment"]
        assert services["worker"]["secrets"] == services["api"]["secrets"]

    def test_api_reaches_the_database_and_store_the_stack_runs(self) -> None:
        """The database URL and S3 endpoint name the db and s3 services, their ports, user and credentials."""
        import yaml
        from sqlalchemy.engine import make_url

        services = yaml.safe_load(COMPOSE)["services"]
        env = services["api"]["environment"]
        url = make_url(env["UNDERSIGN_DATABASE__URL"].replace("${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}", "pw"))
        db = services["db"]["environment"]
        assert (url.host, url.port, url.username, url.database) == ("db", 5432, db["POSTGRES_USER"], db["POSTGRES_DB"])
        s3 = services["s3"]
        weed = " ".join(s3["command"])
        port = re.search(r"-s3\.port=(\d+)", weed).group(1)  # type: ignore[union-attr]
        assert env["UNDERSIGN_S3__ENDPOINT_URL"] == f"http://s3:{port}"
        # SeaweedFS enforces the same credentials the API signs with.
        assert s3["environment"]["S3_ACCESS_KEY"] == env["UNDERSIGN_S3__ACCESS_KEY"]
        assert s3["environment"]["S3_SECRET_KEY"] == env["UNDERSIGN_S3__SECRET_KEY"]
        assert '"$$S3_ACCESS_KEY" "$$S3_SECRET_KEY"' in weed and "-s3.config=/tmp/s3.json" in weed
