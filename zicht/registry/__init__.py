"""The registry: intake of reports, pseudonymisation at intake, access and audit
(docs/REGISTRY.md).

Every path (the API and pages of :mod:`zicht.web`, the commands of :mod:`zicht.cli.registry`)
goes through :class:`zicht.registry.service.Registry`, a facade whose operations live in
:mod:`zicht.registry.components` (organisations, users, sessions, intake, imports, listing,
export, purge, audit log, maintenance), each holding a reference to one shared store.  Below
them: :mod:`~zicht.registry.validation` (the checks every intake path applies),
:mod:`~zicht.registry.tables` (import files read within limits), :mod:`~zicht.registry.models`
with the Alembic ``migrations``, :mod:`~zicht.registry.db` and :mod:`~zicht.registry.writer`
(engine, group commit), :mod:`~zicht.registry.audit` (the hash-chained log),
:mod:`~zicht.registry.security` and :mod:`~zicht.registry.errors` (the refusals).  The token
scheme is :mod:`zicht.tokens`, shared with linkage; :mod:`~zicht.registry.pseudonymise` is its
old name here.
"""
