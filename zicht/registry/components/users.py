"""Users and their API tokens (admin): creating, listing, deactivating, revoking.

Deactivating a user or revoking a token bumps the revocation epoch, so that every process
refuses the next request of that user or token (see :mod:`.sessions`)."""

from __future__ import annotations

import unicodedata

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .. import security
from ..audit import Actor, Event
from ..errors import Conflict, NotFound, ValidationFailed
from ..models import ROLES, ApiToken, Organisation, User, WebSession, utcnow
from ..validation import FieldError
from .store import Store, bump_epoch


class Users:
    def __init__(self, store: Store):
        self.store = store

    def add_user(self, actor: Actor, username: str, role: str, password: str | None,
                 organisation: str | None = None) -> dict:
        self.store.require(actor, "admin")
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
        with self.store.sessions.begin() as s:
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
            self.store.audit(s, actor, Event("create", "user", username,
                                             {"role": role, "organisation": organisation}))
            return user_dict(user, org)

    def users(self, actor: Actor) -> list[dict]:
        self.store.require(actor, "admin")
        with self.store.sessions.begin() as s:
            rows = s.execute(select(User, Organisation).outerjoin(
                Organisation, User.organisation_id == Organisation.id).order_by(User.username))
            out = [user_dict(u, o) for u, o in rows]
            self.store.audit(s, actor, Event("list", "user", None, {"count": len(out)}))
            return out

    def set_user_active(self, actor: Actor, username: str, active: bool) -> dict:
        self.store.require(actor, "admin")
        with self.store.sessions.begin() as s:
            user = find_user(s, username)
            user.active = active
            self.store.token_cache.clear()
            if not active:  # end its sessions and tokens now, in every process
                s.execute(delete(WebSession).where(WebSession.user_id == user.id))
                for tok in s.scalars(select(ApiToken).where(ApiToken.user_id == user.id,
                                                            ApiToken.revoked_at.is_(None))):
                    tok.revoked_at = utcnow()
                bump_epoch(s)
            self.store.audit(s, actor, Event("activate" if active else "deactivate", "user",
                                             username))
            org = s.get(Organisation, user.organisation_id) if user.organisation_id else None
            return user_dict(user, org)

    def add_token(self, actor: Actor, username: str, name: str) -> dict:
        """A new API token for ``username``; the token itself is returned only here."""
        self.store.require(actor, "admin")
        with self.store.sessions.begin() as s:
            user = find_user(s, username)
            token_id, token, digest = security.new_api_token()
            s.add(ApiToken(id=token_id, user_id=user.id, name=name[:120] or "token",
                           secret_sha256=digest))
            self.store.audit(s, actor, Event("create", "api_token", token_id,
                                             {"user": username, "name": name[:120]}))
            return {"id": token_id, "user": username, "name": name, "token": token}

    def revoke_token(self, actor: Actor, token_id: str) -> None:
        self.store.require(actor, "admin")
        with self.store.sessions.begin() as s:
            tok = s.get(ApiToken, token_id)
            if tok is None:
                raise NotFound(f"token {token_id!r} does not exist")
            tok.revoked_at = tok.revoked_at or utcnow()
            self.store.token_cache.clear()
            bump_epoch(s)
            self.store.audit(s, actor, Event("revoke", "api_token", token_id))


def find_user(s: Session, username: str) -> User:
    """The user of a name as typed (compared NFKC, case-folded), else NotFound."""
    user = s.scalar(select(User).where(User.username_key == security.username_key(
        username.strip())))
    if user is None:
        raise NotFound(f"user {username!r} does not exist")
    return user


def user_dict(u: User, org: Organisation | None) -> dict:
    return {"username": u.username, "role": u.role, "organisation": org.code if org else None,
            "active": u.active, "has_password": u.password_hash is not None}
