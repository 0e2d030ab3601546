"""Settings that point at the development object store (the embedded SeaweedFS of ``undersign dev``)."""

from __future__ import annotations

from pydantic import SecretStr

from adapters.seaweedfs import SeaweedEndpoint
from adapters.seaweedfs_discovery import find_running_store
from undersign.settings import Settings


def with_store_endpoint(settings: Settings, endpoint: SeaweedEndpoint) -> Settings:
    """Return ``settings`` pointed at the SeaweedFS S3 gateway ``endpoint``."""
    s3 = settings.s3.model_copy(
        update={
            "endpoint_url": endpoint.endpoint_url,
            "access_key": SecretStr(endpoint.access_key),
            "secret_key": SecretStr(endpoint.secret_key),
            "region": endpoint.region,
        }
    )
    return settings.model_copy(update={"s3": s3})


def use_running_dev_store(settings: Settings) -> Settings:
    """Point the settings at the embedded SeaweedFS of a running ``undersign dev`` on the same data folder.

    An object store named in the settings always wins; without one and without a running ``dev``,
    the settings are returned unchanged (commands that need the store then say how to get one).
    """
    if settings.s3.endpoint_url:
        return settings
    # Found from the live process, not from ``endpoint.json`` (which goes stale after an outage).
    endpoint = find_running_store(settings.data_dir)
    return settings if endpoint is None else with_store_endpoint(settings, endpoint)
