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

import datetime as dt
import hashlib
import json
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

    def with_source(self, source: str | None) -> Actor:
        return Actor(self.username, self.role, self.user_id, self.organisation_id,
                     self.organisation, source, self.via)


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

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(session: Session, expect_head: str | None = None, batch: int = 5000) -> Verification:
    """Recompute the whole chain; every problem found is named by sequence number."""
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
    if expect_head is not None and expect_head not in (prev, f"{last}:{prev}"):
        problems.append(f"the log's last hash {prev[:16]}... differs from the expected head")
    return Verification(count, head_seq, head_hash, problems)
