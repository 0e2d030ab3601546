"""Tests of the clause sandbox: Markdown escaping of values, the filters, and what templates cannot do."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.assembly import AssemblyContext
from domain.assembly.assemble import assemble
from domain.assembly.markdown import parse_clause_markdown, plain_text
from domain.assembly.sandbox import clause_environment, format_date, markdown_escape, money
from domain.errors import TemplateDataInvalid, TemplateInvalid

from .support import make_manifest

_TEXT = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp", "Zs"), blacklist_characters="\ufeff"),
    min_size=1,
    max_size=60,
)


class TestMarkdownEscape:
    @given(words=st.lists(_TEXT, min_size=1, max_size=6))
    def test_any_value_renders_as_exactly_its_text(self, words: list[str]) -> None:
        """Whatever the value, the parsed clause shows the value's characters and nothing else."""
        value = " ".join(words)
        rendered = clause_environment().from_string("Start {{ v }} end").render(v=value)
        assert plain_text(parse_clause_markdown(rendered)) == f"Start {value} end"

    @pytest.mark.parametrize(
        "value",
        ["**bold**", "# heading", "1. item", "- item", "| a | b |", "<b>x</b>", "[x](http://e.test)", "&amp;"],
    )
    def test_markdown_syntax_in_values_is_text(self, value: str) -> None:
        """Emphasis, headings, lists, cells, HTML, links and entities in a value stay literal."""
        tokens = parse_clause_markdown(clause_environment().from_string("{{ v }}").render(v=value))
        assert [t.type for t in tokens] == ["paragraph_open", "inline", "paragraph_close"]
        assert plain_text(tokens) == value

    def test_line_breaks_fold_to_spaces(self) -> None:
        """A value cannot start a new paragraph or table row."""
        assert markdown_escape("a\n\n| x |\r\nb") == r"a \| x \| b"

    def test_html_escaped_markup_is_unescaped_then_markdown_escaped(self) -> None:
        """Output of join (HTML-escaped Markup) shows the original characters, still inert."""
        rendered = clause_environment().from_string("{{ xs|join(', ') }}").render(xs=["<a>", "*b*"])
        assert plain_text(parse_clause_markdown(rendered)) == "<a>, *b*"


class TestFilters:
    @pytest.mark.parametrize(
        ("amount", "currency", "expected"),
        [
            (1234.5, "USD", "$1,234.50"),
            (990, "CAD", "CA$990.00"),
            ("1000000", "GBP", "£1,000,000.00"),
            (-5, "USD", "-$5.00"),
            (12.345, "CHF", "12.35 CHF"),
            (7, None, "7.00"),
        ],
    )
    def test_money(self, amount: object, currency: str | None, expected: str) -> None:
        """Money formats with two decimals, separators and the currency symbol or code."""
        assert money(amount, currency) == expected

    @pytest.mark.parametrize("bad", ["abc", True, float("nan")])
    def test_money_refuses_non_numbers(self, bad: object) -> None:
        """Money refuses text, booleans and NaN."""
        with pytest.raises(ValueError, match="money"):
            money(bad, "USD")

    def test_date(self) -> None:
        """Date prints '14 March 2026' from dates, datetimes and ISO strings."""
        assert format_date("2026-03-14") == "14 March 2026"
        assert format_date(date(2026, 1, 2)) == "2 January 2026"
        assert format_date(datetime(2026, 12, 31, 23, 0)) == "31 December 2026"
        assert format_date("2026-03-14", "iso") == "2026-03-14"
        with pytest.raises(ValueError, match="date"):
            format_date("yesterday")


class TestSandbox:
    @pytest.mark.parametrize(
        "body",
        [
            "{{ ''.__class__.__mro__[1].__subclasses__() }}",
            "{{ client.__class__.__init__.__globals__ }}",
            "{{ data.__class__ }}",
        ],
    )
    def test_templates_cannot_reach_python_internals(self, body: str, context: AssemblyContext) -> None:
        """Dunder access from a clause is a template error, never a leak."""
        manifest = make_manifest({"x.one": body})
        with pytest.raises((TemplateInvalid, TemplateDataInvalid)):
            assemble(manifest, {}, context)

    def test_templates_cannot_mutate_input(self, context: AssemblyContext) -> None:
        """The immutable sandbox refuses list.append on the caller's data."""
        manifest = make_manifest(
            {"x.one": "{{ tags.append('x') }}"},
            properties={"tags": {"type": "array", "items": {"type": "string", "maxLength": 5}}},
        )
        with pytest.raises(TemplateInvalid):
            assemble(manifest, {"tags": ["a"]}, context)

    @pytest.mark.parametrize("body", ["{% include '/etc/passwd' %}", "{% import 'x' as y %}", "{% extends 'base' %}"])
    def test_include_import_extends_refused_when_loading(self, body: str) -> None:
        """A clause that pulls in other files is refused when the template is loaded."""
        with pytest.raises(TemplateInvalid) as caught:
            make_manifest({"x.one": body})
        assert "not allowed" in caught.value.errors[0].reason
