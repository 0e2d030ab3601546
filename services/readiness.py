"""Readiness: run each dependency probe and report which ones fail and why."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from domain.errors import UndersignError


@dataclass(frozen=True)
class ReadinessReport:
    """The result of every probe: ``ok`` or the reason it failed."""

    checks: dict[str, str] = field(default_factory=dict)

    @property
    def ready(self) -> bool:
        """Whether every probe passed."""
        return all(result == "ok" for result in self.checks.values())

    def as_dict(self) -> dict[str, object]:
        """Return the report as the JSON body of ``/readyz``."""
        return {"status": "ready" if self.ready else "unavailable", "checks": self.checks}


def check_readiness(probes: Mapping[str, Callable[[], None]]) -> ReadinessReport:
    """Run each probe; a probe passes by returning and fails by raising an ``UndersignError``."""
    checks: dict[str, str] = {}
    for name, probe in probes.items():
        try:
            probe()
        except UndersignError as exc:
            checks[name] = exc.detail
        else:
            checks[name] = "ok"
    return ReadinessReport(checks)
