"""Clerical review: analysts settle the pairs the model is unsure of.

Decisions are kept in an append-only log (JSON lines, ``decisions.jsonl`` in the linkage
folder): one line per decision with the pair, ``match`` / ``no_match`` / ``undecided``, who and
when, and an optional note.  The latest line of a pair is its decision; ``undecided`` withdraws
an earlier one (decisions are reversible, and the history stays).  Every later linkage run reads
the log and lets the decisions override the model (:class:`zicht.linkage.cluster.Graph`).

Each line has a sequence number ``seq`` (1-based, its place in the log; lines written before it
existed get their place when read) and ``supersedes``: the ``seq`` of the pair's latest line
that the decider saw, or null when they saw none.  :meth:`DecisionLog.record` with ``expect``
is a compare-and-append under an exclusive lock on the file (``flock``, so across threads and
processes): when the pair's latest line is no longer the one the decider saw, it refuses with
:class:`DecisionConflict` instead of letting the later decision silently win.

The queue holds the scored pairs whose match probability lies in the review band (default
0.2-0.9) and that nobody has decided, most valuable to the estimate first
(:func:`with_value`).  Reports are shown by id, with the comparison levels and the reports'
non-identifying attributes: no token, no name.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import threading
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from .persons import DEFAULT_LISTS, list_of

try:
    import fcntl
except ImportError:  # not POSIX: the lock holds within one process only
    fcntl = None  # type: ignore[assignment]

__all__ = ["DECISIONS", "REVIEW_BAND", "DecisionConflict", "DecisionLog", "most_uncertain_first",
           "queue", "review_order", "with_value"]

DECISIONS = ("match", "no_match", "undecided")
REVIEW_BAND = (0.2, 0.9)
COLUMNS = ["seq", "id_l", "id_r", "decision", "by", "at", "note", "supersedes"]
_UNCHECKED = object()  # record() without expect: supersede whatever stands
_LOCAL = threading.Lock()  # without fcntl


class DecisionConflict(Exception):
    """The pair's latest entry is not the one the decider saw (``expected``, a seq or None):
    someone else decided meanwhile.  ``standing`` is that latest entry (None if none)."""

    def __init__(self, id_l: str, id_r: str, expected: int | None, standing: dict | None):
        self.id_l, self.id_r, self.expected, self.standing = id_l, id_r, expected, standing
        now = (f"entry {standing['seq']} ({standing['decision']}, by {standing['by']}, "
               f"{standing['at']})" if standing else "no entry")
        seen = f"entry {expected}" if expected is not None else "no entry"
        super().__init__(f"{id_l} - {id_r}: the decider saw {seen}, the log now holds {now}; "
                         "nothing was recorded")


class DecisionLog:
    """The decisions file of a linkage folder."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def records(self) -> list[dict]:
        """Every line as a dict with all of :data:`COLUMNS`, in order (the history)."""
        if not self.path.exists():
            return []
        rows = []
        with self.path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    raise ValueError(f"{self.path}:{number}: not a JSON line") from None
                if not isinstance(row, dict) or row.get("decision") not in DECISIONS:
                    decision = row.get("decision") if isinstance(row, dict) else row
                    raise ValueError(f"{self.path}:{number}: unknown decision {decision!r}")
                entry = {c: row.get(c) for c in COLUMNS}
                # lines written before seq existed: their place in the log
                entry["seq"] = _seq(row.get("seq")) or len(rows) + 1
                entry["supersedes"] = _seq(row.get("supersedes"))
                rows.append(entry)
        return rows

    def entries(self) -> pd.DataFrame:
        """Every line, in order (the history)."""
        frame = pd.DataFrame(self.records(), columns=COLUMNS, dtype=object)
        frame["seq"] = frame["seq"].astype("int64")
        return frame

    def latest(self) -> dict[tuple[str, str], dict]:
        """The latest entry of every pair (``undecided`` included), by the sorted pair."""
        return {_pair(e["id_l"], e["id_r"]): e for e in self.records()}

    def current(self) -> pd.DataFrame:
        """The standing decision of each pair (``match`` or ``no_match``)."""
        entries = self.entries()
        if entries.empty:
            return entries
        latest = entries.groupby(["id_l", "id_r"], sort=False).tail(1)
        return latest[latest["decision"] != "undecided"].reset_index(drop=True)

    def record(self, id_l: str, id_r: str, decision: str, by: str | None = None,
               note: str = "", *, expect=_UNCHECKED) -> dict:
        """Append one decision (the pair in either order).

        ``expect`` is the ``seq`` of the pair's latest entry the decider saw, or None when they
        saw none: if the pair's latest entry differs, nothing is written and
        :class:`DecisionConflict` is raised.  Without ``expect`` (an operator's explicit
        decision from the command line) the decision supersedes whatever stands.  Either way
        the entry names the ``seq`` it supersedes."""
        decision = decision.replace("-", "_")
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
        id_l, id_r = _pair(id_l, id_r)
        if id_l == id_r:
            raise ValueError("a report cannot be paired with itself")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self._locked() as fd:
            # under the lock: nobody appends between this read and the write below
            records = self.records()
            standing = None
            for entry in records:
                if _pair(entry["id_l"], entry["id_r"]) == (id_l, id_r):
                    standing = entry
            seen = standing["seq"] if standing is not None else None
            if expect is not _UNCHECKED and expect != seen:
                raise DecisionConflict(id_l, id_r, expect, standing)
            entry = {"seq": max((e["seq"] for e in records), default=0) + 1,
                     "id_l": id_l, "id_r": id_r, "decision": decision,
                     "by": by or _who(),
                     "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                     "note": note, "supersedes": seen}
            line = json.dumps(entry, ensure_ascii=False) + "\n"
            # one write of one line in append mode: a reader never sees half a line
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        return entry

    @contextmanager
    def _locked(self) -> Iterator[int]:
        """The log opened for appending, under an exclusive lock (released on close)."""
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            if fcntl is not None:
                fcntl.flock(fd, fcntl.LOCK_EX)  # one lock per open file: threads too
                yield fd
            else:
                with _LOCAL:
                    yield fd
        finally:
            os.close(fd)


def _pair(id_l, id_r) -> tuple[str, str]:
    return tuple(sorted((str(id_l), str(id_r))))  # type: ignore[return-value]


def _seq(value) -> int | None:
    """A sequence number as written (a positive int), else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 \
        else None


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name (containers)
        return "cli:unknown"


def queue(pairs: pd.DataFrame, decisions: pd.DataFrame,
          band: tuple[float, float] = REVIEW_BAND, labels=None, table: pd.DataFrame | None = None,
          lists: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """Undecided scored pairs inside ``band``; with the clustering (``labels`` of ``table``'s
    reports) the pairs whose answer would change the counts most come first
    (:func:`with_value`), otherwise the most uncertain (closest to 0.5)."""
    low, high = band
    inside = pairs[(pairs["match_probability"] >= low) & (pairs["match_probability"] <= high)]
    if decisions is not None and len(decisions):
        decided = pd.MultiIndex.from_frame(decisions[["id_l", "id_r"]])
        inside = inside[~pd.MultiIndex.from_frame(inside[["id_l", "id_r"]]).isin(decided)]
    if labels is not None and table is not None:
        inside = with_value(inside, table, labels, lists)
    return review_order(inside)


# what a changed link does to the estimate: between two lists in one year it changes the
# overlap the estimate rests on; within one list, that year's count; across years neither
VALUE_BETWEEN_LISTS, VALUE_ONE_LIST, VALUE_OTHER_YEARS = 2.0, 1.0, 0.5


def with_value(pairs: pd.DataFrame, table: pd.DataFrame, labels,
               lists: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """The pairs with ``together`` (the two reports are one person now) and ``value``: the
    chance that the model is wrong about the pair (the smaller of its match probability and
    one minus it, for a calibrated model), times what a wrong link does to the estimate
    (:data:`VALUE_BETWEEN_LISTS` for two reports of one year on different lists,
    :data:`VALUE_ONE_LIST` on one list, :data:`VALUE_OTHER_YEARS` for different years or a
    report on no list).  An
    active-learning order: the answers most likely to correct the counts the estimate rests
    on are asked first.

    The value depends on the pair's probability and lists, not on whether the clustering
    put the two together: the decided pairs are then a sample chosen on the probability, from
    which the chance of *match* given the probability is estimated without bias
    (:mod:`zicht.linkage.calibrate`).  Choosing by ``together`` as well (asking first about
    pairs the clustering kept apart despite a high probability) made the decided pairs
    mostly non-matches at high probabilities and the recalibration learnt the reverse."""
    index = pd.Index(table["unique_id"])
    left, right = index.get_indexer(pairs["id_l"]), index.get_indexer(pairs["id_r"])
    if (left < 0).any() or (right < 0).any():
        raise ValueError("a pair names a report that is not among the reports")
    labels = pd.Series(labels).to_numpy()
    together = labels[left] == labels[right]
    p = pairs["match_probability"].to_numpy(dtype=float)
    change = pd.Series(p).clip(upper=1 - p).to_numpy()
    year = pd.to_numeric(table["reference_year"], errors="coerce").to_numpy(dtype=float)
    listed = list_of(table["reporter_category"], dict(lists or DEFAULT_LISTS)).to_numpy()
    same_year = year[left] == year[right]
    # a report on no list (a category outside the lists) is in no capture history
    on_lists = pd.notna(listed[left]) & pd.notna(listed[right])
    same_list = listed[left] == listed[right]
    weight = pd.Series(VALUE_OTHER_YEARS, index=range(len(pairs)))
    weight[same_year & on_lists & same_list] = VALUE_ONE_LIST
    weight[same_year & on_lists & ~same_list] = VALUE_BETWEEN_LISTS
    out = pairs.copy()
    out["together"] = together
    out["value"] = change * weight.to_numpy()
    return out


def review_order(pairs: pd.DataFrame) -> pd.DataFrame:
    """Most valuable first (``value``, :func:`with_value`) when the pairs have it, then most
    uncertain; renumbered."""
    if "value" not in pairs.columns:
        return most_uncertain_first(pairs)
    value = pd.to_numeric(pairs["value"], errors="coerce").fillna(0.0)
    key = pd.DataFrame({"value": -value, "doubt": (pairs["match_probability"] - 0.5).abs()},
                       index=pairs.index)
    order = key.sort_values(["value", "doubt"], kind="stable").index
    return pairs.loc[order].reset_index(drop=True)


def most_uncertain_first(pairs: pd.DataFrame) -> pd.DataFrame:
    """The pairs ordered by how far their match probability lies from 0.5 (ties keep their
    order), renumbered."""
    order = (pairs["match_probability"] - 0.5).abs().sort_values(kind="stable").index
    return pairs.loc[order].reset_index(drop=True)
