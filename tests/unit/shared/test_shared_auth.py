"""Access tokens: what TokenCodec accepts and refuses, and what each role may see."""

from __future__ import annotations

import base64
import json
import time
from datetime import UTC, datetime, timedelta

import jwt
import pytest

from shared.auth import AuthError, Principal, TokenCodec

SECRET = "unit-test-secret-" + "0123456789abcdef" * 4
CODEC = TokenCodec(secret=SECRET, issuer="nuanxin", audience="nuanxin-api")
WORKER = Principal(subject="worker-42", role="worker", volunteer_roles=frozenset({"hazard", "civility"}))


def _claims(**changes) -> dict:
    now = datetime.now(UTC)
    claims = {
        "sub": "worker-42",
        "role": "worker",
        "iss": "nuanxin",
        "aud": "nuanxin-api",
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(hours=1)).timestamp()),
    }
    claims.update(changes)
    return {k: v for k, v in claims.items() if v is not None}


def _b64(data: dict) -> str:
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def test_issued_token_verifies_to_the_same_principal():
    assert CODEC.verify(CODEC.issue(WORKER)) == WORKER


@pytest.mark.parametrize(
    "principal",
    [
        Principal(subject="c-1", role="community_staff", community="500112003001"),
        Principal(subject="s-1", role="street_staff", street="500112003"),
        Principal(subject="d-1", role="district_staff"),
        Principal(subject="o-1", role="ops"),
    ],
    ids=lambda p: p.role,
)
def test_staff_tokens_round_trip_with_their_jurisdiction(principal):
    assert CODEC.verify(CODEC.issue(principal)) == principal


def test_issued_token_is_hs256_with_required_claims():
    token = CODEC.issue(WORKER, ttl=timedelta(minutes=5), now=datetime(2030, 1, 1, tzinfo=UTC))
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    claims = jwt.decode(token, options={"verify_signature": False})
    assert claims["iss"] == "nuanxin"
    assert claims["aud"] == "nuanxin-api"
    assert claims["exp"] - claims["iat"] == 300


def test_expired_token_is_refused():
    token = CODEC.issue(WORKER, ttl=timedelta(minutes=5), now=datetime.now(UTC) - timedelta(hours=1))
    with pytest.raises(AuthError, match="expired"):
        CODEC.verify(token)


def test_token_for_another_audience_is_refused():
    other = TokenCodec(secret=SECRET, issuer="nuanxin", audience="someone-else")
    with pytest.raises(AuthError, match="audience"):
        CODEC.verify(other.issue(WORKER))


def test_token_from_another_issuer_is_refused():
    other = TokenCodec(secret=SECRET, issuer="impostor", audience="nuanxin-api")
    with pytest.raises(AuthError, match="issuer"):
        CODEC.verify(other.issue(WORKER))


def test_token_signed_with_another_secret_is_refused():
    forger = TokenCodec(secret="forged-secret-0123456789abcdef0123456789", issuer="nuanxin",
                        audience="nuanxin-api")
    with pytest.raises(AuthError):
        CODEC.verify(forger.issue(WORKER))


def test_token_with_a_tampered_payload_is_refused():
    header, _payload, signature = CODEC.issue(WORKER).split(".")
    tampered = f"{header}.{_b64(_claims(role='ops'))}.{signature}"
    with pytest.raises(AuthError):
        CODEC.verify(tampered)


def test_unsigned_alg_none_token_is_refused():
    token = f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_claims(role='ops'))}."
    with pytest.raises(AuthError, match="alg"):
        CODEC.verify(token)


def test_hs512_token_with_the_right_secret_is_refused():
    token = jwt.encode(_claims(), SECRET, algorithm="HS512")
    with pytest.raises(AuthError, match="alg"):
        CODEC.verify(token)


def test_hand_made_hs256_token_with_valid_claims_is_accepted():
    # The counterpart of the refusals below: only the named claim differs.
    token = jwt.encode(_claims(), SECRET, algorithm="HS256")
    assert CODEC.verify(token).subject == "worker-42"


@pytest.mark.parametrize("claim", ["exp", "sub", "iss", "aud"])
def test_token_missing_a_required_claim_is_refused(claim):
    token = jwt.encode(_claims(**{claim: None}), SECRET, algorithm="HS256")
    with pytest.raises(AuthError, match=claim):
        CODEC.verify(token)


def test_unknown_role_is_refused():
    token = jwt.encode(_claims(role="admin"), SECRET, algorithm="HS256")
    with pytest.raises(AuthError, match="role"):
        CODEC.verify(token)


def test_community_staff_without_community_is_refused():
    token = CODEC.issue(Principal(subject="c-1", role="community_staff"))
    with pytest.raises(AuthError, match="community"):
        CODEC.verify(token)


def test_street_staff_without_street_is_refused():
    token = CODEC.issue(Principal(subject="s-1", role="street_staff"))
    with pytest.raises(AuthError, match="street"):
        CODEC.verify(token)


@pytest.mark.parametrize("garbage", ["", "not-a-token", "a.b.c"])
def test_malformed_token_is_refused(garbage):
    with pytest.raises(AuthError):
        CODEC.verify(garbage)


COMMUNITY = "500112003001"
STREET = "500112003"
OTHER_COMMUNITY = "500112004002"
OTHER_STREET = "500112004"


@pytest.mark.parametrize(
    ("principal", "community", "street", "sees"),
    [
        (Principal("c", "community_staff", community=COMMUNITY, street=STREET), COMMUNITY, STREET, True),
        (Principal("c", "community_staff", community=COMMUNITY, street=STREET), OTHER_COMMUNITY, STREET,
         False),
        (Principal("c", "community_staff", community=COMMUNITY), None, None, False),
        (Principal("s", "street_staff", street=STREET), OTHER_COMMUNITY, STREET, True),
        (Principal("s", "street_staff", street=STREET), COMMUNITY, OTHER_STREET, False),
        (Principal("s", "street_staff", street=STREET), None, None, False),
        (Principal("d", "district_staff"), COMMUNITY, STREET, True),
        (Principal("d", "district_staff"), None, None, True),
        (Principal("o", "ops"), None, None, True),
        (Principal("w", "worker", community=COMMUNITY, street=STREET), COMMUNITY, STREET, False),
    ],
    ids=[
        "community-own", "community-other", "community-triage",
        "street-own", "street-other", "street-triage",
        "district-any", "district-triage", "ops-triage", "worker-never",
    ],
)
def test_sees_community_by_role(principal, community, street, sees):
    assert principal.sees_community(community, street) is sees


def test_a_token_verified_before_is_refused_once_it_expires():
    codec = TokenCodec(secret=SECRET, issuer="nuanxin", audience="nuanxin-api")
    token = codec.issue(WORKER, ttl=timedelta(seconds=1))
    assert codec.verify(token) == WORKER
    assert codec.verify(token) == WORKER, "the second check is served from the verified tokens"
    time.sleep(2.1)  # past exp, whole seconds in the token
    with pytest.raises(AuthError, match="expired"):
        codec.verify(token)


def test_a_forged_token_is_refused_even_after_the_genuine_one_was_verified():
    codec = TokenCodec(secret=SECRET, issuer="nuanxin", audience="nuanxin-api")
    genuine = codec.issue(WORKER)
    codec.verify(genuine)
    header, _payload, signature = genuine.split(".")
    forged = ".".join([header, _b64(_claims(role="ops")), signature])
    with pytest.raises(AuthError):
        codec.verify(forged)
    other = TokenCodec(secret="another-" + SECRET, issuer="nuanxin", audience="nuanxin-api")
    with pytest.raises(AuthError):
        other.verify(genuine)
