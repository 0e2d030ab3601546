"""deploy/: the alert rules and the dashboard query only series that /metrics really exposes."""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import yaml

from tests.api.test_clients import client_body
from tests.conftest import Api
from undersign.settings import REPO_ROOT

DEPLOY = REPO_ROOT / "deploy"
METRIC = re.compile(r"\bundersign_[a-z_]+\b")
SUFFIXES = {"histogram": ("_bucket", "_count", "_sum"), "counter": ("_total",), "gauge": ("",)}


def exposed_series(api: Api) -> set[str]:
    """Return every series name the families declared by a real /metrics scrape can have."""
    text = api.client.get("/metrics").text
    names: set[str] = set()
    for name, kind in re.findall(r"^# TYPE (\S+) (\S+)$", text, flags=re.MULTILINE):
        base = name.removesuffix("_total")
        names.update(base + suffix for suffix in SUFFIXES.get(kind, ("",)))
    return names


def alert_exprs() -> list[str]:
    """Return the expression of every alert rule."""
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def dashboard_exprs() -> list[str]:
    """Return the query of every dashboard panel target."""
    dashboard = json.loads((DEPLOY / "grafana" / "undersign-dashboard.json").read_text())
    return [target["expr"] for panel in dashboard["panels"] for target in panel["targets"]]


class TestDeploy:
    def test_rules_and_dashboard_name_only_exposed_series(self, api: Api) -> None:
        """Every undersign_* name in the alert rules and dashboard panels is a series /metrics declares."""
        assert api.post("/v1/clients", json=client_body()).status_code == 201
        assert api.post("/v1/audit/checkpoints").status_code == 201  # the checkpoint age appears once one exists
        exposed = exposed_series(api)
        used = {name for expr in alert_exprs() + dashboard_exprs() for name in METRIC.findall(expr)}
        assert used, "no series referenced"
        assert used <= exposed, sorted(used - exposed)

    def test_dashboard_covers_the_promised_series(self) -> None:
        """The dashboard shows latency by route, renders, pool load, seals, webhooks, dunning and the audit chain."""
        joined = " ".join(dashboard_exprs())
        for name in (
            "undersign_http_request_duration_seconds_bucket",
            "undersign_render_duration_seconds_bucket",
            "undersign_render_pool_queue_depth",
            "undersign_seals_total",
            "undersign_webhook_delivery_attempts_total",
            "undersign_dunning_steps_total",
            "undersign_audit_chain_length",
            "undersign_audit_last_checkpoint_age_seconds",
        ):
            assert name in joined, name

    def test_promtool_accepts_and_unit_tests_the_rules(self) -> None:
        """Promtool (Debian `prometheus`) checks the rules and runs their unit tests, when it is installed."""
        promtool = shutil.which("promtool")
        names = {
            rule
            for group in yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())["groups"]
            for rule in (r["alert"] for r in group["rules"])
        }
        assert {
            "UndersignAuditCheckpointTooOld",
            "UndersignSealRetriesPilingUp",
            "UndersignWebhookFailures",
            "UndersignRenderPoolSaturated",
        } <= names
        if promtool is None:
            return  # the structural checks above still ran
        check = subprocess.run(
            [promtool, "check", "rules", str(DEPLOY / "prometheus" / "alerts.yml")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert check.returncode == 0, check.stdout + check.stderr
        test = subprocess.run(
            [promtool, "test", "rules", str(DEPLOY / "prometheus" / "alerts.test.yml")],
            capture_output=True,
            text=True,
            check=False,
        )
        assert test.returncode == 0, test.stdout + test.stderr
