"""Passwords (argon2id), API tokens and browser sessions.

- Passwords: argon2id (argon2-cffi defaults), rehashed on login when the parameters change.
  Five failed logins lock an account for 15 minutes.
- API tokens: ``zt_<id>_<secret>``; the secret is 32 random bytes and only its SHA-256 is
  stored.  A token acts for one user (a system account), with that user's role and organisation.
- Sessions: a random cookie value; only its SHA-256 is stored, with a per-session CSRF token
  that every state-changing form must return (synchronizer token), compared in constant time.
- Digests of anything that may hold identifying input (an idempotent request's body, an
  imported file, a user name typed at a failed login) are HMAC-SHA256 under the registry's
  digest key (:class:`Digester`), never a plain hash: a plain hash of a request that holds a
  name and a birth date is recovered by trying names and dates.  The three plain SHA-256 above
  are of random secrets of 256 bits, which no dictionary reaches.
- User names: NFKC, compared case-folded (:func:`username_key`); invisible characters,
  spaces, symbols and letters of more than one script are refused
  (:func:`username_problem`), so that no two accounts look alike in the audit log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import unicodedata

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


# -- keyed digests -------------------------------------------------------------------------------
DIGEST_LABEL = b"zicht/v1/registry-digest"


def derive_digest_key(pseudonym_key: bytes) -> bytes:
    """The digest key: HMAC(pseudonymisation key, "zicht/v1/registry-digest").  A label of its
    own, so a digest never equals a linkage token of the same value (those use
    "zicht/v1/<token type>"), and the key lives where the pseudonymisation key lives (never in
    the database)."""
    return hmac.digest(pseudonym_key, DIGEST_LABEL, "sha256")


class Digester:
    """HMAC-SHA256 under the digest key: equal inputs give equal digests (a retried request,
    the same file imported twice), and nobody without the key can test a guess."""

    def __init__(self, key: bytes):
        if len(key) < 32:
            raise ValueError("the digest key needs at least 32 bytes")
        self._key = key

    def hex(self, data: bytes | str) -> str:
        if isinstance(data, str):
            data = data.encode()
        return hmac.new(self._key, data, hashlib.sha256).hexdigest()

    def of_file(self, stream) -> str:
        """Digest of a binary stream, read in blocks (from where it is; rewound after)."""
        mac = hmac.new(self._key, digestmod=hashlib.sha256)
        start = stream.tell()
        for block in iter(lambda: stream.read(1 << 20), b""):
            mac.update(block)
        stream.seek(start)
        return mac.hexdigest()


# -- user names ----------------------------------------------------------------------------------
MAX_USERNAME = 80
_USERNAME_PUNCTUATION = frozenset(".-_@")


def _script(char: str) -> str:
    """The Unicode script of a letter, from its name (LATIN, CYRILLIC, GREEK, ...)."""
    name = unicodedata.name(char, "")
    return name.split(" ", 1)[0] if name else "UNKNOWN"


def username_problem(username: str) -> str | None:
    """Why a user name (NFKC-normalised) is refused, or None.

    Allowed: letters of one script (with their accents), ASCII digits and . - _ @; 1-80
    characters.  Refused: spaces, invisible and control characters (zero-width space, BOM,
    direction marks), other symbols, digits of other scripts, and letters of several scripts
    (Cyrillic "а" beside Latin "na" looks like "ana")."""
    name = unicodedata.normalize("NFKC", username)
    if not name or len(name) > MAX_USERNAME:
        return f"user name: 1-{MAX_USERNAME} characters"
    scripts = set()
    for char in name:
        category = unicodedata.category(char)
        if category.startswith("L"):
            scripts.add(_script(char))
        elif category == "Mn":  # an accent on the letter before it
            continue
        elif char.isascii() and (char.isalnum() or char in _USERNAME_PUNCTUATION):
            continue
        else:
            shown = f"U+{ord(char):04X}"
            return (f"user name: character {shown} is not allowed (letters, digits 0-9 and "
                    ". - _ @ only)")
    if len(scripts) > 1:
        return (f"user name: letters of several scripts ({', '.join(sorted(scripts))}) look "
                "alike; use one script")
    return None


def username_key(username: str) -> str:
    """The form user names are compared in: NFKC, case-folded (so "ANA", "Ana" and "ana" are
    one name)."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", username).casefold())
