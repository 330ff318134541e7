"""The one reader of every JSON file the package touches: bounded, non-blocking, strict.

Every JSON input (``kpis_v7.json`` for ``validate``, ``read_kpis`` and the mirror, the other state
files the mirror copies, snapshot files for ``kpi-contract build`` and the replay executor, the
simulation's ``sim_state.json``, the packaged schema) goes through this module, so there is exactly
one place that knows what a readable JSON file is (issue 12, SPEC section 5a):

- **Opening never blocks and never follows a link it was told not to.** The file is opened with
  ``O_NONBLOCK`` (a FIFO opens at once instead of waiting for a writer), ``O_NOFOLLOW`` when the
  caller asks, and optionally relative to a directory descriptor the caller holds (``dir_fd``),
  which is how the mirror reads beneath a state directory that cannot be swapped under it.
- **Only regular files, at most ``MAX_JSON_BYTES``.** The opened descriptor is ``fstat``-ed: a
  FIFO, a character or block device, a socket or a directory is refused; a file whose size is
  above the bound (a sparse "50 GiB" file costs 4 KB on disk) is refused without reading, and the
  read stops at the bound + 1 byte whatever ``fstat`` said (a file growing while it is read).
- **Strict JSON.** UTF-8 only (a byte order mark, UTF-16 or UTF-32 is refused: browsers'
  ``JSON.parse`` and the dashboard's strict parsers read UTF-8 text); no ``NaN``/``Infinity``
  tokens; every number a finite IEEE-754 double (``1e400`` and an integer literal beyond double
  range, which a browser would read as ``Infinity``, are refused; so integer literals never reach
  Python's 4,300-digit conversion limit); no key twice in one object (parsers disagree on which
  one wins); at most ``MAX_JSON_DEPTH`` levels of nesting (the C parser's own limit depends on how
  deep the caller's stack already is; this one does not).
- **Errors are one short line.** Every failure is a ``JsonInputError`` (a ``StateFileError``)
  with a ``kind`` and a ``reason`` of bounded length: a value is quoted by a short prefix at most.
  Nothing here raises anything else on a file's content, type or size.

The bound of 16 MiB is about a thousand times the largest state file the executor writes (the
simulation state is ~30 KB; ``kpis_v7.json`` under 1 KB) and small enough that reading and parsing
it costs a fraction of a second and a few dozen MB of memory.
"""

from __future__ import annotations

import errno
import json
import math
import os
import re
import stat
from dataclasses import dataclass
from typing import Any, Final, Literal, NoReturn

from kpi_contract.errors import StateFileError, clip

MAX_JSON_BYTES: Final = 16 * 1024 * 1024
"""Largest JSON file read, in bytes (16 MiB)."""

MAX_JSON_DEPTH: Final = 64
"""Deepest nesting of arrays and objects accepted (the kpis_v7 document has 3 levels)."""

QUOTE_CHARS: Final = 32
"""Longest prefix of a value (a key, a number literal) quoted in an error message."""

_DOUBLE_BITS: Final = 1000  # an int of at most 1000 bits always fits a double (max ~2**1024)
_CHUNK: Final = 1024 * 1024
# The first character of a JSON text, encoded as UTF-16 or UTF-32 (either byte order, BOM or not).
_FIRST = rb"[ \t\r\n{\[\"\-0-9tfn]"
_WIDE_TEXT: Final = re.compile(
    rb"\xff\xfe|\xfe\xff|\x00\x00\xfe\xff"
    rb"|\x00\x00\x00" + _FIRST + rb"|" + _FIRST + rb"\x00\x00\x00"
    rb"|\x00" + _FIRST + rb"|" + _FIRST + rb"\x00"
)

ErrorKind = Literal["missing", "unreadable", "not_a_file", "too_large", "not_json"]


class JsonInputError(StateFileError):
    """A JSON file could not be used: ``kind`` says which way, ``reason`` says it in one line.

    ``missing``: no such file; ``unreadable``: it could not be opened or read (permission, a
    symlink where none is followed, an I/O error); ``not_a_file``: not a regular file (FIFO,
    device, directory, socket); ``too_large``: above the size bound; ``not_json``: the bytes are
    not strict JSON (encoding, syntax, NaN, a number that is not a finite double, a duplicate key,
    too deep).
    """

    def __init__(self, filename: str, kind: ErrorKind, reason: str) -> None:
        self.kind: ErrorKind = kind
        self.reason = clip(reason)
        super().__init__(filename, self.reason)


class JsonSyntaxError(ValueError):
    """The bytes are not strict JSON; ``str()`` is one short line."""

    def __init__(self, reason: str) -> None:
        super().__init__(clip(reason))


def quote(text: str, limit: int = QUOTE_CHARS) -> str:
    """``text`` quoted for a message: a short prefix and its length when it is long."""
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}... ({len(text)} characters)"


def read_bytes(
    path: str | os.PathLike[str],
    *,
    dir_fd: int | None = None,
    follow_symlinks: bool = True,
    max_bytes: int = MAX_JSON_BYTES,
) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``; ``JsonInputError`` otherwise.

    ``dir_fd``: open ``path`` relative to this directory descriptor (``openat``).
    ``follow_symlinks=False``: a symlink as the last component is refused (``O_NOFOLLOW``).
    """
    return read_file(path, dir_fd=dir_fd, follow_symlinks=follow_symlinks, max_bytes=max_bytes)[0]


def read_file(
    path: str | os.PathLike[str],
    *,
    dir_fd: int | None = None,
    follow_symlinks: bool = True,
    max_bytes: int = MAX_JSON_BYTES,
    display: str | None = None,
) -> tuple[bytes, os.stat_result]:
    """``read_bytes`` plus the ``fstat`` of the descriptor the bytes were read from.

    ``display`` names the file in errors (default: ``path``), for callers reading by ``dir_fd``.
    """
    name = display if display is not None else os.fsdecode(path)
    flags = os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC | (0 if follow_symlinks else os.O_NOFOLLOW)
    try:
        fd = os.open(path, flags, dir_fd=dir_fd)
    except FileNotFoundError as exc:
        raise JsonInputError(name, "missing", f"cannot open: {os_reason(exc)}") from exc
    except OSError as exc:
        if exc.errno == errno.ELOOP and not follow_symlinks:
            raise JsonInputError(name, "unreadable", "is a symbolic link (not followed)") from exc
        if exc.errno == errno.ENXIO:  # what open() says of a UNIX socket (or a device with none)
            raise JsonInputError(name, "not_a_file", "not a regular file (a socket)") from exc
        raise JsonInputError(name, "unreadable", f"cannot open: {os_reason(exc)}") from exc
    try:
        return _read_open(name, fd, max_bytes)
    finally:
        os.close(fd)


def _read_open(name: str, fd: int, max_bytes: int) -> tuple[bytes, os.stat_result]:
    try:
        st = os.fstat(fd)
    except OSError as exc:
        raise JsonInputError(name, "unreadable", f"cannot stat: {os_reason(exc)}") from exc
    if not stat.S_ISREG(st.st_mode):
        raise JsonInputError(name, "not_a_file", f"not a regular file ({file_type(st.st_mode)})")
    if st.st_size > max_bytes:
        raise JsonInputError(name, "too_large", _too_large(st.st_size, max_bytes))
    chunks: list[bytes] = []
    total = 0
    try:
        while total <= max_bytes:
            chunk = os.read(fd, min(_CHUNK, max_bytes + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    except OSError as exc:
        raise JsonInputError(name, "unreadable", f"cannot read: {os_reason(exc)}") from exc
    if total > max_bytes:
        raise JsonInputError(name, "too_large", _too_large(total, max_bytes, grew=True))
    return b"".join(chunks), st


def parse_bytes(data: bytes) -> object:
    """Parse strict JSON bytes (see the module docstring); ``JsonSyntaxError`` otherwise."""
    if data[:3] == b"\xef\xbb\xbf":
        raise JsonSyntaxError("not valid JSON: starts with a byte order mark (BOM)")
    if _WIDE_TEXT.match(data):
        raise JsonSyntaxError("not UTF-8: UTF-16 or UTF-32 text (JSON files must be UTF-8)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise JsonSyntaxError(f"not UTF-8: {exc.reason} at byte {exc.start}") from exc
    try:
        value = json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except json.JSONDecodeError as exc:
        raise JsonSyntaxError(f"not valid JSON: {exc}") from exc
    except RecursionError as exc:
        raise JsonSyntaxError(f"nested deeper than {MAX_JSON_DEPTH} levels") from exc
    except ValueError as exc:
        if isinstance(exc, JsonSyntaxError):
            raise
        # int() refuses literals over sys.get_int_max_str_digits() (4,300) digits; every such
        # literal is far beyond double range anyway.
        raise JsonSyntaxError(
            "an integer literal of more than 4300 digits is beyond the range of a double"
        ) from exc
    found = scan(value)
    if found.depth > MAX_JSON_DEPTH:
        raise JsonSyntaxError(f"nested deeper than {MAX_JSON_DEPTH} levels")
    if found.non_double:
        raise JsonSyntaxError(
            f"a number ({found.non_double}) is beyond the range of a double "
            "(JSON readers would see Infinity)"
        )
    return value


def load(
    path: str | os.PathLike[str],
    *,
    dir_fd: int | None = None,
    follow_symlinks: bool = True,
    max_bytes: int = MAX_JSON_BYTES,
) -> object:
    """``read_bytes`` then ``parse_bytes``: the parsed value, or ``JsonInputError`` (any kind)."""
    data = read_bytes(path, dir_fd=dir_fd, follow_symlinks=follow_symlinks, max_bytes=max_bytes)
    try:
        return parse_bytes(data)
    except JsonSyntaxError as exc:
        raise JsonInputError(os.fsdecode(path), "not_json", str(exc)) from exc


@dataclass(frozen=True)
class Scan:
    """What ``scan`` found: nesting depth (counted up to just past the limit) and the first
    number a double cannot hold, in words (``""`` when there is none)."""

    depth: int
    non_double: str


def scan(value: object) -> Scan:
    """One iterative pass over a parsed value: depth and numbers that are not finite doubles.

    Iterative, so it never raises ``RecursionError`` however deep the value is; it stops
    counting depth once past ``MAX_JSON_DEPTH``. Cheap: integers of at most 1,000 bits (every
    realistic one) are not converted.
    """
    if not isinstance(value, dict | list):
        return Scan(0, _non_double(value))
    deepest, non_double = 0, ""
    stack: list[tuple[dict[Any, Any] | list[Any], int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > deepest:
            deepest = depth
            if deepest > MAX_JSON_DEPTH:
                break
        for child in node.values() if isinstance(node, dict) else node:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
            elif not non_double and type(child) in (int, float):
                non_double = _non_double(child)
    return Scan(deepest, non_double)


def _non_double(value: object) -> str:
    """``value`` in words when it is a number a finite double cannot hold, else ``""``."""
    if type(value) is float:
        return "" if math.isfinite(value) else repr(value)
    if type(value) is int and value.bit_length() > _DOUBLE_BITS:
        try:
            float(value)
        except OverflowError:
            return f"an integer of {value.bit_length()} bits"
    return ""


def file_type(mode: int) -> str:
    """What kind of file ``mode`` describes, in words."""
    for test, label in (
        (stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
        (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
        (stat.S_ISSOCK, "a socket"), (stat.S_ISLNK, "a symbolic link"),
    ):
        if test(mode):
            return label
    return "not a regular file"


def os_reason(exc: OSError) -> str:
    """``Permission denied (EACCES)`` rather than a multi-part repr."""
    if exc.errno is None:
        return clip(str(exc))
    code = errno.errorcode.get(exc.errno, str(exc.errno))
    return f"{exc.strerror or os.strerror(exc.errno)} ({code})"


def _too_large(size: int, bound: int, *, grew: bool = False) -> str:
    what = "grew past" if grew else f"{size} bytes, more than"
    return f"{what} the {bound} bytes a JSON file may have here"


def _reject_constant(token: str) -> NoReturn:
    raise JsonSyntaxError(f"not valid JSON: {token} is not a JSON number")


def _unique_keys(pairs: list[tuple[str, object]]) -> dict[str, object]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise JsonSyntaxError(f"duplicate key {quote(key)} in one object")
            seen.add(key)
    return result
