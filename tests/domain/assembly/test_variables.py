"""Tests of variable validation: schema errors with pointers, caps, control characters, reserved names."""

from __future__ import annotations

from typing import Any

import pytest

from domain.assembly import AssemblyContext, TemplateManifest, VariableLimits, validate_variables
from domain.assembly.assemble import assemble
from domain.assembly.variables import schema_name_problems, string_leaves_without_cap
from domain.errors import TemplateDataInvalid


def _errors(schema: dict[str, Any], variables: Any, limits: VariableLimits | None = None) -> dict[str, str]:
    with pytest.raises(TemplateDataInvalid) as caught:
        validate_variables(schema, variables, limits=limits)
    return {e.pointer: e.reason for e in caught.value.errors}


class TestSchemaErrors:
    def test_every_bad_field_is_listed_with_its_pointer(
        self, agreement: TemplateManifest, us_variables: dict[str, Any]
    ) -> None:
        """All problems come back at once, each under its own JSON pointer."""
        del us_variables["tier"]
        us_variables["monthly_fee"] = "lots"
        us_variables["currency"] = "XYZ"
        us_variables["effective_date"] = "14/03/2026"
        us_variables["governing_law"] = {"country": "US", "planet": "Earth"}
        us_variables["services"][1]["price"] = -5
        us_variables["surprise"] = True
        errors = _errors(dict(agreement.schema), us_variables)
        assert set(errors) == {
            "/tier",
            "/monthly_fee",
            "/currency",
            "/effective_date",
            "/governing_law/planet",
            "/services/1/price",
            "/surprise",
        }
        assert errors["/tier"] == "is required"
        assert errors["/monthly_fee"] == "must be of type number"
        assert errors["/effective_date"] == "is not a valid date"
        assert errors["/surprise"] == "is not allowed"
        assert errors["/services/1/price"] == "less than 0"

    def test_assemble_raises_template_data_invalid(self, agreement: TemplateManifest, context: AssemblyContext) -> None:
        """Assemble refuses invalid input with the 422 error carrying the field list."""
        with pytest.raises(TemplateDataInvalid) as caught:
            assemble(agreement, {"tier": "gold"}, context)
        pointers = {e.pointer for e in caught.value.errors}
        assert {"/tier", "/effective_date", "/monthly_fee", "/currency", "/governing_law", "/services"} <= pointers
        assert caught.value.status == 422

    def test_pointer_escapes_slash_and_tilde(self) -> None:
        """Member names with / and ~ are escaped per RFC 6901."""
        schema = {"type": "object", "properties": {"a/b~c": {"type": "integer"}}}
        assert _errors(schema, {"a/b~c": "x"}) == {"/a~1b~0c": "must be of type integer"}

    def test_reasons_never_echo_the_value(self) -> None:
        """A hostile or huge value does not travel back inside the error."""
        schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 10, "pattern": "^a"}}}
        value = "<script>alert(1)</script>"
        with pytest.raises(TemplateDataInvalid) as caught:
            validate_variables(schema, {"name": value})
        assert all(value not in e.reason and "script" not in e.reason for e in caught.value.errors)


class TestCaps:
    def test_megabyte_string_refused_by_schema_max_length(self, agreement: TemplateManifest) -> None:
        """A megabyte string is refused by size before any schema work, naming the oversized field."""
        errors = _errors(dict(agreement.schema), {"special_terms": "x" * 1_000_000})
        assert errors == {"": "larger than 262144 bytes", "/special_terms": "longer than 20000 characters"}

    def test_global_string_cap_applies_without_schema_limit(self) -> None:
        """A schema that forgot maxLength still cannot accept an oversized string."""
        schema = {"type": "object", "properties": {"notes": {"type": "string"}}}
        errors = _errors(schema, {"notes": "y" * 30_000})
        assert errors == {"/notes": "longer than 20000 characters"}

    def test_schema_max_length_reported_with_pointer(self) -> None:
        """The schema's own maxLength is reported under the field's pointer."""
        schema = {"type": "object", "properties": {"notes": {"type": "string", "maxLength": 5}}}
        assert _errors(schema, {"notes": "abcdefgh"}) == {"/notes": "longer than 5 characters"}

    def test_nesting_depth_capped(self) -> None:
        """Deeply nested input is refused."""
        value: Any = "leaf"
        for _ in range(20):
            value = {"n": value}
        errors = _errors({"type": "object"}, {"n": value}, VariableLimits(max_depth=5))
        assert any("nested deeper" in reason for reason in errors.values())


class TestCharacters:
    @pytest.mark.parametrize(
        ("bad", "words"),
        [
            ("a\x00b", "control"),
            ("bell\x07", "control"),
            ("esc\x1b[31m", "control"),
            ("c1\x85", "control"),
            ("rtl\u202eevil", "text-direction"),
            ("iso\u2066x", "text-direction"),
            ("zero\u200bwidth", "invisible"),
            ("soft\u00adhyphen", "invisible"),
        ],
    )
    def test_control_bidi_and_invisible_characters_refused(self, bad: str, words: str) -> None:
        """Control characters, bidi overrides and invisibles are refused (the shared text rules), naming the field."""
        schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 100}}}
        errors = _errors(schema, {"name": bad})
        assert list(errors) == ["/name"] and words in errors["/name"]

    def test_newlines_and_tabs_allowed_and_text_normalised(self) -> None:
        """Line breaks and tabs are ordinary text; strings come back NFC-normalised."""
        schema = {"type": "object", "properties": {"address": {"type": "string", "maxLength": 100}}}
        clean = validate_variables(schema, {"address": "1 Main St\r\nCafe\u0301\tBC"})
        assert clean == {"address": "1 Main St\r\nCaf\u00e9\tBC"}


class TestNames:
    @pytest.mark.parametrize("name", ["items", "keys", "update"])
    def test_dict_method_names_refused_in_input(self, name: str) -> None:
        """A member named like a dict method would read the method in Jinja, so it is refused."""
        errors = _errors({"type": "object"}, {"order": {name: 1}})
        assert errors == {f"/order/{name}": "is a reserved name"}

    def test_context_names_refused_at_top_level(self) -> None:
        """Variables may not shadow data, branding, client or document."""
        assert _errors({"type": "object"}, {"client": "x"}) == {"/client": "is a reserved name"}

    def test_schema_name_problems(self) -> None:
        """A manifest schema with reserved or non-identifier names is reported."""
        schema = {
            "type": "object",
            "properties": {
                "data": {"type": "string"},
                "bad-name": {"type": "string"},
                "nested": {"type": "object", "properties": {"values": {"type": "number"}}},
                "fine": {"type": "string"},
            },
        }
        pointers = {p.pointer for p in schema_name_problems(schema)}
        assert pointers == {"/properties/data", "/properties/bad-name", "/properties/nested/properties/values"}

    def test_string_leaves_without_cap(self) -> None:
        """Lint finds string schemas that set no maxLength or enum."""
        schema = {
            "type": "object",
            "properties": {
                "a": {"type": "string"},
                "b": {"type": "string", "maxLength": 3},
                "c": {"type": "string", "enum": ["x"]},
                "d": {"type": "array", "items": {"type": "string"}},
            },
        }
        assert string_leaves_without_cap(schema) == ["/properties/a", "/properties/d/items"]
