"""Engine and sessions: SQLite (WAL) as the embedded default, PostgreSQL in production.

Every transaction in the registry writes (at least an audit entry), so on SQLite each one
starts with ``BEGIN IMMEDIATE``: writers queue on the database lock (``busy_timeout``) instead
of failing when a read lock cannot be upgraded.  On PostgreSQL the audit chain's head row is
locked (``SELECT ... FOR UPDATE``) to order the entries; see :mod:`zicht.registry.audit`.
"""

from __future__ import annotations

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker

from .settings import Settings


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def normalise_url(url: str) -> str:
    """``postgresql://`` means the psycopg 3 driver here (the one zicht installs)."""
    u = make_url(url)
    if u.drivername in ("postgresql", "postgres"):
        u = u.set(drivername="postgresql+psycopg")
    return u.render_as_string(hide_password=False)


def make_engine(settings: Settings | str) -> Engine:
    if isinstance(settings, str):
        settings = Settings.from_env(database_url=settings)
    url = normalise_url(settings.database_url)
    if not is_sqlite(url):
        return create_engine(url, pool_size=20, max_overflow=20, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30},
                           pool_size=20, max_overflow=20)
    sync = settings.sqlite_sync

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_conn, _record):
        dbapi_conn.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute(f"PRAGMA synchronous={sync}")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
