"""Retention: reports received before today minus the retention period are deleted, with
idempotency keys older than 30 days and what abandoned imports left; audited with the count."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import delete, select

from ..audit import Actor, Event
from ..models import IdempotencyKey, Report, utcnow
from .imports import Imports
from .store import Store, chunks


class Purge:
    def __init__(self, store: Store, imports: Imports):
        self.store = store
        self.imports = imports

    def purge(self, actor: Actor, today: dt.date | None = None,
              dry_run: bool = False) -> dict:
        """Delete reports received before today - retention period; audited with the count."""
        store = self.store
        store.require(actor, "admin")
        today = today or dt.date.today()
        cutoff = today - dt.timedelta(days=store.settings.retention_days)
        if not dry_run:
            self.imports.discard_stale_imports()
        with store.sessions.begin() as s:
            ids = list(s.scalars(select(Report.id).where(Report.received_date < cutoff)))
            if not dry_run:
                for chunk in chunks(ids, 500):
                    s.execute(delete(Report).where(Report.id.in_(chunk)))
                s.execute(delete(IdempotencyKey).where(
                    IdempotencyKey.created_at < utcnow() - dt.timedelta(days=30)))
            store.audit(s, actor, Event("purge_dry_run" if dry_run else "purge", "report",
                                        None, {"cutoff": cutoff.isoformat(), "count": len(ids),
                                               "retention_days": store.settings.retention_days,
                                               "ids": ids}))
        return {"cutoff": cutoff.isoformat(), "deleted": 0 if dry_run else len(ids),
                "matched": len(ids)}
