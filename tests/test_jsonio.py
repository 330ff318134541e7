"""jsonio: the one reader of JSON files: bounded, non-blocking, regular files only, strict JSON."""

from __future__ import annotations

import json
import math
import os
import socket
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_contract import jsonio
from kpi_contract.errors import MAX_MESSAGE_CHARS, StateFileError

GIB = 1024**3


def parse_error(data: bytes) -> str:
    """The one-line reason parse_bytes gives for ``data``."""
    with pytest.raises(jsonio.JsonSyntaxError) as info:
        jsonio.parse_bytes(data)
    message = str(info.value)
    assert "\n" not in message
    return message


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"\xef\xbb\xbf{}", "byte order mark"),
        ('{"a": 1}'.encode("utf-16"), "UTF-16 or UTF-32"),
        ('{"a": 1}'.encode("utf-16-be"), "UTF-16 or UTF-32"),
        ("[1]".encode("utf-32-le"), "UTF-16 or UTF-32"),
        (b'{"nav": "\xff"}', "not UTF-8"),
        (b'{"nav": 1, "nav": 2}', "duplicate key 'nav'"),
        (b'{"a": {"b": [1, {"k": 1, "k": 1}]}}', "duplicate key 'k'"),
        (b'{"a": NaN}', "NaN is not a JSON number"),
        (b"[-Infinity]", "-Infinity is not a JSON number"),
        (b'{"nav_total": 1e400}', "beyond the range of a double"),
        (b"[-1.5e309]", "beyond the range of a double"),
        (b"1" + b"0" * 400, "beyond the range of a double"),
        (b"[" + b"9" * 5000 + b"]", "more than 4300 digits"),
        (b"[" * 1000 + b"]" * 1000, "nested deeper than 64 levels"),
        (b'{"a":' * 65 + b"1" + b"}" * 65, "nested deeper than 64 levels"),
        (b'{"a": 1', "not valid JSON"),
    ],
    ids=[
        "bom", "utf-16", "utf-16-be", "utf-32", "bad-utf-8", "duplicate", "nested-duplicate",
        "nan", "minus-infinity", "1e400", "float-overflow", "400-digit-int", "5000-digit-int",
        "1000-deep", "65-deep-objects", "torn",
    ],
)
def test_every_kind_of_non_strict_json_is_one_short_line(data: bytes, fragment: str) -> None:
    """Each kind of bad JSON is refused with a one-line reason naming the kind."""
    assert fragment in parse_error(data)


def test_the_depth_limit_is_exact_and_finite_doubles_pass() -> None:
    """64 levels parse; the largest finite double and -0.0 are numbers like any other."""
    assert jsonio.parse_bytes(b"[" * 64 + b"]" * 64) is not None
    value = jsonio.parse_bytes(b'{"max": 1.7976931348623157e308, "int": 123456789012345678901,'
                               b' "neg": -0.0}')
    assert value == {"max": 1.7976931348623157e308, "int": 123456789012345678901, "neg": 0.0}


def test_a_long_value_is_quoted_by_a_short_prefix_only() -> None:
    """A multi-megabyte key or number literal gives an error line of a few hundred characters."""
    huge_key = "k" * 3_000_000
    message = parse_error(json.dumps({huge_key: 1, "x": 2}).replace('"x"', f'"{huge_key}"')
                          .encode())
    assert len(message) <= MAX_MESSAGE_CHARS
    assert "3000000 characters" in message
    assert len(parse_error(b"[" + b"7" * 3_000_000 + b"]")) <= MAX_MESSAGE_CHARS


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner,
                                                                max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_strict_json_round_trips(value: object) -> None:
    """Whatever json.dumps writes (finite, unique keys, shallow) parses back to the same value."""
    assert jsonio.parse_bytes(json.dumps(value).encode()) == value


@given(st.binary(max_size=64))
def test_arbitrary_bytes_give_a_value_or_one_short_line(data: bytes) -> None:
    """Never an exception other than JsonSyntaxError, whatever the bytes."""
    message = ""
    try:
        jsonio.parse_bytes(data)
    except jsonio.JsonSyntaxError as exc:
        message = str(exc)
    assert "\n" not in message
    assert len(message) <= MAX_MESSAGE_CHARS


def read_error(path: Path, **kwargs: object) -> jsonio.JsonInputError:
    with pytest.raises(jsonio.JsonInputError) as info:
        jsonio.load(path, **kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, StateFileError)
    assert str(info.value).startswith(f"{path}::$: ")
    return info.value


def test_a_sparse_50_gib_file_is_refused_without_reading_it(tmp_path: Path) -> None:
    """fstat says 50 GiB: too_large at once (4 KB on disk, no MemoryError, no read)."""
    path = tmp_path / "kpis_v7.json"
    with path.open("wb") as handle:
        handle.truncate(50 * GIB)
    error = read_error(path)
    assert error.kind == "too_large"
    assert str(50 * GIB) in error.reason


def test_the_size_bound_is_exact(tmp_path: Path) -> None:
    """A file of exactly max_bytes is read; one byte more is too_large."""
    path = tmp_path / "state.json"
    path.write_bytes(b"[" + b" " * 98 + b"]")
    assert jsonio.load(path, max_bytes=100) == []
    path.write_bytes(b"[" + b" " * 99 + b"]")
    assert read_error(path, max_bytes=100).kind == "too_large"


def test_a_fifo_is_refused_at_once(tmp_path: Path) -> None:
    """No writer on the FIFO: the open does not block, the type check refuses it."""
    fifo = tmp_path / "nav.json"
    os.mkfifo(fifo)
    error = read_error(fifo)
    assert (error.kind, error.reason) == ("not_a_file", "not a regular file (a FIFO)")


def test_a_unix_socket_is_refused_as_not_a_file(tmp_path: Path) -> None:
    """A socket in the state dir (open() says ENXIO) is a file of the wrong type, like a FIFO:
    the mirror rejects it (exit 1), it is no I/O error (exit 2)."""
    path = tmp_path / "router.json"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        error = read_error(path)
    assert (error.kind, error.reason) == ("not_a_file", "not a regular file (a socket)")


@pytest.mark.skipif(os.geteuid() != 0, reason="mknod of a character device needs root")
def test_a_character_device_is_refused(tmp_path: Path) -> None:
    """A /dev/zero-like device (endless zeros) is refused before any read."""
    device = tmp_path / "risk.json"
    os.mknod(device, stat.S_IFCHR | 0o644, os.makedev(1, 5))
    error = read_error(device)
    assert error.reason == "not a regular file (a character device)"


def test_directory_missing_and_symlink_kinds(tmp_path: Path) -> None:
    """A directory is not_a_file, a missing file is missing, a link with nofollow unreadable."""
    assert read_error(tmp_path).kind == "not_a_file"
    assert read_error(tmp_path / "absent.json").kind == "missing"
    (tmp_path / "real.json").write_text("{}")
    (tmp_path / "link.json").symlink_to("real.json")
    assert jsonio.load(tmp_path / "link.json") == {}
    error = read_error(tmp_path / "link.json", follow_symlinks=False)
    assert (error.kind, error.reason) == ("unreadable", "is a symbolic link (not followed)")


def test_reads_relative_to_a_held_directory(tmp_path: Path) -> None:
    """dir_fd: the file is found in the directory the descriptor holds, even after a rename."""
    held = tmp_path / "state"
    held.mkdir()
    (held / "nav.json").write_text('{"nav": 1.5}')
    fd = os.open(held, os.O_RDONLY | os.O_DIRECTORY)
    try:
        held.rename(tmp_path / "moved")
        held.mkdir()
        (held / "nav.json").write_text('{"nav": 99}')
        assert jsonio.load("nav.json", dir_fd=fd) == {"nav": 1.5}
    finally:
        os.close(fd)


def test_scan_counts_depth_and_finds_non_doubles_in_memory() -> None:
    """scan works on values built in memory too: NaN, infinity, 2**1024 found; depth counted."""
    assert jsonio.scan({"a": [1, 2.5, {"b": None}]}) == jsonio.Scan(3, "")
    assert jsonio.scan([math.nan]).non_double == "nan"
    assert "bits" in jsonio.scan({"x": [2**1024]}).non_double
    deep: list[object] = []
    for _ in range(10_000):
        deep = [deep]
    assert jsonio.scan(deep).depth == jsonio.MAX_JSON_DEPTH + 1
