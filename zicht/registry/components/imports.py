"""Bulk import of a CSV or XLSX file: all rows or none, staged in chunks under a ``pending``
import that one last transaction commits; failed and abandoned imports are discarded."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Callable
from typing import BinaryIO

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from ...i18n import translator
from .. import audit
from ..audit import Actor, Event
from ..errors import MAX_LISTED, Conflict, RowConflicts, TooLarge, ValidationFailed
from ..models import Import, Report, utcnow
from ..tables import ErrorList, TableReader
from ..validation import FieldError, keep_year_of_impossible_date
from .intake import WRITE_TIMEOUT, Intake, Submission, field_error
from .store import Store, chunks, operator

STALE_IMPORT = dt.timedelta(hours=1)  # a pending import untouched this long was abandoned
STAGE_ROWS = 500  # an import's reports staged per writer job


class Imports:
    def __init__(self, store: Store, intake: Intake):
        self.store = store
        self.intake = intake

    def import_file(self, actor: Actor, data: bytes | BinaryIO, filename: str, lang: str = "nl",
                    today: dt.date | None = None, allow_no_identity: bool = False,
                    default_organisation: str | None = None,
                    progress: Callable[[int], None] | None = None,
                    max_errors: int | None = MAX_LISTED, year_only_dates: bool = False) -> dict:
        """Bulk import of a CSV or XLSX file in the import format: all rows or none.

        The file is read, validated and pseudonymised in chunks
        (``settings.imports.chunk_rows``), each chunk staged in its own short transaction
        under an import that stays ``pending`` (its reports invisible to every query) until
        one last transaction commits it; so memory stays bounded and other users' reports are
        written between the chunks.  On any error the rest of the file is still validated
        (the first :data:`MAX_LISTED` errors are listed and all counted), nothing more is
        staged, and what was staged is deleted.  ``progress`` is called with the rows read;
        ``max_errors`` (None: all, for the command line's error file) bounds the list.

        ``year_only_dates`` keeps a birth date that is not on the calendar (``1979-02-29``)
        as its year (:func:`~zicht.registry.validation.keep_year_of_impossible_date`) instead
        of refusing the file; each such row is listed under ``warnings`` in the result (the
        first :data:`MAX_LISTED`; ``warnings_total`` counts them all) and counted in the
        audit entry."""
        store = self.store
        store.require(actor, "reporter")
        _ = translator(lang)
        reader = TableReader(data, filename, lang, store.settings.imports, allow_no_identity)
        import_id = str(uuid.uuid4())
        # keyed: the file holds names and birth dates
        file_digest = store.digests.of_file(reader.stream)
        store.writer.run(lambda s: s.add(Import(
            id=import_id, organisation_id=actor.organisation_id, submitted_by=actor.user_id,
            state="pending", rows=0, created=0, existing=0)))
        errors, seen = ErrorList(max_errors if max_errors is not None else 10**9), {}
        created = existing = conflicts = 0
        warnings: list[dict] = []
        warned = 0
        analysed = STAGE_ROWS // 4  # statistics refreshed after the first job, then at x4
        try:
            for chunk in reader.chunks():
                numbers = [n for n, _record in chunk]
                records = [r for _number, r in chunk]
                if default_organisation:
                    for r in records:
                        r["organisation"] = r.get("organisation") or default_organisation
                if year_only_dates:
                    for number, r in chunk:
                        warning = keep_year_of_impossible_date(r, lang)
                        if warning is not None:
                            warned += 1
                            if len(warnings) < MAX_LISTED:
                                warnings.append({"row": number, "field": warning.field,
                                                 "code": warning.code,
                                                 "message": warning.message})
                try:
                    rows = self.intake.prepare(actor, records, "bulk", lang, today, numbers,
                                               seen)
                except ValidationFailed as exc:
                    errors.extend(exc.errors)
                    continue
                if errors:  # validate the rest of the file, stage nothing more
                    continue
                # staged in writer jobs of STAGE_ROWS: the writer (and on SQLite the database)
                # is held for a short moment each, and other users' reports go in between
                for part in chunks(rows, STAGE_ROWS):
                    try:
                        outcome = store.writer.submit_combined(Submission(
                            actor, list(part), "bulk", None, lang, import_id, "")).result(
                            WRITE_TIMEOUT)
                    except RowConflicts as exc:  # 409 unless the file also has invalid rows
                        errors.extend(exc.errors)
                        conflicts += len(exc.errors)
                        break
                    except IntegrityError:  # another writer took a reference meanwhile
                        errors.extend([(None, field_error("source_ref", "conflict", _(
                            "a source_ref was registered by another report at the same time; "
                            "try again")))])
                        break
                    body = outcome.body()
                    created += body["created"]
                    existing += body["existing"]
                    if created >= analysed * 4:
                        analysed = max(created, STAGE_ROWS)
                        self._analyze_reports()
                if progress is not None:
                    progress(reader.rows)
        except (ValidationFailed, TooLarge) as exc:
            # the file itself is refused (format, a limit): listed first, before row errors
            first = exc.errors if isinstance(exc, ValidationFailed) else [(None, FieldError(
                "file", "limit", str(exc)))]
            self._discard_import(actor, import_id, reader, errors.total + len(first))
            if isinstance(exc, TooLarge):
                raise
            raise ValidationFailed(first + errors.listed[:max(0, errors.limit - len(first))],
                                   total=errors.total + len(first)) from None
        except BaseException:
            self._discard_import(actor, import_id, reader, errors.total)
            raise
        if errors:
            self._discard_import(actor, import_id, reader, errors.total)
            if conflicts == errors.total:
                raise RowConflicts(errors.listed, errors.total)
            raise errors.failure()
        if reader.rows == 0:
            self._discard_import(actor, import_id, reader, 0)
            raise ValidationFailed([(None, field_error("file", "empty",
                                                       _("file: no rows of reports")))])
        summary = {"format": reader.format, "file_digest": file_digest, "rows": reader.rows,
                   "created": created, "existing": existing}
        if year_only_dates:
            summary["birth_dates_kept_as_year"] = warned

        def commit(s: Session) -> None:
            done = s.execute(update(Import).where(Import.id == import_id,
                                                  Import.state == "pending")
                             .values(state="committed", rows=reader.rows, created=created,
                                     existing=existing, updated_at=utcnow()))
            if done.rowcount != 1:  # taken for abandoned by another process's clean-up
                raise Conflict("the import took too long and was discarded; import it again")
            audit.append(s, actor, [Event("import", "file", import_id, summary)])

        store.writer.run(commit)
        result = {"import_id": import_id, **{k: v for k, v in summary.items()
                                             if k not in ("format", "birth_dates_kept_as_year")}}
        if year_only_dates:
            result.update(warnings=warnings, warnings_total=warned)
        return result

    def _analyze_reports(self) -> None:
        """PostgreSQL: refresh the planner's statistics of ``reports`` while an import grows
        it.  Without them (a new registry's first bulk load) the look-up of known references
        runs as a scan of the whole table for every job, so an import slows down with the
        square of its size and holds the writer seconds at a time (measured: 100,000 rows in
        208 s instead of about 40 s).  Outside the writer, on a connection of its own."""
        engine = self.store.engine
        if engine.dialect.name != "postgresql":
            return
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE reports")

    def _discard_import(self, actor: Actor, import_id: str, reader: TableReader,
                        errors: int) -> None:
        self._discard(actor, import_id, "import_failed",
                      {"format": reader.format, "rows_read": reader.rows, "errors": errors})

    def _discard(self, actor: Actor, import_id: str, action: str, detail: dict,
                 chunk: int = 5000) -> None:
        """Mark an import failed and delete what it staged, in chunks (each its own short
        transaction, so other writers go in between), audited with the count."""
        writer = self.store.writer
        writer.run(lambda s: s.execute(update(Import).where(Import.id == import_id)
                                       .values(state="failed", updated_at=utcnow())))
        deleted = 0
        while True:
            ids = select(Report.id).where(Report.import_id == import_id).limit(chunk)
            n = writer.run(lambda s, ids=ids: s.execute(
                delete(Report).where(Report.id.in_(ids.scalar_subquery()))).rowcount)
            deleted += n
            if n < chunk:
                break
        self.store.record(actor, Event(action, "file", import_id,
                                       {**detail, "discarded": deleted}))

    def discard_stale_imports(self) -> int:
        """Delete the reports of imports left pending by a crash (untouched for
        :data:`STALE_IMPORT`) or failed before their clean-up finished; audited."""
        cutoff = utcnow() - STALE_IMPORT
        with self.store.read_sessions() as s:
            stale = list(s.scalars(select(Import.id).where(
                ((Import.state == "pending") & (Import.updated_at < cutoff))
                | ((Import.state == "failed")
                   & Import.id.in_(select(Report.import_id).distinct())))))
        for import_id in stale:
            self._discard(operator("cleanup"), import_id, "import_discarded",
                          {"reason": "abandoned"})
        return len(stale)
