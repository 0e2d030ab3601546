"""`undersign keys`: create prints the key alone on the last line; list and revoke work on the same data dir."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cli.main import app
from domain.api_keys import KEY_PREFIX

runner = CliRunner()


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty data dir, with no database URL in the environment (so SQLite in the data dir is used)."""
    monkeypatch.delenv("UNDERSIGN_DATABASE__URL", raising=False)
    folder = tmp_path / "data"
    assert runner.invoke(app, ["db", "upgrade", "--data-dir", str(folder)]).exit_code == 0
    return folder


class TestKeys:
    def test_create_prints_key_alone_on_last_line(self, data_dir: Path) -> None:
        """The new key is the whole last line of stdout, and only its hash is stored."""
        result = runner.invoke(
            app, ["keys", "create", "--name", "alice", "--role", "sales", "--data-dir", str(data_dir)]
        )
        assert result.exit_code == 0, result.output
        key = result.stdout.strip().splitlines()[-1]
        assert key.startswith(KEY_PREFIX) and " " not in key
        assert key.encode() not in (data_dir / "undersign.db").read_bytes()

    def test_list_shows_names_and_roles_not_keys(self, data_dir: Path) -> None:
        """`keys list` shows the key's name and role but never the key."""
        created = runner.invoke(
            app, ["keys", "create", "--name", "bob", "--role", "auditor", "--data-dir", str(data_dir)]
        )
        key = created.stdout.strip().splitlines()[-1]
        listed = runner.invoke(app, ["keys", "list", "--data-dir", str(data_dir)])
        assert listed.exit_code == 0
        assert "bob" in listed.stdout and "auditor" in listed.stdout
        assert key not in listed.stdout

    def test_revoke_marks_key_revoked(self, data_dir: Path) -> None:
        """`keys revoke NAME` records the revocation; revoking an unknown name fails with a message."""
        runner.invoke(app, ["keys", "create", "--name", "carol", "--role", "tech", "--data-dir", str(data_dir)])
        assert runner.invoke(app, ["keys", "revoke", "carol", "--data-dir", str(data_dir)]).exit_code == 0
        unknown = runner.invoke(app, ["keys", "revoke", "nobody", "--data-dir", str(data_dir)])
        assert unknown.exit_code == 1
        assert "nobody" in unknown.stderr

    def test_duplicate_name_and_bad_role_are_refused(self, data_dir: Path) -> None:
        """A taken name or an unknown role is refused with a clear message and exit code."""
        runner.invoke(app, ["keys", "create", "--name", "dave", "--role", "billing", "--data-dir", str(data_dir)])
        dup = runner.invoke(app, ["keys", "create", "--name", "dave", "--role", "billing", "--data-dir", str(data_dir)])
        assert dup.exit_code == 1
        assert "already exists" in dup.stderr
        bad = runner.invoke(app, ["keys", "create", "--name", "erin", "--role", "root", "--data-dir", str(data_dir)])
        assert bad.exit_code == 2
