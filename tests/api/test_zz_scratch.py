"""scratch."""

from pathlib import Path

import pytest

from tests.api.envelope_support import link_for, send_msa
from tests.api.test_envelopes import settings, sign_as, smtp  # noqa: F401


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_dump(api, smtp, runtime) -> None:  # noqa: F811
    """Dump."""
    env = send_msa(api)
    sign_as(api, link_for(smtp, "dana@northwind.example"))
    sign_as(api, link_for(smtp, "sam@msp.example"), name="Sam Provider", title="Director")
    sealed = api.get(f"/v1/envelopes/{env['id']}/sealed.pdf")
    Path("/tmp/seal_sample.pdf").write_bytes(sealed.content)
    from domain.sealing.verify import first_revision

    Path("/tmp/seal_sent.pdf").write_bytes(first_revision(sealed.content))
