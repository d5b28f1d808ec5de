"""Validation against 1EdTech's JSON schemas for AchievementCredential, bundled (never fetched).

Two files, each with its source and SHA-256 in `schemas/manifest.json`:

- VC Data Model 2.0 credentials (what we issue, and what 3.0 issuers write now): the schema
  1EdTech publishes at `purl.imsglobal.org/spec/ob/v3p0/schema/json/...`, JSON Schema
  2019-09, unchanged. One reading is ours: it wants `proof` as a list, while VC Data Model
  2.0 and Data Integrity allow a single proof object (Digital Bazaar's libraries write one);
  a single proof (the credential's, or an embedded endorsement's) is checked as a list of one.
- VC Data Model 1.1 credentials (`issuanceDate`, context `credentials/v1`): the draft-04
  schema 1EdTech's own validator ships. It predates two definitions of the model, brought
  up to it (`_current_model`): `CredentialStatus` takes extension properties (a
  `BitstringStatusListEntry` has `statusPurpose`, `statusListIndex`,
  `statusListCredential`) and `Related` has `type` and `inLanguage`.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator, Draft201909Validator
from jsonschema.protocols import Validator

from wallet.openbadges.errors import OpenBadgesError
from wallet.openbadges.ob3.documents import VC_V1

MAX_ERRORS = 5


def _folder() -> resources.abc.Traversable:
    return resources.files("wallet.openbadges.ob3").joinpath("schemas")


@cache
def _bundled() -> dict[str, dict[str, Any]]:
    """Each bundled schema by the VC Data Model version it checks, digests verified."""
    manifest = json.loads(_folder().joinpath("manifest.json").read_bytes())
    schemas = {}
    for entry in manifest["schemas"]:
        data = _folder().joinpath(entry["file"]).read_bytes()
        if hashlib.sha256(data).hexdigest() != entry["sha256"]:
            raise OpenBadgesError(f"bundled schema {entry['file']} does not match its digest")
        schemas[entry["vcdm"]] = json.loads(data)
    return schemas


def _current_model(schema: Mapping[str, Any]) -> dict[str, Any]:
    derived = copy.deepcopy(dict(schema))
    definitions = derived["$defs"]
    definitions["CredentialStatus"]["additionalProperties"] = True
    related = definitions["Related"]
    related["additionalProperties"] = True
    related["properties"]["type"] = {"type": ["string", "array"]}
    related["properties"]["inLanguage"] = {"type": "string"}
    return derived


@cache
def _validators() -> dict[str, Validator]:
    schemas = _bundled()
    return {
        "1.1": Draft4Validator(_current_model(schemas["1.1"])),
        "2.0": Draft201909Validator(schemas["2.0"]),
    }


def violations(document: Any) -> list[str]:
    """What in `document` breaks the AchievementCredential schema, at most `MAX_ERRORS`
    messages (`path: reason`); empty when it conforms. The VC 1.1 or 2.0 schema is chosen
    by the document's first context."""
    contexts = document.get("@context") if isinstance(document, Mapping) else None
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    if first == VC_V1:
        validator = _validators()["1.1"]
    else:
        validator = _validators()["2.0"]
        document = _proofs_as_lists(document)
    found = []
    for error in sorted(validator.iter_errors(document), key=lambda e: str(list(e.absolute_path))):
        path = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
        ).lstrip(".")
        found.append(f"{path or 'credential'}: {_short(error.message)}")
        if len(found) == MAX_ERRORS:
            break
    return found


def _proofs_as_lists(document: Any) -> Any:
    """The document with a single `proof` object, its own or an embedded endorsement's,
    as a list of one (what the 2.0 schema wants; VC Data Model 2.0 allows either)."""
    if not isinstance(document, Mapping):
        return document
    changed = dict(document)
    if isinstance(changed.get("proof"), Mapping):
        changed["proof"] = [changed["proof"]]
    endorsements = changed.get("endorsement")
    if isinstance(endorsements, list):
        changed["endorsement"] = [
            {**item, "proof": [item["proof"]]}
            if isinstance(item, Mapping) and isinstance(item.get("proof"), Mapping)
            else item
            for item in endorsements
        ]
    return changed


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
