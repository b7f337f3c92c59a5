"""Webhook signatures: `X-Hmac-Sha256` is the standard base64 of HMAC-SHA256 over
the raw body bytes, keyed with the webhook's `hash_secret` in UTF-8.

Verify before parsing, over the exact bytes received: a re-serialized body never
matches. Several secrets may be given while one is being rotated.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from collections.abc import Iterable, Mapping, Sequence

from .errors import InvalidArgumentError, InvalidSignatureError

__all__ = [
    "SIGNATURE_HEADER",
    "check_webhook_secret",
    "sign",
    "verify_signature",
    "webhook_secrets",
]

SIGNATURE_HEADER = "X-Hmac-Sha256"
_DIGEST_SIZE = hashlib.sha256().digest_size


_BYTES = (bytes, bytearray, memoryview)  # a tuple: isinstance is twice as fast as with a union


def _key(secret: str | bytes | bytearray | memoryview) -> bytes:
    if isinstance(secret, str):
        return _utf8(secret)
    if isinstance(secret, bytes):
        return secret
    if isinstance(secret, bytearray | memoryview):
        return bytes(secret)
    raise InvalidArgumentError("a webhook secret must be str or bytes")


def _utf8(secret: str) -> bytes:
    try:
        return secret.encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate; the value is never echoed
        raise InvalidArgumentError("a webhook secret must be valid Unicode") from None


_ONE_SECRET = (str, bytes, bytearray, memoryview)


def _keys(secret: str | bytes | Sequence[str | bytes]) -> list[bytes]:
    if isinstance(secret, _ONE_SECRET):  # one secret, the common case
        keys = [_key(secret)]
    elif isinstance(secret, Mapping):  # its keys would be taken for the secrets
        raise InvalidArgumentError(
            "a webhook secret must be str or bytes, or a list of them, not a mapping"
        )
    elif isinstance(secret, Iterable):
        keys = [_key(s) for s in secret]
    else:
        raise InvalidArgumentError("a webhook secret must be str or bytes, or a list of them")
    if not keys or not all(keys):
        raise InvalidArgumentError("at least one non-empty webhook secret is required")
    return keys


def check_webhook_secret(secret: object) -> None:
    """Raise `InvalidArgumentError` unless `secret` is a usable secret or list of them
    (for constructors: a bad secret fails at once, not at the first delivery). The
    message never contains the value."""
    _keys(secret)  # type: ignore[arg-type]


def webhook_secrets(secret: object) -> tuple[bytes, ...]:
    """`secret` (one secret, or several while rotating: any iterable, a generator
    included) checked and kept as a tuple of keys, for a receiver to hold and reuse.
    `InvalidArgumentError` as `check_webhook_secret`."""
    return tuple(_keys(secret))  # type: ignore[arg-type]


def sign(body: bytes, secret: str | bytes) -> str:
    """The `X-Hmac-Sha256` header value for `body` (for tests and emulators)."""
    if not isinstance(body, _BYTES):
        raise InvalidArgumentError("body must be the raw bytes of the request")
    return base64.b64encode(hmac.digest(_key(secret), body, "sha256")).decode("ascii")


def verify_signature(
    body: bytes | bytearray | memoryview,
    signature: str | bytes | None,
    secret: str | bytes | Sequence[str | bytes],
) -> None:
    """Raise `InvalidSignatureError` unless `signature` matches `body` under a secret.

    >>> verify_signature(await request.read(), request.headers.get("X-Hmac-Sha256"), secret)
    """
    if not isinstance(body, _BYTES):
        raise InvalidArgumentError("body must be the raw bytes of the request, not parsed JSON")
    keys = _keys(secret)
    if isinstance(signature, bytes):
        signature = signature.decode("latin-1")
    elif signature is not None and not isinstance(signature, str):
        raise InvalidArgumentError(
            f"the {SIGNATURE_HEADER} header must be a str, got {type(signature).__name__}"
        )
    if not signature or not (signature := signature.strip()):
        raise InvalidSignatureError(f"missing {SIGNATURE_HEADER} header")
    try:
        expected = binascii.a2b_base64(signature, strict_mode=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidSignatureError(f"{SIGNATURE_HEADER} is not valid base64") from exc
    if len(expected) != _DIGEST_SIZE:
        raise InvalidSignatureError(
            f"{SIGNATURE_HEADER} decodes to {len(expected)} bytes, not a SHA-256 digest"
        )
    matched = False
    for key in keys:
        # Every secret is tried (no early exit) so timing reveals nothing about which matched.
        matched |= hmac.compare_digest(hmac.digest(key, body, "sha256"), expected)
    if not matched:
        raise InvalidSignatureError(f"{SIGNATURE_HEADER} does not match the body")
