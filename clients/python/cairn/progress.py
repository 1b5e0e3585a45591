"""A one-line progress bar on stderr (bytes done of total, rate, ETA, items), redrawn at most every
100 ms, the same line as the Node CLI's. Without a stream (stderr is not a terminal, or progress
is off) it only counts, so callers never branch. Safe to update from several threads.
"""

from __future__ import annotations

import math
import sys
import threading
import time
from typing import TextIO

_BAR = 24
_REDRAW_SECONDS = 0.1
_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def format_bytes(n: float) -> str:
    value, unit = float(n), 0
    while value >= 1024 and unit < len(_UNITS) - 1:
        value /= 1024
        unit += 1
    return f"{int(n)} B" if unit == 0 else f"{value:.{2 if value < 10 else 1}f} {_UNITS[unit]}"


def format_duration(seconds: float) -> str:
    if not math.isfinite(seconds) or seconds < 0:
        return "--:--"
    s = round(seconds)
    h, m = s // 3600, (s % 3600) // 60
    return f"{h}:{m:02d}:{s % 60:02d}" if h else f"{m:02d}:{s % 60:02d}"


def terminal_stream(enabled: bool | None) -> TextIO | None:
    """stderr when progress is on (None: only if stderr is a terminal), else None."""
    if enabled is False or (enabled is None and not sys.stderr.isatty()):
        return None
    return sys.stderr


class Progress:
    def __init__(self, label: str, total_bytes: int, total_items: int, stream: TextIO | None) -> None:
        self.label = label
        self.total_bytes = total_bytes
        self.total_items = total_items
        self.done_bytes = 0
        self.done_items = 0
        self._stream = stream
        self._started = time.monotonic()
        self._last_draw = 0.0
        self._lock = threading.Lock()

    def add_bytes(self, n: int) -> None:
        with self._lock:
            self.done_bytes += n
        self._draw(False)

    def take_back_bytes(self, n: int) -> None:
        """Bytes counted for an attempt that failed and will be sent again."""
        with self._lock:
            self.done_bytes -= n

    def add_item(self) -> None:
        with self._lock:
            self.done_items += 1
        self._draw(False)

    def line(self) -> str:
        fraction = min(1.0, self.done_bytes / self.total_bytes) if self.total_bytes > 0 else 1.0
        filled = round(fraction * _BAR)
        seconds = time.monotonic() - self._started
        rate = self.done_bytes / seconds if seconds > 0 else 0.0
        eta = (self.total_bytes - self.done_bytes) / rate if rate > 0 else math.nan
        return (
            f"{self.label} [{'#' * filled}{'-' * (_BAR - filled)}] {math.floor(fraction * 100):>3}% "
            f"{format_bytes(self.done_bytes)}/{format_bytes(self.total_bytes)} {format_bytes(round(rate))}/s "
            f"ETA {format_duration(eta)} {self.done_items}/{self.total_items}"
        )

    def _draw(self, force: bool) -> None:
        if self._stream is None:
            return
        now = time.monotonic()
        with self._lock:
            if not force and now - self._last_draw < _REDRAW_SECONDS:
                return
            self._last_draw = now
            self._stream.write(f"\r\x1b[2K{self.line()}")
            self._stream.flush()

    def finish(self) -> None:
        """Draws the final state and ends the line (no bar at all when there was nothing to do)."""
        if self._stream is None or (self.total_items == 0 and self.done_items == 0):
            return
        self._draw(True)
        self._stream.write("\n")
        self._stream.flush()
