"""Page images are rendered by a task, once per sent PDF, and served from the object store, never in the request.

The envelope is sent while no worker runs: the signing page says the document is being prepared
(and reloads), its images answer 202 with Retry-After, and the store holds no page image yet. After
one worker pass, the page lists every page, each image comes from ``pages/<sha256>/<n>.png`` in the
store with an ETag and private, immutable caching, and a revalidation answers 304.
"""

from __future__ import annotations

import hashlib
import re

from domain.envelopes import page_image_key
from domain.roles import Role
from tests.api.envelope_support import link_for, post_form, send_msa
from tests.api.test_envelopes import settings, smtp  # noqa: F401 - fixtures reused by name
from tests.conftest import Api
from tests.support.smtp import LoopbackSmtpServer
from undersign.runtime import Runtime
from undersign.task_worker import drain

CLIENT = "dana@northwind.example"
PAGE = re.compile(r'src="(/sign/[^"]+/pages/\d+\.png)"')


class TestPageImagesFromTheStore:
    def test_images_are_prepared_by_a_task_then_served_from_the_store_with_cache_headers(
        self,
        api: Api,
        runtime: Runtime,
        smtp: LoopbackSmtpServer,  # noqa: F811
    ) -> None:
        """Before the task: preparing page, 202 + Retry-After, nothing stored; after: PNGs from the store, ETag, 304."""
        runtime.run_tasks_inline = False  # no worker yet
        envelope = send_msa(api)
        path = link_for(smtp, CLIENT)
        assert post_form(api, f"{path}/consent", data={"agree": "yes", "version": "esign-consent-2"}).status_code in (
            200,
            303,
        )
        waiting = api.client.get(path)
        assert waiting.status_code == 200 and 'id="preparing"' in waiting.text
        assert '<meta http-equiv="refresh"' in waiting.text and PAGE.findall(waiting.text) == []
        # No page count is shown before it is known.
        assert "0 page" not in waiting.text and 'id="end-of-document"' not in waiting.text
        early = api.client.get(f"{path}/pages/0.png")
        assert early.status_code == 202 and int(early.headers["retry-after"]) > 0 and early.content == b""
        sent = api.get(f"/v1/documents/{envelope['document_id']}/versions/1/file.pdf", role=Role.ADMIN).content
        sha256 = hashlib.sha256(sent).hexdigest()
        assert runtime.blob_store.latest(page_image_key(sha256, 0)) is None  # nothing rendered in the request

        drain(runtime)  # one worker pass
        page = api.client.get(path)
        sources = PAGE.findall(page.text)
        assert 'id="preparing"' not in page.text and len(sources) >= 2
        first = api.client.get(sources[0])
        assert first.status_code == 200 and first.headers["content-type"] == "image/png"
        assert first.content == runtime.blob_store.get(page_image_key(sha256, 0))
        assert first.headers["cache-control"] == "private, max-age=86400, immutable"
        again = api.client.get(sources[0], headers={"If-None-Match": first.headers["etag"]})
        assert again.status_code == 304 and again.content == b""
        last = len(sources) - 1
        assert runtime.blob_store.latest(page_image_key(sha256, last)) is not None
        assert runtime.blob_store.latest(page_image_key(sha256, last + 1)) is None  # one PNG per page, no more
