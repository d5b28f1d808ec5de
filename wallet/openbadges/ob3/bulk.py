"""Signing many credentials of one shape quickly (an issuer's awards of one achievement).

Canonicalising a credential is mostly JSON-LD expansion: resolving the contexts' scoped
definitions for every object. Credentials of the same achievement differ only in a few
leaf values (the id, the dates, the recipient's hash and salt, the status entry), and
those values expand to themselves. So a `BulkCanonicalizer` expands each shape once, with
placeholders where the values go, and for each credential puts the values into a copy of
that expansion before the (cheap) RDF conversion and RDFC-1.0 labelling.

Nothing is taken on trust: the first credential of every shape is also canonicalised the
ordinary way and checked for terms no context defines (`integrity.sign`'s strict check);
if the two canonical forms differ, that shape always takes the ordinary way. Values that
could expand to something else (an id that is not an absolute URL or URN, a non-string)
make the document take the ordinary way too. Proof options, identical across a batch
but for nothing, are canonicalised once each.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ed25519
from pyld import jsonld as pyld

from wallet.openbadges import jsonld
from wallet.openbadges.errors import CanonicalisationError
from wallet.openbadges.ob3 import integrity

Path = tuple[str | int, ...]

# Leaves that differ from one award to the next; ids must stay absolute (they are IRIs).
VARIABLE_LEAVES: tuple[Path, ...] = (
    ("id",),
    ("validFrom",),
    ("validUntil",),
    ("awardedDate",),
    ("credentialSubject", "id"),
    ("credentialSubject", "identifier", 0, "identityHash"),
    ("credentialSubject", "identifier", 0, "salt"),
    ("credentialStatus", "id"),
    ("credentialStatus", "statusListIndex"),
    ("credentialStatus", "statusListCredential"),
)
_IRI_LEAVES = {
    ("id",),
    ("credentialSubject", "id"),
    ("credentialStatus", "id"),
    ("credentialStatus", "statusListCredential"),
}
_ABSOLUTE = ("https://", "http://", "urn:", "did:")
MAX_SHAPES = 256


def _get(document: Any, path: Path) -> Any:
    for step in path:
        if isinstance(step, int):
            if not isinstance(document, list) or len(document) <= step:
                return None
        elif not isinstance(document, Mapping) or step not in document:
            return None
        document = document[step]
    return document


def _placeholder(index: int, path: Path) -> str:
    marker = f"x-wallet-bulk-{index}"
    return f"urn:{marker}" if path in _IRI_LEAVES else f"\u0000{marker}\u0000"


def _split(document: Mapping[str, Any]) -> tuple[str, dict[str, str]] | None:
    """The shape key (the document with placeholders) and placeholder -> value; None when
    a value could expand to something other than itself."""
    shaped = copy.deepcopy(dict(document))
    values: dict[str, str] = {}
    for index, path in enumerate(VARIABLE_LEAVES):
        value = _get(shaped, path)
        if value is None:
            continue
        if not isinstance(value, str) or "\u0000" in value:
            return None
        if path in _IRI_LEAVES and not value.startswith(_ABSOLUTE):
            return None
        holder = _get(shaped, path[:-1])
        marker = _placeholder(index, path)
        holder[path[-1]] = marker
        values[marker] = value
    return json.dumps(shaped, sort_keys=True, ensure_ascii=False), values


def _fill(expanded: Any, values: Mapping[str, str]) -> Any:
    if isinstance(expanded, str):
        return values.get(expanded, expanded)
    if isinstance(expanded, list):
        return [_fill(item, values) for item in expanded]
    if isinstance(expanded, dict):
        return {key: _fill(item, values) for key, item in expanded.items()}
    return expanded


def _canonical_expanded(expanded: Any) -> str:
    options = {
        "algorithm": jsonld.ALGORITHM,
        "format": jsonld.NQUADS,
        "documentLoader": jsonld.load_document,
    }
    result = pyld.normalize(expanded, options)
    if not isinstance(result, str):
        raise CanonicalisationError("canonicalisation did not produce N-Quads")
    return result


class BulkCanonicalizer:
    """A `canonicalize` for `integrity.sign` that remembers shapes (one per instance)."""

    def __init__(self) -> None:
        self._templates: dict[str, Any] = {}  # shape -> expanded template, or None: slow way
        self._options: dict[str, str] = {}
        self.fast = 0
        self.slow = 0

    def __call__(self, document: Mapping[str, Any]) -> str:
        if "proofPurpose" in document:  # the proof options
            key = json.dumps(document, sort_keys=True, ensure_ascii=False)
            if key not in self._options:
                self._options[key] = jsonld.canonicalize(document)
            return self._options[key]
        split = _split(document)
        if split is None:
            self.slow += 1
            return jsonld.canonicalize(document)
        shape, values = split
        if shape not in self._templates:
            self._learn(shape, document, values)
        template = self._templates[shape]
        if template is None:
            self.slow += 1
            return jsonld.canonicalize(document)
        self.fast += 1
        return _canonical_expanded(_fill(template, values))

    def _learn(self, shape: str, document: Mapping[str, Any], values: dict[str, str]) -> None:
        """Expand the shape once, and check it on this document against the ordinary way."""
        unmapped = jsonld.undefined_terms(document)
        if unmapped:
            raise CanonicalisationError(f"terms no context defines: {', '.join(unmapped)}")
        if len(self._templates) >= MAX_SHAPES:
            self._templates.clear()
        try:
            expanded = pyld.expand(
                json.loads(shape),
                {
                    "documentLoader": jsonld.load_document,
                    "contextResolver": jsonld.context_resolver(),
                },
            )
            same = _canonical_expanded(_fill(expanded, values)) == jsonld.canonicalize(document)
        except (pyld.JsonLdError, ValueError, TypeError, KeyError):
            same = False
        self._templates[shape] = expanded if same else None


def sign(
    document: Mapping[str, Any],
    private_key: ed25519.Ed25519PrivateKey,
    verification_method: str,
    canonicalizer: BulkCanonicalizer,
    *,
    created: datetime,
) -> dict[str, Any]:
    """`integrity.sign` through `canonicalizer` (whose first sight of each shape does the
    strict check for undefined terms)."""
    return integrity.sign(
        document,
        private_key,
        verification_method,
        created=created,
        canonicalize=canonicalizer,
        strict=False,
    )
