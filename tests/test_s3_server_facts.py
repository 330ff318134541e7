"""The test server itself: what the remote-mirror tests assume of moto's standalone server.

The no-regression guarantee rests on the store refusing a conditional write whose condition
fails. If a moto upgrade stopped enforcing ``If-Match`` or ``If-None-Match``, the race tests
could pass for the wrong reason; these tests fail first and say so.
"""

from __future__ import annotations

import threading

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


@pytest.mark.parametrize("condition", ["IfMatch", "IfNoneMatch"])
def test_of_concurrent_conditional_writes_exactly_one_wins(s3: S3Env, condition: str) -> None:
    """50 rounds of 4 writers with the same condition at once: one 200, three 412, every time
    (the store decides atomically, as S3 does; see tests/moto_serial.py)."""
    from tests.s3_server import make_test_client

    clients = [make_test_client(s3.server.endpoint) for _ in range(4)]
    barrier = threading.Barrier(len(clients))
    for round_ in range(50):
        key = f"race-{round_}"
        etag = s3.client.put_object(Bucket=s3.bucket, Key=key, Body=b"base")["ETag"]
        if condition == "IfNoneMatch":
            s3.client.delete_object(Bucket=s3.bucket, Key=key)
        value = etag if condition == "IfMatch" else "*"
        wins: list[int] = []

        def write(i: int, key: str = key, value: str = value, wins: list[int] = wins) -> None:
            barrier.wait(timeout=30)
            try:
                clients[i].put_object(Bucket=s3.bucket, Key=key, Body=b"%d" % i,
                                      **{condition: value})  # type: ignore[arg-type]
            except ClientError:
                return
            wins.append(i)

        threads = [threading.Thread(target=write, args=(i,)) for i in range(len(clients))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(wins) == 1, f"round {round_}: {len(wins)} writers won"
        assert s3.get(key) == b"%d" % wins[0]
