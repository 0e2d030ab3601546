"""Parsing the ladder policy, its errors named by field, and per-client overrides."""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from domain.dunning import (
    Anchor,
    Channel,
    DayCount,
    LadderPolicy,
    StepKind,
    apply_override,
    parse_policy,
)
from domain.errors import InvalidInput


def pointers(excinfo: pytest.ExceptionInfo[InvalidInput]) -> set[str]:
    """Return the pointers of the field errors an ``InvalidInput`` carries."""
    return {error.pointer for error in excinfo.value.errors}


class TestDefaultLadder:
    def test_default_ladder_matches_the_domain_table(self, default_policy: LadderPolicy) -> None:
        """The shipped YAML is the ladder of domain.md: offsets, kinds, templates and approvals."""
        assert [(s.key, s.offset, s.kind) for s in default_policy.steps] == [
            ("reminder-1", 7, StepKind.EMAIL_REMINDER),
            ("call-1", 7, StepKind.PHONE_TASK),
            ("reminder-2", 14, StepKind.EMAIL_REMINDER),
            ("call-2", 14, StepKind.PHONE_TASK),
            ("official-notice", 21, StepKind.OFFICIAL_NOTICE),
            ("call-3", 21, StepKind.PHONE_TASK),
            ("final-notice", 30, StepKind.FINAL_NOTICE),
            ("suspension", 35, StepKind.SUSPENSION),
            ("collections-referral", 40, StepKind.COLLECTIONS_REFERRAL),
            ("letter-before-action", 60, StepKind.LETTER_BEFORE_ACTION),
        ]
        assert default_policy.anchor is Anchor.DUE_DATE
        assert default_policy.day_count is DayCount.CALENDAR
        assert default_policy.step("final-notice").template == "notices/final-notice"
        assert default_policy.step("call-1").channels == (Channel.PHONE,)
        assert default_policy.interest_rate_cap_percent == Decimal(35)

    def test_approval_defaults_to_the_later_steps(self, default_data: dict[str, Any]) -> None:
        """Without ``needs_approval`` only suspension, collections and letter before action need a person."""
        data = copy.deepcopy(default_data)
        for step in data["steps"]:
            del step["needs_approval"]
        policy = parse_policy(data)
        assert [s.key for s in policy.steps if s.needs_approval] == [
            "suspension",
            "collections-referral",
            "letter-before-action",
        ]

    def test_steps_are_ordered_by_offset(self, default_data: dict[str, Any]) -> None:
        """Steps written out of order are put in ladder order, same-day steps keeping their file order."""
        data = copy.deepcopy(default_data)
        data["steps"].reverse()
        keys = [s.key for s in parse_policy(data).steps]
        assert keys[:4] == ["call-1", "reminder-1", "call-2", "reminder-2"]
        assert [s.offset for s in parse_policy(data).steps] == sorted(step["offset"] for step in default_data["steps"])


class TestParseErrors:
    def test_every_bad_field_is_named(self, default_data: dict[str, Any]) -> None:
        """One bad value per field gives one error per field, each with its JSON pointer."""
        data = copy.deepcopy(default_data)
        data["anchr"] = "due_date"
        data["anchor"] = "whenever"
        data["day_count"] = "lunar"
        data["holidays"] = ["2026-13-01"]
        data["weekend"] = ["caturday"]
        data["promise_grace_days"] = -1
        data["interest_rate_cap_percent"] = "lots"
        data["steps"][0]["offset"] = -1
        data["steps"][1]["kind"] = "sms"
        data["steps"][2]["channels"] = ["fax"]
        data["steps"][4]["template"] = None
        data["steps"][5]["template"] = "../../etc/passwd"
        data["steps"][6]["needs_approval"] = "yes"
        data["steps"][7]["colour"] = "red"
        data["steps"][8]["key"] = "Letter Before Action"
        with pytest.raises(InvalidInput) as excinfo:
            parse_policy(data)
        assert pointers(excinfo) == {
            "/anchr",
            "/anchor",
            "/day_count",
            "/holidays/0",
            "/weekend",
            "/promise_grace_days",
            "/interest_rate_cap_percent",
            "/steps/0/offset",
            "/steps/1/kind",
            "/steps/2/channels",
            "/steps/4/template",
            "/steps/5/template",
            "/steps/6/needs_approval",
            "/steps/7/colour",
            "/steps/8/key",
        }

    def test_boolean_offset_is_refused(self, default_data: dict[str, Any]) -> None:
        """``offset: true`` is not a number of days even though Python calls it 1."""
        data = copy.deepcopy(default_data)
        data["steps"][0]["offset"] = True
        with pytest.raises(InvalidInput) as excinfo:
            parse_policy(data)
        assert pointers(excinfo) == {"/steps/0/offset"}

    def test_duplicate_keys_are_refused(self, default_data: dict[str, Any]) -> None:
        """Two steps with one key would share one record: the second is refused."""
        data = copy.deepcopy(default_data)
        data["steps"][2]["key"] = "reminder-1"
        with pytest.raises(InvalidInput) as excinfo:
            parse_policy(data)
        assert pointers(excinfo) == {"/steps/2/key"}

    @pytest.mark.parametrize(
        ("change", "reason"),
        [
            ({"official-notice": {"offset": 30}}, "share day 30"),
            ({"official-notice": {"offset": 50}}, "milder than the earlier"),
            ({"final-notice": {"kind": "suspension"}}, "at most one suspension"),
            ({"final-notice": {"kind": "official_notice"}}, "needs a final_notice step"),
        ],
    )
    def test_ladder_rules_are_refused_at_steps(
        self, default_data: dict[str, Any], change: dict[str, dict[str, Any]], reason: str
    ) -> None:
        """A ladder that shares a notice day, gets milder, or lacks a single final notice is refused."""
        data = copy.deepcopy(default_data)
        for step in data["steps"]:
            step.update(change.get(step["key"], {}))
        with pytest.raises(InvalidInput) as excinfo:
            parse_policy(data)
        assert pointers(excinfo) == {"/steps"}
        assert any(reason in e.reason for e in excinfo.value.errors)

    def test_no_steps_is_refused(self) -> None:
        """A policy without steps is refused at ``/steps``."""
        with pytest.raises(InvalidInput) as excinfo:
            parse_policy({"steps": []})
        assert pointers(excinfo) == {"/steps"}


class TestOverride:
    def test_override_changes_merges_removes_and_adds(self, default_data: dict[str, Any]) -> None:
        """An override moves one step, drops two, adds a call and replaces the holidays."""
        policy = apply_override(
            default_data,
            {
                "day_count": "business",
                "holidays": ["2026-07-01"],
                "steps": [
                    {"key": "official-notice", "offset": 20, "channels": ["letter"]},
                    {"key": "reminder-2", "remove": True},
                    {"key": "call-2", "remove": True},
                    {"key": "call-3", "offset": 25, "kind": "phone_task", "channels": ["phone"]},
                ],
            },
        )
        assert [(s.key, s.offset) for s in policy.steps] == [
            ("reminder-1", 7),
            ("call-1", 7),
            ("official-notice", 20),
            ("call-3", 25),
            ("final-notice", 30),
            ("suspension", 35),
            ("collections-referral", 40),
            ("letter-before-action", 60),
        ]
        official = policy.step("official-notice")
        assert official.channels == (Channel.LETTER,)
        assert official.template == "notices/official-notice"
        assert policy.day_count is DayCount.BUSINESS
        assert policy.holidays == frozenset({date(2026, 7, 1)})
        assert policy.step("call-3").needs_approval is False

    def test_override_does_not_change_the_base(self, default_data: dict[str, Any]) -> None:
        """Merging leaves the base mapping as it was, so one client's override never leaks to another."""
        before = copy.deepcopy(default_data)
        apply_override(default_data, {"steps": [{"key": "official-notice", "offset": 20}]})
        assert default_data == before

    def test_override_can_drop_approval(self, default_data: dict[str, Any]) -> None:
        """A client override may let the suspension go out without approval."""
        policy = apply_override(default_data, {"steps": [{"key": "suspension", "needs_approval": False}]})
        assert policy.step("suspension").needs_approval is False

    def test_override_errors_point_into_the_override(self, default_data: dict[str, Any]) -> None:
        """Bad override values are named by their place in the override document."""
        with pytest.raises(InvalidInput) as excinfo:
            apply_override(
                default_data,
                {
                    "anchor": "yesterday",
                    "colour": "red",
                    "steps": [
                        {"key": "official-notice", "offset": "soon"},
                        {"key": "nope", "remove": True},
                        {"key": "call-9", "offset": 25},  # a new step: kind and channels are missing
                        {"key": "reminder-1", "remove": "please"},
                    ],
                },
            )
        assert pointers(excinfo) == {
            "/colour",
            "/steps/0/offset",
            "/steps/1/key",
            "/steps/2/kind",
            "/steps/2/channels",
            "/steps/3/remove",
            "/anchor",
        }

    def test_override_breaking_the_ladder_is_refused(self, default_data: dict[str, Any]) -> None:
        """Moving the official notice after the final notice is refused as a ladder error."""
        with pytest.raises(InvalidInput) as excinfo:
            apply_override(default_data, {"steps": [{"key": "official-notice", "offset": 33}]})
        assert pointers(excinfo) == {"/steps"}
