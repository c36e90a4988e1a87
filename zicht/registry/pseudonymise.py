"""Pseudonymisation at intake: the token scheme of :mod:`zicht.tokens`, under its old name.

The scheme moved to :mod:`zicht.tokens` so that linkage can pseudonymise a simulation without
importing the registry; the registry's intake calls the same functions.  This module re-exports
the scheme's public names so that existing imports (``from zicht.registry.pseudonymise import
Pseudonymiser``) keep working.
"""

from __future__ import annotations

from ..tokens import (
    BLOOM_BITS,
    BLOOM_HASHES,
    CLEAR_COLUMNS,
    DUTCH_PREFIXES,
    KEY_ENV,
    KEY_FILE_ENV,
    MIN_KEY_BYTES,
    NORMALISED_FROM,
    SCHEME,
    TOKEN_FIELDS,
    TOKEN_GROUPS,
    Identity,
    Pseudonymiser,
    PseudonymKeyError,
    dice,
    load_key,
    normalise_text,
    pseudonymise_frame,
    split_prefix,
)

__all__ = ["BLOOM_BITS", "BLOOM_HASHES", "CLEAR_COLUMNS", "DUTCH_PREFIXES", "KEY_ENV",
           "KEY_FILE_ENV", "MIN_KEY_BYTES", "NORMALISED_FROM", "SCHEME", "TOKEN_FIELDS",
           "TOKEN_GROUPS", "Identity", "PseudonymKeyError", "Pseudonymiser", "dice", "load_key",
           "normalise_text", "pseudonymise_frame", "split_prefix"]
