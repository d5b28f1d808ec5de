"""1EdTech's AchievementCredential schemas, bundled: the 2.0 one unchanged, the 1.1 one."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from tests.unit.openbadges.ob3 import world as w
from wallet.openbadges.ob3 import integrity, schema
from wallet.openbadges.ob3.documents import VC_V1


def signed(**changes: Any) -> dict[str, Any]:
    document = w.credential().to_json() | changes
    return integrity.sign(document, w.KEY, w.KEY_ID, created=w.SIGNED_AT, as_list=True)


def test_the_bundled_files_are_the_ones_the_manifest_names() -> None:
    folder = schema._folder()
    manifest = json.loads(folder.joinpath("manifest.json").read_bytes())
    for entry in manifest["schemas"]:
        data = folder.joinpath(entry["file"]).read_bytes()
        assert hashlib.sha256(data).hexdigest() == entry["sha256"], entry["file"]
        assert entry["id"].startswith("https://purl.imsglobal.org/spec/ob/v3p0/schema/")
    current = schema._bundled()["2.0"]
    assert current["$schema"].startswith("https://json-schema.org/draft/2019-09/")
    assert "validFrom" in current["required"]


def test_our_credential_conforms_with_its_proof_as_a_list_or_alone() -> None:
    document = signed()
    assert isinstance(document["proof"], list)
    assert schema.violations(document) == []
    alone = document | {"proof": document["proof"][0]}  # as VC Data Model 2.0 allows
    assert schema.violations(alone) == []


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"validFrom": None}, "'validFrom' is a required property"),
        ({"proof": "zSignature"}, "proof: 'zSignature' is not of type 'array'"),
        ({"@context": ["https://www.w3.org/ns/credentials/v2"]}, "@context: "),
        ({"type": ["VerifiableCredential"]}, "type: "),
        ({"issuer": {"id": "https://e.example/i", "name": "名"}}, "issuer: "),
    ],
)
def test_a_2_0_credential_breaking_the_schema_is_named(change: dict[str, Any], reason: str) -> None:
    document = signed()
    for key, value in change.items():
        if value is None:
            del document[key]
        else:
            document[key] = value
    problems = schema.violations(document)
    assert any(reason in problem for problem in problems), problems


def test_a_1_1_credential_is_checked_against_the_1_1_schema() -> None:
    document = signed()
    document["@context"] = [VC_V1, *document["@context"][1:]]
    assert "credential: 'issuanceDate' is a required property" in schema.violations(document)
    document["issuanceDate"] = document.pop("validFrom")
    assert schema.violations(document) == []


def test_at_most_a_few_problems_are_listed() -> None:
    assert len(schema.violations({"@context": 5, "proof": 1, "type": 2, "id": 3})) == 5
