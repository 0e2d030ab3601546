"""`undersign verify FILE`: exit 0 for an intact seal made with the data dir's key, 1 after one flipped byte."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner
from weasyprint import HTML

from adapters.signing_keys import load_or_create_dev_sealing_key
from cli.main import app
from domain.sealing.seal import Sealer, SealMetadata

runner = CliRunner()


@pytest.fixture
def sealed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """A data dir with the dev sealing key and a PDF sealed by it (no database: the seal is checked alone)."""
    monkeypatch.delenv("UNDERSIGN_DATABASE__URL", raising=False)
    data_dir = tmp_path / "data"
    key = load_or_create_dev_sealing_key(data_dir, datetime.now(UTC)).key
    sent = HTML(string="<p>Agreement</p>").write_pdf()
    assert sent is not None
    metadata = SealMetadata.for_sent_pdf(bytes(sent), envelope_id="env-1", document_id="doc-1", document_version=1)
    path = tmp_path / "sealed.pdf"
    path.write_bytes(Sealer(key).seal(bytes(sent), metadata, sealed_at=datetime.now(UTC)))
    return data_dir, path


class TestVerifyCommand:
    def test_intact_seal_exits_zero_and_names_envelope(self, sealed: tuple[Path, Path]) -> None:
        """An intact file sealed with the data dir's key verifies and names its envelope."""
        data_dir, path = sealed
        result = runner.invoke(app, ["verify", str(path), "--data-dir", str(data_dir)])
        assert result.exit_code == 0, result.output
        assert "verdict:     OK" in result.output and "env-1" in result.output

    def test_flipped_byte_exits_one(self, sealed: tuple[Path, Path], tmp_path: Path) -> None:
        """One flipped byte makes the command fail and say why."""
        data_dir, path = sealed
        data = bytearray(path.read_bytes())
        data[len(data) // 4] ^= 0x01
        bad = tmp_path / "bad.pdf"
        bad.write_bytes(bytes(data))
        result = runner.invoke(app, ["verify", str(bad), "--data-dir", str(data_dir), "--json"])
        assert result.exit_code == 1
        assert '"ok": false' in result.output
