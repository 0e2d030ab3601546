"""`undersign templates list|check` and `undersign render`: tables, lint findings with exit codes, files, errors."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
import yaml
from typer.testing import CliRunner

from cli.main import app
from undersign.settings import REPO_ROOT

runner = CliRunner()
TEMPLATES = REPO_ROOT / "templates"
REMINDER_SAMPLE = TEMPLATES / "notices" / "reminder" / "samples" / "day-07.json"


@pytest.fixture
def small_library(tmp_path: Path) -> Path:
    """A copy of the shipped library holding only the shared layout and the payment reminder."""
    root = tmp_path / "templates"
    shutil.copytree(TEMPLATES / "_shared", root / "_shared")
    shutil.copytree(TEMPLATES / "notices" / "_clauses", root / "notices" / "_clauses")
    shutil.copytree(TEMPLATES / "notices" / "reminder", root / "notices" / "reminder")
    return root


@pytest.fixture(autouse=True)
def branding(monkeypatch: pytest.MonkeyPatch) -> None:
    """Branding from settings, as the render command prints it."""
    monkeypatch.setenv("UNDERSIGN_BRANDING__MSP_NAME", "Clearwater Cyber Services Ltd")


def pdf_text(path: Path) -> str:
    """Return the PDF's text (pdftotext) with whitespace folded."""
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True, text=True)
    return " ".join(out.stdout.split())


class TestList:
    def test_lists_every_shipped_template_with_version_and_kind(self) -> None:
        """`templates list` prints a row per template with its version, kind and sample count."""
        result = runner.invoke(app, ["templates", "list", "--templates-dir", str(TEMPLATES)])
        assert result.exit_code == 0, result.output
        rows = {line.split("│")[1].strip(): line for line in result.stdout.splitlines() if line.count("│") >= 6}
        assert {"msa/msa", "msa/sla-schedule", "waivers/decline-of-service", "notices/letter-before-action"} <= set(
            rows
        )
        shipped = yaml.safe_load((TEMPLATES / "msa" / "msa" / "manifest.yaml").read_text())["version"]
        assert "contract" in rows["msa/msa"] and f" {shipped} " in rows["msa/msa"]
        assert rows["notices/letter-before-action"].split("│")[6].strip() == "4"

    def test_missing_library_folder_is_exit_2(self, tmp_path: Path) -> None:
        """A --templates-dir that does not exist is refused with exit code 2."""
        result = runner.invoke(app, ["templates", "list", "--templates-dir", str(tmp_path / "nothing")])
        assert result.exit_code == 2
        assert "no template library" in result.stderr


class TestCheck:
    def test_clean_library_passes(self, small_library: Path) -> None:
        """A library whose samples render and whose variables are all declared and used exits 0."""
        result = runner.invoke(app, ["templates", "check", "--templates-dir", str(small_library)])
        assert result.exit_code == 0, result.output
        assert "1 templates checked: 0 error(s)" in result.stderr

    def test_unknown_and_unused_variables_fail_the_check(self, small_library: Path) -> None:
        """A clause reading an undeclared variable and a declared variable nobody reads are errors: exit 1."""
        folder = small_library / "notices" / "reminder"
        manifest = (folder / "manifest.yaml").read_text()
        manifest = manifest.replace(
            "    total_due:\n", "    spare_field: {type: string, maxLength: 20}\n    total_due:\n", 1
        )
        manifest = manifest.replace(
            "  - clause: notice.contact\n", "  - clause: notice.contact\n  - clause: test.typo\n"
        )
        (folder / "manifest.yaml").write_text(manifest)
        (folder / "clauses").mkdir(exist_ok=True)
        (folder / "clauses" / "test.typo.md").write_text(
            "---\nid: test.typo\nversion: 1.0.0\ntitle: Typo\n---\nPay {{ totl_due }} now.\n"
        )
        (folder / "clauses" / "test.orphan.md").write_text("---\nid: test.orphan\nversion: 1.0.0\ntitle: O\n---\nx\n")
        result = runner.invoke(app, ["templates", "check", "--json", "--templates-dir", str(small_library)])
        assert result.exit_code == 1, result.output
        findings = [json.loads(line) for line in result.stdout.splitlines()]
        messages = " ".join(f["message"] for f in findings if f["severity"] == "error")
        assert "unknown variable 'totl_due'" in messages
        assert "unused variable 'spare_field'" in messages
        assert "clause file is not used by any slot" in messages
        # The sample does not set totl_due, so rendering it fails too, and says which clause needs it.
        assert any(f["where"] == "samples/day-07.json" and "test.typo" in f["message"] for f in findings)

    def test_jinja_tag_split_across_word_runs_fails_the_check(self, small_library: Path) -> None:
        """A Jinja tag that Word split across two runs in the DOCX layout is reported and fails the check."""
        layout = small_library / "_shared" / "base.docx"
        document = docx.Document(io.BytesIO(layout.read_bytes()))
        paragraph = document.add_paragraph()
        paragraph.add_run("{{ branding.")
        paragraph.add_run("msp_name }}")
        document.save(str(layout))
        result = runner.invoke(app, ["templates", "check", "--templates-dir", str(small_library)])
        assert result.exit_code == 1, result.output
        assert "split across runs" in result.stdout
        assert "base.docx" in result.stdout


class TestRender:
    def test_renders_pdf_with_branding_from_settings(self, tmp_path: Path, small_library: Path) -> None:
        """`render TEMPLATE data.json -o out.pdf` writes a PDF carrying the data and the configured MSP name."""
        out = tmp_path / "reminder.pdf"
        common = ["--templates-dir", str(small_library)]
        result = runner.invoke(
            app,
            ["render", "notices/reminder", str(REMINDER_SAMPLE), "-o", str(out), "--date", "2026-02-23", *common],
        )
        assert result.exit_code == 0, result.output
        assert out.read_bytes().startswith(b"%PDF-")
        text = pdf_text(out)
        assert "Clearwater Cyber Services Ltd" in text
        assert "INV-1041" in text
        assert "23 February 2026" in text

    def test_docx_is_chosen_by_extension(self, tmp_path: Path, small_library: Path) -> None:
        """An output name ending in .docx gives a Word file python-docx opens, with the same data."""
        out = tmp_path / "reminder.docx"
        result = runner.invoke(
            app,
            ["render", "notices/reminder", str(REMINDER_SAMPLE), "-o", str(out), "--templates-dir", str(small_library)],
        )
        assert result.exit_code == 0, result.output
        document = docx.Document(str(out))
        cells = " ".join(cell.text for table in document.tables for row in table.rows for cell in row.cells)
        assert "INV-1041" in cells

    def test_bad_json_names_line_and_column(self, tmp_path: Path, small_library: Path) -> None:
        """A data file that is not JSON is refused with its line and column; no output is written."""
        data = tmp_path / "data.json"
        data.write_text('{\n  "total_due": 12,\n  oops\n}')
        out = tmp_path / "out.pdf"
        result = runner.invoke(
            app, ["render", "notices/reminder", str(data), "-o", str(out), "--templates-dir", str(small_library)]
        )
        assert result.exit_code == 1
        assert "not valid JSON" in result.stderr and "line 3 column 3" in result.stderr
        assert not out.exists()

    def test_every_bad_variable_is_listed(self, tmp_path: Path, small_library: Path) -> None:
        """Missing, invalid and unknown variables are all listed with their JSON pointers; exit 1."""
        data = tmp_path / "data.json"
        data.write_text(json.dumps({"total_due": -5, "currency": "usd", "colour": "red"}))
        out = tmp_path / "out.pdf"
        result = runner.invoke(
            app, ["render", "notices/reminder", str(data), "-o", str(out), "--templates-dir", str(small_library)]
        )
        assert result.exit_code == 1
        for line in ("/invoices: is required", "/total_due: less than 0", "/currency:", "/colour: is not allowed"):
            assert line in result.stderr
        assert not out.exists()

    def test_unknown_template_and_unknown_extension_are_refused(self, tmp_path: Path, small_library: Path) -> None:
        """An unknown template id or an output that is neither .pdf nor .docx is an error with exit 1."""
        common = ["--templates-dir", str(small_library)]
        unknown = runner.invoke(
            app, ["render", "msa/nothing", str(REMINDER_SAMPLE), "-o", str(tmp_path / "a.pdf"), *common]
        )
        assert unknown.exit_code == 1 and "msa/nothing" in unknown.stderr
        odd = runner.invoke(
            app, ["render", "notices/reminder", str(REMINDER_SAMPLE), "-o", str(tmp_path / "a.odt"), *common]
        )
        assert odd.exit_code == 1 and ".pdf or .docx" in odd.stderr
