"""The registry: intake of reports, pseudonymisation at intake, access and audit.

Built so far: :mod:`zicht.registry.pseudonymise`, the token scheme the linkage layer depends on
(see ``docs/PSEUDONYMISATION.md``), and :mod:`zicht.registry.validation`, the checks every
intake path applies (messages in Dutch and English).  The service itself (database, API, forms,
import, users, audit, retention) is issue 4's remaining work.
"""
