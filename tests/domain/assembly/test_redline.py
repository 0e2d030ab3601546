"""Tests of the clause-level redline between two assembled versions."""

from __future__ import annotations

import json
from typing import Any

from domain.assembly import AssembledDocument, AssemblyContext, TemplateManifest
from domain.assembly.assemble import assemble
from domain.assembly.redline import WordChange, redline, word_diff


class TestRedline:
    def test_one_changed_value_names_exactly_that_clause(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, Any],
        context: AssemblyContext,
        assembled: AssembledDocument,
    ) -> None:
        """Changing the late-fee rate changes only the late-fee clause, with a word-level diff."""
        us_variables["late_fee"]["annual_rate"] = 18
        diff = redline(assembled, assemble(agreement, us_variables, context))
        assert [c.id for c in diff.changed] == ["demo.late-fees"]
        assert diff.added == [] and diff.removed == []
        words = diff.changed[0].words
        assert WordChange("delete", "12%") in words and WordChange("insert", "18%") in words
        assert "".join(w.text for w in words if w.op != "insert") == assembled.clauses[3].text

    def test_added_and_removed_clauses(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, Any],
        context: AssemblyContext,
        assembled: AssembledDocument,
    ) -> None:
        """Switching law and dropping late fees reports the added and removed clauses by id."""
        us_variables["governing_law"] = {"country": "CA", "region": "BC"}
        us_variables["late_fee"] = {"enabled": False}
        us_variables["special_terms"] = "Net 15."
        diff = redline(assembled, assemble(agreement, us_variables, context))
        assert [c.id for c in diff.added] == ["demo.special-terms", "demo.law.ca-bc"]
        assert [c.id for c in diff.removed] == ["demo.late-fees", "demo.law.us"]
        assert diff.changed == []
        assert diff.removed[0].old_number == 4 and diff.removed[0].new_number is None

    def test_identical_versions_have_no_changes(self, assembled: AssembledDocument) -> None:
        """Comparing a version with itself yields nothing."""
        assert redline(assembled, assembled).changes == ()

    def test_as_dict_is_json(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, Any],
        context: AssemblyContext,
        assembled: AssembledDocument,
    ) -> None:
        """The redline serialises to JSON with added/removed/changed lists."""
        us_variables["monthly_fee"] = 2600
        data = json.loads(json.dumps(redline(assembled, assemble(agreement, us_variables, context)).as_dict()))
        assert set(data) == {"old", "new", "added", "removed", "changed"}
        assert data["changed"][0]["id"] == "demo.fees"
        assert {"op": "insert", "text": "$2,600.00,"} in data["changed"][0]["words"]

    def test_html_escapes_text(
        self,
        agreement: TemplateManifest,
        us_variables: dict[str, Any],
        context: AssemblyContext,
        assembled: AssembledDocument,
    ) -> None:
        """The HTML fragment marks insertions and deletions and escapes clause text."""
        us_variables["special_terms"] = "<script>alert(1)</script>"
        html = str(redline(assembled, assemble(agreement, us_variables, context)).html())
        assert "<ins>The parties further agree: &lt;script&gt;alert(1)&lt;/script&gt;</ins>" in html
        assert "<script>" not in html
        assert 'class="redline-added" data-clause="demo.special-terms"' in html


class TestWordDiff:
    def test_runs_are_merged(self) -> None:
        """Adjacent words with the same operation form one run."""
        assert word_diff("pay within 30 days", "pay within 15 business days") == (
            WordChange("equal", "pay within "),
            WordChange("delete", "30"),
            WordChange("insert", "15 business"),
            WordChange("equal", " days"),
        )
