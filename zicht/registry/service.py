"""The registry's operations, one transaction each, every one audited in that transaction.

The web application, the API and the command line all go through :class:`Registry`; access
rules live here, not in the handlers, so that no path can skip them:

=============  ==========================================================================
reporter       submits and imports reports for its own organisation; reads only those
analyst        reads the pseudonymised reports of every organisation; exports them
admin          organisations, users, API tokens; no report contents
auditor        reads and verifies the audit log
operator       the command line on the server (holds the database credentials): import for
               any organisation, export, purge, first users; audited as ``cli:<os user>``
=============  ==========================================================================
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import time
import uuid
from collections.abc import Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from sqlalchemy import delete, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import codes
from . import audit, security
from .audit import Actor, Event
from .db import make_engine, read_session_factory, session_factory
from .models import (
    ROLES,
    ApiToken,
    AuditEntry,
    IdempotencyKey,
    Organisation,
    Report,
    User,
    WebSession,
    utcnow,
)
from .pseudonymise import (
    CLEAR_COLUMNS,
    SCHEME,
    TOKEN_FIELDS,
    Identity,
    Pseudonymiser,
    PseudonymKeyError,
    load_key,
)
from .settings import Settings
from .validation import FieldError, validate_report
from .writer import GroupWriter

MAX_BATCH = 1000
WRITE_TIMEOUT = 120.0  # seconds a caller waits for the group writer's commit
MAX_PAGE = 1000
READ_ROLES = ("reporter", "analyst")
# columns a report row shows to its readers (never a token: those are for the export only)
PUBLIC_COLUMNS = ("id", "organisation", "source_ref", "created_at", "received_date",
                  "reporter_category", "reference_year", "channel", "legal_basis",
                  "consent_registration", "consent_care_referral", "age_at_report", "age_band",
                  "sex", "nationality", "country_of_birth", "residence_status",
                  "exploitation_forms", "sector", "nr_group", "place_of_exploitation",
                  "complaint_filed", "reflection_period", "shelter_requested", "shelter_placed")


class RegistryError(Exception):
    status = 400


class AccessDenied(RegistryError):
    status = 403


class NotFound(RegistryError):
    status = 404


class Conflict(RegistryError):
    status = 409


class Unauthenticated(RegistryError):
    status = 401


class ValidationFailed(RegistryError):
    """Input refused; ``errors`` is a list of (row number or None, FieldError)."""

    status = 422

    def __init__(self, errors: list[tuple[int | None, FieldError]], message: str = ""):
        super().__init__(message or f"{len(errors)} error(s) / fout(en)")
        self.errors = errors

    def as_list(self) -> list[dict]:
        return [{"row": row, "field": e.field, "code": e.code, "message": e.message}
                for row, e in self.errors]


def field_error(field_name: str, code: str, nl: str, en: str, lang: str) -> FieldError:
    return FieldError(field_name, code, nl if lang == "nl" else en)


def operator(source: str = "cli") -> Actor:
    import getpass

    try:
        who = getpass.getuser()
    except Exception:  # no user name in this environment
        who = "unknown"
    return Actor(f"cli:{who}", "operator", source=source, via="cli")


def require(actor: Actor, *roles: str) -> None:
    if actor.role != "operator" and actor.role not in roles:
        raise AccessDenied(f"role {actor.role!r} may not do this")


@dataclass(frozen=True)
class _Submission:
    """One call of :meth:`Registry.submit`, validated and pseudonymised, for the writer."""

    actor: Actor
    rows: list[dict]
    channel: str
    idempotency_key: str | None
    lang: str
    import_id: str | None
    request_hash: str


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


@dataclass
class Registry:
    settings: Settings = field(default_factory=Settings.from_env)
    _pseudonymiser: Pseudonymiser | None = None

    def __post_init__(self):
        self.engine = make_engine(self.settings)
        self.sessions = session_factory(self.engine)
        self.read_sessions = read_session_factory(self.engine)
        self.writer = GroupWriter(self.sessions, combine=self._store_many)
        # per-process caches of what every request looks up (see token_actor and prepare)
        self._token_cache: dict[str, tuple[float, Actor]] = {}
        self._org_cache: dict[str, OrgRow] = {}

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def pseudonymiser(self) -> Pseudonymiser:
        if self._pseudonymiser is None:  # the key is read only where intake needs it
            self._pseudonymiser = Pseudonymiser(self._key())
        return self._pseudonymiser

    def _key(self) -> bytes:
        """The key from the environment; for the embedded default (a SQLite file) with no key
        configured, a key file made once beside the database (mode 0600, never in it)."""
        try:
            return load_key(self.settings.env)
        except PseudonymKeyError:
            path = local_key_path(self.settings.database_url)
            if path is None:
                raise
        if not path.exists():
            import logging
            import os
            import secrets

            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # another process made it first
                pass
            else:
                with os.fdopen(fd, "w") as fh:
                    fh.write(secrets.token_hex(32) + "\n")
                logging.getLogger("zicht.registry").warning(
                    "no pseudonymisation key configured: made %s; keep it safe and backed up "
                    "(without it new reports no longer link to old ones)", path)
        return load_key({"ZICHT_PSEUDONYM_KEY_FILE": str(path)})

    def upgrade(self) -> None:
        from . import migrate

        migrate.upgrade(self.engine)

    def dispose(self) -> None:
        self.writer.close()
        self.engine.dispose()

    def _require(self, actor: Actor, *roles: str) -> None:
        """The role check of every operation; a refusal is audited before it is raised."""
        try:
            require(actor, *roles)
        except AccessDenied:
            import sys

            operation = sys._getframe(1).f_code.co_name  # the refused operation's name
            self.record(actor, Event("denied", "operation", operation, {"allowed": list(roles)}))
            raise

    def _audit(self, s: Session, actor: Actor, *events: Event) -> None:
        audit.append(s, actor, list(events))

    def record(self, actor: Actor, *events: Event) -> None:
        """Audit entries on their own (a read, a refused request), committed before return."""
        self.writer.run(lambda s: audit.append(s, actor, list(events)))

    # -- organisations, users, tokens ----------------------------------------------------------
    def add_organisation(self, actor: Actor, code: str, name: str, category: str) -> dict:
        self._require(actor, "admin")
        code, category = code.strip(), category.strip().upper()
        if not code or len(code) > 40 or not code.replace("-", "").replace("_", "").isalnum():
            raise ValidationFailed([(None, FieldError(
                "code", "code", "organisation code: letters, digits, - and _ (max 40)"))])
        if category not in codes.REPORTER_CATEGORIES:
            raise ValidationFailed([(None, FieldError(
                "category", "code", f"category {category!r} is not a reporter category "
                f"({', '.join(codes.REPORTER_CATEGORIES)})"))])
        with self.sessions.begin() as s:
            if s.scalar(select(Organisation.id).where(Organisation.code == code)) is not None:
                raise Conflict(f"organisation {code!r} exists")
            org = Organisation(code=code, name=name.strip() or code, category=category)
            s.add(org)
            s.flush()
            self._audit(s, actor, Event("create", "organisation", code,
                                        {"name": org.name, "category": category}))
            return _org_dict(org)

    def organisations(self, actor: Actor) -> list[dict]:
        self._require(actor, "admin", "analyst", "reporter", "auditor")
        with self.sessions.begin() as s:
            query = select(Organisation).order_by(Organisation.code)
            if actor.role == "reporter":
                query = query.where(Organisation.id == actor.organisation_id)
            orgs = [_org_dict(o) for o in s.scalars(query)]
            self._audit(s, actor, Event("list", "organisation", None, {"count": len(orgs)}))
            return orgs

    def add_user(self, actor: Actor, username: str, role: str, password: str | None,
                 organisation: str | None = None) -> dict:
        self._require(actor, "admin")
        username = username.strip()
        if role not in ROLES:
            raise ValidationFailed([(None, FieldError("role", "code",
                                                      f"role must be one of {', '.join(ROLES)}"))])
        if not username or len(username) > 80 or any(c.isspace() for c in username):
            raise ValidationFailed([(None, FieldError(
                "username", "required", "user name: 1-80 characters, no spaces"))])
        if password is not None and (reason := security.check_password_strength(password)):
            raise ValidationFailed([(None, FieldError("password", "weak", reason))])
        if role == "reporter" and not organisation:
            raise ValidationFailed([(None, FieldError(
                "organisation", "required", "a reporter belongs to an organisation"))])
        with self.sessions.begin() as s:
            org = None
            if organisation:
                org = s.scalar(select(Organisation).where(Organisation.code == organisation))
                if org is None:
                    raise NotFound(f"organisation {organisation!r} does not exist")
            if s.scalar(select(User.id).where(User.username == username)) is not None:
                raise Conflict(f"user {username!r} exists")
            user = User(username=username, role=role,
                        password_hash=security.hash_password(password) if password else None,
                        organisation_id=org.id if org else None)
            s.add(user)
            s.flush()
            self._audit(s, actor, Event("create", "user", username,
                                        {"role": role, "organisation": organisation}))
            return _user_dict(user, org)

    def users(self, actor: Actor) -> list[dict]:
        self._require(actor, "admin")
        with self.sessions.begin() as s:
            rows = s.execute(select(User, Organisation).outerjoin(
                Organisation, User.organisation_id == Organisation.id).order_by(User.username))
            out = [_user_dict(u, o) for u, o in rows]
            self._audit(s, actor, Event("list", "user", None, {"count": len(out)}))
            return out

    def set_user_active(self, actor: Actor, username: str, active: bool) -> dict:
        self._require(actor, "admin")
        with self.sessions.begin() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound(f"user {username!r} does not exist")
            user.active = active
            self._token_cache.clear()
            if not active:  # end its sessions and tokens now
                s.execute(delete(WebSession).where(WebSession.user_id == user.id))
                for tok in s.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                            ApiToken.revoked_at.is_(None))):
                    tok.revoked_at = utcnow()
            self._audit(s, actor, Event("activate" if active else "deactivate", "user",
                                        username))
            org = s.get(Organisation, user.organisation_id) if user.organisation_id else None
            return _user_dict(user, org)

    def add_token(self, actor: Actor, username: str, name: str) -> dict:
        """A new API token for ``username``; the token itself is returned only here."""
        self._require(actor, "admin")
        with self.sessions.begin() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None:
                raise NotFound(f"user {username!r} does not exist")
            token_id, token, digest = security.new_api_token()
            s.add(ApiToken(id=token_id, user_id=user.id, name=name[:120] or "token",
                           secret_sha256=digest))
            self._audit(s, actor, Event("create", "api_token", token_id,
                                        {"user": username, "name": name[:120]}))
            return {"id": token_id, "user": username, "name": name, "token": token}

    def revoke_token(self, actor: Actor, token_id: str) -> None:
        self._require(actor, "admin")
        with self.sessions.begin() as s:
            tok = s.get(ApiToken, token_id)
            if tok is None:
                raise NotFound(f"token {token_id!r} does not exist")
            tok.revoked_at = tok.revoked_at or utcnow()
            self._token_cache.clear()
            self._audit(s, actor, Event("revoke", "api_token", token_id))

    # -- authentication -----------------------------------------------------------------------
    def _actor(self, s: Session, user: User, source: str | None, via: str) -> Actor:
        org = s.get(Organisation, user.organisation_id) if user.organisation_id else None
        return Actor(user.username, user.role, user.id, user.organisation_id,
                     org.code if org else None, source, via)

    def token_actor(self, token: str, source: str | None) -> Actor:
        """The actor of an API token.  A valid token is remembered for
        ``settings.token_cache_seconds`` (default 10): revoking a token or deactivating a user
        clears this process's cache at once; another process (the command line, a second
        worker) notices within that time.  The lookup costs more CPU than the rest of a
        report's intake together, so it is not repeated for every request."""
        key = security.sha256(token)
        hit = self._cached_actor(key, source)
        if hit is not None:
            return hit
        actor = self._token_lookup(token, source)
        if self.settings.token_cache_seconds > 0:
            if len(self._token_cache) > 10_000:
                self._token_cache.clear()
            self._token_cache[key] = (time.monotonic() + self.settings.token_cache_seconds,
                                      actor)
        return actor

    def cached_token_actor(self, token: str, source: str | None) -> Actor | None:
        """The actor of a token validated less than ``token_cache_seconds`` ago, else None
        (no database access: safe on the event loop)."""
        return self._cached_actor(security.sha256(token), source)

    def _cached_actor(self, key: str, source: str | None) -> Actor | None:
        hit = self._token_cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1].with_source(source)
        return None

    def _token_lookup(self, token: str, source: str | None) -> Actor:
        parsed = security.parse_api_token(token)
        with self.read_sessions() as s:
            row = None
            if parsed:
                row = s.execute(select(ApiToken, User).join(User, ApiToken.user_id == User.id)
                                .where(ApiToken.id == parsed[0])).first()
            if not (row is None or row[0].revoked_at is not None or not row[1].active
                    or not security.same(row[0].secret_sha256, parsed[1])):
                return self._actor(s, row[1], source, "api")
        self.record(Actor("anonymous", "none", source=source, via="api"),
                    Event("auth_failed", "api_token", parsed[0] if parsed else None))
        raise Unauthenticated("invalid or revoked API token")

    def login(self, username: str, password: str, source: str | None) -> tuple[str, str, Actor]:
        """(session cookie secret, CSRF token, actor) or Unauthenticated."""
        now = utcnow()
        with self.sessions.begin() as s:
            user = s.scalar(select(User).where(User.username == username.strip()))
            anonymous = Actor(username.strip()[:80] or "anonymous", "none", source=source)
            if user is None or not user.active:
                security.verify_password(None, password)
                self._audit(s, anonymous, Event("login_failed", "user", None,
                                                {"reason": "unknown or inactive user"}))
                s.commit()  # keep the audit entry: raising inside the block would roll it back
                raise Unauthenticated("wrong user name or password")
            if user.locked_until and user.locked_until > now:
                security.verify_password(None, password)  # same timing: no lock/user oracle
                self._audit(s, anonymous, Event("login_failed", "user", user.username,
                                                {"reason": "locked"}))
                s.commit()
                raise Unauthenticated("wrong user name or password")
            if not security.verify_password(user.password_hash, password):
                user.failed_logins += 1
                if user.failed_logins >= security.MAX_FAILED_LOGINS:
                    user.locked_until, user.failed_logins = now + security.LOCKOUT, 0
                self._audit(s, anonymous, Event("login_failed", "user", user.username,
                                                {"reason": "password"}))
                s.commit()  # keep the failed-login count (lockout) and the audit entry
                raise Unauthenticated("wrong user name or password")
            if security.needs_rehash(user.password_hash):
                user.password_hash = security.hash_password(password)
            user.failed_logins, user.locked_until = 0, None
            secret, csrf = security.new_session_secret(), security.new_csrf_token()
            s.execute(delete(WebSession).where(WebSession.expires_at < now))
            s.add(WebSession(id_sha256=security.sha256(secret), user_id=user.id, csrf_token=csrf,
                             expires_at=now + dt.timedelta(hours=self.settings.session_hours)))
            actor = self._actor(s, user, source, "web")
            self._audit(s, actor, Event("login", "user", user.username))
            return secret, csrf, actor

    def session_actor(self, secret: str, source: str | None) -> tuple[Actor, str] | None:
        """(actor, CSRF token) of a live session, else None (not audited: no data is read)."""
        if not secret:
            return None
        with self.read_sessions() as s:
            row = s.execute(select(WebSession, User).join(User, WebSession.user_id == User.id)
                            .where(WebSession.id_sha256 == security.sha256(secret))).first()
            if row is None or row[0].expires_at < utcnow() or not row[1].active:
                return None
            return self._actor(s, row[1], source, "web"), row[0].csrf_token

    def logout(self, secret: str, actor: Actor) -> None:
        with self.sessions.begin() as s:
            s.execute(delete(WebSession).where(WebSession.id_sha256 == security.sha256(secret)))
            self._audit(s, actor, Event("logout", "user", actor.username))

    # -- intake -------------------------------------------------------------------------------
    def prepare(self, actor: Actor, records: Sequence[dict], channel: str,
                lang: str, today: dt.date | None = None) -> list[dict]:
        """Validate and pseudonymise records; raises ValidationFailed naming every error.

        Runs in the caller's thread, outside any write transaction (the CPU work of intake
        must not hold the database's write lock)."""
        own = actor.organisation
        wanted = {str(r.get("organisation") or "").strip() for r in records} | {own or ""}
        wanted.discard("")
        if not wanted <= self._org_cache.keys():  # organisations never change code or id
            with self.read_sessions() as s:
                for o in s.scalars(select(Organisation)
                                   .where(Organisation.code.in_(sorted(wanted)))):
                    self._org_cache[o.code] = OrgRow(o.id, o.code, o.category)
        orgs = self._org_cache
        errors: list[tuple[int | None, FieldError]] = []
        rows: list[dict] = []
        seen_refs: dict[tuple[str, str], int] = {}
        for i, raw in enumerate(records, start=1):
            record = {k: v for k, v in raw.items() if k is not None}
            org_code = str(record.get("organisation") or "").strip() or own or ""
            org = orgs.get(org_code)
            row_errors = []
            if actor.role != "operator" and org_code != own:
                row_errors.append(field_error(
                    "organisation", "forbidden",
                    f"organisatie: u meldt alleen voor uw eigen organisatie ({own})",
                    f"organisation: you report only for your own organisation ({own})", lang))
            elif org_code and org is None:
                row_errors.append(field_error(
                    "organisation", "unknown", f"organisatie: '{org_code}' is niet bekend",
                    f"organisation: '{org_code}' is not known", lang))
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
                                              "bronreferentie: langer dan 120 tekens",
                                              "source_ref: longer than 120 characters", lang))
            if ref and (org_code, ref) in seen_refs:
                row_errors.append(field_error(
                    "source_ref", "duplicate",
                    f"bronreferentie '{ref}' staat ook in rij {seen_refs[(org_code, ref)]}",
                    f"source_ref '{ref}' also appears in row {seen_refs[(org_code, ref)]}",
                    lang))
            elif ref:
                seen_refs[(org_code, ref)] = i
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
            row.update(self.pseudonymiser.tokens(ident))
            # the content, not how it came in: the same report by API and in a file is "existing"
            row["content_sha256"] = hashlib.sha256(audit.canonical(
                {k: row[k] for k in sorted(row) if k != "channel"}).encode()).hexdigest()
            row.update(organisation_id=org.id, source_ref=ref, submitted_by=actor.user_id,
                       _org=org_code)
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
            raise ValidationFailed([(None, field_error("reports", "required",
                                                       "geen meldingen ontvangen",
                                                       "no reports received", lang))])
        request_hash = hashlib.sha256(audit.canonical(list(records)).encode()).hexdigest()
        rows = self.prepare(actor, records, channel, lang, today)
        return self.writer.submit_combined(_Submission(actor, rows, channel, idempotency_key,
                                                       lang, import_id, request_hash))

    def record_rejected(self, actor: Actor, records: Sequence[dict], channel: str,
                        exc: Exception) -> None:
        if isinstance(exc, AccessDenied):
            self.record(actor, Event("denied", "operation", "submit",
                                     {"allowed": ["reporter"]}))
            return
        self.record(actor, Event("submit_rejected", "report", None,
                                 {"channel": channel, "records": len(records),
                                  "reason": type(exc).__name__,
                                  "errors": len(getattr(exc, "errors", ())) or 1}))

    def _store_many(self, s: Session,
                    subs: list[_Submission]) -> list[tuple[bool, SubmitOutcome | Exception]]:
        """The write part of :meth:`submit` for every submission waiting in the group writer,
        in its transaction: one query for the references already registered, one INSERT of
        every new report, one audit append.  Each submission is answered on its own (a
        conflict refuses that submission only, writing nothing of it); submissions later in
        the list see the earlier ones, as if run one after the other."""
        refs = {(r["organisation_id"], r["source_ref"]) for sub in subs for r in sub.rows
                if r["source_ref"]}
        existing: dict[tuple[int, str], tuple[str, str]] = {}
        for chunk in _chunks(sorted(refs), 500):
            found = s.execute(select(Report.id, Report.organisation_id, Report.source_ref,
                                     Report.content_sha256)
                              .where(Report.organisation_id.in_({o for o, _ in chunk}),
                                     Report.source_ref.in_({r for _, r in chunk})))
            for rid, org_id, ref, digest in found:
                existing[(org_id, ref)] = (rid, digest)
        keys: dict[tuple[int, str], tuple[str, int, str]] = {}  # this batch's new keys
        answers: list[tuple[bool, SubmitOutcome | Exception]] = []
        inserts, key_rows, events = [], [], []
        now = utcnow()
        for sub in subs:
            actor = sub.actor
            org_key = (actor.organisation_id, sub.idempotency_key or "")
            if sub.idempotency_key and actor.organisation_id is not None:
                stored = keys.get(org_key)
                if stored is None:
                    row = s.get(IdempotencyKey, org_key)
                    stored = (row.request_sha256, row.status, row.response) if row else None
                if stored is not None:
                    if stored[0] != sub.request_hash:
                        answers.append((False, Conflict(
                            "Idempotency-Key was used before with a different request")))
                        continue
                    events.append((actor, Event("replay", "idempotency_key",
                                                sub.idempotency_key[:120])))
                    answers.append((True, SubmitOutcome(
                        stored[1], json.loads(stored[2])["reports"], replayed=True)))
                    continue
            results, new, conflicts = [], [], []
            for row in (dict(r) for r in sub.rows):
                org_code = row.pop("_org")
                ref = row["source_ref"]
                if ref and (row["organisation_id"], ref) in existing:
                    rid, digest = existing[(row["organisation_id"], ref)]
                    if digest != row["content_sha256"]:
                        conflicts.append(field_error(
                            "source_ref", "conflict",
                            f"bronreferentie '{ref}' is al geregistreerd met andere gegevens",
                            f"source_ref '{ref}' is already registered with different content",
                            sub.lang))
                    results.append({"id": rid, "source_ref": ref, "organisation": org_code,
                                    "status": "existing"})
                    continue
                row.update(id=str(uuid.uuid4()), created_at=now, import_id=sub.import_id)
                new.append(row)
                results.append({"id": row["id"], "source_ref": ref, "organisation": org_code,
                                "status": "created"})
            if conflicts:
                answers.append((False, Conflict(
                    "; ".join(e.message for e in conflicts[:5])
                    + (f" (+{len(conflicts) - 5} more)" if len(conflicts) > 5 else ""))))
                continue
            for row in new:  # later submissions of this batch see these
                if row["source_ref"]:
                    existing[(row["organisation_id"], row["source_ref"])] = (
                        row["id"], row["content_sha256"])
            inserts.extend(new)
            outcome = SubmitOutcome(201 if new else 200, results)
            if sub.idempotency_key and actor.organisation_id is not None:
                response = json.dumps(outcome.body())
                keys[org_key] = (sub.request_hash, outcome.status, response)
                key_rows.append({"organisation_id": actor.organisation_id,
                                 "key": sub.idempotency_key, "request_sha256": sub.request_hash,
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
        audit.append_many(s, events)
        return answers

    def import_file(self, actor: Actor, data: bytes, filename: str, lang: str = "nl",
                    today: dt.date | None = None) -> dict:
        """Bulk import of a CSV or XLSX file in the import format: all rows or none."""
        self._require(actor, "reporter")
        records = read_table(data, filename, lang)
        import_id = str(uuid.uuid4())
        outcome = self.submit(actor, records, channel="bulk", lang=lang, import_id=import_id,
                              today=today)
        body = outcome.body()
        digest = hashlib.sha256(data).hexdigest()
        self.record(actor, Event("import", "file", import_id,
                                 {"format": Path(filename).suffix.lower()[:8], "sha256": digest,
                                  "rows": len(records), "created": body["created"],
                                  "existing": body["existing"]}))
        return {"import_id": import_id, "rows": len(records), "created": body["created"],
                "existing": body["existing"], "sha256": digest}

    # -- reading ------------------------------------------------------------------------------
    def _scoped(self, actor: Actor, query):
        """Restrict a report query to what the actor may read (the one place it is done)."""
        self._require(actor, *READ_ROLES)
        if actor.role == "reporter":
            if actor.organisation_id is None:
                raise AccessDenied("reporter without an organisation")
            return query.where(Report.organisation_id == actor.organisation_id)
        return query

    def list_reports(self, actor: Actor, flt: ReportFilter | None = None) -> Page:
        flt = flt or ReportFilter()
        limit = max(1, min(int(flt.limit), MAX_PAGE))
        offset = max(0, int(flt.offset))
        cols = [Report.__table__.c[c] for c in PUBLIC_COLUMNS
                if c not in ("organisation",)] + [Organisation.code.label("organisation")]
        query = self._scoped(actor, select(*cols).join(
            Organisation, Report.organisation_id == Organisation.id))
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
        with self.read_sessions() as s:
            total = s.scalar(select(func.count()).select_from(query.subquery()))
            rows = s.execute(query.order_by(Report.received_date.desc(), Report.id)
                             .limit(limit).offset(offset)).mappings().all()
        items = [_report_dict(r) for r in rows]
        # every read is audited, and committed, before anything is returned
        self.record(actor, Event("read", "report", None,
                                 {"filter": flt.as_dict(), "total": total,
                                  "ids": [r["id"] for r in items]}))
        return Page(items, total, limit, offset)

    def get_report(self, actor: Actor, report_id: str) -> dict:
        cols = [Report.__table__.c[c] for c in PUBLIC_COLUMNS
                if c not in ("organisation",)] + [Organisation.code.label("organisation")]
        query = self._scoped(actor, select(*cols).join(
            Organisation, Report.organisation_id == Organisation.id)
            .where(Report.id == report_id))
        with self.read_sessions() as s:
            row = s.execute(query).mappings().first()
        self.record(actor, Event("read" if row else "read_missing", "report", report_id[:120]))
        if row is None:  # another organisation's report is "not found", never "forbidden"
            raise NotFound("report not found")
        return _report_dict(row)

    # -- export, retention, audit ---------------------------------------------------------------
    def export_frame(self, actor: Actor, purpose: str = "export"):
        """All reports, pseudonymised, as a DataFrame (tokens included, no clear identifier)."""
        import pandas as pd

        self._require(actor, "analyst")
        cols = ([Report.__table__.c[c] for c in PUBLIC_COLUMNS if c != "organisation"]
                + [Organisation.code.label("organisation")]
                + [Report.__table__.c[c] for c in TOKEN_FIELDS])
        with self.read_sessions() as s:
            rows = s.execute(select(*cols).join(
                Organisation, Report.organisation_id == Organisation.id)
                .order_by(Report.received_date, Report.id)).mappings().all()
            frame = pd.DataFrame([dict(r) for r in rows],
                                 columns=[c.key if hasattr(c, "key") else c.name for c in cols])
            frame = frame.rename(columns={"id": "report_id"})
        self.record(actor, Event(purpose, "report", None, {"rows": len(frame)}))
        return frame

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
                     b"zicht.key_fingerprint": self.pseudonymiser.fingerprint.encode()})
        pq.write_table(table.replace_schema_metadata(meta), tmp)
        tmp.replace(path)  # readers never see half a file
        return path

    def purge(self, actor: Actor, today: dt.date | None = None,
              dry_run: bool = False) -> dict:
        """Delete reports received before today - retention period; audited with the count."""
        self._require(actor, "admin")
        today = today or dt.date.today()
        cutoff = today - dt.timedelta(days=self.settings.retention_days)
        with self.sessions.begin() as s:
            ids = list(s.scalars(select(Report.id).where(Report.received_date < cutoff)))
            if not dry_run:
                for chunk in _chunks(ids, 500):
                    s.execute(delete(Report).where(Report.id.in_(chunk)))
                s.execute(delete(IdempotencyKey).where(
                    IdempotencyKey.created_at < utcnow() - dt.timedelta(days=30)))
            self._audit(s, actor, Event("purge_dry_run" if dry_run else "purge", "report", None,
                                        {"cutoff": cutoff.isoformat(), "count": len(ids),
                                         "retention_days": self.settings.retention_days,
                                         "ids": ids}))
        return {"cutoff": cutoff.isoformat(), "deleted": 0 if dry_run else len(ids),
                "matched": len(ids)}

    def audit_entries(self, actor: Actor, limit: int = 100, before: int | None = None,
                      action: str | None = None) -> list[dict]:
        self._require(actor, "auditor")
        limit = max(1, min(int(limit), MAX_PAGE))
        t = AuditEntry.__table__
        query = select(t).order_by(t.c.seq.desc()).limit(limit)
        if before is not None:  # seq is a 32-bit integer column (PostgreSQL refuses more)
            query = query.where(t.c.seq < min(int(before), 2**31 - 1))
        if action:
            query = query.where(t.c.action == action)
        with self.read_sessions() as s:
            rows = [dict(r) for r in s.execute(query).mappings()]
        self.record(actor, Event("read", "audit_log", None,
                                 {"count": len(rows), "before": before}))
        for r in rows:
            r["detail"] = json.loads(r["detail"])
        return rows

    def verify_audit(self, actor: Actor, expect_head: str | None = None) -> audit.Verification:
        self._require(actor, "auditor")
        with self.read_sessions() as s:  # one snapshot (PostgreSQL; SQLite: one read txn)
            result = audit.verify(s, expect_head)
        self.record(actor, Event("verify", "audit_log", None,
                                 {"entries": result.entries, "ok": result.ok}))
        return result

    def counts(self) -> dict:
        """Row counts (for the command line's summaries; not audited: no personal data)."""
        with self.read_sessions() as s:
            return {"organisations": s.scalar(select(func.count(Organisation.id))),
                    "users": s.scalar(select(func.count(User.id))),
                    "reports": s.scalar(select(func.count(Report.id))),
                    "audit_entries": s.scalar(select(func.count(AuditEntry.seq)))}


def local_key_path(url: str) -> Path | None:
    """``<database>.key`` beside a SQLite database file; None for other databases."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database).with_suffix(".key")


def _chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]


def _org_dict(o: Organisation) -> dict:
    return {"code": o.code, "name": o.name, "category": o.category, "active": o.active}


def _user_dict(u: User, org: Organisation | None) -> dict:
    return {"username": u.username, "role": u.role, "organisation": org.code if org else None,
            "active": u.active, "has_password": u.password_hash is not None}


def _report_dict(row) -> dict:
    out = {}
    for c in PUBLIC_COLUMNS:
        v = row[c]
        out[c] = v.isoformat() if isinstance(v, dt.date | dt.datetime) else v
    return out


# -- reading import files -------------------------------------------------------------------------
def read_table(data: bytes, filename: str, lang: str = "nl") -> list[dict]:
    """Rows of a CSV (UTF-8, comma or semicolon) or XLSX file as dicts of strings."""
    import pandas as pd

    name = filename.lower()
    try:
        if name.endswith((".xlsx", ".xlsm")):
            frame = pd.read_excel(io.BytesIO(data), dtype=str, engine="openpyxl",
                                  keep_default_na=False)  # "NA" is Namibia, as in a CSV
            # a date cell (what Excel makes of a typed date) reads as "YYYY-MM-DD 00:00:00"
            frame = frame.replace(r"^(\d{4}-\d{2}-\d{2}) 00:00:00$", r"\1", regex=True)
        elif name.endswith(".csv") or name.endswith(".txt"):
            text = data.decode("utf-8-sig")
            first = text.split("\n", 1)[0]
            sep = ";" if first.count(";") > first.count(",") else ","
            frame = pd.read_csv(io.StringIO(text), dtype=str, sep=sep, keep_default_na=False)
        else:
            raise ValidationFailed([(None, field_error(
                "file", "format", "bestand: alleen CSV of XLSX", "file: CSV or XLSX only",
                lang))])
    except UnicodeDecodeError:
        raise ValidationFailed([(None, field_error(
            "file", "encoding", "bestand: geen UTF-8-tekst", "file: not UTF-8 text",
            lang))]) from None
    except ValidationFailed:
        raise
    except Exception as exc:  # the parsers' own messages name the problem
        raise ValidationFailed([(None, field_error(
            "file", "format", f"bestand onleesbaar: {exc}", f"file unreadable: {exc}",
            lang))]) from None
    frame.columns = [str(c).strip() for c in frame.columns]
    if "received_date" not in frame.columns:
        raise ValidationFailed([(None, field_error(
            "file", "columns", "bestand: kolom received_date ontbreekt (zie het importformaat)",
            "file: column received_date is missing (see the import format)", lang))])
    frame = frame.fillna("")
    return frame.to_dict("records")
