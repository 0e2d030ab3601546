"""Tests of the storage layer: repositories, migrations and the S3 blob store."""
