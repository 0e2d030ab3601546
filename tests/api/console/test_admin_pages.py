"""The admin's pages: roles, disabling, API keys that act as their user, and what the audit trail says of the person.

Keys are created on the page (shown once) and then used against the API, so the test proves what a
user's key may do through the real request path; the audit rows are read back from the database.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from sqlalchemy import select

from domain.assembly.html_writer import DRAFT_MARK
from domain.roles import Role
from domain.template_reviews import template_digest
from storage.database import unit_of_work
from storage.tables import api_keys, audit_events
from tests.api.console.conftest import Browser
from tests.support.console import create_user, post_form, sign_in
from undersign.runtime import Runtime
from undersign.service_factory import ServiceFactory
from undersign.settings import REPO_ROOT

CLIENT = {
    "legal_name": "Northwind Traders Ltd.",
    "short_name": "Northwind",
    "address": "1 Harbour Road, Vancouver BC",
    "jurisdiction": "CA-BC",
    "billing_email": "ap@northwind.example",
    "primary_contact": {"name": "Dana Wu", "title": "Office Manager", "email": "dana@northwind.example"},
}


def admin(runtime: Runtime, browser: Browser) -> Any:
    """Return a browser signed in as an admin."""
    create_user(runtime, "ada@msp.example", [Role.ADMIN], name="Ada Admin", title="Operations Director")
    client = browser()
    assert sign_in(client, "ada@msp.example").status_code == 303
    return client


def new_key(client: Any, name: str, owner: str) -> str:
    """Create a key on the keys page and return it as the page shows it (once)."""
    created = post_form(client, "/console/admin/keys", {"name": name, "owner": owner}, token_from="/console/admin/keys")
    assert created.status_code == 201, created.text
    found = re.search(r'id="new-key">(usk_[A-Za-z0-9_\-]+)<', created.text)
    assert found is not None
    return found.group(1)


def last_event(runtime: Runtime, action: str) -> Any:
    """Return the newest audit row with ``action``."""
    with runtime.engine.connect() as conn:
        return conn.execute(
            select(audit_events).where(audit_events.c.action == action).order_by(audit_events.c.seq.desc())
        ).first()


def preview(runtime: Runtime, template: str, variables: dict[str, Any]) -> str:
    """Return the HTML preview of ``template`` as the document service draws it now."""
    with unit_of_work(runtime.sessions) as session:
        return ServiceFactory(session, runtime).documents().preview(template, None, variables)


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
class TestUserKeys:
    def test_a_users_key_acts_with_their_roles_and_the_audit_names_them(
        self, runtime: Runtime, browser: Browser
    ) -> None:
        """A key created for a sales user may create a client; the chained event names the person and their title."""
        page = admin(runtime, browser)
        sam = create_user(runtime, "sam@msp.example", [Role.SALES], name="Sam Sales", title="Account Manager")
        key = new_key(page, "sam-laptop", f"user:{sam}")
        assert key not in page.get("/console/admin/keys").text  # shown once only
        with runtime.engine.connect() as conn:
            stored = conn.execute(
                select(api_keys.c.role, api_keys.c.user_id).where(api_keys.c.name == "sam-laptop")
            ).one()
        assert stored == (None, sam)

        created = page.post("/v1/clients", json=CLIENT, headers={"Authorization": f"Bearer {key}"})
        assert created.status_code == 201, created.text
        event = last_event(runtime, "client.created")
        assert (event.actor_kind, event.actor_id, event.actor_role) == ("api_key", "sam-laptop", "sales")
        assert event.payload["by"] == {
            "user_id": sam,
            "name": "Sam Sales",
            "title": "Account Manager",
            "roles": ["sales"],
        }
        refused = page.post("/v1/invoices", json={}, headers={"Authorization": f"Bearer {key}"})
        assert refused.status_code == 403

    def test_changing_roles_changes_what_the_key_may_do_and_disabling_stops_it(
        self, runtime: Runtime, browser: Browser
    ) -> None:
        """Roles are read at each request: added billing opens invoices; disabling the user ends key and session."""
        page = admin(runtime, browser)
        sam = create_user(runtime, "sam@msp.example", [Role.SALES], name="Sam Sales")
        key = new_key(page, "sam-laptop", f"user:{sam}")
        bearer = {"Authorization": f"Bearer {key}"}
        assert page.post("/v1/invoices", json={}, headers=bearer).status_code == 403
        changed = post_form(
            page,
            f"/console/admin/users/{sam}/roles",
            {"roles": ["sales", "billing"]},
            token_from="/console/admin/users",
        )
        assert changed.status_code == 303
        event = last_event(runtime, "user.roles_changed")
        assert event.payload["to"] == ["sales", "billing"] and event.payload["by"]["name"] == "Ada Admin"
        # Past the role check now: the empty body is what is refused.
        assert page.post("/v1/invoices", json={}, headers=bearer).status_code == 422

        sam_browser = browser()
        sign_in(sam_browser, "sam@msp.example")
        assert sam_browser.get("/console").status_code == 200
        post_form(page, f"/console/admin/users/{sam}/disable", token_from="/console/admin/users")
        assert page.get("/v1/clients", headers=bearer).status_code == 401
        assert sam_browser.get("/console", follow_redirects=False).status_code == 303
        assert sign_in(browser(), "sam@msp.example").status_code == 401
        post_form(page, f"/console/admin/users/{sam}/enable", token_from="/console/admin/users")
        assert page.get("/v1/clients", headers=bearer).status_code == 200

    def test_an_integration_key_has_its_own_role_and_revoking_stops_it(
        self, runtime: Runtime, browser: Browser
    ) -> None:
        """A key for an integration carries one role; revoked on the page, it gets 401."""
        page = admin(runtime, browser)
        key = new_key(page, "psa-sync", "role:auditor")
        bearer = {"Authorization": f"Bearer {key}"}
        assert page.get("/v1/clients", headers=bearer).status_code == 200
        assert page.post("/v1/clients", json=CLIENT, headers=bearer).status_code == 403
        assert (
            post_form(page, "/console/admin/keys/psa-sync/revoke", token_from="/console/admin/keys").status_code == 303
        )
        assert page.get("/v1/clients", headers=bearer).status_code == 401

    def test_an_admin_cannot_lock_themselves_out(self, runtime: Runtime, browser: Browser) -> None:
        """Removing one's own admin role or disabling oneself is refused with a reason, and nothing changes."""
        page = admin(runtime, browser)
        with runtime.engine.connect() as conn:
            from storage.tables_users import users

            ada = conn.execute(select(users.c.id).where(users.c.email == "ada@msp.example")).scalar_one()
        demoted = post_form(
            page, f"/console/admin/users/{ada}/roles", {"roles": ["sales"]}, token_from="/console/admin/users"
        )
        assert "cannot remove your own admin role" in page.get(demoted.headers["location"]).text
        post_form(page, f"/console/admin/users/{ada}/disable", token_from="/console/admin/users")
        assert page.get("/console/admin/users").status_code == 200


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
class TestAdminOverview:
    def test_the_settings_page_lists_what_is_missing(self, runtime: Runtime, browser: Browser) -> None:
        """The development settings lack a mail relay, a TSA and payment details: the page names each setting."""
        text = admin(runtime, browser).get("/console/admin/settings").text
        for expected in (
            "UNDERSIGN_MAIL__SMTP_HOST",
            "UNDERSIGN_SIGNING__TSA_URL",
            "Payment details on notices",
            "Timestamp authority",
            "Mail sender",
        ):
            assert expected in text, expected

    def test_the_template_page_lists_the_library_and_its_review_status(
        self, runtime: Runtime, browser: Browser
    ) -> None:
        """Every shipped template is listed with its version; unreviewed ones say so."""
        text = admin(runtime, browser).get("/console/admin/templates").text
        for manifest in runtime.templates.list():
            assert manifest.id in text
        assert "not reviewed" in text

    def test_an_admin_marks_a_template_text_reviewed_and_its_documents_lose_the_draft_mark(
        self, runtime: Runtime, browser: Browser
    ) -> None:
        """Mark reviewed (CSRF, admin only) names who and which text; previews drop the DRAFT mark; audited."""
        template = "waivers/decline-of-service"
        sample = json.loads((REPO_ROOT / "templates" / template / "samples" / "mfa-ra-2026-0042.json").read_text())
        assert DRAFT_MARK in preview(runtime, template, sample)
        client = admin(runtime, browser)
        page = client.get("/console/admin/templates").text
        digest = template_digest(runtime.templates.get(template))
        assert digest[:12] in page and 'action="/console/admin/templates/review"' in page
        form = {"template_id": template, "content_sha256": digest, "note": "Lee & Co. LLP"}
        tech = browser()
        create_user(runtime, "tess@msp.example", [Role.TECH])
        assert sign_in(tech, "tess@msp.example").status_code == 303
        assert post_form(tech, "/console/admin/templates/review", form).status_code == 403
        no_token = client.post("/console/admin/templates/review", data=form, follow_redirects=False)
        assert no_token.status_code == 403
        done = post_form(client, "/console/admin/templates/review", form, token_from="/console/admin/templates")
        assert done.status_code == 303, done.text
        page = client.get("/console/admin/templates").text
        assert "marked reviewed: its documents are no longer drafts" in page and "Lee &amp; Co. LLP" in page
        assert DRAFT_MARK not in preview(runtime, template, sample)
        event = last_event(runtime, "template.reviewed")
        assert event is not None and event.subjects == {"template": template}
        assert event.payload["content_sha256"] == digest and event.actor_kind == "user"
        stale = {**form, "content_sha256": "0" * 64}
        refused = post_form(client, "/console/admin/templates/review", stale, token_from="/console/admin/templates")
        assert refused.status_code == 303
        assert "changed since the page was opened" in client.get("/console/admin/templates").text
