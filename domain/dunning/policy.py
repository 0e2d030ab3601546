"""The escalation ladder as data: which step goes out how many days after the anchor, and how.

A policy is parsed from a plain mapping (the caller loads ``policies/default-ladder.yaml`` or a
client's override; the domain does no I/O)::

    anchor: due_date            # due_date | invoice_date
    day_count: calendar         # calendar | business
    weekend: [saturday, sunday]
    holidays: [2026-04-03]
    promise_grace_days: 3       # calendar days a promise to pay holds the ladder after its date
    interest_rate_cap_percent: 35
    steps:
      - {key: reminder-1, offset: 7, kind: email_reminder, template: notices/reminder,
         channels: [email], needs_approval: false}

Rules a policy must follow, each refused with a named ``FieldError``:

- every step has a unique ``key``; ``offset`` is a whole number of days (0..3650);
- every step except a ``phone_task`` names a notice ``template`` (``notices/<name>``);
- notices (every kind but ``phone_task``) have strictly increasing offsets and never get milder
  along the ladder (reminder < official < final < suspension < collections < letter before action),
  because catch-up picks "the most severe due step" and that must be the latest one;
- at most one ``final_notice`` and one ``suspension``; any step beyond the final notice needs a final
  notice earlier in the ladder (a client is never suspended or referred without one).

``needs_approval`` defaults to true for suspension, collections referral and letter before action.
A per-client override (``apply_override``) replaces top-level values and merges ``steps`` by key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import pairwise
from typing import Any

from domain.dunning.calendar import WEEKDAY_NAMES, BusinessCalendar, DayCount
from domain.errors import FieldError, InvalidInput


class StepKind(StrEnum):
    """What a ladder step does."""

    EMAIL_REMINDER = "email_reminder"
    PHONE_TASK = "phone_task"
    OFFICIAL_NOTICE = "official_notice"
    FINAL_NOTICE = "final_notice"
    SUSPENSION = "suspension"
    COLLECTIONS_REFERRAL = "collections_referral"
    LETTER_BEFORE_ACTION = "letter_before_action"

    @property
    def severity(self) -> int:
        """Rank on the ladder; a phone task is 0 because it is a task for staff, not a notice."""
        return _SEVERITY[self]

    @property
    def is_notice(self) -> bool:
        """Whether the step sends something to the client (every kind but a phone task)."""
        return self is not StepKind.PHONE_TASK


_SEVERITY = {
    StepKind.PHONE_TASK: 0,
    StepKind.EMAIL_REMINDER: 1,
    StepKind.OFFICIAL_NOTICE: 2,
    StepKind.FINAL_NOTICE: 3,
    StepKind.SUSPENSION: 4,
    StepKind.COLLECTIONS_REFERRAL: 5,
    StepKind.LETTER_BEFORE_ACTION: 6,
}

# Suspending, referring to an agency and threatening court are hard to undo: a person approves them.
_APPROVAL_BY_DEFAULT = frozenset({StepKind.SUSPENSION, StepKind.COLLECTIONS_REFERRAL, StepKind.LETTER_BEFORE_ACTION})


class Channel(StrEnum):
    """How a step reaches the client (or, for a phone task, which staff queue gets it)."""

    EMAIL = "email"
    LETTER = "letter"
    PHONE = "phone"


class Anchor(StrEnum):
    """The date offsets are counted from."""

    DUE_DATE = "due_date"
    INVOICE_DATE = "invoice_date"


@dataclass(frozen=True)
class LadderStep:
    """One rung: ``offset`` days after the anchor, do ``kind`` with ``template`` over ``channels``."""

    key: str
    offset: int
    kind: StepKind
    template: str | None
    channels: tuple[Channel, ...]
    needs_approval: bool

    @property
    def severity(self) -> int:
        """The step's rank on the ladder (see ``StepKind.severity``)."""
        return self.kind.severity


@dataclass(frozen=True)
class LadderPolicy:
    """A complete, validated ladder: steps in ladder order plus how days are counted."""

    steps: tuple[LadderStep, ...]
    anchor: Anchor = Anchor.DUE_DATE
    day_count: DayCount = DayCount.CALENDAR
    holidays: frozenset[date] = frozenset()
    weekend: frozenset[int] = field(default_factory=lambda: frozenset({5, 6}))
    promise_grace_days: int = 3
    interest_rate_cap_percent: Decimal = Decimal(35)

    @property
    def calendar(self) -> BusinessCalendar:
        """The business-day calendar of this policy (weekend and holidays)."""
        return BusinessCalendar(holidays=self.holidays, weekend=self.weekend)

    def step(self, key: str) -> LadderStep:
        """Return the step called ``key`` (``KeyError`` if there is none)."""
        for candidate in self.steps:
            if candidate.key == key:
                return candidate
        raise KeyError(key)

    def first_of_kind(self, kind: StepKind) -> LadderStep | None:
        """Return the first step of ``kind`` in ladder order, if any."""
        return next((s for s in self.steps if s.kind is kind), None)


_TOP_KEYS = frozenset(
    {"anchor", "day_count", "weekend", "holidays", "promise_grace_days", "interest_rate_cap_percent", "steps"}
)
_STEP_KEYS = frozenset({"key", "offset", "kind", "template", "channels", "needs_approval"})
_KEY_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,63}$")
_TEMPLATE_RE = re.compile(r"^notices/[a-z0-9][a-z0-9-]{0,63}$")
_MAX_OFFSET = 3650
_MAX_GRACE = 60


def parse_policy(data: Mapping[str, Any]) -> LadderPolicy:
    """Validate ``data`` (a loaded YAML/JSON mapping) and return the policy it describes.

    Raises ``InvalidInput`` listing every bad field with a JSON pointer such as ``/steps/2/offset``.
    """
    errors: list[FieldError] = []
    if not isinstance(data, Mapping):
        raise InvalidInput("The ladder policy must be a mapping.", errors=[FieldError("", "must be a mapping")])
    anchor, day_count, weekend, holidays, grace, cap = _settings(data, errors)
    steps = _steps(data.get("steps"), errors)
    if errors:
        raise InvalidInput("The ladder policy is invalid.", errors=errors)
    assert anchor is not None and day_count is not None and cap is not None and grace is not None
    return LadderPolicy(
        steps=steps,
        anchor=anchor,
        day_count=day_count,
        holidays=holidays,
        weekend=weekend,
        promise_grace_days=grace,
        interest_rate_cap_percent=cap,
    )


def apply_override(base: Mapping[str, Any], override: Mapping[str, Any]) -> LadderPolicy:
    """Return the policy ``base`` with a client's ``override`` applied.

    Top-level fields in the override replace the base's (``holidays`` and ``weekend`` too: a list
    replaces a list). ``steps`` merge by ``key``: a step whose key exists changes only the fields it
    gives; ``{key: x, remove: true}`` drops step ``x``; a new key adds a complete step. Errors in the
    override are reported with pointers into the override (``/steps/1/offset``).
    """
    errors: list[FieldError] = []
    if not isinstance(override, Mapping):
        raise InvalidInput("The override must be a mapping.", errors=[FieldError("", "must be a mapping")])
    _settings(override, errors)
    merged: dict[str, Any] = {k: v for k, v in base.items() if k != "steps"}
    merged.update({k: v for k, v in override.items() if k != "steps" and k in _TOP_KEYS})
    base_steps = [dict(s) for s in base.get("steps") or []]
    by_key = {s.get("key"): s for s in base_steps}
    raw_steps = override.get("steps", [])
    if not isinstance(raw_steps, Sequence) or isinstance(raw_steps, str):
        errors.append(FieldError("/steps", "must be a list of steps"))
        raw_steps = []
    removed: set[str] = set()
    for index, raw in enumerate(raw_steps):
        pointer = f"/steps/{index}"
        if not isinstance(raw, Mapping):
            errors.append(FieldError(pointer, "must be a mapping"))
            continue
        key = raw.get("key")
        if not isinstance(key, str) or not _KEY_RE.match(key):
            errors.append(FieldError(f"{pointer}/key", "must be a lowercase slug naming the step"))
            continue
        if raw.get("remove") is True:
            if key not in by_key:
                errors.append(FieldError(f"{pointer}/key", f"no step {key!r} to remove"))
            removed.add(key)
            continue
        changes = {k: v for k, v in raw.items() if k != "remove"}
        if "remove" in raw:
            errors.append(FieldError(f"{pointer}/remove", "must be true when given"))
        if key in by_key:
            by_key[key].update(changes)
            _step(by_key[key], pointer, errors, given=set(changes))
        else:
            _step(changes, pointer, errors, given=None)
            base_steps.append(changes)
            by_key[key] = changes
    if errors:
        raise InvalidInput("The ladder override is invalid.", errors=errors)
    merged["steps"] = [s for s in base_steps if s.get("key") not in removed]
    return parse_policy(merged)


def _settings(
    data: Mapping[str, Any], errors: list[FieldError]
) -> tuple[Anchor | None, DayCount | None, frozenset[int], frozenset[date], int | None, Decimal | None]:
    """Validate the top-level fields (all but ``steps``), defaulting those that are absent."""
    for extra in sorted(set(map(str, data)) - _TOP_KEYS):
        errors.append(FieldError(f"/{extra}", "unknown field"))
    return (
        _enum(data, "anchor", Anchor, Anchor.DUE_DATE, "", errors),
        _enum(data, "day_count", DayCount, DayCount.CALENDAR, "", errors),
        _weekend(data.get("weekend", ["saturday", "sunday"]), errors),
        _holidays(data.get("holidays") or [], errors),
        _int(data.get("promise_grace_days", 3), "/promise_grace_days", 0, _MAX_GRACE, errors),
        _percent(data.get("interest_rate_cap_percent", 35), "/interest_rate_cap_percent", errors),
    )


def _enum(
    data: Mapping[str, Any], name: str, kind: type[Any], default: Any, prefix: str, errors: list[FieldError]
) -> Any:
    raw = data.get(name, default)
    try:
        return kind(raw)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        errors.append(FieldError(f"{prefix}/{name}", f"must be one of: {allowed}"))
        return None


def _int(raw: Any, pointer: str, low: int, high: int, errors: list[FieldError]) -> int | None:
    if isinstance(raw, bool) or not isinstance(raw, int) or not low <= raw <= high:
        errors.append(FieldError(pointer, f"must be a whole number from {low} to {high}"))
        return None
    return raw


def _percent(raw: Any, pointer: str, errors: list[FieldError]) -> Decimal | None:
    try:
        value = Decimal(str(raw)) if not isinstance(raw, bool) else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not Decimal(0) <= value <= Decimal(100):
        errors.append(FieldError(pointer, "must be a number of percent from 0 to 100"))
        return None
    return value


def _weekend(raw: Any, errors: list[FieldError]) -> frozenset[int]:
    if not isinstance(raw, list) or not all(isinstance(d, str) and d.lower() in WEEKDAY_NAMES for d in raw):
        errors.append(FieldError("/weekend", "must be a list of weekday names (monday..sunday)"))
        return frozenset()
    days = frozenset(WEEKDAY_NAMES.index(d.lower()) for d in raw)
    if len(days) == len(WEEKDAY_NAMES):
        errors.append(FieldError("/weekend", "must leave at least one business day in the week"))
    return days


def _holidays(raw: Any, errors: list[FieldError]) -> frozenset[date]:
    if not isinstance(raw, list):
        errors.append(FieldError("/holidays", "must be a list of dates (YYYY-MM-DD)"))
        return frozenset()
    days: set[date] = set()
    for index, item in enumerate(raw):
        if isinstance(item, date):
            days.add(item)
            continue
        try:
            days.add(date.fromisoformat(item))
        except (TypeError, ValueError):
            errors.append(FieldError(f"/holidays/{index}", "must be a date (YYYY-MM-DD)"))
    return frozenset(days)


def _steps(raw: Any, errors: list[FieldError]) -> tuple[LadderStep, ...]:
    if not isinstance(raw, list) or not raw:
        errors.append(FieldError("/steps", "must be a non-empty list of steps"))
        return ()
    steps: list[LadderStep] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        pointer = f"/steps/{index}"
        if not isinstance(item, Mapping):
            errors.append(FieldError(pointer, "must be a mapping"))
            continue
        step = _step(item, pointer, errors, given=None)
        if step is None:
            continue
        if step.key in seen:
            errors.append(FieldError(f"{pointer}/key", f"duplicates step {seen[step.key]}"))
            continue
        seen[step.key] = index
        steps.append(step)
    ordered = tuple(sorted(steps, key=lambda s: s.offset))  # stable: same-day steps keep file order
    if len(steps) == len(raw):
        _check_ladder(ordered, errors)
    return ordered


def _step(
    item: Mapping[str, Any], pointer: str, errors: list[FieldError], *, given: set[str] | None
) -> LadderStep | None:
    """Validate one step; with ``given`` only those fields are checked (a partial override)."""
    before = len(errors)

    def wanted(name: str) -> bool:
        return given is None or name in given

    for extra in sorted(set(map(str, item)) - _STEP_KEYS):
        if wanted(extra):
            errors.append(FieldError(f"{pointer}/{extra}", "unknown field"))
    key = item.get("key")
    if wanted("key") and (not isinstance(key, str) or not _KEY_RE.match(key)):
        errors.append(FieldError(f"{pointer}/key", "must be a lowercase slug naming the step"))
    offset = item.get("offset")
    if wanted("offset"):
        _int(offset, f"{pointer}/offset", 0, _MAX_OFFSET, errors)
    kind = None
    try:
        kind = StepKind(str(item.get("kind")))
    except ValueError:
        if wanted("kind"):
            allowed = ", ".join(k.value for k in StepKind)
            errors.append(FieldError(f"{pointer}/kind", f"must be one of: {allowed}"))
    template = item.get("template")
    if wanted("template") or (wanted("kind") and kind is not None):
        if template is None and kind is not None and kind.is_notice:
            errors.append(FieldError(f"{pointer}/template", "a notice step must name its notice template"))
        elif template is not None and (not isinstance(template, str) or not _TEMPLATE_RE.match(template)):
            errors.append(FieldError(f"{pointer}/template", "must be a notice template id: notices/<name>"))
    channels = item.get("channels")
    if wanted("channels") and (
        not isinstance(channels, list)
        or not channels
        or not all(c in Channel.__members__.values() for c in channels)
        or len(set(channels)) != len(channels)
    ):
        allowed = ", ".join(c.value for c in Channel)
        errors.append(FieldError(f"{pointer}/channels", f"must be a non-empty list of distinct: {allowed}"))
    approval = item.get("needs_approval")
    if wanted("needs_approval") and approval is not None and not isinstance(approval, bool):
        errors.append(FieldError(f"{pointer}/needs_approval", "must be true or false"))
    if len(errors) > before or given is not None or kind is None:
        return None
    assert isinstance(key, str) and isinstance(offset, int) and isinstance(channels, list)
    return LadderStep(
        key=key,
        offset=offset,
        kind=kind,
        template=template,
        channels=tuple(Channel(c) for c in channels),
        needs_approval=approval if isinstance(approval, bool) else kind in _APPROVAL_BY_DEFAULT,
    )


def _check_ladder(steps: tuple[LadderStep, ...], errors: list[FieldError]) -> None:
    """Cross-step rules; reported at ``/steps`` because they concern the ladder as a whole."""
    notices = [s for s in steps if s.kind.is_notice]
    for before, after in pairwise(notices):
        if after.offset <= before.offset:
            errors.append(FieldError("/steps", f"notices {before.key!r} and {after.key!r} share day {after.offset}"))
        if after.severity < before.severity:
            errors.append(
                FieldError("/steps", f"{after.key!r} ({after.kind}) is milder than the earlier {before.key!r}")
            )
    for kind in (StepKind.FINAL_NOTICE, StepKind.SUSPENSION):
        if sum(1 for s in steps if s.kind is kind) > 1:
            errors.append(FieldError("/steps", f"at most one {kind} step"))
    final = next((s for s in steps if s.kind is StepKind.FINAL_NOTICE), None)
    beyond = [s for s in notices if s.severity > StepKind.FINAL_NOTICE.severity]
    if beyond and final is None:
        errors.append(FieldError("/steps", f"{beyond[0].key!r} needs a final_notice step before it"))
