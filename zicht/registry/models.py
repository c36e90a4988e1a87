"""The registry's tables (SQLAlchemy 2).  The schema itself is made by Alembic migrations
(``zicht/registry/migrations``); a test checks that the migrations and these models agree.

No clear personal identifier has a column here: a report holds the keyed linkage tokens of
:mod:`zicht.tokens` instead of names and birth dates.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from ..tokens import TOKEN_FIELDS

ROLES = ("reporter", "analyst", "admin", "auditor")

# report attributes kept as given (after validation); identifiers are never among them
REPORT_FIELDS = (
    "reporter_category", "received_date", "reference_year", "channel", "legal_basis",
    "consent_registration", "consent_care_referral", "age_at_report", "age_band", "sex",
    "nationality", "country_of_birth", "residence_status", "exploitation_forms", "sector",
    "nr_group", "place_of_exploitation", "complaint_filed", "reflection_period",
    "shelter_requested", "shelter_placed", "referred_to_care", "means_of_control",
    "recruiter_relation",
)


class Base(DeclarativeBase):
    pass


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(8))  # reporter category code
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class User(Base):
    """A person or system account.  ``username`` is shown as given (NFKC); ``username_key``,
    its case-folded form, is unique, so no two accounts differ only in case or width."""

    __tablename__ = "users"
    __table_args__ = (Index("uq_users_username_key", "username_key", unique=True),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    # set on every insert; nullable in the schema only because SQLite cannot add NOT NULL to
    # a table that others reference without rebuilding it
    username_key: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))  # None: API-only account
    role: Mapped[str] = mapped_column(String(16))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[dt.datetime | None] = mapped_column()
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ApiToken(Base):
    """An API token ``zt_<id>_<secret>``: only SHA-256 of the secret is stored (the secret has
    256 bits of entropy, so a slow hash adds nothing)."""

    __tablename__ = "api_tokens"
    id: Mapped[str] = mapped_column(String(16), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(120))
    secret_sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None] = mapped_column()


class WebSession(Base):
    """A browser session; the cookie holds the secret, the table its SHA-256."""

    __tablename__ = "web_sessions"
    id_sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column()


# text columns wider than 120: every means of control, joined by ";" (0006)
WIDE = {"means_of_control": 400}


def _report_table() -> Table:
    fixed = [
        Column("id", String(36), primary_key=True),  # UUID
        Column("organisation_id", ForeignKey("organisations.id"), nullable=False),
        Column("source_ref", String(120)),  # the reporter's own reference
        Column("content_sha256", String(64), nullable=False),
        Column("submitted_by", ForeignKey("users.id")),
        Column("import_id", String(36)),
        Column("created_at", DateTime, nullable=False, default=utcnow),
        Column("received_date", Date, nullable=False),
        Column("reporter_category", String(8), nullable=False),
        Column("reference_year", Integer),
        Column("channel", String(8), nullable=False),
        Column("age_at_report", Integer),
        # the fingerprint of the key the tokens were made with (0004; NULL before)
        Column("key_fingerprint", String(16)),
    ]
    names = {c.name for c in fixed}
    rest = [Column(n, String(WIDE.get(n, 120))) for n in REPORT_FIELDS if n not in names]
    tokens = [Column(n, String(128)) for n in TOKEN_FIELDS]
    return Table(
        "reports", Base.metadata, *fixed, *rest, *tokens,
        UniqueConstraint("organisation_id", "source_ref", name="uq_reports_org_source_ref"),
        Index("ix_reports_org_received", "organisation_id", "received_date"),
        Index("ix_reports_received", "received_date"),
        Index("ix_reports_import", "import_id"),
    )


class Report(Base):
    """One report of one possible victim by one organisation (never overwritten)."""

    __table__ = _report_table()


class IdempotencyKey(Base):
    """An API request's idempotency key and the response it got (a retry gets the same).

    ``request_digest`` is keyed (HMAC under the registry's digest key): the request holds
    names and a birth date, and a plain hash of it would give them away to a dictionary."""

    __tablename__ = "idempotency_keys"
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"),
                                                 primary_key=True)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    request_digest: Mapped[str] = mapped_column(String(64))
    status: Mapped[int] = mapped_column(Integer)
    response: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class Import(Base):
    """A file import, staged in chunks: its reports are written as they are validated but
    stay invisible (every report query leaves out the reports of an import that is not
    ``committed``) until one short transaction marks the import committed, so an import is
    still all rows or none while other writers get the database between its chunks.  A failed
    import's reports are deleted (``failed``); one left ``pending`` by a crash is deleted by
    the next start or purge once it is older than an hour."""

    __tablename__ = "imports"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    submitted_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    state: Mapped[str] = mapped_column(String(16))  # pending, committed, failed
    rows: Mapped[int] = mapped_column(Integer, default=0)
    created: Mapped[int] = mapped_column(Integer, default=0)
    existing: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class AuthState(Base):
    """One row: ``epoch`` grows with every revocation (a token revoked, a user deactivated),
    in the same transaction.  A process that remembers validated API tokens compares the
    epoch before trusting its memory, and the group writer compares it inside the transaction
    that stores a report, so a revocation holds at once in every process."""

    __tablename__ = "auth_state"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, default=0)


class AuditEntry(Base):
    """One entry of the append-only audit log (database triggers refuse UPDATE and DELETE);
    ``hash`` = SHA-256(prev_hash + canonical JSON of the entry), see :mod:`.audit`."""

    __tablename__ = "audit_log"
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ts: Mapped[str] = mapped_column(String(32))  # ISO 8601 UTC, hashed as written
    actor: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16))
    organisation: Mapped[str | None] = mapped_column(String(40))
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(120))
    source: Mapped[str | None] = mapped_column(String(120))  # IP address or "cli"
    detail: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))


class AuditHead(Base):
    """The chain's last sequence number and hash; one row, locked by every appender."""

    __tablename__ = "audit_head"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    hash: Mapped[str] = mapped_column(String(64))
