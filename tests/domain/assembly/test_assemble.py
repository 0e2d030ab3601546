"""Tests of assembly: clause choice by conditions, numbering, hashes, data access and the evidence record."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from domain.assembly import AssembledDocument, AssemblyContext, TemplateManifest
from domain.assembly.assemble import assemble
from domain.errors import FieldError, TemplateDataInvalid, TemplateInvalid

from .support import FIXTURES, make_manifest


class TestClauseChoice:
    def test_us_sample_picks_us_law_and_late_fees(self, assembled: AssembledDocument) -> None:
        """Conditions that hold include their clause; the first matching variant wins."""
        assert [c.id for c in assembled.clauses] == [
            "demo.parties",
            "demo.fees",
            "demo.service-levels",
            "demo.late-fees",
            "demo.law.us",
            "demo.counterparts",
        ]
        assert [c.number for c in assembled.clauses] == [1, 2, 3, 4, 5, 6]

    def test_missing_optional_variable_makes_condition_false(
        self, agreement: TemplateManifest, us_variables: dict[str, Any], context: AssemblyContext
    ) -> None:
        """A condition on a variable that was not given does not hold (no error)."""
        del us_variables["late_fee"]
        us_variables["governing_law"] = {"country": "CA", "region": "BC"}
        ids = [c.id for c in assemble(agreement, us_variables, context).clauses]
        assert "demo.late-fees" not in ids
        assert "demo.law.ca-bc" in ids and "demo.law.us" not in ids

    def test_required_slot_without_matching_variant_is_refused(
        self, agreement: TemplateManifest, us_variables: dict[str, Any], context: AssemblyContext
    ) -> None:
        """When no governing-law variant applies the input is refused with a 422."""
        us_variables["governing_law"] = {"country": "CA", "region": "ON"}
        with pytest.raises(TemplateDataInvalid) as caught:
            assemble(agreement, us_variables, context)
        assert "demo.law.us, demo.law.ca-bc" in caught.value.errors[0].reason

    def test_clause_from_group_clauses_folder(self, assembled: AssembledDocument) -> None:
        """A clause missing from the template's folder is found in the group's _clauses."""
        clause = assembled.clauses[-1]
        path = FIXTURES / "demo" / "_clauses" / "demo.counterparts.md"
        assert clause.id == "demo.counterparts"
        assert clause.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


class TestRendering:
    def test_values_filters_data_and_context_reach_the_text(self, assembled: AssembledDocument) -> None:
        """Variables, money/date filters, data files, branding, client and document all render."""
        by_id = {c.id: c for c in assembled.clauses}
        assert "made on 14 March 2026 between Acme IT Services Ltd" in by_id["demo.parties"].text
        assert "Globex Corporation" in by_id["demo.parties"].text
        assert "reference DOC-2026-0007" in by_id["demo.parties"].text
        assert "monthly fee of $2,450.50" in by_id["demo.fees"].text
        assert "Backup & recovery | $650.50" in by_id["demo.fees"].text
        assert "P1 | 15 minutes | 4 hours" in by_id["demo.service-levels"].text
        assert "1. Invoices are payable within 30 days." in by_id["demo.fees"].text

    def test_undefined_variable_in_clause_reported_with_pointer(self, context: AssemblyContext) -> None:
        """A clause reading a variable the input lacks is refused, naming the variable."""
        manifest = make_manifest(
            {"x.one": "Hello {{ nickname }}"}, properties={"nickname": {"type": "string", "maxLength": 9}}
        )
        with pytest.raises(TemplateDataInvalid) as caught:
            assemble(manifest, {}, context)
        assert caught.value.errors[0].pointer == "/nickname"

    def test_filter_error_is_a_data_error(self, context: AssemblyContext) -> None:
        """A value the money filter cannot format is refused as bad input."""
        manifest = make_manifest(
            {"x.one": "{{ fee|money('USD') }}"}, properties={"fee": {"type": "string", "maxLength": 9}}
        )
        with pytest.raises(TemplateDataInvalid):
            assemble(manifest, {"fee": "lots"}, context)

    def test_record_is_json_and_names_every_clause(self, assembled: AssembledDocument) -> None:
        """The evidence record is JSON-serialisable and lists clause ids, versions and hashes."""
        record = json.loads(json.dumps(assembled.record()))
        assert record["template"] == {"id": "demo/agreement", "version": "1.2.0"}
        assert record["document"] == {"id": "DOC-2026-0007", "version": 3, "date": "2026-03-01"}
        assert [c["id"] for c in record["clauses"]] == [c.id for c in assembled.clauses]
        assert record["variables"]["tier"] == "priority"
        assert all(len(c["sha256"]) == 64 for c in record["clauses"])


class TestManifestValidation:
    def test_every_manifest_problem_is_listed(self) -> None:
        """A broken manifest lists each problem with its place."""
        from domain.assembly.manifest import parse_manifest

        raw = {
            "id": "wrong/id",
            "version": "1.0",
            "title": "",
            "kind": "poem",
            "description": "x",
            "variables": {"type": "object", "properties": {"items": {"type": "string"}}},
            "signers": [{"role": "witness", "label": "W"}],
            "slots": [{"clause": "a.missing"}, {"variants": []}, {"clause": "a.b", "when": "{{ oops"}],
            "colour": "red",
        }
        with pytest.raises(TemplateInvalid) as caught:
            parse_manifest(raw, expected_id="demo/x", clauses={}, data={}, path="demo/x/manifest.yaml")
        reasons = {e.pointer: e.reason for e in caught.value.errors}
        assert set(reasons) >= {
            "demo/x/manifest.yaml#/id",
            "demo/x/manifest.yaml#/version",
            "demo/x/manifest.yaml#/title",
            "demo/x/manifest.yaml#/kind",
            "demo/x/manifest.yaml#/colour",
            "demo/x/manifest.yaml#/variables/properties/items",
            "demo/x/manifest.yaml#/signers/0/role",
            "demo/x/manifest.yaml#/slots/0",
            "demo/x/manifest.yaml#/slots/1",
            "demo/x/manifest.yaml#/slots/2/when",
        }

    def test_bad_clause_front_matter(self) -> None:
        """A clause whose id does not match its file name, or lacks a version, is refused."""
        from domain.assembly.manifest import parse_clause

        raw = b"---\nid: other\ntitle: T\n---\nBody {{ x"
        with pytest.raises(TemplateInvalid) as caught:
            parse_clause(raw, expected_id="a.b", path="a.b.md")
        assert [e.pointer for e in caught.value.errors] == ["a.b.md#/id", "a.b.md#/version", "a.b.md:5"]
        assert isinstance(caught.value.errors[0], FieldError)
