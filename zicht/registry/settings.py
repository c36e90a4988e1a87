"""Registry settings, read from the environment (secrets never from files in the repository).

==========================  ================================================================
``ZICHT_DATABASE_URL``      SQLAlchemy URL; default ``sqlite:///zicht.db`` (SQLite, WAL mode)
``ZICHT_PSEUDONYM_KEY``     pseudonymisation key (hex or base64, >= 32 bytes), or
``ZICHT_PSEUDONYM_KEY_FILE``  a file holding it; see docs/PSEUDONYMISATION.md
``ZICHT_RETENTION_DAYS``    reports received longer ago are deleted by ``zicht registry purge``
                            (default 1826, five years)
``ZICHT_SESSION_HOURS``     browser session lifetime (default 8)
``ZICHT_COOKIE_SECURE``     ``1`` to mark cookies Secure (set it behind HTTPS; default 0)
``ZICHT_SQLITE_SYNC``       SQLite ``synchronous`` level: FULL (default, an acknowledged
                            report survives power loss) or NORMAL (survives a process crash)
``ZICHT_TOKEN_CACHE``       seconds a valid API token is remembered per process (default 10;
                            0 checks the database on every request); a revocation holds at
                            once regardless (the revocation epoch, :class:`.models.AuthState`)
``ZICHT_LIMIT_REPORT``      bytes of one request body to ``POST /api/v1/reports`` and the form
                            (default 65536)
``ZICHT_LIMIT_BATCH``       bytes of a batch body (default 4194304, 4 MiB: 1,000 reports)
``ZICHT_LIMIT_IMPORT``      bytes of an imported file (default 52428800, 50 MiB)
``ZICHT_LIMIT_OTHER``       bytes of any other request body (default 65536)
``ZICHT_IMPORT_MAX_ROWS``   data rows of one import (default 100000)
``ZICHT_IMPORT_MAX_COLUMNS``  columns of one import (default 60)
``ZICHT_IMPORT_MAX_CELL``   characters in one cell (default 1000)
``ZICHT_IMPORT_MAX_UNZIPPED``  an XLSX file's uncompressed size (default 209715200, 200 MiB)
``ZICHT_AUTH_FAILURES_PER_MINUTE``  failed authentications from one address audited one by
                            one in a minute; the rest are counted into one entry (default 5)
==========================  ================================================================
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from .tables import ImportLimits

DEFAULT_URL = "sqlite:///zicht.db"


class SettingsError(ValueError):
    """A setting from the environment is malformed."""


def _int(env: dict, name: str, default: int, low: int) -> int:
    raw = env.get(name, "")
    if raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingsError(f"{name}={raw!r} is not a whole number") from None
    if value < low:
        raise SettingsError(f"{name}={value} must be at least {low}")
    return value


@dataclass(frozen=True)
class Settings:
    database_url: str = DEFAULT_URL
    retention_days: int = 1826
    session_hours: int = 8
    cookie_secure: bool = False
    sqlite_sync: str = "FULL"
    token_cache_seconds: int = 10
    limit_report: int = 64 * 1024
    limit_batch: int = 4 * 2**20
    limit_other: int = 64 * 1024
    imports: ImportLimits = field(default_factory=ImportLimits)
    auth_failures_per_minute: int = 5
    env: dict = field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_env(cls, env: dict | None = None, **overrides) -> Settings:
        env = dict(os.environ if env is None else env)
        sync = env.get("ZICHT_SQLITE_SYNC", "FULL").upper()
        if sync not in ("FULL", "NORMAL", "EXTRA"):
            raise SettingsError(f"ZICHT_SQLITE_SYNC={sync!r}: choose FULL, NORMAL or EXTRA")
        values = dict(
            database_url=env.get("ZICHT_DATABASE_URL") or DEFAULT_URL,
            retention_days=_int(env, "ZICHT_RETENTION_DAYS", 1826, 1),
            session_hours=_int(env, "ZICHT_SESSION_HOURS", 8, 1),
            cookie_secure=env.get("ZICHT_COOKIE_SECURE", "0") in ("1", "true", "yes"),
            sqlite_sync=sync,
            token_cache_seconds=_int(env, "ZICHT_TOKEN_CACHE", 10, 0),
            limit_report=_int(env, "ZICHT_LIMIT_REPORT", 64 * 1024, 1024),
            limit_batch=_int(env, "ZICHT_LIMIT_BATCH", 4 * 2**20, 1024),
            limit_other=_int(env, "ZICHT_LIMIT_OTHER", 64 * 1024, 1024),
            imports=ImportLimits(
                max_bytes=_int(env, "ZICHT_LIMIT_IMPORT", 50 * 2**20, 1024),
                max_rows=_int(env, "ZICHT_IMPORT_MAX_ROWS", 100_000, 1),
                max_columns=_int(env, "ZICHT_IMPORT_MAX_COLUMNS", 60, 5),
                max_cell=_int(env, "ZICHT_IMPORT_MAX_CELL", 1000, 10),
                max_unzipped=_int(env, "ZICHT_IMPORT_MAX_UNZIPPED", 200 * 2**20, 1024)),
            auth_failures_per_minute=_int(env, "ZICHT_AUTH_FAILURES_PER_MINUTE", 5, 1),
            env=env,
        )
        values.update(overrides)
        return cls(**values)
