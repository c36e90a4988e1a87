"""What every component of the registry shares: the database, the group writer, the key, the
caches every request reads, and the audited role check.

One :class:`Store` per :class:`~zicht.registry.service.Registry`; each component holds a
reference to it (as Splink's linker components hold the linker).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ...tokens import Pseudonymiser, PseudonymKeyError, load_key
from .. import audit, security
from ..audit import Actor, Event
from ..authlog import FailureLog
from ..db import make_engine, read_session_factory, session_factory
from ..errors import AccessDenied, KeyMismatch
from ..models import AuthState, Report
from ..settings import Settings
from ..writer import GroupWriter


class Store:
    """The registry's shared state.  ``combine`` is the group writer's function for the
    submissions waiting in it (the intake's :meth:`~.intake.Intake.store_many`)."""

    def __init__(self, settings: Settings, pseudonymiser: Pseudonymiser | None,
                 combine: Callable[[Session, list], list[tuple[bool, Any]]]):
        self.settings = settings
        self.engine = make_engine(settings)
        self.sessions = session_factory(self.engine)
        self.read_sessions = read_session_factory(self.engine)
        self.writer = GroupWriter(self.sessions, combine=combine)
        # per-process caches of what every request looks up (see Sessions.token_actor and
        # Intake.prepare)
        self.token_cache: dict[str, tuple[float, Actor]] = {}
        self.org_cache: dict[str, Any] = {}  # organisation code -> intake.OrgRow
        self._pseudonymiser = pseudonymiser
        self._key_checked: str | None = None  # see check_key
        self._digester: security.Digester | None = None
        self.failures = FailureLog(lambda entries: self.writer.run(
            lambda s: audit.append_many(s, entries)),
            per_minute=settings.auth_failures_per_minute)

    # -- the key ------------------------------------------------------------------------------
    @property
    def pseudonymiser(self) -> Pseudonymiser:
        if self._pseudonymiser is None:  # the key is read only where intake needs it
            self._pseudonymiser = Pseudonymiser(self.key())
        return self._pseudonymiser

    def key(self) -> bytes:
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

    def fingerprints(self) -> set[str]:
        """The fingerprints of the keys the stored reports' tokens were made with (reports
        stored before revision 0004 have none recorded)."""
        with self.read_sessions() as s:
            column = Report.__table__.c.key_fingerprint
            return set(s.execute(select(column).where(column.is_not(None)).distinct()
                                 .limit(8)).scalars())

    def check_key(self) -> str:
        """The configured key's fingerprint, once it is known to be the one the stored
        reports' tokens were made with (checked once per process: new reports then carry it);
        :class:`KeyMismatch` otherwise, naming both fingerprints and what to set."""
        fingerprint = self.pseudonymiser.fingerprint
        if self._key_checked != fingerprint:
            other = sorted(self.fingerprints() - {fingerprint})
            if other:
                raise KeyMismatch(
                    f"the registry's reports were pseudonymised under the key with fingerprint "
                    f"{', '.join(other)}; the configured key's is {fingerprint}. Configure the "
                    f"registry's own key (ZICHT_PSEUDONYM_KEY or ZICHT_PSEUDONYM_KEY_FILE; "
                    f"with neither set, the file beside a SQLite database): tokens made under "
                    f"another key never link to the stored ones")
            self._key_checked = fingerprint
        return fingerprint

    @property
    def digests(self) -> security.Digester:
        """HMAC under the digest key, derived from the pseudonymisation key (see
        :func:`..security.derive_digest_key`): for anything stored, logged or returned that is
        computed from identifying input."""
        if self._digester is None:
            self._digester = security.Digester(security.derive_digest_key(self.key()))
        return self._digester

    # -- access and audit ---------------------------------------------------------------------
    def require(self, actor: Actor, *roles: str) -> None:
        """The role check of every operation; a refusal is audited before it is raised, under
        the name of the method that asked (the component's, which is the facade's)."""
        try:
            require(actor, *roles)
        except AccessDenied:
            operation = sys._getframe(1).f_code.co_name  # the refused operation's name
            self.record(actor, Event("denied", "operation", operation, {"allowed": list(roles)}))
            raise

    def audit(self, s: Session, actor: Actor, *events: Event) -> None:
        """Audit entries in the caller's transaction."""
        audit.append(s, actor, list(events))

    def record(self, actor: Actor, *events: Event) -> None:
        """Audit entries on their own (a read, a refused request), committed before return."""
        self.writer.run(lambda s: audit.append(s, actor, list(events)))

    def dispose(self) -> None:
        self.failures.close()
        self.writer.close()
        self.engine.dispose()


def require(actor: Actor, *roles: str) -> None:
    """AccessDenied unless the actor has one of ``roles`` (the operator has every role)."""
    if actor.role != "operator" and actor.role not in roles:
        raise AccessDenied(f"role {actor.role!r} may not do this")


def operator(source: str = "cli") -> Actor:
    """The actor of the command line on the server, audited as ``cli:<os user>``."""
    import getpass

    try:
        who = getpass.getuser()
    except Exception:  # no user name in this environment
        who = "unknown"
    return Actor(f"cli:{who}", "operator", source=source, via="cli")


def local_key_path(url: str) -> Path | None:
    """``<database>.key`` beside a SQLite database file; None for other databases."""
    from sqlalchemy.engine import make_url

    u = make_url(url)
    if u.get_backend_name() != "sqlite" or not u.database or u.database == ":memory:":
        return None
    return Path(u.database).with_suffix(".key")


def epoch(s: Session) -> int:
    """The revocation epoch (:class:`..models.AuthState`)."""
    return s.scalar(select(AuthState.epoch).where(AuthState.id == 1)) or 0


def bump_epoch(s: Session) -> None:
    s.execute(update(AuthState).where(AuthState.id == 1).values(epoch=AuthState.epoch + 1))


def chunks(items: Sequence, size: int) -> Iterable[Sequence]:
    for i in range(0, len(items), size):
        yield items[i:i + size]
