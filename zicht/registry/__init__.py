"""The registry: intake of reports, pseudonymisation at intake, access and audit.

Built so far: :mod:`zicht.registry.pseudonymise`, the token scheme the linkage layer depends on
(see ``docs/PSEUDONYMISATION.md``).  The service itself (API, forms, import, users, audit) is
issue 4's remaining work.
"""
