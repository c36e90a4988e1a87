"""The registry's operations, one transaction each, every one audited in that transaction.

The web application, the API and the command line all go through :class:`Registry`; access
rules live in its components (:mod:`zicht.registry.components`), not in the handlers, so that
no path can skip them:

=============  ==========================================================================
reporter       submits and imports reports for its own organisation; reads only those
analyst        reads the pseudonymised reports of every organisation; exports them
admin          organisations, users, API tokens; no report contents
auditor        reads and verifies the audit log
operator       the command line on the server (holds the database credentials): import for
               any organisation, export, purge, first users; audited as ``cli:<os user>``
=============  ==========================================================================

:class:`Registry` is a facade: each public method is the method of the same name of one
component, which holds a reference to the shared :class:`~.components.store.Store`.  The names
this module held before the split (the refusals, ``operator``, ``ReportFilter``, ``Page``,
``SubmitOutcome``, the limits) are still importable from here.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Concatenate, ParamSpec, TypeVar

from ..tokens import Pseudonymiser
from . import security
from .audit import Actor, Event
from .components import (
    AuditLog,
    Export,
    Imports,
    Intake,
    Listing,
    Maintenance,
    Organisations,
    Purge,
    Sessions,
    Store,
    Users,
)
from .components.imports import STAGE_ROWS, STALE_IMPORT
from .components.intake import MAX_BATCH, WRITE_TIMEOUT, OrgRow, SubmitOutcome, field_error
from .components.listing import MAX_PAGE, PUBLIC_COLUMNS, READ_ROLES, Page, ReportFilter
from .components.store import local_key_path, operator, require
from .errors import (
    MAX_LISTED,
    AccessDenied,
    Conflict,
    KeyMismatch,
    NotFound,
    RegistryError,
    RowConflicts,
    TooLarge,
    Unauthenticated,
    ValidationFailed,
)
from .settings import Settings

__all__ = ["MAX_BATCH", "MAX_LISTED", "MAX_PAGE", "PUBLIC_COLUMNS", "READ_ROLES",
           "STAGE_ROWS", "STALE_IMPORT", "WRITE_TIMEOUT", "AccessDenied", "Conflict",
           "KeyMismatch", "NotFound", "OrgRow", "Page", "Registry", "RegistryError",
           "ReportFilter", "RowConflicts", "SubmitOutcome", "TooLarge",
           "Unauthenticated", "ValidationFailed", "field_error", "local_key_path",
           "operator", "require"]

P = ParamSpec("P")
R = TypeVar("R")


def _to(component: str, method: Callable[Concatenate[Any, P], R]) -> Callable[..., R]:
    """A facade method: ``method`` called on the component in attribute ``component`` (name,
    signature and text are the component method's)."""

    @functools.wraps(method)
    def delegate(self: Registry, *args: P.args, **kwargs: P.kwargs) -> R:
        return method(getattr(self, component), *args, **kwargs)

    return delegate


@dataclass
class Registry:
    settings: Settings = field(default_factory=Settings.from_env)
    _pseudonymiser: Pseudonymiser | None = None

    def __post_init__(self):
        # the group writer stores waiting submissions with the intake's store_many
        self.store = Store(self.settings, self._pseudonymiser,
                           combine=lambda s, subs: self.intake.store_many(s, subs))
        store = self.store
        self.engine, self.writer, self.failures = store.engine, store.writer, store.failures
        self.sessions, self.read_sessions = store.sessions, store.read_sessions
        self.org_admin = Organisations(store)
        self.user_admin = Users(store)
        self.auth = Sessions(store)
        self.intake = Intake(store)
        self.imports = Imports(store, self.intake)
        self.listing = Listing(store)
        self.exporter = Export(store)
        self.retention = Purge(store, self.imports)
        self.audit_log = AuditLog(store)
        self.maintenance = Maintenance(store, self.imports)

    # -- plumbing ---------------------------------------------------------------------------
    @property
    def pseudonymiser(self) -> Pseudonymiser:
        return self.store.pseudonymiser

    @property
    def digests(self) -> security.Digester:
        """HMAC under the digest key (see :attr:`.components.store.Store.digests`)."""
        return self.store.digests

    def record(self, actor: Actor, *events: Event) -> None:
        """Audit entries on their own (a read, a refused request), committed before return."""
        self.store.record(actor, *events)

    def dispose(self) -> None:
        self.store.dispose()

    upgrade = _to("maintenance", Maintenance.upgrade)
    counts = _to("maintenance", Maintenance.counts)

    # -- organisations, users, tokens -------------------------------------------------------
    add_organisation = _to("org_admin", Organisations.add_organisation)
    remove_organisation = _to("org_admin", Organisations.remove_organisation)
    organisations = _to("org_admin", Organisations.organisations)
    add_user = _to("user_admin", Users.add_user)
    users = _to("user_admin", Users.users)
    set_user_active = _to("user_admin", Users.set_user_active)
    add_token = _to("user_admin", Users.add_token)
    revoke_token = _to("user_admin", Users.revoke_token)

    # -- authentication ---------------------------------------------------------------------
    token_actor = _to("auth", Sessions.token_actor)
    cached_token_actor = _to("auth", Sessions.cached_token_actor)
    login = _to("auth", Sessions.login)
    session_actor = _to("auth", Sessions.session_actor)
    logout = _to("auth", Sessions.logout)

    # -- intake -----------------------------------------------------------------------------
    prepare = _to("intake", Intake.prepare)
    submit = _to("intake", Intake.submit)
    begin_submit = _to("intake", Intake.begin_submit)
    record_rejected = _to("intake", Intake.record_rejected)
    import_file = _to("imports", Imports.import_file)
    discard_stale_imports = _to("imports", Imports.discard_stale_imports)

    # -- reading, export, retention, audit --------------------------------------------------
    list_reports = _to("listing", Listing.list_reports)
    get_report = _to("listing", Listing.get_report)
    export_frame = _to("exporter", Export.export_frame)
    export = _to("exporter", Export.export)
    purge = _to("retention", Purge.purge)
    audit_entries = _to("audit_log", AuditLog.audit_entries)
    verify_audit = _to("audit_log", AuditLog.verify_audit)
