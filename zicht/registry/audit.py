"""The audit log: append-only, every entry chained to the one before by SHA-256.

``hash(n) = SHA-256(hash(n-1) || "\\n" || canonical JSON of entry n)``, with ``hash(0)`` the
genesis value 64 zeros.  Appending locks the one-row chain head (``SELECT ... FOR UPDATE`` on
PostgreSQL; SQLite transactions start ``BEGIN IMMEDIATE`` and so hold the database's write
lock), so entries are numbered without gaps in commit order.  Triggers refuse UPDATE, DELETE
(and TRUNCATE on PostgreSQL) on the table.  :func:`verify` recomputes the chain: a changed entry
breaks its own hash, a removed one leaves a gap in the numbering and a broken link, and a
removed tail is caught by comparing with the head row or with a head hash kept elsewhere
(``zicht audit verify --expect-head``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import re
from dataclasses import dataclass, field

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from .models import AuditEntry, AuditHead

GENESIS = "0" * 64
FIELDS = ("seq", "ts", "actor", "role", "organisation", "action", "object_type", "object_id",
          "source", "detail")


@dataclass(frozen=True)
class Actor:
    """Who does something: a user (browser or API token) or the command line."""

    username: str
    role: str
    user_id: int | None = None
    organisation_id: int | None = None
    organisation: str | None = None  # organisation code
    source: str | None = None  # client address, or "cli"
    via: str = "web"  # web, api, cli
    token_id: str | None = None  # the API token it came with
    epoch: int | None = None  # the revocation epoch its token was last checked at

    def with_source(self, source: str | None) -> Actor:
        return dataclasses.replace(self, source=source)


@dataclass
class Event:
    action: str
    object_type: str | None = None
    object_id: str | None = None
    detail: dict = field(default_factory=dict)


def canonical(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)


def entry_hash(prev_hash: str, values: dict) -> str:
    body = canonical({k: values[k] for k in FIELDS})
    return hashlib.sha256(f"{prev_hash}\n{body}".encode()).hexdigest()


def append(session: Session, actor: Actor, events: list[Event]) -> list[int]:
    """Append events for ``actor`` inside the caller's transaction; returns their numbers.

    Call it last in a transaction: the head lock is held until commit."""
    return append_many(session, [(actor, ev) for ev in events])


def append_many(session: Session, entries: list[tuple[Actor, Event]]) -> list[int]:
    """Append (actor, event) pairs in this order, in one statement; returns their numbers."""
    if not entries:
        return []
    head = AuditHead.__table__
    seq, prev = session.execute(select(head.c.seq, head.c.hash).where(head.c.id == 1)
                                .with_for_update()).one()
    ts = dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")
    rows, numbers = [], []
    for actor, ev in entries:
        seq += 1
        values = {"seq": seq, "ts": ts, "actor": actor.username, "role": actor.role,
                  "organisation": actor.organisation, "action": ev.action,
                  "object_type": ev.object_type,
                  "object_id": None if ev.object_id is None else str(ev.object_id),
                  "source": actor.source, "detail": canonical(ev.detail)}
        values["prev_hash"] = prev
        values["hash"] = prev = entry_hash(prev, values)
        rows.append(values)
        numbers.append(seq)
    session.execute(AuditEntry.__table__.insert(), rows)
    session.execute(update(head).where(head.c.id == 1).values(seq=seq, hash=prev))
    return numbers


@dataclass
class Verification:
    entries: int
    head_seq: int
    head_hash: str
    problems: list[str]
    expected: str | None = None  # the head kept elsewhere, as SEQ:HASH
    after_expected: int | None = None  # entries appended since that head (when it was found)

    @property
    def ok(self) -> bool:
        return not self.problems


def parse_head(text: str) -> tuple[int | None, str]:
    """(sequence number or None, hash) of ``SEQ:HASH`` or a bare ``HASH`` (what ``zicht audit
    head`` prints); ValueError when it is neither."""
    seq, _, digest = text.strip().rpartition(":")
    if not re.fullmatch(r"[0-9a-f]{64}", digest) or (seq and not re.fullmatch(r"[0-9]{1,12}",
                                                                              seq)):
        raise ValueError(f"expected head {text[:80]!r}: give SEQ:HASH as `zicht audit head` "
                         "prints it (a number, a colon, 64 hex digits)")
    return (int(seq) if seq else None), digest


def verify(session: Session, expect_head: str | None = None, batch: int = 5000) -> Verification:
    """Recompute the whole chain; every problem found is named by sequence number.

    ``expect_head`` (``SEQ:HASH``, kept outside the database earlier) must be an entry of the
    chain at its position: a log that grew since is fine (``after_expected`` counts the
    entries after it), one whose entry SEQ was rewritten or whose tail was cut before SEQ is
    not."""
    want_seq, want_hash = parse_head(expect_head) if expect_head is not None else (None, None)
    found_seq = None
    problems: list[str] = []
    prev, expected_seq, count = GENESIS, 1, 0
    table = AuditEntry.__table__
    last = 0
    while True:
        rows = session.execute(select(table).where(table.c.seq > last)
                               .order_by(table.c.seq).limit(batch)).mappings().all()
        if not rows:
            break
        for row in rows:
            count += 1
            if row["seq"] != expected_seq:
                problems.append(f"entries {expected_seq}..{row['seq'] - 1} are missing")
            if row["prev_hash"] != prev:
                problems.append(f"entry {row['seq']}: link to the previous entry is broken")
            if entry_hash(row["prev_hash"], row) != row["hash"]:
                problems.append(f"entry {row['seq']}: content changed (hash does not match)")
            if want_hash is not None and found_seq is None and (
                    row["seq"] == want_seq or (want_seq is None and row["hash"] == want_hash)):
                found_seq = row["seq"]
                if row["hash"] != want_hash:
                    problems.append(f"entry {row['seq']} is not the expected head: its hash "
                                    f"{row['hash'][:16]}... differs from {want_hash[:16]}... "
                                    "(the entries up to it were rewritten)")
            prev, expected_seq = row["hash"], row["seq"] + 1
        last = rows[-1]["seq"]
    head = session.get(AuditHead, 1)
    if head is None:
        problems.append("the chain head is missing")
        head_seq, head_hash = last, prev
    else:
        head_seq, head_hash = head.seq, head.hash
        if head.seq != last or head.hash != prev:
            problems.append(f"the log ends at entry {last} but the head records entry "
                            f"{head.seq}: entries at the end were removed or the head was changed")
    after = None
    if want_hash is not None:
        if found_seq is None:
            where = (f"the log ends at entry {last}, before the expected head {want_seq}: "
                     "entries at the end were removed" if want_seq is not None and
                     want_seq > last else "no entry of the log has the expected head's hash")
            problems.append(where)
        else:
            after = last - found_seq
        expected = f"{found_seq if found_seq is not None else want_seq}:{want_hash}"
    else:
        expected = None
    return Verification(count, head_seq, head_hash, problems, expected, after)
