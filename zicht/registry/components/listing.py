"""Reading reports: a page of them, or one, each read audited; what a reader may see is
decided in one place (:meth:`Listing._scoped`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, or_, select

from ..audit import Actor, Event
from ..errors import AccessDenied, NotFound
from ..models import Import, Organisation, Report
from .store import Store

MAX_PAGE = 1000
READ_ROLES = ("reporter", "analyst")
# columns a report row shows to its readers (never a token: those are for the export only)
PUBLIC_COLUMNS = ("id", "organisation", "source_ref", "created_at", "received_date",
                  "reporter_category", "reference_year", "channel", "legal_basis",
                  "consent_registration", "consent_care_referral", "age_at_report", "age_band",
                  "sex", "nationality", "country_of_birth", "residence_status",
                  "exploitation_forms", "sector", "nr_group", "place_of_exploitation",
                  "complaint_filed", "reflection_period", "shelter_requested", "shelter_placed",
                  "referred_to_care", "means_of_control", "recruiter_relation")


@dataclass
class Page:
    items: list[dict]
    total: int
    limit: int
    offset: int


@dataclass
class ReportFilter:
    organisation: str | None = None
    reporter_category: str | None = None
    year: int | None = None
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    source_ref: str | None = None
    limit: int = 100
    offset: int = 0

    def as_dict(self) -> dict:
        return {k: (v.isoformat() if isinstance(v, dt.date) else v)
                for k, v in self.__dict__.items() if v is not None}


class Listing:
    def __init__(self, store: Store):
        self.store = store

    def _scoped(self, actor: Actor, query):
        """Restrict a report query to what the actor may read (the one place it is done)."""
        self.store.require(actor, *READ_ROLES)
        if actor.role == "reporter":
            if actor.organisation_id is None:
                raise AccessDenied("reporter without an organisation")
            return query.where(Report.organisation_id == actor.organisation_id)
        return query

    def list_reports(self, actor: Actor, flt: ReportFilter | None = None) -> Page:
        flt = flt or ReportFilter()
        limit = max(1, min(int(flt.limit), MAX_PAGE))
        offset = max(0, int(flt.offset))
        query = self._scoped(actor, select(*_public_columns()).join(
            Organisation, Report.organisation_id == Organisation.id).where(visible()))
        if flt.organisation:
            query = query.where(Organisation.code == flt.organisation)
        if flt.reporter_category:
            query = query.where(Report.reporter_category == flt.reporter_category.upper())
        if flt.year is not None:
            query = query.where(Report.reference_year == flt.year)
        if flt.received_from:
            query = query.where(Report.received_date >= flt.received_from)
        if flt.received_to:
            query = query.where(Report.received_date <= flt.received_to)
        if flt.source_ref:
            query = query.where(Report.source_ref == flt.source_ref)
        with self.store.read_sessions() as s:
            total = s.scalar(select(func.count()).select_from(query.subquery()))
            rows = s.execute(query.order_by(Report.received_date.desc(), Report.id)
                             .limit(limit).offset(offset)).mappings().all()
        items = [report_dict(r) for r in rows]
        # every read is audited, and committed, before anything is returned
        self.store.record(actor, Event("read", "report", None,
                                       {"filter": flt.as_dict(), "total": total,
                                        "ids": [r["id"] for r in items]}))
        return Page(items, total, limit, offset)

    def get_report(self, actor: Actor, report_id: str) -> dict:
        query = self._scoped(actor, select(*_public_columns()).join(
            Organisation, Report.organisation_id == Organisation.id)
            .where(Report.id == report_id, visible()))
        with self.store.read_sessions() as s:
            row = s.execute(query).mappings().first()
        self.store.record(actor, Event("read" if row else "read_missing", "report",
                                       report_id[:120]))
        if row is None:  # another organisation's report is "not found", never "forbidden"
            raise NotFound("report not found")
        return report_dict(row)


def visible():
    """Reports that are registered: not of an import still staging or discarded."""
    return or_(Report.import_id.is_(None),
               Report.import_id.not_in(select(Import.id).where(Import.state != "committed")))


def _public_columns() -> list:
    return [Report.__table__.c[c] for c in PUBLIC_COLUMNS
            if c not in ("organisation",)] + [Organisation.code.label("organisation")]


def report_dict(row) -> dict:
    out = {}
    for c in PUBLIC_COLUMNS:
        v = row[c]
        out[c] = v.isoformat() if isinstance(v, dt.date | dt.datetime) else v
    return out
