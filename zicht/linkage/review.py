"""Clerical review: analysts settle the pairs the model is unsure of.

Decisions are kept in an append-only log (JSON lines, ``decisions.jsonl`` in the linkage
folder): one line per decision with the pair, ``match`` / ``no_match`` / ``undecided``, who and
when, and an optional note.  The latest line of a pair is its decision; ``undecided`` withdraws
an earlier one (decisions are reversible, and the history stays).  Every later linkage run reads
the log and lets the decisions override the model (:class:`zicht.linkage.cluster.Graph`).

The queue holds the scored pairs whose match probability lies in the review band (default
0.2-0.9) and that nobody has decided, most uncertain first.  Reports are shown by id, with
the comparison levels and the reports' non-identifying attributes: no token, no name.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
from pathlib import Path

import pandas as pd

__all__ = ["DECISIONS", "REVIEW_BAND", "DecisionLog", "most_uncertain_first", "queue"]

DECISIONS = ("match", "no_match", "undecided")
REVIEW_BAND = (0.2, 0.9)


class DecisionLog:
    """The decisions file of a linkage folder."""

    def __init__(self, path: Path):
        self.path = Path(path)

    def entries(self) -> pd.DataFrame:
        """Every line, in order (the history)."""
        columns = ["id_l", "id_r", "decision", "by", "at", "note"]
        if not self.path.exists():
            return pd.DataFrame(columns=columns)
        rows = []
        with self.path.open(encoding="utf-8") as fh:
            for number, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                except json.JSONDecodeError:
                    raise ValueError(f"{self.path}:{number}: not a JSON line") from None
                if row.get("decision") not in DECISIONS:
                    raise ValueError(f"{self.path}:{number}: unknown decision "
                                     f"{row.get('decision')!r}")
                rows.append(row)
        return pd.DataFrame(rows, columns=columns)

    def current(self) -> pd.DataFrame:
        """The standing decision of each pair (``match`` or ``no_match``)."""
        entries = self.entries()
        if entries.empty:
            return entries
        latest = entries.groupby(["id_l", "id_r"], sort=False).tail(1)
        return latest[latest["decision"] != "undecided"].reset_index(drop=True)

    def record(self, id_l: str, id_r: str, decision: str, by: str | None = None,
               note: str = "") -> dict:
        """Append one decision (the pair in either order)."""
        decision = decision.replace("-", "_")
        if decision not in DECISIONS:
            raise ValueError(f"decision must be one of {', '.join(DECISIONS)}, not {decision!r}")
        id_l, id_r = sorted((str(id_l), str(id_r)))
        if id_l == id_r:
            raise ValueError("a report cannot be paired with itself")
        entry = {"id_l": id_l, "id_r": id_r, "decision": decision,
                 "by": by or _who(), "at": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                 "note": note}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps(entry, ensure_ascii=False) + "\n"
        # one write of one line in append mode: concurrent reviewers never interleave lines
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, line.encode("utf-8"))
            os.fsync(fd)
        finally:
            os.close(fd)
        return entry


def _who() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name (containers)
        return "cli:unknown"


def queue(pairs: pd.DataFrame, decisions: pd.DataFrame,
          band: tuple[float, float] = REVIEW_BAND) -> pd.DataFrame:
    """Undecided scored pairs inside ``band``, most uncertain (closest to 0.5) first."""
    low, high = band
    inside = pairs[(pairs["match_probability"] >= low) & (pairs["match_probability"] <= high)]
    if decisions is not None and len(decisions):
        decided = pd.MultiIndex.from_frame(decisions[["id_l", "id_r"]])
        inside = inside[~pd.MultiIndex.from_frame(inside[["id_l", "id_r"]]).isin(decided)]
    return most_uncertain_first(inside)


def most_uncertain_first(pairs: pd.DataFrame) -> pd.DataFrame:
    """The pairs ordered by how far their match probability lies from 0.5 (ties keep their
    order), renumbered."""
    order = (pairs["match_probability"] - 0.5).abs().sort_values(kind="stable").index
    return pairs.loc[order].reset_index(drop=True)
