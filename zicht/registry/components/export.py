"""The export for linkage and estimation: every registered report, pseudonymised (tokens, no
clear identifier), as Parquet carrying the token scheme and the key's fingerprint."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import select

from ...tokens import SCHEME, TOKEN_FIELDS
from ..audit import Actor, Event
from ..errors import KeyMismatch
from ..models import Organisation, Report
from .listing import PUBLIC_COLUMNS, visible
from .store import Store


class Export:
    def __init__(self, store: Store):
        self.store = store

    def export_frame(self, actor: Actor, purpose: str = "export"):
        """All reports, pseudonymised, as a DataFrame (tokens included, no clear identifier)."""
        import pandas as pd

        self.store.require(actor, "analyst")
        cols = ([Report.__table__.c[c] for c in PUBLIC_COLUMNS if c != "organisation"]
                + [Organisation.code.label("organisation")]
                + [Report.__table__.c[c] for c in TOKEN_FIELDS]
                + [Report.__table__.c.key_fingerprint])
        with self.store.read_sessions() as s:
            rows = s.execute(select(*cols).join(
                Organisation, Report.organisation_id == Organisation.id).where(visible())
                .order_by(Report.received_date, Report.id)).mappings().all()
            frame = pd.DataFrame([dict(r) for r in rows],
                                 columns=[c.key if hasattr(c, "key") else c.name for c in cols])
            frame = frame.rename(columns={"id": "report_id"})
        fingerprint = self._fingerprint(frame.pop("key_fingerprint"))
        self.store.record(actor, Event(purpose, "report", None, {"rows": len(frame)}))
        frame.attrs["key_fingerprint"] = fingerprint
        return frame

    def _fingerprint(self, stored) -> str:
        """The fingerprint of the key the exported tokens were made with: the one stored with
        the reports.  Reports stored before that was recorded (revision 0004) count as made
        with the configured key, when no report says otherwise; reports of two keys are
        refused (their tokens cannot be linked together)."""
        known = set(stored.dropna())
        if len(known) > 1:
            raise KeyMismatch(
                f"the registry holds reports pseudonymised under {len(known)} keys "
                f"(fingerprints {', '.join(sorted(known))}); their tokens cannot be linked "
                f"together: re-register the reports of all but one key under it")
        if known:
            return known.pop()
        return self.store.pseudonymiser.fingerprint

    def export(self, actor: Actor, out: Path) -> Path:
        """``out/reports.parquet``: the pseudonymised reports that linkage and estimation read."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        frame = self.export_frame(actor)
        for c in ("received_date", "created_at"):
            frame[c] = frame[c].astype(str)
        out.mkdir(parents=True, exist_ok=True)
        path = out / "reports.parquet"
        tmp = out / ".reports.parquet.tmp"
        table = pa.Table.from_pandas(frame, preserve_index=False)
        meta = dict(table.schema.metadata or {})
        meta.update({b"zicht.scheme": SCHEME.encode(),
                     b"zicht.key_fingerprint": frame.attrs["key_fingerprint"].encode()})
        pq.write_table(table.replace_schema_metadata(meta), tmp)
        tmp.replace(path)  # readers never see half a file
        return path
