"""Reading and verifying the audit log (auditor); both are themselves audited."""

from __future__ import annotations

import json

from sqlalchemy import select

from .. import audit
from ..audit import Actor, Event
from ..models import AuditEntry
from .listing import MAX_PAGE
from .store import Store


class AuditLog:
    def __init__(self, store: Store):
        self.store = store

    def audit_entries(self, actor: Actor, limit: int = 100, before: int | None = None,
                      action: str | None = None) -> list[dict]:
        self.store.require(actor, "auditor")
        limit = max(1, min(int(limit), MAX_PAGE))
        t = AuditEntry.__table__
        query = select(t).order_by(t.c.seq.desc()).limit(limit)
        if before is not None:  # seq is a 32-bit integer column (PostgreSQL refuses more)
            query = query.where(t.c.seq < min(int(before), 2**31 - 1))
        if action:
            query = query.where(t.c.action == action)
        with self.store.read_sessions() as s:
            rows = [dict(r) for r in s.execute(query).mappings()]
        self.store.record(actor, Event("read", "audit_log", None,
                                       {"count": len(rows), "before": before}))
        for r in rows:
            r["detail"] = json.loads(r["detail"])
        return rows

    def verify_audit(self, actor: Actor, expect_head: str | None = None) -> audit.Verification:
        self.store.require(actor, "auditor")
        with self.store.read_sessions() as s:  # one snapshot (PostgreSQL; SQLite: one read txn)
            result = audit.verify(s, expect_head)
        self.store.record(actor, Event("verify", "audit_log", None,
                                       {"entries": result.entries, "ok": result.ok}))
        return result
