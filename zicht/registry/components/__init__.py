"""The registry's operations, one component per concern, behind the
:class:`~zicht.registry.service.Registry` facade (as Splink's linker delegates to its
``linker_components``).  Each component is a small class holding a reference to the shared
:class:`~.store.Store` (database, group writer, key, caches, audited role check):

==================  ==================================================================
:mod:`.organisations`  organisations (admin)
:mod:`.users`          users and API tokens (admin)
:mod:`.sessions`       authentication: API tokens, logins, browser sessions
:mod:`.intake`         validation, pseudonymisation and storage of submitted reports
:mod:`.imports`        bulk import of a file, all rows or none; discarding failed imports
:mod:`.listing`        reading reports, scoped to what the reader may see
:mod:`.export`         the pseudonymised export for linkage and estimation
:mod:`.purge`          retention
:mod:`.audit_log`      reading and verifying the audit log (auditor)
:mod:`.maintenance`    migrations and row counts
==================  ==================================================================
"""

from .audit_log import AuditLog
from .export import Export
from .imports import Imports
from .intake import Intake
from .listing import Listing
from .maintenance import Maintenance
from .organisations import Organisations
from .purge import Purge
from .sessions import Sessions
from .store import Store
from .users import Users

__all__ = ["AuditLog", "Export", "Imports", "Intake", "Listing", "Maintenance",
           "Organisations", "Purge", "Sessions", "Store", "Users"]
