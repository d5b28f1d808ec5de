"""Validation against 1EdTech's JSON schema for AchievementCredential, bundled (never fetched).

The bundled file (`schemas/`, source and SHA-256 in `schemas/manifest.json`) is the schema
1EdTech's own validator ships: JSON Schema draft-04 with VC Data Model 1.1 field names
(`issuanceDate`, `expirationDate`, `name` required). VC Data Model 2.0 credentials are
checked against a variant derived from it in `_vcdm2`, as the specification's model
(`common_credentials.lines`) defines the 2.0 class: `validFrom` required and `validUntil`
allowed in their place, `name` optional, and `@context` starting with the VC 2.0 context then
an OB 3.0 context. Two definitions that the file predates are brought up to the model in
both variants (`_current_model`): `CredentialStatus` takes extension properties (a
`BitstringStatusListEntry` has `statusPurpose`, `statusListIndex`, `statusListCredential`)
and `Related` has `type` and `inLanguage`. Everything else (subject, identifier, achievement,
profile, proof) is 1EdTech's schema unchanged.
"""

from __future__ import annotations

import copy
import hashlib
import json
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from jsonschema import Draft4Validator

from wallet.openbadges.errors import OpenBadgesError
from wallet.openbadges.ob3.documents import VC_V1, VC_V2

MAX_ERRORS = 5
OB_CONTEXT_PATTERN = r"^https://purl\.imsglobal\.org/spec/ob/v3p0/context(-3\.\d\.\d)*\.json$"


def _folder() -> resources.abc.Traversable:
    return resources.files("wallet.openbadges.ob3").joinpath("schemas")


@cache
def _bundled() -> dict[str, Any]:
    manifest = json.loads(_folder().joinpath("manifest.json").read_bytes())
    entry = manifest["schemas"][0]
    data = _folder().joinpath(entry["file"]).read_bytes()
    if hashlib.sha256(data).hexdigest() != entry["sha256"]:
        raise OpenBadgesError(f"bundled schema {entry['file']} does not match its digest")
    schema: dict[str, Any] = json.loads(data)
    return schema


def _current_model(schema: Mapping[str, Any]) -> dict[str, Any]:
    derived = copy.deepcopy(dict(schema))
    definitions = derived["$defs"]
    definitions["CredentialStatus"]["additionalProperties"] = True
    related = definitions["Related"]
    related["additionalProperties"] = True
    related["properties"]["type"] = {"type": ["string", "array"]}
    related["properties"]["inLanguage"] = {"type": "string"}
    return derived


def _vcdm2(schema: Mapping[str, Any]) -> dict[str, Any]:
    derived = _current_model(schema)
    properties = derived["properties"]
    properties["validFrom"] = properties.pop("issuanceDate")
    properties["validUntil"] = properties.pop("expirationDate")
    derived["required"] = [
        "validFrom" if name == "issuanceDate" else name
        for name in derived["required"]
        if name != "name"
    ]
    context = properties["@context"]
    context["minItems"] = 2
    context["items"] = [{"enum": [VC_V2]}, {"type": "string", "pattern": OB_CONTEXT_PATTERN}]
    context["additionalItems"] = {"type": ["string", "object"]}
    return derived


@cache
def _validators() -> dict[str, Draft4Validator]:
    schema = _bundled()
    return {
        "1.1": Draft4Validator(_current_model(schema)),
        "2.0": Draft4Validator(_vcdm2(schema)),
    }


def violations(document: Any) -> list[str]:
    """What in `document` breaks the AchievementCredential schema, at most `MAX_ERRORS`
    messages (`path: reason`); empty when it conforms. The VC 1.1 or 2.0 variant is chosen
    by the document's first context."""
    contexts = document.get("@context") if isinstance(document, Mapping) else None
    first = contexts[0] if isinstance(contexts, list) and contexts else contexts
    validator = _validators()["1.1" if first == VC_V1 else "2.0"]
    found = []
    for error in sorted(validator.iter_errors(document), key=lambda e: str(list(e.absolute_path))):
        path = "".join(
            f"[{part}]" if isinstance(part, int) else f".{part}" for part in error.absolute_path
        ).lstrip(".")
        found.append(f"{path or 'credential'}: {_short(error.message)}")
        if len(found) == MAX_ERRORS:
            break
    return found


def _short(message: str, limit: int = 160) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
