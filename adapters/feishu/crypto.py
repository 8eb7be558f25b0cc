"""Feishu event encryption and request signatures, done with `cryptography` (no lark-oapi).

- Encrypted bodies (`{"encrypt": "<base64>"}`): AES-256-CBC, key = SHA-256(encrypt_key),
  IV = the first 16 bytes of the decoded ciphertext, PKCS#7 padding.
- `X-Lark-Signature` = hex SHA-256(timestamp + nonce + encrypt_key + raw body) — a plain hash,
  not an HMAC; Feishu only sends it when an Encrypt Key is configured.

`encrypt()` is Feishu's side of the exchange; the tests and the fake platform use it to produce
requests exactly as Feishu does.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

_BLOCK = 16


class DecryptError(ValueError):
    """The `encrypt` field is not a valid ciphertext for our key."""


def _key(encrypt_key: str) -> bytes:
    return hashlib.sha256(encrypt_key.encode("utf-8")).digest()


def decrypt(encrypt_key: str, encrypted: str) -> str:
    try:
        raw = base64.b64decode(encrypted, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise DecryptError("encrypt is not base64") from exc
    if len(raw) < 2 * _BLOCK or len(raw) % _BLOCK:
        raise DecryptError("invalid ciphertext length")
    decryptor = Cipher(algorithms.AES(_key(encrypt_key)), modes.CBC(raw[:_BLOCK])).decryptor()
    padded = decryptor.update(raw[_BLOCK:]) + decryptor.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    try:
        plain = unpadder.update(padded) + unpadder.finalize()
        return plain.decode("utf-8")
    except (ValueError, UnicodeDecodeError) as exc:  # wrong key → garbage padding / bytes
        raise DecryptError("cannot decrypt with the configured key") from exc


def encrypt(encrypt_key: str, plaintext: str, *, iv: bytes | None = None) -> str:
    iv = iv if iv is not None else os.urandom(_BLOCK)
    padder = padding.PKCS7(128).padder()
    padded = padder.update(plaintext.encode("utf-8")) + padder.finalize()
    encryptor = Cipher(algorithms.AES(_key(encrypt_key)), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(padded) + encryptor.finalize()).decode("ascii")


def signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body).hexdigest()


def signature_matches(timestamp: str, nonce: str, encrypt_key: str, body: bytes, given: str) -> bool:
    expected = signature(timestamp, nonce, encrypt_key, body)
    return hmac.compare_digest(expected.encode("ascii"), given.strip().lower().encode("ascii", "ignore"))


def token_matches(expected: str, given: object) -> bool:
    return isinstance(given, str) and bool(given) and hmac.compare_digest(
        expected.encode("utf-8"), given.encode("utf-8"))
