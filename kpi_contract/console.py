"""Writing to the terminal without ever dying of it: every command's stdout and stderr go here.

Three things turn an honest one-line message into a traceback, and none of them may (issue 12):

- **A path that is not UTF-8.** Python hands it over as a string with surrogate escapes, which
  the strict encoder of a piped stdout refuses. ``setup`` gives both streams an error handler
  that prints such a byte as ``\\xff`` (and any other unencodable character as a backslash
  escape): the line stays one readable line, the rest of it is kept.
- **A closed stdout.** Started with ``>&-``, Python has no ``sys.stdout`` at all; a reader that
  went away (``| head -1``) gives ``BrokenPipeError``; ``/dev/full`` gives ``ENOSPC``. ``say``
  drops the output from then on (stdout is pointed at ``/dev/null``, so the interpreter's own
  final flush does not fail either) and the command goes on: the executor keeps publishing, a
  validation still exits with its verdict.
- **A closed stderr**: the same, for error lines.

And one thing turns one line into several, or into commands for the terminal: a file name, a key
or an argument holding a newline, a CR or an ESC. Every error line (``warn``), every result or
progress line about a file (``say_line``), every usage error and every log line of the
``execution`` commands (``log_to_stderr``) goes through ``kpi_contract.errors.one_line``: control
characters escaped (``\\n``, ``\\x1b``), cut to ``MAX_LINE_CHARS``. Whole documents (JSON, the
review's Markdown, the schema) go through ``say`` untouched: their encoder escapes what it must.
"""

from __future__ import annotations

import argparse
import codecs
import contextlib
import logging
import os
import sys
from typing import NoReturn, TextIO

from kpi_contract.errors import one_line


class OneLineArgumentParser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line on stderr (exit 2), not usage + error."""

    def error(self, message: str) -> NoReturn:
        """``PROG: error: MESSAGE (see --help)``, exit 2; one line whatever the arguments held."""
        self.exit(2, one_line(f"{self.prog}: error: {message} (see --help)") + "\n")


ESCAPE_ERRORS = "kpi_contract.escape"


def _escape(exc: UnicodeError) -> tuple[str, int]:
    """``\\xff`` for a byte Python decoded as a surrogate escape; ``\\uXXXX`` otherwise."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    chunk = exc.object[exc.start : exc.end]
    escaped = "".join(
        f"\\x{ord(c) - 0xDC00:02x}" if 0xDC80 <= ord(c) <= 0xDCFF
        else c.encode("ascii", "backslashreplace").decode("ascii")
        for c in chunk
    )
    return escaped, exc.end


codecs.register_error(ESCAPE_ERRORS, _escape)


def setup() -> None:
    """Make both streams print any path (``\\xff`` escapes); call once at a command's start."""
    for stream in (sys.stdout, sys.stderr):
        reconfigure = getattr(stream, "reconfigure", None)
        if reconfigure is not None:
            with contextlib.suppress(OSError, ValueError):
                reconfigure(errors=ESCAPE_ERRORS)


def say(text: str, end: str = "\n") -> None:
    """Write one line to stdout and flush; a closed or broken stdout silences it, nothing more."""
    _write(sys.stdout, text + end, stderr=False)


def say_line(text: str) -> None:
    """Write ``text`` to stdout as one line (``one_line``: control characters escaped, cut):
    for a result or progress line that names a file or holds what a file said."""
    say(one_line(text))


def warn(text: str) -> None:
    """Write ``text`` to stderr as one line (``one_line``); a closed stderr silences it."""
    _write(sys.stderr, one_line(text) + "\n", stderr=True)


class OneLineFormatter(logging.Formatter):
    """A log record as one line (``one_line``), whatever its message and arguments held."""

    def format(self, record: logging.LogRecord) -> str:
        """The standard formatting, then ``one_line`` on the whole of it."""
        return one_line(super().format(record))


def log_to_stderr(program: str) -> None:
    """Log INFO and above to stderr as ``PROGRAM: LEVEL message``, one line per record."""
    handler = logging.StreamHandler()
    handler.setFormatter(OneLineFormatter(f"{program}: %(levelname)s %(message)s"))
    logging.basicConfig(level=logging.INFO, handlers=[handler])


def silence_stdout() -> None:
    """After a ``BrokenPipeError`` raised elsewhere: drop stdout from now on."""
    if sys.stdout is not None:
        _silence(sys.stdout, stderr=False)


def _write(stream: TextIO | None, text: str, *, stderr: bool) -> None:
    if stream is None:
        return
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):
        _silence(stream, stderr=stderr)


def _silence(stream: TextIO, *, stderr: bool) -> None:
    """Point the stream's descriptor at /dev/null so no later write or flush fails again."""
    try:
        fd = stream.fileno()
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, fd)
        os.close(devnull)
    except (OSError, ValueError):
        if stderr:
            sys.stderr = None
        else:
            sys.stdout = None
