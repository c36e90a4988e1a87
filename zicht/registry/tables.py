"""Reading import files (CSV, XLSX) with bounded work: rows in chunks, never the whole file.

Every bound is a setting (:class:`ImportLimits`, from ``ZICHT_IMPORT_*``); a file beyond one is
refused with a message that names it, before more of it is read:

- the file's size (the web layer refuses a larger upload while it streams in);
- rows (blank rows do not count, but a sheet is read at most to twice the row limit), columns
  and the length of a cell;
- for XLSX: the declared uncompressed size of the archive's parts (a zip bomb is refused before
  anything is inflated; :mod:`zipfile` never inflates past a part's declared size) and the
  number of parts.  The sheet is read by openpyxl in read-only mode, row by row, with its XML
  parsed by defusedxml (installed with zicht; openpyxl uses it when present): entity
  declarations (the "billion laughs") are refused.

Columns: the import format's names (what ``zicht simulate`` writes, docs/REGISTRY.md), or a
Dutch or English alias a spreadsheet of a Dutch organisation would carry (``geboortedatum``,
``achternaam``, ``Datum melding`` ...; :data:`ALIASES`).  A column that is neither is an error
naming it, since a silently dropped ``geboortedatum`` would register reports that can never be
linked.  A file without any identifying column (name, birth date or year) is refused unless the
caller says so explicitly (``allow_no_identity``).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import itertools
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from ..i18n import N_, translator
from .errors import MAX_LISTED, RegistryError, TooLarge, ValidationFailed
from .validation import FieldError

# the import format: every field of a report as the API takes it
FORMAT_COLUMNS = (
    "source_ref", "report_id", "organisation", "reporter_category", "received_date",
    "reference_year", "channel", "legal_basis", "consent_registration",
    "consent_care_referral", "given_name", "surname_prefix", "surname", "birth_date",
    "birth_year", "age_at_report", "age_band", "sex", "nationality", "country_of_birth",
    "residence_status", "exploitation_forms", "sector", "nr_group", "place_of_exploitation",
    "complaint_filed", "reflection_period", "shelter_requested", "shelter_placed",
    "referred_to_care", "means_of_control", "recruiter_relation",
)
IDENTIFYING = ("given_name", "surname", "birth_date", "birth_year")

# Column names a Dutch organisation's spreadsheet would carry (the form's Dutch and English
# labels among them), normalised by :func:`header_key`: lower case, accents off, spaces and
# hyphens as "_".  docs/REGISTRY.md lists them.
ALIASES = {
    "kenmerk": "source_ref", "referentie": "source_ref", "uw_referentie": "source_ref",
    "eigen_kenmerk": "source_ref", "your_reference": "source_ref",
    "organisatie": "organisation", "organisatiecode": "organisation",
    "meldercategorie": "reporter_category", "categorie_melder": "reporter_category",
    "datum_melding": "received_date", "meldingsdatum": "received_date",
    "ontvangstdatum": "received_date", "date_of_report": "received_date",
    "peiljaar": "reference_year",
    "kanaal": "channel",
    "grondslag": "legal_basis",
    "toestemming_voor_registratie": "consent_registration",
    "toestemming_registratie": "consent_registration",
    "toestemming_voor_doorverwijzing_naar_zorg": "consent_care_referral",
    "toestemming_doorverwijzing": "consent_care_referral",
    "toestemming_zorg": "consent_care_referral",
    "voornaam": "given_name", "voornamen": "given_name", "roepnaam": "given_name",
    "given_names": "given_name", "first_name": "given_name", "first_names": "given_name",
    "tussenvoegsel": "surname_prefix", "tussenvoegsels": "surname_prefix",
    "achternaam": "surname", "geslachtsnaam": "surname", "familienaam": "surname",
    "last_name": "surname", "family_name": "surname",
    "geboortedatum": "birth_date", "date_of_birth": "birth_date",
    "geboortejaar": "birth_year", "year_of_birth": "birth_year",
    "geboortejaar_als_de_datum_onbekend_is": "birth_year",
    "year_of_birth_when_the_date_is_unknown": "birth_year",
    "leeftijd": "age_at_report", "leeftijd_bij_melding": "age_at_report",
    "age_at_report": "age_at_report", "age": "age_at_report",
    "leeftijdsgroep": "age_band", "leeftijdsklasse": "age_band",
    "geslacht": "sex",
    "nationaliteit": "nationality",
    "geboorteland": "country_of_birth",
    "verblijfsstatus": "residence_status",
    "vormen_van_uitbuiting": "exploitation_forms", "uitbuitingsvormen": "exploitation_forms",
    "vorm_van_uitbuiting": "exploitation_forms", "uitbuitingsvorm": "exploitation_forms",
    "forms_of_exploitation": "exploitation_forms",
    "nr_groep": "nr_group",
    "plaats_van_uitbuiting": "place_of_exploitation", "plaats_uitbuiting": "place_of_exploitation",
    "aangifte": "complaint_filed", "aangifte_gedaan": "complaint_filed",
    "bedenktijd": "reflection_period",
    "opvang_gevraagd": "shelter_requested",
    "opvang_geplaatst": "shelter_placed",
    "doorverwezen_naar_zorg": "referred_to_care", "doorverwijzing_naar_zorg": "referred_to_care",
    "doorverwezen_zorg": "referred_to_care",
    "controlemiddelen": "means_of_control", "dwangmiddelen": "means_of_control",
    "middelen_van_controle": "means_of_control",
    "relatie_ronselaar": "recruiter_relation", "relatie_werver": "recruiter_relation",
    "relatie_tot_ronselaar": "recruiter_relation",
}
# names too vague to map: the message says what to use instead (an English msgid; the Dutch is
# in the catalogue, zicht/i18n.py)
_USE_NAME_PARTS = N_("given_name and surname (and surname_prefix)")
AMBIGUOUS = {"naam": _USE_NAME_PARTS, "name": _USE_NAME_PARTS,
             "volledige_naam": _USE_NAME_PARTS, "full_name": _USE_NAME_PARTS}
assert set(ALIASES.values()) <= set(FORMAT_COLUMNS)


@dataclass(frozen=True)
class ImportLimits:
    """Bounds of one import (environment: ``ZICHT_IMPORT_MAX_BYTES`` and so on)."""

    max_bytes: int = 50 * 2**20  # the uploaded file
    max_rows: int = 100_000  # data rows (blank rows not counted)
    max_columns: int = 60
    max_cell: int = 1_000  # characters in one cell
    max_unzipped: int = 200 * 2**20  # XLSX: the parts' declared uncompressed size together
    max_parts: int = 2_000  # XLSX: files in the archive
    chunk_rows: int = 2_000  # rows validated, pseudonymised and staged at a time


def header_key(name: str) -> str:
    text = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", str(name)).strip())
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    return re.sub(r"[\s\-/]+", "_", text).strip("_")


def _refuse(field: str, code: str, message: str) -> ValidationFailed:
    return ValidationFailed([(None, FieldError(field, code, message))])


def map_columns(headers: list[str], lang: str, allow_no_identity: bool) -> list[str | None]:
    """The import-format name of each header (None: an empty header, ignored if its column is
    empty); raises ValidationFailed naming every unknown, ambiguous or repeated column."""
    _ = translator(lang)
    out: list[str | None] = []
    errors: list[FieldError] = []
    where: dict[str, str] = {}
    for raw in headers:
        shown = str(raw).strip()[:80]
        if not shown:
            out.append(None)
            continue
        key = header_key(raw)
        name = key if key in FORMAT_COLUMNS else ALIASES.get(key)
        if name is None:
            if key in AMBIGUOUS:
                errors.append(FieldError(shown, "column", _(
                    "column '{column}' is ambiguous: use {instead}").format(
                    column=shown, instead=_(AMBIGUOUS[key]))))
            else:
                errors.append(FieldError(shown, "column", _(
                    "column '{column}' is unknown (see the import format and its Dutch column "
                    "names in the documentation)").format(column=shown)))
            out.append(None)
            continue
        if name == "report_id":
            name = "source_ref"
        if name in where:
            errors.append(FieldError(shown, "column", _(
                "columns '{column}' and '{other}' are the same field ({field})").format(
                column=shown, other=where[name], field=name)))
        where[name] = shown
        out.append(name)
    if errors:
        raise ValidationFailed([(None, e) for e in errors])
    if "received_date" not in where:
        raise _refuse("file", "columns",
                      _("file: column received_date is missing (see the import format)"))
    if not allow_no_identity and not set(IDENTIFYING) & set(where):
        raise _refuse("file", "identity", _(
            "file: no column with a name or birth date, so these reports can never be linked "
            "to others; if that is what you mean, choose 'without identity' (zicht import "
            "--no-identity)"))
    return out


class TableReader:
    """The rows of one import file as dicts of text, in chunks of ``limits.chunk_rows``.

    ``source`` is the file's bytes or a binary file object (an upload spooled to disk, an open
    file: read as it is needed, never held whole).  ``chunks()`` yields lists of (row number,
    record), row 1 being the first data row; a structural problem (format, encoding, a limit)
    raises ValidationFailed or TooLarge at the point it is met.  ``rows`` counts the data rows
    read so far."""

    def __init__(self, source: bytes | BinaryIO, filename: str, lang: str = "nl",
                 limits: ImportLimits | None = None, allow_no_identity: bool = False):
        self.stream = io.BytesIO(source) if isinstance(source, bytes | bytearray) else source
        self.lang = lang
        self.limits = limits or ImportLimits()
        self.allow_no_identity = allow_no_identity
        _ = translator(lang)
        name = filename.lower()
        if name.endswith((".xlsx", ".xlsm")):
            self.format = ".xlsx"
        elif name.endswith((".csv", ".txt")):
            self.format = ".csv"
        else:
            raise _refuse("file", "format", _("file: CSV or XLSX only"))
        self.stream.seek(0, io.SEEK_END)
        self.size = self.stream.tell()
        self.stream.seek(0)
        if self.size > self.limits.max_bytes:
            raise TooLarge(_("file larger than {limit} MB (setting ZICHT_LIMIT_IMPORT)").format(
                limit=self.limits.max_bytes // 2**20))
        self.rows = 0
        self.columns: list[str | None] = []

    # -- the raw rows of each format -----------------------------------------------------------
    def _lines(self, text) -> Iterator[str]:
        """The file's lines, each read at most ``line_limit`` characters at a time: a line
        longer than a full row of the widest cells (quotes doubled) is refused before it is
        split, so that one line of a million separators never becomes a million cells."""
        limit = self.limits.max_columns * (2 * self.limits.max_cell + 3) + 2
        _ = translator(self.lang)
        while True:
            line = text.readline(limit + 1)
            if not line:
                return
            if len(line) > limit:
                raise TooLarge(_("row {row}: a line longer than {limit} characters").format(
                    row=self.rows + 1, limit=limit))
            yield line

    def _csv_rows(self) -> Iterator[list[str]]:
        _ = translator(self.lang)
        text = io.TextIOWrapper(self.stream, encoding="utf-8-sig", newline="")
        try:
            lines = self._lines(text)
            try:
                first = next(lines)
            except StopIteration:
                return
            sep = ";" if first.count(";") > first.count(",") else ","
            # the csv module's own field limit (131,072 characters) stays as it is: it is a
            # setting of the whole process, and the line bound above is the tighter one
            yield from csv.reader(itertools.chain([first], lines), delimiter=sep)
        except UnicodeDecodeError:
            raise _refuse("file", "encoding", _("file: not UTF-8 text")) from None
        except csv.Error as exc:
            if "field larger" in str(exc):
                raise TooLarge(_("row {row}: a cell is longer than {limit} characters").format(
                    row=self.rows + 1, limit=self.limits.max_cell)) from None
            raise _refuse("file", "format", _("file unreadable after row {row}: {error}").format(
                row=self.rows, error=exc)) from None
        finally:
            text.detach()  # the caller's stream stays open

    def _xlsx_rows(self) -> Iterator[list[str]]:
        import openpyxl
        from openpyxl.xml import DEFUSEDXML

        if not DEFUSEDXML:  # openpyxl would parse with the plain (expanding) parser
            err = RegistryError("XLSX-import staat uit: defusedxml ontbreekt of is "
                                "uitgeschakeld / XLSX import is off: defusedxml is missing or "
                                "switched off (OPENPYXL_DEFUSEDXML)")
            err.status = 503
            raise err
        _ = translator(self.lang)
        buffer = self.stream
        try:
            with zipfile.ZipFile(buffer) as archive:
                parts = archive.infolist()
                unzipped = sum(p.file_size for p in parts)
        except zipfile.BadZipFile:
            raise _refuse("file", "format", _("file: not a valid XLSX file")) from None
        if len(parts) > self.limits.max_parts:
            raise TooLarge(_("XLSX file with more than {limit} parts").format(
                limit=self.limits.max_parts))
        if unzipped > self.limits.max_unzipped:
            raise TooLarge(_("XLSX file larger than {limit} MB uncompressed").format(
                limit=self.limits.max_unzipped // 2**20))
        buffer.seek(0)
        try:
            book = openpyxl.load_workbook(buffer, read_only=True, data_only=True)
        except Exception as exc:  # defusedxml's refusals, openpyxl's own format errors
            raise _refuse("file", "format", _("file unreadable: {error}").format(
                error=type(exc).__name__)) from None
        try:
            sheet = book.worksheets[0]
            # the sheet's declared size may be wrong (openpyxl would stop at its last row and
            # drop the rest without a word): read to the real end, bounded by the row limit
            sheet.reset_dimensions()
            width = self.limits.max_columns + 1  # one more: a sheet too wide is seen
            self._refuse_wide_rows(sheet, width)
            try:
                for row in sheet.iter_rows(max_col=width, values_only=True):
                    yield [_cell_text(v) for v in row]
            except (TooLarge, ValidationFailed):
                raise
            except Exception as exc:
                raise _refuse("file", "format", _(
                    "file unreadable after row {row}: {error}").format(
                    row=self.rows, error=type(exc).__name__)) from None
        finally:
            book.close()

    def _refuse_wide_rows(self, sheet, width: int) -> None:
        """A value right of column ``width`` would not be read (rows are cut there, so that a
        cell at column XFD does not make 16,384 cells of every row): refuse it instead.  Hooks
        the read-only sheet's row builder, which sees the cells a row really has; without that
        hook (another openpyxl) such values are left out, as the cut implies."""
        build = getattr(sheet, "_get_row", None)
        if build is None:
            return
        _ = translator(self.lang)

        def checked(row, min_col=1, max_col=None, values_only=False):
            if row and max(cell["column"] for cell in row) > width:
                raise TooLarge(_("row {row}: more than {limit} columns").format(
                    row=self.rows + 1, limit=self.limits.max_columns))
            return build(row, min_col, max_col, values_only)

        sheet._get_row = checked

    # -- records ---------------------------------------------------------------------------------
    def records(self) -> Iterator[tuple[int, dict]]:
        raw = self._xlsx_rows() if self.format == ".xlsx" else self._csv_rows()
        limits, lang = self.limits, self.lang
        _ = translator(lang)
        header = None
        for header in raw:
            if any(str(c).strip() for c in header):
                break
        else:
            header = None
        if header is None:
            raise _refuse("file", "empty", _("file: empty"))
        last = max((i for i, c in enumerate(header) if str(c).strip()), default=-1)
        header = header[:last + 1]  # trailing empty cells (one cut: a loop was quadratic)
        if len(header) > limits.max_columns:
            raise TooLarge(_("file with more than {limit} columns").format(
                limit=limits.max_columns))
        self.columns = map_columns(header, lang, self.allow_no_identity)
        width = len(self.columns)
        scanned = 0
        for cells in raw:
            scanned += 1
            if scanned > 2 * limits.max_rows:
                raise TooLarge(_("sheet runs on past row {row}").format(
                    row=2 * limits.max_rows))
            if not any(c.strip() for c in cells):
                continue
            self.rows += 1
            if self.rows > limits.max_rows:
                raise TooLarge(_("file with more than {limit} rows").format(
                    limit=limits.max_rows))
            record = {}
            for i, value in enumerate(cells):
                if len(value) > limits.max_cell:
                    raise TooLarge(_("row {row}: a cell is longer than {limit} characters")
                                   .format(row=self.rows, limit=limits.max_cell))
                name = self.columns[i] if i < width else None
                if name is not None:
                    record[name] = value.strip()
                elif value.strip():
                    raise ValidationFailed([(self.rows, FieldError(
                        f"column {i + 1}", "column",
                        _("row {row}: a value in column {column}, which has no header").format(
                            row=self.rows, column=i + 1)))])
            yield self.rows, record

    def chunks(self) -> Iterator[list[tuple[int, dict]]]:
        chunk: list[tuple[int, dict]] = []
        for item in self.records():
            chunk.append(item)
            if len(chunk) >= self.limits.chunk_rows:
                yield chunk
                chunk = []
        if chunk:
            yield chunk


def _cell_text(value) -> str:
    """An XLSX cell as the text a CSV would hold: a typed date as YYYY-MM-DD, a whole number
    without ".0"."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        if value.time() == dt.time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


class ErrorList:
    """The first :data:`MAX_LISTED` errors of an import, and the count of all."""

    def __init__(self, limit: int = MAX_LISTED):
        self.limit, self.listed, self.total = limit, [], 0

    def extend(self, errors) -> None:
        for item in errors:
            self.total += 1
            if len(self.listed) < self.limit:
                self.listed.append(item)

    def __bool__(self) -> bool:
        return self.total > 0

    def failure(self) -> ValidationFailed:
        return ValidationFailed(self.listed, total=self.total)
