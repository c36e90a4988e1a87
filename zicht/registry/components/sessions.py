"""Authentication: API tokens, logins, browser sessions.

A valid token is remembered for ``settings.token_cache_seconds`` together with the
revocation epoch it was checked at (:attr:`.store.Store.token_cache`); a token revoked or a
user deactivated by any process moves the epoch, so the next request is refused.
"""

from __future__ import annotations

import datetime as dt
import time
import unicodedata

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ...tokens import PseudonymKeyError
from .. import security
from ..audit import Actor, Event
from ..errors import Unauthenticated
from ..models import ApiToken, Organisation, User, WebSession, utcnow
from .store import Store, epoch


class Sessions:
    def __init__(self, store: Store):
        self.store = store

    def token_actor(self, token: str, source: str | None) -> Actor:
        """The actor of an API token.  A valid token is remembered for
        ``settings.token_cache_seconds`` (default 10), together with the revocation epoch it
        was checked at; the memory is used only while the database's epoch is unchanged, so a
        token revoked or a user deactivated by any process (the command line, another worker)
        is refused by the next request.  The full lookup costs more CPU than the rest of a
        report's intake together; the epoch is one primary-key read."""
        store = self.store
        key = security.sha256(token)
        with store.read_sessions() as s:
            now_epoch = epoch(s)
            hit = self._cached_actor(key, source)
            if hit is not None and hit.epoch == now_epoch:
                return hit
            actor = self._token_lookup(s, token, source, now_epoch)
        if actor is None:
            parsed = security.parse_api_token(token)
            store.failures.failed(source, Event(
                "auth_failed", "api_token", parsed[0] if parsed else None,
                {"reason": "unknown, revoked or inactive" if parsed else "malformed"}))
            raise Unauthenticated("invalid or revoked API token")
        if store.settings.token_cache_seconds > 0:
            if len(store.token_cache) > 10_000:
                store.token_cache.clear()
            store.token_cache[key] = (time.monotonic() + store.settings.token_cache_seconds,
                                      actor)
        return actor

    def cached_token_actor(self, token: str, source: str | None) -> Actor | None:
        """The actor of a token validated less than ``token_cache_seconds`` ago, else None
        (no database access: safe on the event loop).  Only for submissions: the group writer
        checks the revocation epoch again in the transaction that stores them
        (:func:`revoked`)."""
        return self._cached_actor(security.sha256(token), source)

    def _cached_actor(self, key: str, source: str | None) -> Actor | None:
        hit = self.store.token_cache.get(key)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1].with_source(source)
        return None

    def _token_lookup(self, s: Session, token: str, source: str | None,
                      now_epoch: int) -> Actor | None:
        parsed = security.parse_api_token(token)
        if not parsed:
            return None
        row = s.execute(select(ApiToken, User).join(User, ApiToken.user_id == User.id)
                        .where(ApiToken.id == parsed[0])).first()
        if (row is None or row[0].revoked_at is not None or not row[1].active
                or not security.same(row[0].secret_sha256, parsed[1])):
            return None
        return actor_of(s, row[1], source, "api", token_id=row[0].id, epoch=now_epoch)

    def login(self, username: str, password: str, source: str | None) -> tuple[str, str, Actor]:
        """(session cookie secret, CSRF token, actor) or Unauthenticated.

        A failure is audited through :attr:`.store.Store.failures` (bounded per address and
        minute); the name typed is kept only as a keyed digest unless it is an account's
        name, so that a password typed into the name field is not kept in the clear."""
        store = self.store
        now = utcnow()
        typed = unicodedata.normalize("NFKC", username.strip())
        key = security.username_key(typed)
        failure = None
        with store.sessions.begin() as s:
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
                                     hours=store.settings.session_hours)))
                actor = actor_of(s, user, source, "web")
                store.audit(s, actor, Event("login", "user", user.username))
                return secret, csrf, actor
        # the failed-login count (lockout) is committed; the audit entry follows
        store.failures.failed(source, failure)
        raise Unauthenticated("wrong user name or password")

    def _username_digest(self, key: str) -> dict:
        """The keyed digest of a typed name that is no account's (it may be a password typed
        into the wrong field); nothing when no key is configured (a server that cannot take
        reports either), rather than a failed login failing."""
        try:
            return {"username_digest": self.store.digests.hex(key)}
        except PseudonymKeyError:
            return {}

    def session_actor(self, secret: str, source: str | None) -> tuple[Actor, str] | None:
        """(actor, CSRF token) of a live session, else None (not audited: no data is read)."""
        if not secret:
            return None
        with self.store.read_sessions() as s:
            row = s.execute(select(WebSession, User).join(User, WebSession.user_id == User.id)
                            .where(WebSession.id_sha256 == security.sha256(secret))).first()
            if row is None or row[0].expires_at < utcnow() or not row[1].active:
                return None
            return actor_of(s, row[1], source, "web"), row[0].csrf_token

    def logout(self, secret: str, actor: Actor) -> None:
        with self.store.sessions.begin() as s:
            s.execute(delete(WebSession).where(WebSession.id_sha256 == security.sha256(secret)))
            self.store.audit(s, actor, Event("logout", "user", actor.username))


def actor_of(s: Session, user: User, source: str | None, via: str,
             token_id: str | None = None, epoch: int | None = None) -> Actor:
    org = s.get(Organisation, user.organisation_id) if user.organisation_id else None
    return Actor(user.username, user.role, user.id, user.organisation_id,
                 org.code if org else None, source, via, token_id, epoch)


def revoked(s: Session, actor: Actor, now_epoch: int) -> bool:
    """In the writer's transaction: was ``actor``'s token revoked or its user deactivated
    since it was checked?  Asked only when the epoch moved (or for a browser session, whose
    actor carries none)."""
    if actor.user_id is None or (actor.epoch is not None and actor.epoch == now_epoch):
        return False
    if actor.token_id is not None:
        row = s.execute(select(ApiToken.revoked_at, User.active)
                        .join(User, ApiToken.user_id == User.id)
                        .where(ApiToken.id == actor.token_id)).first()
        return row is None or row[0] is not None or not row[1]
    return not s.scalar(select(User.active).where(User.id == actor.user_id))
