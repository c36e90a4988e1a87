"""Intake: reports validated and pseudonymised in the caller's thread, then stored by the
group writer, all or none per submission.

:meth:`Intake.prepare` does the CPU work outside any write transaction;
:meth:`Intake.store_many` is the group writer's function, storing every submission waiting in
it in one transaction (see :mod:`..writer`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import NamedTuple

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...i18n import translator
from ...tokens import CLEAR_COLUMNS, Identity
from .. import audit, security
from ..audit import Actor, Event
from ..errors import AccessDenied, Conflict, RowConflicts, Unauthenticated, ValidationFailed
from ..models import IdempotencyKey, Import, Organisation, Report, utcnow
from ..validation import FieldError, validate_report
from .listing import PUBLIC_COLUMNS
from .sessions import revoked
from .store import Store, chunks, epoch, require

MAX_BATCH = 1000
WRITE_TIMEOUT = 120.0  # seconds a caller waits for the group writer's commit


def field_error(field_name: str, code: str, message: str) -> FieldError:
    """An error of ``field_name``; ``message`` in the caller's language (from the catalogue,
    zicht/i18n.py)."""
    return FieldError(field_name, code, message)


@dataclass(frozen=True)
class Submission:
    """One call of :meth:`Intake.submit`, validated and pseudonymised, for the writer."""

    actor: Actor
    rows: list[dict]
    channel: str
    idempotency_key: str | None
    lang: str
    import_id: str | None
    request_digest: str  # keyed (Store.digests): the request holds names and birth dates


class OrgRow(NamedTuple):
    id: int
    code: str
    category: str


@dataclass
class SubmitOutcome:
    status: int  # 201 created, 200 all already present
    reports: list[dict]
    replayed: bool = False

    def body(self) -> dict:
        return {"reports": self.reports,
                "created": sum(r["status"] == "created" for r in self.reports),
                "existing": sum(r["status"] == "existing" for r in self.reports)}


class Intake:
    def __init__(self, store: Store):
        self.store = store

    def prepare(self, actor: Actor, records: Sequence[dict], channel: str,
                lang: str, today: dt.date | None = None, numbers: Sequence[int] | None = None,
                seen_refs: dict[str, int] | None = None) -> list[dict]:
        """Validate and pseudonymise records; raises ValidationFailed naming every error.

        Runs in the caller's thread, outside any write transaction (the CPU work of intake
        must not hold the database's write lock).  ``numbers`` are the records' row numbers
        (default 1, 2, ...); ``seen_refs`` carries the source references of earlier chunks of
        the same import, so a reference repeated anywhere in a file is caught."""
        own = actor.organisation
        _ = translator(lang)
        fingerprint = self.store.check_key()  # stored with each report; the export's label
        wanted = {str(r.get("organisation") or "").strip() for r in records} | {own or ""}
        wanted.discard("")
        orgs = self.store.org_cache
        if not wanted <= orgs.keys():  # organisations never change code or id
            with self.store.read_sessions() as s:
                for o in s.scalars(select(Organisation)
                                   .where(Organisation.code.in_(sorted(wanted)))):
                    orgs[o.code] = OrgRow(o.id, o.code, o.category)
        errors: list[tuple[int | None, FieldError]] = []
        rows: list[dict] = []
        seen_refs = {} if seen_refs is None else seen_refs
        numbers = range(1, len(records) + 1) if numbers is None else numbers
        for i, raw in zip(numbers, records, strict=True):
            record = {k: v for k, v in raw.items() if k is not None}
            org_code = str(record.get("organisation") or "").strip() or own or ""
            org = orgs.get(org_code)
            row_errors = []
            if actor.role != "operator" and org_code != own:
                row_errors.append(field_error("organisation", "forbidden", _(
                    "organisation: you report only for your own organisation ({own})").format(
                    own=own)))
            elif org_code and org is None:
                row_errors.append(field_error("organisation", "unknown", _(
                    "organisation: '{organisation}' is not known").format(
                    organisation=org_code)))
            record["organisation"] = org_code
            if not str(record.get("reporter_category") or "").strip():
                # from the organisation; for an unknown one the row already errs on that
                record["reporter_category"] = org.category if org is not None else "UNK"
            record["channel"] = channel
            normal, field_errors = validate_report(record, lang=lang, today=today)
            row_errors.extend(field_errors)
            ref = str(record.get("source_ref") or record.get("report_id") or "").strip() or None
            if ref and len(ref) > 120:
                row_errors.append(field_error("source_ref", "length",
                                              _("source_ref: longer than 120 characters")))
            seen_key = f"{org_code}\x1f{ref}"  # one string: 100,000 of them stay small
            if ref and seen_key in seen_refs:
                row_errors.append(field_error("source_ref", "duplicate", _(
                    "source_ref '{ref}' also appears in row {row}").format(
                    ref=ref, row=seen_refs[seen_key])))
            elif ref:
                seen_refs[seen_key] = i
            errors.extend((i, e) for e in row_errors)
            if row_errors:
                continue
            ident = Identity(*(None if record.get(c) in (None, "") else str(record[c])
                               for c in CLEAR_COLUMNS))
            row = {name: (normal.get(name) or None) for name in PUBLIC_COLUMNS
                   if name not in ("id", "organisation", "source_ref", "created_at")}
            row["received_date"] = dt.date.fromisoformat(normal["received_date"])
            for name in ("reference_year", "age_at_report"):
                row[name] = int(normal[name]) if normal.get(name) else None
            if row["reference_year"] is None:
                row["reference_year"] = row["received_date"].year
            row.update(self.store.pseudonymiser.tokens(ident))
            # the content, not how it came in: the same report by API and in a file is "existing"
            row["content_sha256"] = hashlib.sha256(audit.canonical(
                {k: row[k] for k in sorted(row) if k != "channel"}).encode()).hexdigest()
            row.update(organisation_id=org.id, source_ref=ref, submitted_by=actor.user_id,
                       key_fingerprint=fingerprint, _org=org_code, _row=i)
            rows.append(row)
        if errors:
            raise ValidationFailed(errors)
        return rows

    def submit(self, actor: Actor, records: Sequence[dict], channel: str = "api",
               idempotency_key: str | None = None, lang: str = "nl",
               import_id: str | None = None, today: dt.date | None = None) -> SubmitOutcome:
        """Register reports atomically: all or none.

        A record whose (organisation, source reference) is already registered with the same
        content is not registered again (status "existing"); with other content it is a
        conflict.  An idempotency key replays the first response to a retry."""
        try:
            try:
                return self.begin_submit(actor, records, channel, idempotency_key, lang,
                                         import_id, today).result(WRITE_TIMEOUT)
            except IntegrityError:  # another process registered the same key or reference
                return self.begin_submit(actor, records, channel, idempotency_key, lang,
                                         import_id, today).result(WRITE_TIMEOUT)
        except (ValidationFailed, Conflict, AccessDenied) as exc:  # nothing stored; audited
            self.record_rejected(actor, records, channel, exc)
            raise

    def begin_submit(self, actor: Actor, records: Sequence[dict], channel: str = "api",
                     idempotency_key: str | None = None, lang: str = "nl",
                     import_id: str | None = None, today: dt.date | None = None) -> Future:
        """:meth:`submit` for an event loop: checks, validates and pseudonymises now (raising
        ValidationFailed or AccessDenied here) and returns the writer's future of the outcome,
        resolved once committed.  It does not audit a refusal: the caller does that with
        :meth:`record_rejected` off the event loop."""
        require(actor, "reporter")
        if not records:
            _ = translator(lang)
            raise ValidationFailed([(None, field_error("reports", "required",
                                                       _("no reports received")))])
        # keyed: a plain hash of the request would let anyone holding a copy of the database
        # test names and birth dates against it (the rest of the request is in the report row)
        request_digest = self.store.digests.hex(hashlib.sha256(
            audit.canonical(list(records)).encode()).hexdigest()) if idempotency_key else ""
        rows = self.prepare(actor, records, channel, lang, today)
        return self.store.writer.submit_combined(Submission(
            actor, rows, channel, idempotency_key, lang, import_id, request_digest))

    def record_rejected(self, actor: Actor, records: Sequence[dict], channel: str,
                        exc: Exception) -> None:
        if isinstance(exc, AccessDenied):
            self.store.record(actor, Event("denied", "operation", "submit",
                                           {"allowed": ["reporter"]}))
            return
        self.store.record(actor, Event("submit_rejected", "report", None,
                                       {"channel": channel, "records": len(records),
                                        "reason": type(exc).__name__,
                                        "errors": len(getattr(exc, "errors", ())) or 1}))

    def store_many(self, s: Session,
                   subs: list[Submission]) -> list[tuple[bool, SubmitOutcome | Exception]]:
        """The write part of :meth:`submit` for every submission waiting in the group writer,
        in its transaction: one query for the references already registered, one INSERT of
        every new report, one audit append.  Each submission is answered on its own (a
        conflict refuses that submission only, writing nothing of it); submissions later in
        the list see the earlier ones, as if run one after the other."""
        refs = {(r["organisation_id"], r["source_ref"]) for sub in subs for r in sub.rows
                if r["source_ref"]}
        # (organisation, reference) -> (report id, content digest, import of a report still
        # being imported or discarded: not yet a registered report)
        existing: dict[tuple[int, str], tuple[str, str, str | None]] = {}
        for chunk in chunks(sorted(refs), 500):
            found = s.execute(select(Report.id, Report.organisation_id, Report.source_ref,
                                     Report.content_sha256, Report.import_id, Import.state)
                              .outerjoin(Import, Report.import_id == Import.id)
                              .where(Report.organisation_id.in_({o for o, _ref in chunk}),
                                     Report.source_ref.in_({r for _org, r in chunk})))
            for rid, org_id, ref, digest, import_id, state in found:
                staged = import_id if state in ("pending", "failed") else None
                existing[(org_id, ref)] = (rid, digest, staged)
        keys: dict[tuple[int, str], tuple[str, int, str]] = {}  # this batch's new keys
        answers: list[tuple[bool, SubmitOutcome | Exception]] = []
        inserts, key_rows, events = [], [], []
        now = utcnow()
        now_epoch = epoch(s)
        for sub in subs:
            actor = sub.actor
            if revoked(s, actor, now_epoch):  # revoked since its token was checked
                answers.append((False, Unauthenticated("invalid or revoked API token")))
                continue
            org_key = (actor.organisation_id, sub.idempotency_key or "")
            if sub.idempotency_key and actor.organisation_id is not None:
                stored = keys.get(org_key)
                if stored is None:
                    row = s.get(IdempotencyKey, org_key)
                    stored = (row.request_digest, row.status, row.response) if row else None
                if stored is not None:
                    if not security.same(stored[0], sub.request_digest):
                        answers.append((False, Conflict(
                            "Idempotency-Key was used before with a different request")))
                        continue
                    events.append((actor, Event("replay", "idempotency_key",
                                                sub.idempotency_key[:120])))
                    answers.append((True, SubmitOutcome(
                        stored[1], json.loads(stored[2])["reports"], replayed=True)))
                    continue
            results, new, conflicts = [], [], []
            _ = translator(sub.lang)
            for row in (dict(r) for r in sub.rows):
                org_code, number = row.pop("_org"), row.pop("_row")
                ref = row["source_ref"]
                if ref and (row["organisation_id"], ref) in existing:
                    rid, digest, staged = existing[(row["organisation_id"], ref)]
                    if staged is not None and staged != sub.import_id:
                        conflicts.append((number, field_error("source_ref", "conflict", _(
                            "source_ref '{ref}' is being registered by another import right "
                            "now; try again later").format(ref=ref))))
                    elif digest != row["content_sha256"]:
                        conflicts.append((number, field_error("source_ref", "conflict", _(
                            "source_ref '{ref}' is already registered with different "
                            "content").format(ref=ref))))
                    results.append({"id": rid, "source_ref": ref, "organisation": org_code,
                                    "status": "existing"})
                    continue
                row.update(id=str(uuid.uuid4()), created_at=now, import_id=sub.import_id)
                new.append(row)
                results.append({"id": row["id"], "source_ref": ref, "organisation": org_code,
                                "status": "created"})
            if conflicts:
                answers.append((False, RowConflicts(conflicts)))
                continue
            for row in new:  # later submissions of this batch see these
                if row["source_ref"]:
                    existing[(row["organisation_id"], row["source_ref"])] = (
                        row["id"], row["content_sha256"], sub.import_id)
            inserts.extend(new)
            outcome = SubmitOutcome(201 if new else 200, results)
            if sub.idempotency_key and actor.organisation_id is not None:
                response = json.dumps(outcome.body())
                keys[org_key] = (sub.request_digest, outcome.status, response)
                key_rows.append({"organisation_id": actor.organisation_id,
                                 "key": sub.idempotency_key,
                                 "request_digest": sub.request_digest,
                                 "status": outcome.status, "response": response,
                                 "created_at": now})
            extra = {"import": sub.import_id} if sub.import_id else {}
            events.extend((actor, Event("create", "report", r["id"],
                                        {"channel": sub.channel,
                                         "organisation": r["organisation"], **extra}))
                          for r in results if r["status"] == "created")
            if len(new) < len(results):
                events.append((actor, Event("submit_existing", "report", None,
                                            {"ids": [r["id"] for r in results
                                                     if r["status"] == "existing"]})))
            answers.append((True, outcome))
        if inserts:
            s.execute(Report.__table__.insert(), inserts)
        if key_rows:
            s.execute(IdempotencyKey.__table__.insert(), key_rows)
        staging = {sub.import_id for sub in subs if sub.import_id}
        if staging:  # an import that is staging is alive (see Imports.discard_stale_imports)
            s.execute(update(Import).where(Import.id.in_(staging)).values(updated_at=now))
        audit.append_many(s, events)
        return answers
