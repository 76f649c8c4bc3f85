"""Keys and token builders for tests: the service's own keys, and an attacker's tools for forging tokens."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa

from kaltura_discord.auth.records import TokenRecord
from kaltura_discord.auth.tokens import API_AUDIENCE, DEFAULT_ISSUER

GUILD = "1000000000000000100"
OTHER_GUILD = "1000000000000000777"
USER = "1000000000000000300"
OTHER_USER = "1000000000000000301"
CURRENT_SEED = "11" * 32
PREVIOUS_SEED = "22" * 32
ATTACKER_SEED = "33" * 32
KEYS_JSON = json.dumps({"current": "k2", "keys": {"k2": CURRENT_SEED, "k1": PREVIOUS_SEED}})
ALL_SCOPES = "meetings:read meetings:write config:write"


def ed25519_key(seed_hex: str) -> ed25519.Ed25519PrivateKey:
    return ed25519.Ed25519PrivateKey.from_private_bytes(bytes.fromhex(seed_hex))


def public_pem(seed_hex: str) -> bytes:
    return (
        ed25519_key(seed_hex)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )


def api_claims(**overrides: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {
        "iss": DEFAULT_ISSUER,
        "aud": API_AUDIENCE,
        "sub": USER,
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "jti": "0" * 32,
        "guild": GUILD,
        "scope": ALL_SCOPES,
        "name": "Test User",
        "roles": [],
    }
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


def record_of(claims: dict[str, Any]) -> TokenRecord:
    """The record /kaltura-token create would have written for a token with these claims."""
    return TokenRecord(
        token_id=claims["jti"],
        guild_id=claims["guild"],
        user_id=claims["sub"],
        user_name=claims.get("name", "Member"),
        scopes=tuple(claims["scope"].split()),
        issued_at=claims["iat"],
        expires_at=claims["exp"],
    )


def sign(claims: dict[str, Any], *, seed: str = CURRENT_SEED, kid: str | None = "k2") -> str:
    """Signed the way the service signs (EdDSA), with whatever claims and key the test chooses."""
    headers = {"kid": kid} if kid is not None else {}
    return jwt.encode(claims, ed25519_key(seed), algorithm="EdDSA", headers=headers)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unsigned(claims: dict[str, Any], kid: str = "k2") -> str:
    """``alg: none``: a header, a payload and no signature."""
    header = b64(json.dumps({"alg": "none", "typ": "JWT", "kid": kid}).encode())
    return f"{header}.{b64(json.dumps(claims).encode())}."


def hmac_with_public_key(claims: dict[str, Any], kid: str = "k2") -> str:
    """The key-confusion attack: HS256 keyed with the service's public key, which an attacker may know."""
    import hashlib
    import hmac

    header = b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": kid}).encode())
    payload = b64(json.dumps(claims).encode())
    signing_input = f"{header}.{payload}".encode()
    signature = hmac.new(public_pem(CURRENT_SEED), signing_input, hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


def rs256(claims: dict[str, Any], kid: str = "k2") -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


def es256(claims: dict[str, Any], kid: str = "k2") -> str:
    return jwt.encode(claims, ec.generate_private_key(ec.SECP256R1()), algorithm="ES256", headers={"kid": kid})


def tamper(token: str, **changes: Any) -> str:
    """Keep the signature, change the payload."""
    header, payload, signature = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims.update(changes)
    return f"{header}.{b64(json.dumps(claims).encode())}.{signature}"
