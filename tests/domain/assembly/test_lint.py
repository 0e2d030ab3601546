"""Tests of template lint: samples rendered, unknown and unused variables, uncapped strings."""

from __future__ import annotations

from domain.assembly import DocxRenderer, PdfRenderer, TemplateSample, lint_template
from domain.assembly.lint import variable_issues

from .support import make_manifest


class TestVariables:
    def test_unknown_and_unused_variables(self) -> None:
        """A clause reading an undeclared variable and a declared variable nobody reads are both reported."""
        manifest = make_manifest(
            {
                "x.one": "Dear {{ contact_nmae }}, {{ order.total }} {{ order.currency }} {{ client.legal_name }}",
                "x.two": "{% for line in lines %}{{ line.text }}{% endfor %}",
            },
            properties={
                "contact_name": {"type": "string", "maxLength": 50},
                "order": {
                    "type": "object",
                    "properties": {"total": {"type": "number"}, "discount": {"type": "number"}},
                },
                "lines": {"type": "array", "items": {"type": "object", "properties": {"text": {"type": "string"}}}},
                "late": {"type": "boolean"},
            },
            slots=[{"clause": "x.one"}, {"clause": "x.two", "when": "late and region == 'EU'"}],
        )
        messages = sorted(i.message for i in variable_issues(manifest))
        assert messages == [
            "unknown variable 'contact_nmae' (not in the schema)",
            "unknown variable 'order.currency' (not in the schema)",
            "unknown variable 'region' (not in the schema)",
            "unused variable 'contact_name' (no clause reads it)",
            "unused variable 'order.discount' (no clause reads it)",
        ]

    def test_clean_template_has_no_variable_issues(self) -> None:
        """Declared and used match: nothing to report."""
        manifest = make_manifest({"x.one": "{{ text }}"})
        assert variable_issues(manifest) == []


class TestSamples:
    def test_failing_sample_and_uncapped_string_reported(
        self, pdf_renderer: PdfRenderer, docx_renderer: DocxRenderer
    ) -> None:
        """A sample that does not validate is an error; a string without maxLength is flagged."""
        manifest = make_manifest(
            {"x.one": "{{ text }} {{ note }}"},
            properties={"text": {"type": "string", "maxLength": 5}, "note": {"type": "string"}},
        )
        issues = lint_template(
            manifest,
            [TemplateSample("ok", {"text": "hi", "note": "n"}), TemplateSample("bad", {"text": "far too long"})],
            pdf_renderer=pdf_renderer,
            docx_renderer=docx_renderer,
        )
        found = {(i.where, i.severity) for i in issues}
        assert ("variables/properties/note", "error") in found
        assert ("samples/bad.json", "error") in found
        assert not any(i.where == "samples/ok.json" for i in issues)
        bad = next(i for i in issues if i.where == "samples/bad.json")
        assert "/text: longer than 5 characters" in bad.message

    def test_page_budget_applies_to_samples(self, pdf_renderer: PdfRenderer, docx_renderer: DocxRenderer) -> None:
        """A sample longer than the page budget is reported."""
        manifest = make_manifest({"x.one": "{% for i in range(400) %}Line {{ i }}.\n\n{% endfor %}"})
        issues = lint_template(
            manifest, [TemplateSample("long", {})], pdf_renderer=pdf_renderer, docx_renderer=docx_renderer, max_pages=2
        )
        long = [i for i in issues if i.where == "samples/long.json"]
        assert len(long) == 1 and "at most 2 are allowed" in long[0].message
