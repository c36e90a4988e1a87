"""Passwords (argon2id), API tokens and browser sessions.

- Passwords: argon2id (argon2-cffi defaults), rehashed on login when the parameters change.
  Five failed logins lock an account for 15 minutes.
- API tokens: ``zt_<id>_<secret>``; the secret is 32 random bytes and only its SHA-256 is
  stored.  A token acts for one user (a system account), with that user's role and organisation.
- Sessions: a random cookie value; only its SHA-256 is stored, with a per-session CSRF token
  that every state-changing form must return (synchronizer token), compared in constant time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MAX_FAILED_LOGINS = 5
LOCKOUT = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
TOKEN_RE = re.compile(r"zt_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")

_hasher = PasswordHasher()
# a fixed hash to verify against when the user does not exist (same time either way)
_DUMMY_HASH = _hasher.hash(secrets.token_urlsafe(16))


def sha256(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def check_password_strength(password: str) -> str | None:
    """Reason the password is refused, or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"password must have at least {MIN_PASSWORD_LENGTH} characters"
    if password.lower() == password or password.upper() == password:
        if not re.search(r"\d", password) or len(set(password)) < 6:
            return "password too simple: mix cases or digits and use more distinct characters"
    return None


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(stored: str | None, password: str) -> bool:
    if not stored:  # unknown user or API-only account: spend the same time, then refuse
        _burn(password)
        return False
    try:
        return _hasher.verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def _burn(password: str) -> None:
    try:
        _hasher.verify(_DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        pass


def needs_rehash(stored: str) -> bool:
    return _hasher.check_needs_rehash(stored)


def new_api_token() -> tuple[str, str, str]:
    """(token id, full token to hand out once, SHA-256 of the secret to store)."""
    token_id = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    return token_id, f"zt_{token_id}_{secret}", sha256(secret)


def parse_api_token(token: str) -> tuple[str, str] | None:
    """(token id, secret SHA-256) of a well-formed token, else None."""
    m = TOKEN_RE.fullmatch(token.strip())
    return (m.group(1), sha256(m.group(2))) if m else None


def same(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def new_session_secret() -> str:
    return secrets.token_urlsafe(32)


def new_csrf_token() -> str:
    return secrets.token_urlsafe(32)
