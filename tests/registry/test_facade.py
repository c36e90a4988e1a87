"""The Registry is a facade over its components: every public operation it had before the
split is still there, with the component's signature, and the names service.py held are
still importable from it."""

import inspect

from zicht.registry import components, service
from zicht.registry.service import Registry

OPERATIONS = (  # Registry's public methods before the split into components
    "add_organisation", "organisations", "add_user", "users", "set_user_active", "add_token",
    "revoke_token", "token_actor", "cached_token_actor", "login", "session_actor", "logout",
    "prepare", "submit", "begin_submit", "record_rejected", "import_file",
    "discard_stale_imports", "list_reports", "get_report", "export_frame", "export", "purge",
    "audit_entries", "verify_audit", "counts", "upgrade", "record", "dispose",
)


def test_every_operation_is_kept_with_its_signature():
    classes = [getattr(components, n) for n in components.__all__]
    component_methods = {name: getattr(cls, name) for cls in classes for name in OPERATIONS
                         if hasattr(cls, name)}
    for name in OPERATIONS:
        method = getattr(Registry, name)
        assert callable(method), name
        if name in component_methods:
            assert inspect.signature(method) == inspect.signature(component_methods[name])
            assert method.__doc__ == component_methods[name].__doc__
    for prop in ("pseudonymiser", "digests"):
        assert isinstance(inspect.getattr_static(Registry, prop), property)


def test_the_names_service_held_are_importable_from_it():
    for name in ("AccessDenied", "Conflict", "NotFound", "RegistryError", "TooLarge",
                 "Unauthenticated", "ValidationFailed", "RowConflicts", "operator", "require",
                 "MAX_BATCH", "MAX_PAGE", "ReportFilter", "Page", "SubmitOutcome",
                 "local_key_path", "field_error", "PUBLIC_COLUMNS"):
        assert name in service.__all__ and hasattr(service, name), name


def test_a_registry_exposes_its_shared_state(registry):
    store = registry.store
    assert (registry.engine, registry.sessions, registry.read_sessions, registry.writer,
            registry.failures) == (store.engine, store.sessions, store.read_sessions,
                                   store.writer, store.failures)
    assert registry.pseudonymiser is store.pseudonymiser
