"""Cooperative stop on SIGINT/SIGTERM for the executor and mirror loops.

The first signal only sets a flag: the loop finishes the write in progress (so no temp file and no
torn file is left) and exits 0 at its next check. A second signal gets the default behaviour, so a
stuck process can still be interrupted.
"""

from __future__ import annotations

import signal
import time
from types import FrameType, TracebackType
from typing import Any

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_SLICE_S = 0.05


class StopSignal:
    """Context manager: installs the handlers on entry and restores the previous ones on exit."""

    def __init__(self) -> None:
        self.signal_name: str | None = None
        self._previous: dict[int, Any] = {}

    @property
    def requested(self) -> bool:
        """True once SIGINT or SIGTERM has been received."""
        return self.signal_name is not None

    def __enter__(self) -> StopSignal:
        for signum in _SIGNALS:
            self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for signum, handler in self._previous.items():
            signal.signal(signum, handler)
        self._previous.clear()

    def sleep(self, seconds: float) -> bool:
        """Sleep up to ``seconds`` in short slices; False as soon as a stop is requested."""
        deadline = time.monotonic() + max(0.0, seconds)
        while not self.requested:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return True
            time.sleep(min(_SLICE_S, remaining))
        return False

    def _handle(self, signum: int, frame: FrameType | None) -> None:
        self.signal_name = signal.Signals(signum).name
        # A second signal gets the default behaviour (KeyboardInterrupt / terminate).
        default = signal.default_int_handler if signum == signal.SIGINT else signal.SIG_DFL
        signal.signal(signum, default)
