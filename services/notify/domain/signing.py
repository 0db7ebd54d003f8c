"""Webhook signatures: HMAC-SHA256 over the timestamp and the body, so receivers can trust them."""

from __future__ import annotations

import hashlib
import hmac

HEADER = "X-Nuanxin-Signature"
TIMESTAMP_HEADER = "X-Nuanxin-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header value: ``sha256=<hex>``."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, body: bytes, signature: str) -> bool:
    """Constant-time check of a received signature."""
    return hmac.compare_digest(sign(secret, timestamp, body), signature)
