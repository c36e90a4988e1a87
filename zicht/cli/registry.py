"""Registry commands of the ``zicht`` command line.

They run on the server, with the database credentials, as the *operator* (audited as
``cli:<os user>``): ``zicht serve``, ``zicht db upgrade``, ``zicht orgs``, ``zicht users``,
``zicht tokens``, ``zicht import``, ``zicht export``, ``zicht audit``, ``zicht registry purge``.
Input errors exit with code 2, refused operations (conflicts, a broken audit chain) with 3.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from pathlib import Path

import typer
from rich.table import Table

from .common import check_port, err, out
from .common import fail as _fail

db_app = typer.Typer(help="The registry database (migrations).", add_completion=False)
orgs_app = typer.Typer(help="Reporting organisations.", add_completion=False)
users_app = typer.Typer(help="Users and their roles.", add_completion=False)
tokens_app = typer.Typer(help="API tokens for systems.", add_completion=False)
audit_app = typer.Typer(help="The tamper-evident audit log.", add_completion=False)
registry_app = typer.Typer(help="Registry maintenance (retention).", add_completion=False)


def _registry(upgrade: bool = True):
    from ..registry.service import Registry
    from ..registry.settings import Settings, SettingsError
    from ..tokens import PseudonymKeyError

    try:
        reg = Registry(Settings.from_env())
        if upgrade:
            reg.upgrade()
    except (SettingsError, PseudonymKeyError) as exc:
        _fail(str(exc), 2)
    return reg


def _run(fn, *args, **kwargs):
    """Call a registry operation; its refusals become one line and an exit code."""
    try:
        return fn(*args, **kwargs)
    except Exception as exc:
        _refuse(exc)


def _refuse(exc: Exception) -> None:
    from ..registry.errors import TooLarge
    from ..registry.service import RegistryError, ValidationFailed
    from ..tokens import PseudonymKeyError

    if isinstance(exc, TooLarge):
        _fail(str(exc), 2)
    if isinstance(exc, ValidationFailed):
        for row, e in exc.errors[:20]:
            err.print(f"error: {'row ' + str(row) + ': ' if row else ''}{e.message}")
        if exc.total > 20:
            err.print(f"error: ... and {exc.total - 20} more errors")
        raise typer.Exit(2) from None
    if isinstance(exc, PseudonymKeyError):
        _fail(str(exc), 2)
    if isinstance(exc, RegistryError):
        _fail(str(exc), 3)
    raise exc



# -- serve, db -----------------------------------------------------------------------------------
def serve(host: str = typer.Option("127.0.0.1", help="Address to listen on."),
          port: int = typer.Option(8000, min=1, max=65535),
          workers: int = typer.Option(1, min=1, max=32, help="Worker processes."),
          log_level: str = typer.Option("info"),
          publication: Path = typer.Option(None, help="The dashboard's publication (`zicht "
                                           "monitor publish`); default $ZICHT_PUBLICATION."),
          linkage: Path = typer.Option(None, help="The folder of `zicht link --out` whose "
                                       "review queue analysts decide at /dashboard/review; "
                                       "default $ZICHT_LINKAGE.")):
    """Run the registry's web application and the dashboard (migrates the database first)."""
    import os

    import uvicorn

    check_port(host, port)
    if publication is not None:
        if not publication.is_file():
            out.print(f"error: {publication}: no such file")
            raise typer.Exit(2)
        os.environ["ZICHT_PUBLICATION"] = str(publication.resolve())  # read by every worker
    if linkage is not None:
        if not (linkage / "review_queue.csv").is_file():
            out.print(f"error: {linkage}: no review_queue.csv (the --out folder of `zicht "
                      "link`)", soft_wrap=True)
            raise typer.Exit(2)
        os.environ["ZICHT_LINKAGE"] = str(linkage.resolve())  # read by every worker
    reg = _registry()
    url = reg.engine.url.render_as_string(hide_password=True)
    reg.dispose()
    out.print(f"zicht registry on http://{host}:{port}/  (database {url})")
    if os.environ.get("ZICHT_PUBLICATION"):
        out.print(f"dashboard on http://{host}:{port}/dashboard  "
                  f"(publication {os.environ['ZICHT_PUBLICATION']})")
    if os.environ.get("ZICHT_LINKAGE"):
        out.print(f"linkage review on http://{host}:{port}/dashboard/review  "
                  f"(folder {os.environ['ZICHT_LINKAGE']})")
    uvicorn.run("zicht.web.app:create_app", factory=True, host=host, port=port,
                workers=workers, log_level=log_level, access_log=False,
                proxy_headers=False)


@db_app.command("upgrade")
def db_upgrade(revision: str = typer.Argument("head")):
    """Apply the migrations up to REVISION (default: the newest)."""
    from ..registry import migrate

    reg = _registry(upgrade=False)
    _run(reg.upgrade, revision)
    out.print(f"database at revision {migrate.current_revision(reg.engine)}")


@db_app.command("current")
def db_current():
    """The database's migration revision and the newest one shipped."""
    from ..registry import migrate

    reg = _registry(upgrade=False)
    out.print(f"database {migrate.current_revision(reg.engine) or '(empty)'}, "
              f"newest {migrate.head_revision()}")


# -- organisations, users, tokens ----------------------------------------------------------------
@orgs_app.command("add")
def orgs_add(code: str, name: str = typer.Option("", help="Full name (default: the code)."),
             category: str = typer.Option(..., help="Reporter category code (POL, ZC, ...).")):
    """Add a reporting organisation."""
    from ..registry.service import operator

    org = _run(_registry().add_organisation, operator(), code, name or code, category)
    out.print(f"organisation {org['code']} ({org['category']}) added")


@orgs_app.command("list")
def orgs_list():
    from ..registry.service import operator

    t = Table("code", "name", "category", "active")
    for o in _run(_registry().organisations, operator()):
        t.add_row(o["code"], o["name"], o["category"], "yes" if o["active"] else "no")
    out.print(t)


@users_app.command("add")
def users_add(username: str,
              role: str = typer.Option(..., help="reporter, analyst, admin or auditor"),
              org: str = typer.Option(None, help="Organisation code (reporters need one)."),
              password_stdin: bool = typer.Option(False, "--password-stdin",
                                                  help="Read the password from stdin."),
              no_password: bool = typer.Option(False, "--no-password",
                                               help="API-only account (give it a token with "
                                                    "`zicht tokens add`).")):
    """Add a user; the password is asked for (or read from stdin), never given as argument."""
    from ..registry.service import operator

    password = None
    if not no_password:
        if password_stdin:
            password = sys.stdin.readline().rstrip("\n")
        else:
            password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = _run(_registry().add_user, operator(), username, role, password, org)
    out.print(f"user {user['username']} ({user['role']}"
              f"{', ' + user['organisation'] if user['organisation'] else ''}) added")


@users_app.command("list")
def users_list():
    from ..registry.service import operator

    t = Table("user", "role", "organisation", "active", "password")
    for u in _run(_registry().users, operator()):
        t.add_row(u["username"], u["role"], u["organisation"] or "",
                  "yes" if u["active"] else "no", "yes" if u["has_password"] else "no")
    out.print(t)


@users_app.command("deactivate")
def users_deactivate(username: str):
    """Deactivate a user: sessions end and API tokens are revoked at once."""
    from ..registry.service import operator

    _run(_registry().set_user_active, operator(), username, False)
    out.print(f"user {username} deactivated")


@tokens_app.command("add")
def tokens_add(username: str, name: str = typer.Option("api", help="What the token is for.")):
    """Create an API token for USERNAME; it is printed once and stored only as a hash."""
    from ..registry.service import operator

    tok = _run(_registry().add_token, operator(), username, name)
    err.print(f"token {tok['id']} for {tok['user']} (shown once, keep it secret):")
    print(tok["token"])


@tokens_app.command("revoke")
def tokens_revoke(token_id: str = typer.Argument(..., help="The token's id: the number "
                                                        "`zicht tokens add` printed before the "
                                                        "token.")):
    """Revoke an API token by its id (as `zicht tokens add` printed it); refused at once."""
    from ..registry.service import operator

    _run(_registry().revoke_token, operator(), token_id)
    out.print(f"token {token_id} revoked")


# -- import, export --------------------------------------------------------------------------------
def import_(file: Path = typer.Argument(..., help="CSV or XLSX in the import format "
                                                  "(what `zicht simulate` writes, or the "
                                                  "Dutch column names of docs/REGISTRY.md)."),
            org: str = typer.Option(None, help="Organisation for rows without one."),
            create_orgs: bool = typer.Option(False, "--create-orgs",
                                             help="Add organisations the file names that do "
                                                  "not exist yet (category from the rows)."),
            errors_out: Path = typer.Option(None, "--errors", help="Write every error to "
                                                                   "this CSV."),
            no_identity: bool = typer.Option(False, "--no-identity",
                                             help="Accept a file without any name or birth "
                                                  "date column (its reports can never be "
                                                  "linked to others)."),
            year_only_dates: bool = typer.Option(
                False, "--year-only-dates",
                help="Keep a birth date that is no calendar date (1979-02-29) as its birth "
                     "year, with a warning for each such row, instead of refusing the file."),
            lang: str = typer.Option("en", help="Language of the messages: nl or en.")):
    """Import reports: every row is registered, or none (all errors are reported).

    With --create-orgs, the organisations added for the file are removed again when the
    import is refused: a refused import leaves nothing behind."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from ..registry.service import ValidationFailed, operator
    from ..registry.tables import TableReader

    if not file.is_file():
        _fail(f"{file}: no such file", 2)
    reg = _registry()
    actor = operator()
    added: list[str] = []  # organisations added for this file (removed if it is refused)
    data = file.open("rb")  # read as the import needs it
    try:
        known = {o["code"] for o in _run(reg.organisations, actor)}
        if org and org not in known:
            _fail(f"organisation {org!r} does not exist (zicht orgs add)", 2)
        if create_orgs:  # a first pass for the organisations the file names
            reader = TableReader(data, file.name, lang, reg.settings.imports,
                                 allow_no_identity=True)
            new: dict[str, str] = {}

            def scan() -> None:
                for _, r in reader.records():
                    code = str(r.get("organisation") or "").strip()
                    if code and code not in known and code not in new:
                        category = str(r.get("reporter_category") or "").strip().upper()
                        new[code] = category or "UNK"

            _run(scan)
            data.seek(0)
            for code, category in sorted(new.items()):
                try:
                    reg.add_organisation(actor, code, code, category)
                except Exception as exc:  # one bad code: the ones added so far go again
                    _remove_orgs(reg, actor, added)
                    _refuse(exc)
                added.append(code)
            if new:
                out.print(f"added {len(new)} organisations: {', '.join(sorted(new))}")
        progress = Progress(TextColumn("{task.description}"), BarColumn(),
                            TextColumn("{task.completed:,.0f} rows"), TimeElapsedColumn(),
                            console=err, transient=True)
        try:
            with progress:
                task = progress.add_task(f"importing {file.name}", total=None)
                result = reg.import_file(
                    actor, data, file.name, lang=lang, allow_no_identity=no_identity,
                    default_organisation=org, max_errors=None if errors_out else 100,
                    progress=lambda rows: progress.update(task, completed=rows),
                    year_only_dates=year_only_dates)
        except ValidationFailed as exc:
            _remove_orgs(reg, actor, added)
            if errors_out:
                from ..tabular import write_csv

                # cells neutralised (a header such as =HYPERLINK(...) is quoted back)
                write_csv(exc.as_list(), errors_out, columns=["row", "field", "code", "message"],
                          atomic=True)
                err.print(f"zicht: {exc.total} error{'' if exc.total == 1 else 's'} written to "
                          f"{errors_out}")
            # a date written as one (YYYY-MM-DD) but not on the calendar: the option helps
            if not year_only_dates and any(
                    e.field == "birth_date" and e.code == "date"
                    and re.search(r"'[0-9]{4}-[0-9]{2}-[0-9]{2}'", e.message)
                    for _row, e in exc.errors):
                err.print("zicht: a birth date that is no calendar date (1979-02-29) can be "
                          "kept as its year: import again with --year-only-dates")
            _refuse(exc)
        except BaseException as exc:  # conflicts, limits, an interrupt: one line
            _remove_orgs(reg, actor, added)
            if not isinstance(exc, Exception):
                raise
            _refuse(exc)
    finally:
        data.close()
    for warning in result.get("warnings", [])[:20]:
        err.print(f"warning: row {warning['row']}: {warning['message']}")
    if result.get("warnings_total", 0) > 20:
        err.print(f"warning: ... and {result['warnings_total'] - 20} more")
    out.print(f"{file.name}: {result['rows']} rows, {result['created']} reports registered, "
              f"{result['existing']} already present (import {result['import_id']})"
              + (f", {result['warnings_total']} birth dates kept as year only"
                 if result.get("warnings_total") else ""))


def _remove_orgs(reg, actor, codes: list[str]) -> None:
    """Remove the organisations ``--create-orgs`` added for a refused import."""
    removed = 0
    for code in codes:
        try:
            reg.remove_organisation(actor, code)
            removed += 1
        except Exception as exc:  # in use meanwhile (a user added): kept, and said
            err.print(f"zicht: organisation {code} kept: {exc}")
    if codes:
        err.print(f"zicht: the import was refused; removed {removed} of the {len(codes)} "
                  "organisations added for it")


def export(
    out_dir: Path = typer.Option(..., "--out", help="Folder for reports.parquet (or ctdc.csv)."),
    format_: str = typer.Option("parquet", "--format",
                                help="parquet: the pseudonymised reports; ctdc: one row per "
                                     "person and year in the CTDC codebook's schema, "
                                     "k-anonymised (needs --linked)."),
    linked: Path = typer.Option(None, help="The `zicht link` folder of the reports (ctdc)."),
    reports: Path = typer.Option(None, help="ctdc: read this export (or simulation) instead "
                                            "of the registry's database."),
    k: int = typer.Option(11, min=2, help="ctdc: every combination of the quasi-identifiers "
                                          "holds at least k persons (CTDC publishes with 11)."),
):
    """Write the pseudonymised reports (Parquet) that linkage and estimation read, or the
    persons in the CTDC schema to share (``--format ctdc``)."""
    import pyarrow.parquet as pq

    from ..registry.service import operator

    if format_ not in ("parquet", "ctdc"):
        _fail(f"--format {format_!r}: choose parquet or ctdc", 2)
    if out_dir.exists() and not out_dir.is_dir():
        _fail(f"{out_dir} exists and is not a folder", 2)
    if format_ == "parquet":
        path = _run(_registry().export, operator(), out_dir)
        out.print(f"{path}: {pq.ParquetFile(path).metadata.num_rows} reports (pseudonymised)")
        return
    if linked is None or not (linked / "report_persons.parquet").is_file():
        _fail("--format ctdc needs --linked: the `zicht link` folder of the reports (it holds "
              "report_persons.parquet)", 2)
    _ctdc(out_dir, linked, reports, k)


def _ctdc(out_dir: Path, linked: Path, reports: Path | None, k: int) -> None:
    """The CTDC export (zicht.monitor.ctdc) of the registry's reports or of ``reports``."""
    import tempfile

    import pandas as pd

    from ..monitor.ctdc import READS, CtdcError
    from ..monitor.ctdc import export as ctdc_export
    from ..monitor.inputs import MonitorInputError, reports_file
    from ..registry.service import operator

    with tempfile.TemporaryDirectory(prefix="zicht-ctdc-") as tmp:
        try:
            path = reports_file(reports) if reports is not None else \
                _run(_registry().export, operator(), Path(tmp))
        except MonitorInputError as exc:
            _fail(str(exc), 2)
        try:
            frame = (pd.read_parquet(path) if path.suffix == ".parquet"
                     else pd.read_csv(path, dtype=str, keep_default_na=False))
        except (OSError, ValueError) as exc:
            _fail(f"{path}: not a readable export ({exc})", 2)
        frame = frame[[c for c in READS if c in frame.columns]]  # never a name or token
        persons = pd.read_parquet(linked / "report_persons.parquet",
                                  columns=["report_id", "person_id"])
        try:
            report = ctdc_export(frame, persons, out_dir, k=k)
        except CtdcError as exc:
            _fail(str(exc), 2)
    out.print(f"{out_dir / 'ctdc.csv'}: {report.rows_out} person-years in the CTDC schema, "
              f"k = {k} (smallest combination {report.smallest}); {report.removed} removed, "
              f"{sum(report.suppressed.values())} values suppressed to -99 (see "
              f"{out_dir / 'ctdc_protection.json'})")


# -- audit, retention ------------------------------------------------------------------------
@audit_app.command("verify")
def audit_verify(expect_head: str = typer.Option(None, help="A head kept elsewhere (SEQ:HASH, "
                                                            "as `zicht audit head` prints it): "
                                                            "it must be an entry of the chain "
                                                            "at its place.")):
    """Recompute the audit log's hash chain; exit 3 when an entry was changed or removed, or
    when the expected head is not in the chain at its place."""
    from ..registry.audit import parse_head
    from ..registry.service import operator

    if expect_head is not None:
        try:
            parse_head(expect_head)
        except ValueError as exc:
            _fail(str(exc), 2)
    reg = _registry()
    result = _run(reg.verify_audit, operator(), expect_head)
    if result.ok:
        out.print(f"audit log intact: {result.entries} entries, head {result.head_seq}:"
                  f"{result.head_hash}")
        if result.expected is not None:
            n = result.after_expected
            out.print(f"expected head {result.expected.split(':')[0]} found in the chain; "
                      f"{n} later {'entry' if n == 1 else 'entries'}")
        return
    for p in result.problems[:50]:
        err.print(f"zicht: {p}")
    _fail(f"audit log NOT intact ({len(result.problems)} problems in {result.entries} entries)",
          3)


@audit_app.command("head")
def audit_head():
    """Print the chain head (seq:hash) to keep outside the database."""
    from sqlalchemy import select

    from ..registry.models import AuditHead

    reg = _registry()
    with reg.sessions() as s:
        head = s.scalar(select(AuditHead))
    print(f"{head.seq}:{head.hash}")


@registry_app.command("purge")
def purge(dry_run: bool = typer.Option(False, "--dry-run", help="Count, delete nothing."),
          today: str = typer.Option(None, help="Reference date YYYY-MM-DD (default today).")):
    """Delete reports past the retention period (ZICHT_RETENTION_DAYS); audited."""
    from ..registry.service import operator

    try:
        day = dt.date.fromisoformat(today) if today else None
    except ValueError:
        _fail(f"--today {today!r} is not a date (YYYY-MM-DD)", 2)
    reg = _registry()
    result = _run(reg.purge, operator(), day, dry_run)
    verb = "would delete" if dry_run else "deleted"
    out.print(f"{verb} {result['matched']} reports received before {result['cutoff']} "
              f"(retention {reg.settings.retention_days} days)")
