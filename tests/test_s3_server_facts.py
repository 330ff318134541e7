"""The test server itself: what the remote-mirror tests assume of moto's standalone server.

The no-regression guarantee rests on the store refusing a conditional write whose condition
fails. If a moto upgrade stopped enforcing ``If-Match`` or ``If-None-Match``, the race tests
could pass for the wrong reason; these tests fail first and say so.
"""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.s3_server import S3Env


def _status(exc: pytest.ExceptionInfo[ClientError]) -> int:
    return int(exc.value.response["ResponseMetadata"]["HTTPStatusCode"])


def test_the_server_refuses_a_put_with_a_stale_if_match(s3: S3Env) -> None:
    """PutObject with If-Match on an ETag that is no longer current answers 412."""
    first = s3.client.put_object(Bucket=s3.bucket, Key="k", Body=b"one")["ETag"]
    s3.client.put_object(Bucket=s3.bucket, Key="k", Body=b"two", IfMatch=first)
    with pytest.raises(ClientError) as refused:
        s3.client.put_object(Bucket=s3.bucket, Key="k", Body=b"three", IfMatch=first)
    assert _status(refused) == 412
    assert s3.get("k") == b"two"


def test_the_server_refuses_if_none_match_on_an_existing_key(s3: S3Env) -> None:
    """PutObject with If-None-Match: * on an existing key answers 412; on a new key it writes."""
    s3.client.put_object(Bucket=s3.bucket, Key="k", Body=b"one", IfNoneMatch="*")
    with pytest.raises(ClientError) as refused:
        s3.client.put_object(Bucket=s3.bucket, Key="k", Body=b"two", IfNoneMatch="*")
    assert _status(refused) == 412
    assert s3.get("k") == b"one"


def test_the_server_refuses_if_match_on_a_missing_key(s3: S3Env) -> None:
    """If-Match on a key that does not exist is refused (404 NoSuchKey), nothing is written."""
    with pytest.raises(ClientError) as refused:
        s3.client.put_object(Bucket=s3.bucket, Key="gone", Body=b"x", IfMatch='"0123"')
    assert refused.value.response["Error"]["Code"] == "NoSuchKey"
    assert s3.keys() == []


def test_the_server_lists_versions_newest_first(s3: S3Env) -> None:
    """With versioning on, ListObjectVersions gives a key's versions newest first (race test)."""
    s3.client.put_bucket_versioning(
        Bucket=s3.bucket, VersioningConfiguration={"Status": "Enabled"}
    )
    for body in (b"1", b"2", b"3"):
        s3.client.put_object(Bucket=s3.bucket, Key="k", Body=body)
    versions = s3.client.list_object_versions(Bucket=s3.bucket, Prefix="k")["Versions"]
    bodies = [
        s3.client.get_object(Bucket=s3.bucket, Key="k", VersionId=v["VersionId"])["Body"].read()
        for v in versions
    ]
    assert bodies == [b"3", b"2", b"1"]
