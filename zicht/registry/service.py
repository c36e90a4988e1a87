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
import json
import time
import unicodedata
import uuid
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, NamedTuple

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .. import codes
from ..tokens import (
    CLEAR_COLUMNS,
    SCHEME,
    TOKEN_FIELDS,
    Identity,
    Pseudonymiser,
    PseudonymKeyError,
    load_key,
)
from . import audit, security
from .audit import Actor, Event
from .authlog import FailureLog
from .db import make_engine, read_session_factory, session_factory
from .errors import (
    MAX_LISTED,
    AccessDenied,
    Conflict,
    NotFound,
    RegistryError,
    RowConflicts,
    TooLarge,
    Unauthenticated,
    ValidationFailed,
)
from .models import (
    ROLES,
    ApiToken,
    AuditEntry,
    AuthState,
    IdempotencyKey,
    Import,
    Organisation,
    Report,
    User,
    WebSession,
    utcnow,
)
from .settings import Settings
from .tables import ErrorList, TableReader
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


__all__ = ["AccessDenied", "Conflict", "NotFound", "Registry", "RegistryError", "TooLarge",
           "Unauthenticated", "ValidationFailed", "operator"]
STALE_IMPORT = dt.timedelta(hours=1)  # a pending import untouched this long was abandoned
STAGE_ROWS = 500  # an import's reports staged per writer job


def field_error(field_name: str, code: str, nl: str, en: str, lang: str) -> FieldError:
    return FieldError(field_name, code, nl if lang == "nl" else en)


def operator(source: str = "cli") -> Actor:
    import getpass

    try:
        who = getpass.getuser()
    except Exception:  # no user name in this environment
        who = "unknown"
    return Actor(f"cli:{who}", "operator", source=source, via="cli")


def _epoch(s: Session) -> int:
    """The revocation epoch (:class:`.models.AuthState`)."""
    return s.scalar(select(AuthState.epoch).where(AuthState.id == 1)) or 0


def _bump_epoch(s: Session) -> None:
    s.execute(update(AuthState).where(AuthState.id == 1).values(epoch=AuthState.epoch + 1))


def _visible():
    """Reports that are registered: not of an import still staging or discarded."""
    return or_(Report.import_id.is_(None),
               Report.import_id.not_in(select(Import.id).where(Import.state != "committed")))


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
    request_digest: str  # keyed (Registry.digests): the request holds names and birth dates


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
        self._digester: security.Digester | None = None
        self.failures = FailureLog(lambda entries: self.writer.run(
            lambda s: audit.append_many(s, entries)),
            per_minute=self.settings.auth_failures_per_minute)

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

    @property
    def digests(self) -> security.Digester:
        """HMAC under the digest key, derived from the pseudonymisation key (see
        :func:`.security.derive_digest_key`): for anything stored, logged or returned that is
        computed from identifying input."""
        if self._digester is None:
            self._digester = security.Digester(security.derive_digest_key(self._key()))
        return self._digester

    def upgrade(self, revision: str = "head") -> None:
        """Migrate the schema (the key is read only if a migration has digests to rewrite),
        then delete what abandoned imports left."""
        from . import migrate

        before = migrate.current_revision(self.engine)
        migrate.upgrade(self.engine, revision,
                        digest_key=lambda: security.derive_digest_key(self._key()))
        after = migrate.current_revision(self.engine)
        if before in ("0001", "0002") and after not in (None, "0001", "0002"):
            self._scrub(("idempotency_keys", "audit_log"))
        if after == migrate.head_revision():
            self.discard_stale_imports()

    def _scrub(self, tables: Sequence[str]) -> None:
        """Rewrite ``tables`` in full after migration 0003 replaced their plain digests: an
        UPDATE or a dropped column leaves the old values in the files (PostgreSQL's dead row
        versions and dropped columns survive until the table is rewritten; SQLite's free
        pages and write-ahead log) for anyone with a copy of the files.  PostgreSQL: VACUUM
        FULL; SQLite: VACUUM and an emptied write-ahead log.  Backups and WAL archives made
        before the migration still hold the old values (docs/REGISTRY.md)."""
        if self.engine.dialect.name == "sqlite":
            raw = self.engine.raw_connection()
            try:
                conn = raw.driver_connection
                conn.execute("VACUUM")
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                raw.close()
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            for table in tables:
                conn.exec_driver_sql(f"VACUUM FULL {table}")

    def dispose(self) -> None:
        self.failures.close()
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
        username = unicodedata.normalize("NFKC", username.strip())
        if role not in ROLES:
            raise ValidationFailed([(None, FieldError("role", "code",
                                                      f"role must be one of {', '.join(ROLES)}"))])
        if reason := security.username_problem(username):
            raise ValidationFailed([(None, FieldError("username", "invalid", reason))])
        key = security.username_key(username)
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
            same = s.scalar(select(User.username).where(
                (User.username_key == key) | (User.username == username)))
            if same is not None:
                raise Conflict(f"user {username!r} exists" if same == username else
                               f"user {username!r} looks like the existing user {same!r} "
                               "(names are compared ignoring case and width)")
            user = User(username=username, username_key=key, role=role,
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
            user = self._user(s, username)
            user.active = active
            self._token_cache.clear()
            if not active:  # end its sessions and tokens now, in every process
                s.execute(delete(WebSession).where(WebSession.user_id == user.id))
                for tok in s.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                            ApiToken.revoked_at.is_(None))):
                    tok.revoked_at = utcnow()
                _bump_epoch(s)
            self._audit(s, actor, Event("activate" if active else "deactivate", "user",
                                        username))
            org = s.get(Organisation, user.organisation_id) if user.organisation_id else None
            return _user_dict(user, org)

    def add_token(self, actor: Actor, username: str, name: str) -> dict:
        """A new API token for ``username``; the token itself is returned only here."""
        self._require(actor, "admin")
        with self.sessions.begin() as s:
            user = self._user(s, username)
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
            _bump_epoch(s)
            self._audit(s, actor, Event("revoke", "api_token", token_id))

    @staticmethod
    def _user(s: Session, username: str) -> User:
        """The user of a name as typed (compared NFKC, case-folded), else NotFound."""
        user = s.scalar(select(User).where(User.username_key == security.username_key(
            username.strip())))
        if user is None:
            raise NotFound(f"user {username!r} does not exist")
        return user

    # -- authentication -----------------------------------------------------------------------
    def _actor(self, s: Session, user: User, source: str | None, via: str,
               token_id: str | None = None, epoch: int | None = None) -> Actor:
        org = s.get(Organisation, user.organisation_id) if user.organisation_id else None
        return Actor(user.username, user.role, user.id, user.organisation_id,
                     org.code if org else None, source, via, token_id, epoch)

    def token_actor(self, token: str, source: str | None) -> Actor:
        """The actor of an API token.  A valid token is remembered for
        ``settings.token_cache_seconds`` (default 10), together with the revocation epoch it
        was checked at; the memory is used only while the database's epoch is unchanged, so a
        token revoked or a user deactivated by any process (the command line, another worker)
        is refused by the next request.  The full lookup costs more CPU than the rest of a
        report's intake together; the epoch is one primary-key read."""
        key = security.sha256(token)
        with self.read_sessions() as s:
            epoch = _epoch(s)
            hit = self._cached_actor(key, source)
            if hit is not None and hit.epoch == epoch:
                return hit
            actor = self._token_lookup(s, token, source, epoch)
        if actor is None:
            parsed = security.parse_api_token(token)
            self.failures.failed(source, Event(
                "auth_failed", "api_token", parsed[0] if parsed else None,
                {"reason": "unknown, revoked or inactive" if parsed else "malformed"}))
            raise Unauthenticated("invalid or revoked API token")
        if self.settings.token_cache_seconds > 0:
            if len(self._token_cache) > 10_000:
                self._token_cache.clear()
            self._token_cache[key] = (time.monotonic() + self.settings.token_cache_seconds,
                                      actor)
        return actor

    def cached_token_actor(self, token: str, source: str | None) -> Actor | None:
        """The actor of a token validated less than ``token_cache_seconds`` ago, else None
        (no database access: safe on the event loop).  Only for submissions: the group writer
        checks the revocation epoch again in the transaction that stores them
        (:meth:`_revoked`)."""
        return self._cached_actor(security.sha256(token), source)

    def _cached_actor(self, key: str, source: str | None) -> Actor | None:
        hit = self._token_cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1].with_source(source)
        return None

    def _token_lookup(self, s: Session, token: str, source: str | None,
                      epoch: int) -> Actor | None:
        parsed = security.parse_api_token(token)
        if not parsed:
            return None
        row = s.execute(select(ApiToken, User).join(User, ApiToken.user_id == User.id)
                        .where(ApiToken.id == parsed[0])).first()
        if (row is None or row[0].revoked_at is not None or not row[1].active
                or not security.same(row[0].secret_sha256, parsed[1])):
            return None
        return self._actor(s, row[1], source, "api", token_id=row[0].id, epoch=epoch)

    def _revoked(self, s: Session, actor: Actor, epoch: int) -> bool:
        """In the writer's transaction: was ``actor``'s token revoked or its user deactivated
        since it was checked?  Asked only when the epoch moved (or for a browser session,
        whose actor carries none)."""
        if actor.user_id is None or (actor.epoch is not None and actor.epoch == epoch):
            return False
        if actor.token_id is not None:
            row = s.execute(select(ApiToken.revoked_at, User.active)
                            .join(User, ApiToken.user_id == User.id)
                            .where(ApiToken.id == actor.token_id)).first()
            return row is None or row[0] is not None or not row[1]
        return not s.scalar(select(User.active).where(User.id == actor.user_id))

    def login(self, username: str, password: str, source: str | None) -> tuple[str, str, Actor]:
        """(session cookie secret, CSRF token, actor) or Unauthenticated.

        A failure is audited through :attr:`failures` (bounded per address and minute); the
        name typed is kept only as a keyed digest unless it is an account's name, so that a
        password typed into the name field is not kept in the clear."""
        now = utcnow()
        typed = unicodedata.normalize("NFKC", username.strip())
        key = security.username_key(typed)
        failure = None
        with self.sessions.begin() as s:
            user = None
            if not security.username_problem(typed):
                user = s.scalar(select(User).where(User.username_key == key))
            if user is None or not user.active:
                security.verify_password(None, password)
                failure = Event("login_failed", "user", None,
                                {"reason": "unknown or inactive user",
                                 **self._username_digest(key)})
            elif user.locked_until and user.locked_until > now:
                security.verify_password(None, password)  # same timing: no lock/user oracle
                failure = Event("login_failed", "user", user.username, {"reason": "locked"})
            elif not security.verify_password(user.password_hash, password):
                user.failed_logins += 1
                if user.failed_logins >= security.MAX_FAILED_LOGINS:
                    user.locked_until, user.failed_logins = now + security.LOCKOUT, 0
                failure = Event("login_failed", "user", user.username, {"reason": "password"})
            else:
                if security.needs_rehash(user.password_hash):
                    user.password_hash = security.hash_password(password)
                user.failed_logins, user.locked_until = 0, None
                secret, csrf = security.new_session_secret(), security.new_csrf_token()
                s.execute(delete(WebSession).where(WebSession.expires_at < now))
                s.add(WebSession(id_sha256=security.sha256(secret), user_id=user.id,
                                 csrf_token=csrf, expires_at=now + dt.timedelta(
                                     hours=self.settings.session_hours)))
                actor = self._actor(s, user, source, "web")
                self._audit(s, actor, Event("login", "user", user.username))
                return secret, csrf, actor
        # the failed-login count (lockout) is committed; the audit entry follows
        self.failures.failed(source, failure)
        raise Unauthenticated("wrong user name or password")

    def _username_digest(self, key: str) -> dict:
        """The keyed digest of a typed name that is no account's (it may be a password typed
        into the wrong field); nothing when no key is configured (a server that cannot take
        reports either), rather than a failed login failing."""
        try:
            return {"username_digest": self.digests.hex(key)}
        except PseudonymKeyError:
            return {}

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
                lang: str, today: dt.date | None = None, numbers: Sequence[int] | None = None,
                seen_refs: dict[str, int] | None = None) -> list[dict]:
        """Validate and pseudonymise records; raises ValidationFailed naming every error.

        Runs in the caller's thread, outside any write transaction (the CPU work of intake
        must not hold the database's write lock).  ``numbers`` are the records' row numbers
        (default 1, 2, ...); ``seen_refs`` carries the source references of earlier chunks of
        the same import, so a reference repeated anywhere in a file is caught."""
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
        seen_refs = {} if seen_refs is None else seen_refs
        numbers = range(1, len(records) + 1) if numbers is None else numbers
        for i, raw in zip(numbers, records, strict=True):
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
            seen_key = f"{org_code}\x1f{ref}"  # one string: 100,000 of them stay small
            if ref and seen_key in seen_refs:
                row_errors.append(field_error(
                    "source_ref", "duplicate",
                    f"bronreferentie '{ref}' staat ook in rij {seen_refs[seen_key]}",
                    f"source_ref '{ref}' also appears in row {seen_refs[seen_key]}",
                    lang))
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
            row.update(self.pseudonymiser.tokens(ident))
            # the content, not how it came in: the same report by API and in a file is "existing"
            row["content_sha256"] = hashlib.sha256(audit.canonical(
                {k: row[k] for k in sorted(row) if k != "channel"}).encode()).hexdigest()
            row.update(organisation_id=org.id, source_ref=ref, submitted_by=actor.user_id,
                       _org=org_code, _row=i)
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
        # keyed: a plain hash of the request would let anyone holding a copy of the database
        # test names and birth dates against it (the rest of the request is in the report row)
        request_digest = self.digests.hex(hashlib.sha256(
            audit.canonical(list(records)).encode()).hexdigest()) if idempotency_key else ""
        rows = self.prepare(actor, records, channel, lang, today)
        return self.writer.submit_combined(_Submission(actor, rows, channel, idempotency_key,
                                                       lang, import_id, request_digest))

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
        # (organisation, reference) -> (report id, content digest, import of a report still
        # being imported or discarded: not yet a registered report)
        existing: dict[tuple[int, str], tuple[str, str, str | None]] = {}
        for chunk in _chunks(sorted(refs), 500):
            found = s.execute(select(Report.id, Report.organisation_id, Report.source_ref,
                                     Report.content_sha256, Report.import_id, Import.state)
                              .outerjoin(Import, Report.import_id == Import.id)
                              .where(Report.organisation_id.in_({o for o, _ in chunk}),
                                     Report.source_ref.in_({r for _, r in chunk})))
            for rid, org_id, ref, digest, import_id, state in found:
                staged = import_id if state in ("pending", "failed") else None
                existing[(org_id, ref)] = (rid, digest, staged)
        keys: dict[tuple[int, str], tuple[str, int, str]] = {}  # this batch's new keys
        answers: list[tuple[bool, SubmitOutcome | Exception]] = []
        inserts, key_rows, events = [], [], []
        now = utcnow()
        epoch = _epoch(s)
        for sub in subs:
            actor = sub.actor
            if self._revoked(s, actor, epoch):  # revoked since its token was checked
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
            for row in (dict(r) for r in sub.rows):
                org_code, number = row.pop("_org"), row.pop("_row")
                ref = row["source_ref"]
                if ref and (row["organisation_id"], ref) in existing:
                    rid, digest, staged = existing[(row["organisation_id"], ref)]
                    if staged is not None and staged != sub.import_id:
                        conflicts.append((number, field_error(
                            "source_ref", "conflict",
                            f"bronreferentie '{ref}' wordt op dit moment door een andere import "
                            "geregistreerd; probeer het later opnieuw",
                            f"source_ref '{ref}' is being registered by another import right "
                            "now; try again later", sub.lang)))
                    elif digest != row["content_sha256"]:
                        conflicts.append((number, field_error(
                            "source_ref", "conflict",
                            f"bronreferentie '{ref}' is al geregistreerd met andere gegevens",
                            f"source_ref '{ref}' is already registered with different content",
                            sub.lang)))
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
        if staging:  # an import that is staging is alive (see discard_stale_imports)
            s.execute(update(Import).where(Import.id.in_(staging)).values(updated_at=now))
        audit.append_many(s, events)
        return answers

    def import_file(self, actor: Actor, data: bytes | BinaryIO, filename: str, lang: str = "nl",
                    today: dt.date | None = None, allow_no_identity: bool = False,
                    default_organisation: str | None = None,
                    progress: Callable[[int], None] | None = None,
                    max_errors: int | None = MAX_LISTED) -> dict:
        """Bulk import of a CSV or XLSX file in the import format: all rows or none.

        The file is read, validated and pseudonymised in chunks
        (``settings.imports.chunk_rows``), each chunk staged in its own short transaction
        under an import that stays ``pending`` (its reports invisible to every query) until
        one last transaction commits it; so memory stays bounded and other users' reports are
        written between the chunks.  On any error the rest of the file is still validated
        (the first :data:`MAX_LISTED` errors are listed and all counted), nothing more is
        staged, and what was staged is deleted.  ``progress`` is called with the rows read;
        ``max_errors`` (None: all, for the command line's error file) bounds the list."""
        self._require(actor, "reporter")
        reader = TableReader(data, filename, lang, self.settings.imports, allow_no_identity)
        import_id = str(uuid.uuid4())
        # keyed: the file holds names and birth dates
        file_digest = self.digests.of_file(reader.stream)
        self.writer.run(lambda s: s.add(Import(
            id=import_id, organisation_id=actor.organisation_id, submitted_by=actor.user_id,
            state="pending", rows=0, created=0, existing=0)))
        errors, seen = ErrorList(max_errors if max_errors is not None else 10**9), {}
        created = existing = conflicts = 0
        analysed = STAGE_ROWS // 4  # statistics refreshed after the first job, then at x4
        try:
            for chunk in reader.chunks():
                numbers = [n for n, _ in chunk]
                records = [r for _, r in chunk]
                if default_organisation:
                    for r in records:
                        r["organisation"] = r.get("organisation") or default_organisation
                try:
                    rows = self.prepare(actor, records, "bulk", lang, today, numbers, seen)
                except ValidationFailed as exc:
                    errors.extend(exc.errors)
                    continue
                if errors:  # validate the rest of the file, stage nothing more
                    continue
                # staged in writer jobs of STAGE_ROWS: the writer (and on SQLite the database)
                # is held for a short moment each, and other users' reports go in between
                for part in _chunks(rows, STAGE_ROWS):
                    try:
                        outcome = self.writer.submit_combined(_Submission(
                            actor, list(part), "bulk", None, lang, import_id, "")).result(
                            WRITE_TIMEOUT)
                    except RowConflicts as exc:  # 409 unless the file also has invalid rows
                        errors.extend(exc.errors)
                        conflicts += len(exc.errors)
                        break
                    except IntegrityError:  # another writer took a reference meanwhile
                        errors.extend([(None, field_error(
                            "source_ref", "conflict", "een bronreferentie werd tegelijk door "
                            "een andere melding geregistreerd; probeer het opnieuw", "a "
                            "source_ref was registered by another report at the same time; "
                            "try again", lang))])
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
            raise ValidationFailed([(None, field_error(
                "file", "empty", "bestand: geen rijen met meldingen", "file: no rows of reports",
                lang))])
        summary = {"format": reader.format, "file_digest": file_digest, "rows": reader.rows,
                   "created": created, "existing": existing}

        def commit(s: Session) -> None:
            done = s.execute(update(Import).where(Import.id == import_id,
                                                  Import.state == "pending")
                             .values(state="committed", rows=reader.rows, created=created,
                                     existing=existing, updated_at=utcnow()))
            if done.rowcount != 1:  # taken for abandoned by another process's clean-up
                raise Conflict("the import took too long and was discarded; import it again")
            audit.append(s, actor, [Event("import", "file", import_id, summary)])

        self.writer.run(commit)
        return {"import_id": import_id, **{k: v for k, v in summary.items() if k != "format"}}

    def _analyze_reports(self) -> None:
        """PostgreSQL: refresh the planner's statistics of ``reports`` while an import grows
        it.  Without them (a new registry's first bulk load) the look-up of known references
        runs as a scan of the whole table for every job, so an import slows down with the
        square of its size and holds the writer seconds at a time (measured: 100,000 rows in
        208 s instead of about 40 s).  Outside the writer, on a connection of its own."""
        if self.engine.dialect.name != "postgresql":
            return
        with self.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("ANALYZE reports")

    def _discard_import(self, actor: Actor, import_id: str, reader: TableReader,
                        errors: int) -> None:
        self._discard(actor, import_id, "import_failed",
                      {"format": reader.format, "rows_read": reader.rows, "errors": errors})

    def _discard(self, actor: Actor, import_id: str, action: str, detail: dict,
                 chunk: int = 5000) -> None:
        """Mark an import failed and delete what it staged, in chunks (each its own short
        transaction, so other writers go in between), audited with the count."""
        self.writer.run(lambda s: s.execute(update(Import).where(Import.id == import_id)
                                            .values(state="failed", updated_at=utcnow())))
        deleted = 0
        while True:
            ids = select(Report.id).where(Report.import_id == import_id).limit(chunk)
            n = self.writer.run(lambda s, ids=ids: s.execute(
                delete(Report).where(Report.id.in_(ids.scalar_subquery()))).rowcount)
            deleted += n
            if n < chunk:
                break
        self.record(actor, Event(action, "file", import_id, {**detail, "discarded": deleted}))

    def discard_stale_imports(self) -> int:
        """Delete the reports of imports left pending by a crash (untouched for
        :data:`STALE_IMPORT`) or failed before their clean-up finished; audited."""
        cutoff = utcnow() - STALE_IMPORT
        with self.read_sessions() as s:
            stale = list(s.scalars(select(Import.id).where(
                ((Import.state == "pending") & (Import.updated_at < cutoff))
                | ((Import.state == "failed")
                   & Import.id.in_(select(Report.import_id).distinct())))))
        for import_id in stale:
            self._discard(operator("cleanup"), import_id, "import_discarded",
                          {"reason": "abandoned"})
        return len(stale)

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
            Organisation, Report.organisation_id == Organisation.id).where(_visible()))
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
            .where(Report.id == report_id, _visible()))
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
                Organisation, Report.organisation_id == Organisation.id).where(_visible())
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
        if not dry_run:
            self.discard_stale_imports()
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
                    "reports": s.scalar(select(func.count(Report.id)).where(_visible())),
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
