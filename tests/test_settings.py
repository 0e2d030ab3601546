"""Settings: environment variables with nested groups, and refusal of placeholder secrets in production."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from undersign.settings import Mode, Settings


class TestEnvironment:
    def test_nested_groups_read_from_prefixed_variables(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """UNDERSIGN_S3__BUCKET and friends reach the nested groups, secrets stay hidden in repr."""
        monkeypatch.setenv("UNDERSIGN_S3__BUCKET", "contracts-prod")
        monkeypatch.setenv("UNDERSIGN_S3__SECRET_KEY", "s3cr3t-value")
        monkeypatch.setenv("UNDERSIGN_SERVER__WORKERS", "4")
        settings = Settings()
        assert settings.s3.bucket == "contracts-prod"
        assert settings.server.workers == 4
        assert settings.s3.secret_key.get_secret_value() == "s3cr3t-value"
        assert "s3cr3t-value" not in repr(settings)

    def test_dotenv_file_is_read(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        """A .env file in the working directory supplies settings."""
        (tmp_path / ".env").write_text("UNDERSIGN_BRANDING__MSP_NAME=Acme IT\n")
        monkeypatch.chdir(tmp_path)
        assert Settings().branding.msp_name == "Acme IT"

    def test_default_database_is_sqlite_in_data_dir(self, tmp_path: Path) -> None:
        """Without a database URL the SQLite file in the data dir is used."""
        settings = Settings(data_dir=tmp_path)
        assert settings.database_url == f"sqlite:///{tmp_path.resolve()}/undersign.db"

    def test_bad_value_is_refused(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """An invalid value (a worker count of zero) is refused at start-up."""
        monkeypatch.setenv("UNDERSIGN_SERVER__WORKERS", "0")
        with pytest.raises(ValidationError):
            Settings()


class TestProductionRefusal:
    def test_production_with_placeholders_names_every_problem(self) -> None:
        """Production mode with missing or placeholder secrets refuses to start and names each variable."""
        with pytest.raises(ValidationError) as info:
            Settings(mode=Mode.PRODUCTION, s3={"access_key": "changeme", "secret_key": ""})
        message = str(info.value)
        for name in (
            "UNDERSIGN_DATABASE__URL",
            "UNDERSIGN_S3__ENDPOINT_URL",
            "UNDERSIGN_S3__ACCESS_KEY",
            "UNDERSIGN_S3__SECRET_KEY",
            "UNDERSIGN_SIGNING__PKCS12_PATH",
            "UNDERSIGN_MAIL__SMTP_HOST",
            "UNDERSIGN_SIGNING__TSA_URL",
            "UNDERSIGN_SIGNING__TSA_ROOTS_PATH",
            "UNDERSIGN_SIGNING__PAPER_COPY_CONTACT",
        ):
            assert name in message

    def test_production_with_real_values_starts(self, tmp_path: Path) -> None:
        """Production mode with every secret set to a real value is accepted."""
        settings = Settings(
            mode=Mode.PRODUCTION,
            database={"url": "postgresql+psycopg://u:p@db/undersign"},
            s3={"endpoint_url": "https://s3.example", "access_key": "AKIA123", "secret_key": "k" * 40},
            signing={
                "pkcs12_path": tmp_path / "seal.p12",
                "pkcs12_password": "a-long-password",
                "tsa_url": "https://tsa.example/tsr",
                "tsa_roots_path": tmp_path / "tsa-roots.pem",
                "paper_copy_contact": "contracts@msp.example",
            },
            mail={
                "smtp_host": "smtp.example",
                "smtp_user": "u",
                "smtp_password": "another-password",
                "sender": "Acme IT <billing@acme.example>",
            },
            dunning={"contact_email": "billing@msp.example", "portal_url": "https://pay.msp.example/"},
        )
        assert settings.production_problems() == []

    def test_development_allows_embedded_defaults(self) -> None:
        """Development mode starts with no secrets at all (it generates its own)."""
        assert Settings(mode=Mode.DEVELOPMENT).mode is Mode.DEVELOPMENT
