"""axe-core in Chromium: inject the vendored engine into a page and fail on serious or critical violations.

The engine is ``tests/browser/vendor/axe.min.js`` (axe-core, MPL-2.0; see the README beside it). It is
added with Playwright's ``add_script_tag``; the signing pages' Content Security Policy allows only their
own nonce-carrying scripts, so the browser context that runs axe is opened with ``bypass_csp=True``
(which changes nothing axe checks). Each check runs at a phone width (390 px) and a desktop width
(1280 px), the two widths the signing pages are designed for.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

AXE_SOURCE = Path(__file__).parent / "vendor" / "axe.min.js"
#: WCAG 2.0, 2.1 and 2.2 at levels A and AA: what the signing pages promise.
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
FAILING_IMPACTS = ("serious", "critical")
WIDTHS = (390, 1280)

_RUN = """async (tags) => {
  const result = await axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), summary: n.failureSummary})),
  }));
}"""


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Run axe-core on the page as it is now and return every WCAG A/AA violation it reports."""
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(AXE_SOURCE))
    violations: list[dict[str, Any]] = page.evaluate(_RUN, WCAG_TAGS)
    return violations


def describe(violations: list[dict[str, Any]]) -> str:
    """Return the violations as lines a person can act on: rule, impact, help and the elements at fault."""
    lines = []
    for v in violations:
        lines.append(f"{v['id']} ({v['impact']}): {v['help']}")
        lines.extend(f"    {n['target']}: {n['summary']}" for n in v["nodes"])
    return "\n".join(lines)


def serious_violations(page: Any, state: str) -> list[str]:
    """Check the page at each width in :data:`WIDTHS`; return a report per width that has serious problems."""
    reports = []
    original = page.viewport_size
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        found = [v for v in axe_violations(page) if v["impact"] in FAILING_IMPACTS]
        if found:
            reports.append(f"{state} at {width} px:\n{describe(found)}")
    if original:
        page.set_viewport_size(original)
    return reports
