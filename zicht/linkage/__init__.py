"""Linkage: reports become persons, on pseudonymised tokens (issue 5, in progress).

Built so far: :mod:`zicht.linkage.inputs`, the one way reports reach linkage - a registry
export, or a ``zicht simulate`` folder pseudonymised by the registry's own function - with the
key fingerprint checked so that tokens made under different keys are never compared.
"""

from .inputs import LinkageInputError, Reports, load_reports

__all__ = ["LinkageInputError", "Reports", "load_reports"]
