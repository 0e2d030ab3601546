"""`undersign users create-admin`: a fresh deployment's first admin, through the printed one-time link."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from api.app import create_app
from cli.main import app
from tests.support.console import csrf_from, sign_in
from undersign.runtime import build_runtime
from undersign.settings import Settings

runner = CliRunner()
PASSWORD = "first admin's long phrase"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A migrated SQLite data dir, with Argon2id at its cheapest (the test checks the path, not the cost)."""
    monkeypatch.delenv("UNDERSIGN_DATABASE__URL", raising=False)
    monkeypatch.setenv("UNDERSIGN_CONSOLE__ARGON2_MEMORY_KIB", "8")
    monkeypatch.setenv("UNDERSIGN_CONSOLE__ARGON2_TIME_COST", "1")
    monkeypatch.setenv("UNDERSIGN_CONSOLE__ARGON2_PARALLELISM", "1")
    folder = tmp_path / "data"
    assert runner.invoke(app, ["db", "upgrade", "--data-dir", str(folder)]).exit_code == 0
    return folder


class TestCreateAdmin:
    def test_the_printed_link_sets_the_password_and_the_admin_signs_in(self, data_dir: Path) -> None:
        """The link is the last line of stdout; it sets a password once, and the admin reaches the users page."""
        result = runner.invoke(
            app,
            ["users", "create-admin", "--email", "ada@msp.example", "--name", "Ada Admin", "--data-dir", str(data_dir)],
        )
        assert result.exit_code == 0, result.output
        url = result.stdout.strip().splitlines()[-1]
        assert url.startswith("http://127.0.0.1:8000/console/set-password/")
        path = url.removeprefix("http://127.0.0.1:8000")

        runtime = build_runtime(Settings(data_dir=data_dir))
        try:
            with TestClient(create_app(runtime)) as client:
                form = client.get(path)
                assert form.status_code == 200 and "Ada Admin" in form.text
                data = {"password": PASSWORD, "confirm": PASSWORD, "csrf_token": csrf_from(form.text)}
                assert client.post(path, data=data, follow_redirects=False).status_code == 303
                assert client.post(path, data=data).status_code == 404  # used once
                assert sign_in(client, "ada@msp.example", PASSWORD).status_code == 303
                assert client.get("/console/admin/users").status_code == 200
        finally:
            runtime.close()

    def test_a_taken_address_and_a_bad_one_are_refused(self, data_dir: Path) -> None:
        """A second admin with the same address, or an address that is not one, fails with a one-line reason."""
        args = ["users", "create-admin", "--name", "Ada", "--data-dir", str(data_dir)]
        assert runner.invoke(app, [*args, "--email", "ada@msp.example"]).exit_code == 0
        again = runner.invoke(app, [*args, "--email", "ADA@msp.example"])
        assert again.exit_code == 1 and "already exists" in again.stderr
        bad = runner.invoke(app, [*args, "--email", "not an address"])
        assert bad.exit_code == 1 and "e-mail address" in bad.stderr


class TestUserKeys:
    def test_keys_create_for_a_user_and_the_choice_is_required(self, data_dir: Path) -> None:
        """`keys create --user` makes a person's key (acting with the user's roles); a role or a user is required."""
        dd = ["--data-dir", str(data_dir)]
        assert (
            runner.invoke(app, ["users", "create-admin", "--email", "ada@msp.example", "--name", "Ada", *dd]).exit_code
            == 0
        )
        made = runner.invoke(app, ["keys", "create", "--name", "ada-laptop", "--user", "Ada@msp.example", *dd])
        assert made.exit_code == 0, made.output
        assert made.stdout.strip().splitlines()[-1].startswith("usk_")
        listed = runner.invoke(app, ["keys", "list", *dd])
        assert "ada-laptop" in listed.stdout and "its user's roles" in listed.stdout
        neither = runner.invoke(app, ["keys", "create", "--name", "x", *dd])
        assert neither.exit_code == 1 and "either --role" in neither.stderr
        nobody = runner.invoke(app, ["keys", "create", "--name", "y", "--user", "nobody@msp.example", *dd])
        assert nobody.exit_code == 1 and "no user" in nobody.stderr
