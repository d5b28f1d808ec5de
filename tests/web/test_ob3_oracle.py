"""Our issued Open Badges 3.0 credentials, from the real acceptance path, verify in an
independent implementation: Digital Bazaar's vc + eddsa-rdfc-2022 (the credential and the
status list credential) and jose (the VC-JWT), given the issuer profile we serve."""

from __future__ import annotations

import base64
import json

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.unit.openbadges.ob3.test_oracle import run_oracle
from tests.web.test_ob3_issuing import NAME, _accepted
from wallet.models import AwardCredential
from wallet.openbadges.ob3 import keys


def test_our_issued_credentials_verify_in_digital_bazaar_and_jose(
    client: FlaskClient, db_session: Session
) -> None:
    award = _accepted(client, db_session)
    stored = db_session.scalar(select(AwardCredential).where(AwardCredential.award_id == award.id))
    assert stored is not None
    credential = json.loads(stored.document)
    profile_url = credential["issuer"]["id"]
    profile = client.get(profile_url.removeprefix("http://wallet.test")).get_json()
    list_url = credential["credentialStatus"]["statusListCredential"]
    status_list = client.get(list_url.removeprefix("http://wallet.test")).get_json()
    method = keys.method_from_json(profile["verificationMethod"][0])
    tampered = json.loads(stored.document)
    tampered["credentialSubject"]["achievement"]["name"] += "（改）"
    documents = {profile_url: profile}
    results = run_oracle(
        {
            "credential": {"kind": "verifyDi", "credential": credential, "documents": documents},
            "list": {"kind": "verifyDi", "credential": status_list, "documents": documents},
            "tampered": {"kind": "verifyDi", "credential": tampered, "documents": documents},
            "jwt": {
                "kind": "verifyJwt",
                "token": stored.jwt,
                "jwk": keys.public_jwk(method.public_key),
                "alg": "EdDSA",
            },
        }
    )
    assert results["credential"]["verified"], results["credential"]
    assert results["list"]["verified"], results["list"]
    assert not results["tampered"]["verified"]
    assert results["jwt"]["verified"], results["jwt"]
    payload = json.loads(base64.b64decode(results["jwt"]["payloadBase64"]))
    assert payload["credentialSubject"]["achievement"]["name"] == NAME
