"""Tests of the on-disk template library: discovery, validation, samples, caching, and the library check."""

from __future__ import annotations

import shutil
from pathlib import Path

import docx
import pytest

from adapters.template_library import TemplateLibrary
from domain.errors import NotFound, TemplateInvalid

REPO = Path(__file__).resolve().parents[2]
FIXTURES = REPO / "tests" / "domain" / "assembly" / "fixtures" / "library"
SHARED = REPO / "templates" / "_shared"


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """A writable copy of the fixture library (with the shipped _shared) to break on purpose."""
    root = tmp_path / "templates"
    shutil.copytree(FIXTURES, root)
    shutil.copytree(SHARED, root / "_shared")
    return root


class TestDiscovery:
    def test_lists_templates_by_folder_path(self) -> None:
        """Templates are the folders holding a manifest; their ids are their paths."""
        library = TemplateLibrary(FIXTURES, shared_dir=SHARED)
        assert library.ids() == ["demo/agreement", "demo/letter"]
        assert [m.id for m in library.list()] == ["demo/agreement", "demo/letter"]

    def test_get_returns_a_validated_manifest(self) -> None:
        """Get loads clauses (including the group's _clauses) and data files."""
        manifest = TemplateLibrary(FIXTURES, shared_dir=SHARED).get("demo/letter")
        assert manifest.version == "1.0.0" and manifest.kind == "notice"
        assert sorted(manifest.clauses) == ["demo.counterparts", "demo.reminder"]
        assert manifest.clauses["demo.counterparts"].path == "demo/_clauses/demo.counterparts.md"
        agreement = TemplateLibrary(FIXTURES, shared_dir=SHARED).get("demo/agreement")
        assert agreement.data["rates"]["tiers"]["essential"]["name"] == "Essential"

    def test_cached_until_reload(self) -> None:
        """The same object is returned until reload() is called."""
        library = TemplateLibrary(FIXTURES, shared_dir=SHARED)
        first = library.get("demo/letter")
        assert library.get("demo/letter") is first
        library.reload()
        assert library.get("demo/letter") is not first
        assert library.get("demo/letter") == first

    @pytest.mark.parametrize("template_id", ["demo/nothing", "../etc", "demo/../../etc", "/etc/passwd", "demo", ""])
    def test_unknown_or_malformed_ids_are_not_found(self, template_id: str) -> None:
        """Unknown ids and path tricks are NotFound, never a file-system error."""
        with pytest.raises(NotFound):
            TemplateLibrary(FIXTURES, shared_dir=SHARED).get(template_id)

    def test_samples(self) -> None:
        """Samples are read from samples/*.json in name order."""
        samples = TemplateLibrary(FIXTURES, shared_dir=SHARED).samples("demo/agreement")
        assert [s.name for s in samples] == ["canada", "us"]
        assert samples[1].variables["currency"] == "USD"


class TestValidation:
    def test_missing_clause_and_wrong_id_are_listed(self, copy: Path) -> None:
        """A manifest naming a missing clause and carrying the wrong id lists both problems."""
        manifest = copy / "demo" / "letter" / "manifest.yaml"
        manifest.write_text(
            manifest.read_text().replace("id: demo/letter", "id: demo/other").replace("demo.reminder", "demo.gone")
        )
        with pytest.raises(TemplateInvalid) as caught:
            TemplateLibrary(copy).get("demo/letter")
        reasons = {e.pointer: e.reason for e in caught.value.errors}
        assert reasons["demo/letter/manifest.yaml#/id"] == "must equal the folder path 'demo/letter'"
        assert reasons["demo/letter/manifest.yaml#/slots/0"] == "clause 'demo.gone' not found"

    def test_clause_id_must_match_file_name(self, copy: Path) -> None:
        """A clause whose front matter id differs from its file name is refused."""
        clause = copy / "demo" / "letter" / "clauses" / "demo.reminder.md"
        clause.write_text(clause.read_text().replace("id: demo.reminder", "id: demo.other"))
        with pytest.raises(TemplateInvalid) as caught:
            TemplateLibrary(copy).get("demo/letter")
        assert caught.value.errors[0].pointer == "demo/letter/clauses/demo.reminder.md#/id"

    def test_data_file_outside_library_refused(self, copy: Path, tmp_path: Path) -> None:
        """A data path that leaves the template library is refused."""
        (tmp_path / "outside.yaml").write_text("secret: 1\n")
        manifest = copy / "demo" / "agreement" / "manifest.yaml"
        manifest.write_text(manifest.read_text().replace("../rates.yaml", "../../../outside.yaml"))
        with pytest.raises(TemplateInvalid) as caught:
            TemplateLibrary(copy).get("demo/agreement")
        assert caught.value.errors[0].pointer == "demo/agreement/manifest.yaml#/data/rates"


class TestCheck:
    def test_fixture_library_has_no_errors(self) -> None:
        """Every sample of the fixture library renders; only the uncovered-clause warning remains."""
        issues = TemplateLibrary(FIXTURES, shared_dir=SHARED).check()
        assert [i for i in issues if i.severity == "error"] == []
        assert [(i.template, i.where) for i in issues] == [("demo/agreement", "clause demo.special-terms")]

    def test_broken_pieces_are_reported_not_raised(self, copy: Path) -> None:
        """A broken template, an unused clause file and a split-run .docx are all reported by check()."""
        letter = copy / "demo" / "letter" / "manifest.yaml"
        letter.write_text(letter.read_text().replace("kind: notice", "kind: memo"))
        (copy / "demo" / "agreement" / "clauses" / "demo.orphan.md").write_text(
            "---\nid: demo.orphan\nversion: 1.0.0\ntitle: Orphan\n---\nUnused.\n"
        )
        layout = docx.Document()
        paragraph = layout.add_paragraph()
        paragraph.add_run("{{ ti")
        paragraph.add_run("tle }}")
        layout.save(str(copy / "demo" / "agreement" / "layout.docx"))
        issues = TemplateLibrary(copy).check()
        found = {(i.template, i.where, i.message) for i in issues if i.severity == "error"}
        assert (
            "demo/letter",
            "demo/letter/manifest.yaml#/kind",
            "must be one of contract, schedule, waiver, notice",
        ) in found
        assert (
            "demo/agreement",
            "demo/agreement/clauses/demo.orphan.md",
            "clause file is not used by any slot",
        ) in found
        assert any(t == "demo/agreement/layout.docx" and "split across runs" in m for t, _, m in found)
