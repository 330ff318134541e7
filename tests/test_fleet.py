"""Readers for the dashboard host (issue 11): ``read_kpis`` on s3:// URLs, ``read_fleet``, and
``kpi-contract fleet``, against moto's standalone server on loopback."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from kpi_contract import read_kpis
from kpi_contract.errors import DocumentInvalidError, LegacyFormatError, UnsupportedVersionError
from kpi_contract.fleet import read_fleet
from kpi_contract.s3 import RemoteStoreError
from kpi_contract.schema import SCHEMA_VERSION
from tests.cli_helpers import run_cli
from tests.s3_server import MotoServer, S3Env, client_env, free_port, make_test_client
from tests.test_remote_mirror import T0, kpi_doc


def put(s3: S3Env, key: str, body: bytes) -> None:
    """One object, written by the test's own client."""
    s3.client.put_object(Bucket=s3.bucket, Key=key, Body=body)


def invalid_doc() -> bytes:
    """A kpis_v7 document with a fraction out of range (a schema violation at a known path)."""
    doc = json.loads(kpi_doc(T0))
    doc["router"]["maker_fill_share"] = 1.5
    doc["nulls"].pop("router.maker_fill_share")
    return json.dumps(doc).encode()


# --- read_kpis on a URL --------------------------------------------------------------------------


def test_read_kpis_reads_an_object_like_a_file(s3: S3Env, tmp_path: Path) -> None:
    """The same bytes give the same reading, age and staleness from a file and from a URL."""
    data = kpi_doc(T0, nav=5000.0)
    put(s3, "fleet/a/kpis_v7.json", data)
    (tmp_path / "kpis_v7.json").write_bytes(data)
    for now in (T0 + 10, T0 + 500):
        remote = read_kpis(s3.url("fleet/a/kpis_v7.json"), now_ts=now, max_age_s=120)
        assert remote == read_kpis(tmp_path / "kpis_v7.json", now_ts=now, max_age_s=120)
    assert read_kpis(s3.url("fleet/a/kpis_v7.json"), now_ts=T0 + 500).stale is True


def test_read_kpis_on_a_url_applies_the_same_validation(s3: S3Env, tmp_path: Path) -> None:
    """An invalid object fails with the violations the same local file gives, naming the URL."""
    put(s3, "fleet/a/kpis_v7.json", invalid_doc())
    (tmp_path / "kpis_v7.json").write_bytes(invalid_doc())
    url = s3.url("fleet/a/kpis_v7.json")
    with pytest.raises(DocumentInvalidError) as remote:
        read_kpis(url)
    with pytest.raises(DocumentInvalidError) as local:
        read_kpis(tmp_path / "kpis_v7.json")
    assert remote.value.violations == local.value.violations
    assert str(remote.value).startswith(f"{url}::$.router.maker_fill_share: ")


VERSION_TOKEN = f'"{SCHEMA_VERSION}"'.encode()


def test_read_kpis_on_a_url_names_legacy_files_and_other_majors(s3: S3Env) -> None:
    """The pre-contract flat file and a kpis_v8 payload get the reader's usual errors."""
    put(s3, "old/kpis_v7.json", b'{"atr_regime": "hot", "dd_state": "normal", "updated_at": 1}')
    put(s3, "new/kpis_v7.json", kpi_doc(T0).replace(VERSION_TOKEN, b'"8.1.0"'))
    with pytest.raises(LegacyFormatError):
        read_kpis(s3.url("old/kpis_v7.json"))
    with pytest.raises(UnsupportedVersionError):
        read_kpis(s3.url("new/kpis_v7.json"))


def test_read_kpis_on_a_missing_object_or_bucket_says_which(s3: S3Env) -> None:
    """No such object and no such bucket are RemoteStoreErrors with their kind and the URL."""
    with pytest.raises(RemoteStoreError) as missing:
        read_kpis(s3.url("fleet/nobody/kpis_v7.json"))
    assert missing.value.kind == "no-object"
    with pytest.raises(RemoteStoreError) as no_bucket:
        read_kpis("s3://no-such-bucket/a/kpis_v7.json")
    assert no_bucket.value.kind == "no-bucket"
    assert str(no_bucket.value).startswith("s3://no-such-bucket/a/kpis_v7.json::$: no such bucket")


def test_a_local_path_that_merely_looks_odd_is_still_a_path(tmp_path: Path) -> None:
    """Only strings starting with s3:// are URLs; a Path named like one is read from disk."""
    local = tmp_path / "s3:" / "b" / "kpis_v7.json"
    local.parent.mkdir(parents=True)
    local.write_bytes(kpi_doc(T0))
    assert read_kpis(local).kpis.ts.timestamp() == T0


# --- read_fleet ----------------------------------------------------------------------------------


def test_read_fleet_reads_100_executors(s3: S3Env) -> None:
    """100 executor prefixes: one entry each, sorted, with reading, age and staleness; broken
    executors carry their reason and do not hide the others."""
    for i in range(100):
        put(s3, f"desk/exec-{i:03d}/kpis_v7.json", kpi_doc(T0 - i * 10, nav=5000.0 + i))
        put(s3, f"desk/exec-{i:03d}/nav.json", b"{}")
    put(s3, "desk/broken/kpis_v7.json", invalid_doc())
    put(s3, "desk/starting/nav.json", b"{}")
    put(s3, "desk-other/exec-x/kpis_v7.json", kpi_doc(T0))  # a sibling prefix: not ours
    entries = read_fleet(s3.url("desk"), now_ts=T0 + 5, max_age_s=500)
    ids = [e.executor_id for e in entries]
    assert ids == sorted([f"exec-{i:03d}" for i in range(100)] + ["broken", "starting"])
    by_id = {e.executor_id: e for e in entries}
    for i in range(100):
        entry = by_id[f"exec-{i:03d}"]
        assert entry.reading is not None
        assert entry.error is None
        assert entry.reading.kpis.nav.nav_total == 5000.0 + i
        assert entry.age_s == pytest.approx(5 + i * 10)
        assert entry.stale is (5 + i * 10 > 500)
        assert entry.status == ("stale" if entry.stale else "ok")
    assert by_id["broken"].status == "error"
    assert "$.router.maker_fill_share" in (by_id["broken"].error or "")
    assert by_id["starting"].error == "s3://kpi-fleet/desk/starting/kpis_v7.json::$: no such object"
    assert [e.reading for e in read_fleet(s3.url("desk"), workers=1)] == [
        e.reading for e in read_fleet(s3.url("desk"))
    ]


def test_read_fleet_at_the_bucket_root_and_on_an_empty_prefix(s3: S3Env) -> None:
    """``s3://BUCKET`` lists top-level executors; a prefix nobody wrote under is an empty fleet."""
    put(s3, "alpha/kpis_v7.json", kpi_doc(T0))
    put(s3, "beta/kpis_v7.json", kpi_doc(T0))
    assert [e.executor_id for e in read_fleet(s3.url())] == ["alpha", "beta"]
    assert read_fleet(s3.url("nobody-here")) == []


def test_read_fleet_on_a_missing_bucket_raises(s3: S3Env) -> None:
    """A bucket that does not exist is the store's error, not an empty fleet."""
    with pytest.raises(RemoteStoreError) as error:
        read_fleet("s3://missing-bucket/desk")
    assert error.value.kind == "no-bucket"


# --- kpi-contract fleet --------------------------------------------------------------------------


def test_fleet_table_shows_each_executor_and_exits_0(s3: S3Env) -> None:
    """Table: one row per executor; null KPIs as '-'; exit 0 when every executor reads."""
    put(s3, "desk/a/kpis_v7.json", kpi_doc(T0, nav=5000.0))
    put(s3, "desk/b/kpis_v7.json", kpi_doc(T0))
    result = run_cli("fleet", s3.url("desk"))
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["EXECUTOR", "STATUS", "AGE_S", "TS", "NAV_TOTAL", "DD_STATE",
                                "ROUTER", "REASON"]
    assert lines[1].split()[:2] == ["a", "stale"]  # T0 is long past
    assert lines[1].split()[3:5] == ["2026-01-01T00:00:00Z", "5000.00"]
    assert lines[2].split()[3:] == ["2026-01-01T00:00:00Z", "-", "-", "-"]
    assert result.stderr == ""


def test_fleet_json_and_exit_1_when_an_executor_is_unreadable(s3: S3Env) -> None:
    """JSON: every executor with status, age, KPIs or error; exit 1 and one stderr line each."""
    put(s3, "desk/a/kpis_v7.json", kpi_doc(T0, nav=5000.0))
    put(s3, "desk/b/kpis_v7.json", invalid_doc())
    result = run_cli("fleet", s3.url("desk"), "--format", "json", "--max-age", "1e12")
    assert result.returncode == 1
    report = json.loads(result.stdout)
    a, b = report["executors"]
    assert (a["executor_id"], a["status"], a["stale"]) == ("a", "ok", False)
    assert a["kpis"]["nav"]["nav_total"] == 5000.0
    assert a["url"] == "s3://kpi-fleet/desk/a/kpis_v7.json"
    assert (b["status"], b["kpis"], b["age_s"]) == ("error", None, None)
    assert b["error"].startswith("s3://kpi-fleet/desk/b/kpis_v7.json::$.router.maker_fill_share")
    assert result.stderr.splitlines() == [b["error"]]


def test_fleet_on_an_empty_prefix_exits_1(s3: S3Env) -> None:
    """Nobody published under the prefix: one line, exit 1 (a typo in a prefix is not healthy)."""
    result = run_cli("fleet", s3.url("nobody"))
    assert result.returncode == 1
    assert result.stderr == (
        "s3://kpi-fleet/nobody::$: no executor has published under this prefix\n"
    )


def test_fleet_on_a_missing_bucket_exits_2_with_one_line(s3: S3Env) -> None:
    """No such bucket: exit 2, one line naming the URL and the bucket."""
    result = run_cli("fleet", "s3://missing-bucket/desk")
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        "s3://missing-bucket/desk::$: no such bucket 'missing-bucket' (NoSuchBucket)\n"
    )


def test_fleet_on_an_unreachable_endpoint_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Nothing listens at the endpoint: exit 2, one line that says the store cannot be reached."""
    endpoint = f"http://127.0.0.1:{free_port()}"
    for name, value in client_env(endpoint).items():
        monkeypatch.setenv(name, value)
    result = run_cli("fleet", "s3://kpi-fleet/desk")
    assert result.returncode == 2
    [line] = result.stderr.splitlines()
    assert line.startswith("s3://kpi-fleet/desk::$: cannot reach the store: ")
    assert endpoint in line
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("usage", [["s3://UPPER/desk"], ["http://x/desk"], ["s3://ab/desk"]])
def test_fleet_refuses_a_malformed_url(usage: list[str]) -> None:
    """Not an s3:// URL, or not a valid bucket name: exit 2, one line, nothing contacted."""
    result = run_cli("fleet", *usage)
    assert result.returncode == 2
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("kpi-contract fleet: error: ")


@pytest.fixture
def auth_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, str]]:
    """A server of its own that checks signatures: one IAM user allowed s3:*, one executor
    published; yields that user's (access key, secret); the environment points at it."""
    server = MotoServer(tmp_path)
    server.start()
    try:
        import boto3

        iam = boto3.session.Session().client(
            "iam", endpoint_url=server.endpoint, aws_access_key_id="setup",
            aws_secret_access_key="setup", region_name="us-east-1",
        )
        iam.create_user(UserName="dashboard")
        key = iam.create_access_key(UserName="dashboard")["AccessKey"]
        iam.put_user_policy(UserName="dashboard", PolicyName="s3", PolicyDocument=json.dumps(
            {"Version": "2012-10-17",
             "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
        ))
        iam.create_user(UserName="no-s3")
        no_s3 = iam.create_access_key(UserName="no-s3")["AccessKey"]
        monkeypatch.setenv("TEST_NO_S3_KEY", no_s3["AccessKeyId"])
        monkeypatch.setenv("TEST_NO_S3_SECRET", no_s3["SecretAccessKey"])
        client = make_test_client(server.endpoint)
        client.create_bucket(Bucket="kpi-fleet")
        client.put_object(Bucket="kpi-fleet", Key="desk/a/kpis_v7.json", Body=kpi_doc(T0))
        server.set_auth(0)
        for name, value in client_env(server.endpoint).items():
            monkeypatch.setenv(name, value)
        yield key["AccessKeyId"], key["SecretAccessKey"]
    finally:
        server.stop()


def test_fleet_with_refused_credentials_exits_2_with_one_line(
    auth_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Right key, wrong secret; unknown key; a user without S3 rights; no credentials at all:
    exit 2, one line each. The right pair reads the fleet (the server really checks)."""
    key_id, secret = auth_server
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", key_id)
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", secret)
    assert run_cli("fleet", "s3://kpi-fleet/desk").returncode == 0
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "not-the-secret")
    wrong_secret = run_cli("fleet", "s3://kpi-fleet/desk")
    assert wrong_secret.returncode == 2
    assert wrong_secret.stderr.startswith(
        "s3://kpi-fleet/desk::$: credentials refused (SignatureDoesNotMatch: "
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAUNKNOWNKEY000000")
    unknown_key = run_cli("fleet", "s3://kpi-fleet/desk")
    assert unknown_key.returncode == 2
    assert unknown_key.stderr.startswith(
        "s3://kpi-fleet/desk::$: credentials refused (InvalidAccessKeyId: "
    )
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", os.environ["TEST_NO_S3_KEY"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", os.environ["TEST_NO_S3_SECRET"])
    not_allowed = run_cli("fleet", "s3://kpi-fleet/desk")
    assert not_allowed.returncode == 2
    assert not_allowed.stderr.startswith("s3://kpi-fleet/desk::$: access denied (AccessDenied: ")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    no_credentials = run_cli("fleet", "s3://kpi-fleet/desk")
    assert no_credentials.returncode == 2
    assert no_credentials.stderr.startswith("s3://kpi-fleet/desk::$: no usable credentials")
    for result in (wrong_secret, unknown_key, not_allowed, no_credentials):
        assert len(result.stderr.splitlines()) == 1
        assert result.stdout == ""
    assert os.environ.get("AWS_EC2_METADATA_DISABLED") == "true"


def test_readers_share_one_client_per_environment(
    s3: S3Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Repeated reads reuse one client; another endpoint in the environment gets its own."""
    from kpi_contract.s3 import shared_client

    first = shared_client()
    assert shared_client() is first
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{free_port()}")
    other = shared_client()
    assert other is not first
    assert other.meta.endpoint_url != first.meta.endpoint_url


def test_the_mirror_with_refused_credentials_counts_the_failure_and_mirrors_locally(
    auth_server: tuple[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """sync_state --once with a wrong secret: exit 2, one line naming the 403, local copies made."""
    from tests.test_execution_support import clean_env, run_module

    key_id, _ = auth_server
    state = tmp_path / "logs" / "state"
    state.mkdir(parents=True)
    (state / "kpis_v7.json").write_bytes(kpi_doc(T0))
    aws = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
    aws.update(AWS_ACCESS_KEY_ID=key_id, AWS_SECRET_ACCESS_KEY="not-the-secret")
    env = clean_env(**aws)
    result = run_module(tmp_path, "execution.sync_state", "--once", "--mirror-url",
                        "s3://kpi-fleet/desk", "--executor-id", "a", env=env)
    assert result.returncode == 2
    [line] = [x for x in result.stderr.splitlines() if "remote mirror" in x]
    assert "s3://kpi-fleet/desk/a: access denied or credentials refused (403" in line
    assert (tmp_path / "dashboard" / "state" / "kpis_v7.json").read_bytes() == kpi_doc(T0)
