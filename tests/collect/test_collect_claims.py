"""The snapshot records who collected and when, from the token's claims, never the token:
``collector.claims`` holds ``tid``, ``appid``/``azp``, ``oid`` and ``iat`` (a signed attestation
repeats them for a receiver, docs/evidence.md)."""

from __future__ import annotations

import json

from tests.collect.conftest import make_jwt, run_collect
from tests.graphserver import TENANT_ID, GraphServer


def test_collector_claims_recorded_without_the_token(server: GraphServer) -> None:
    token = make_jwt(
        {
            "oid": "obj-1",
            "appid": "11111111-2222-3333-4444-555555555555",
            "azp": "11111111-2222-3333-4444-555555555555",
            "tid": TENANT_ID,
            "iat": 1764489600,
            "exp": 4102444800,
            "roles": ["Directory.Read.All"],
        }
    )
    server.token = token
    doc = run_collect(server, ["domains"], token=token)
    assert doc["collector"]["claims"] == {
        "tid": TENANT_ID,
        "appid": "11111111-2222-3333-4444-555555555555",
        "azp": "11111111-2222-3333-4444-555555555555",
        "oid": "obj-1",
        "iat": 1764489600,
    }
    text = json.dumps(doc)
    assert token not in text and token.split(".")[2] not in text  # neither the token nor its signature
    assert "roles" not in doc["collector"]["claims"] and "exp" not in doc["collector"]["claims"]


def test_opaque_token_records_no_claims(server: GraphServer) -> None:
    server.token = "opaque-token-value"
    doc = run_collect(server, ["domains"], token="opaque-token-value", tenant_id=TENANT_ID)
    assert doc["collector"]["claims"] == {}
    assert "opaque-token-value" not in json.dumps(doc)
