"""Failed authentications in the audit log, bounded.

Every failed login and every refused API token used to append one audit entry, so anonymous
traffic could fill the log forever (thousands of entries a second from one client).  Now, per
client address, kind of failure and minute, the first ``per_minute`` failures get an entry each
(as before: a single mistyped password is still seen at once); the rest are only counted, and
one ``auth_failed_summary`` entry with the count and the reasons is appended when the minute is
over.  Addresses beyond ``max_sources`` in one minute share one window (``source`` "*"), so a
spread-out attack is bounded too.  A burst therefore writes at most ``per_minute + 1`` entries
a minute per address, and the requests beyond the first few cost no database write.

Summaries are written by the next failure after their minute, by a timer thread every 15
seconds while windows are open, and by :meth:`FailureLog.close`.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from .audit import Actor, Event

FLUSH_SECONDS = 15.0


@dataclass
class _Window:
    minute: int
    count: int = 0
    suppressed: Counter = field(default_factory=Counter)  # reason -> count
    objects: set = field(default_factory=set)  # what the suppressed failures named (bounded)


class FailureLog:
    def __init__(self, write: Callable[[list[tuple[Actor, Event]]], None], per_minute: int = 5,
                 max_sources: int = 1000, clock: Callable[[], float] = time.time):
        self._write = write
        self.per_minute, self.max_sources, self._clock = per_minute, max_sources, clock
        self._windows: dict[tuple[str, str], _Window] = {}
        self._lock = threading.Lock()
        self._timer: threading.Timer | None = None

    def failed(self, source: str | None, event: Event) -> None:
        """Record one failure (``event.action`` is its kind); appends an entry now for the
        first ``per_minute`` of this address and minute, else only counts it."""
        minute = int(self._clock() // 60)
        due: list[tuple[Actor, Event]] = []
        with self._lock:
            due.extend(self._closed(minute))
            address = source or "unknown"
            key = (address, event.action)
            if key not in self._windows and len(self._windows) >= self.max_sources:
                address, key = "*", ("*", event.action)
            window = self._windows.get(key)
            if window is None:
                window = self._windows[key] = _Window(minute)
            window.count += 1
            if window.count <= self.per_minute:
                due.append((_anonymous(address), event))
            else:
                window.suppressed[str(event.detail.get("reason", event.object_type))] += 1
                if event.object_id is not None and len(window.objects) < 20:
                    window.objects.add(str(event.object_id))
            self._arm()
        if due:
            self._write(due)

    def flush(self, everything: bool = False) -> None:
        """Append the summaries of the windows whose minute is over (all with ``everything``)."""
        now = int(self._clock() // 60)
        with self._lock:
            due = self._closed(now + 1 if everything else now)
        if due:
            self._write(due)

    def close(self) -> None:
        timer, self._timer = self._timer, None
        if timer is not None:
            timer.cancel()
        self.flush(everything=True)

    def _closed(self, minute: int) -> list[tuple[Actor, Event]]:
        out = []
        for key in [k for k, w in self._windows.items() if w.minute < minute]:
            window = self._windows.pop(key)
            if window.suppressed:
                address, action = key
                start = dt.datetime.fromtimestamp(window.minute * 60, dt.UTC)
                out.append((_anonymous(address), Event(
                    "auth_failed_summary", action, None,
                    {"minute": start.isoformat(timespec="minutes"),
                     "failures": window.count, "audited_one_by_one": self.per_minute,
                     "counted": sum(window.suppressed.values()),
                     "reasons": dict(sorted(window.suppressed.items())),
                     "objects": sorted(window.objects)})))
        return out

    def _arm(self) -> None:
        if self._timer is None and self._windows:
            timer = threading.Timer(FLUSH_SECONDS, self._tick)
            timer.daemon = True
            self._timer = timer
            timer.start()

    def _tick(self) -> None:
        with self._lock:
            self._timer = None
        try:
            self.flush()
        finally:
            with self._lock:
                self._arm()


def _anonymous(source: str) -> Actor:
    return Actor("anonymous", "none", source=source, via="api")
