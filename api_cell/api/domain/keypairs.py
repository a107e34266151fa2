"""Key pairs: validation and fingerprints of public keys, and their per-user store.

Cellar imports public keys and, before 2.92, makes an SSH key pair when a create
names none, as Nova does; the private half is in the reply only, never stored.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
import struct

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from api_cell.api import errors
from api_cell.api.context import RequestContext
from api_cell.api.domain import quotas
from api_cell.api.domain.backends import Backends
from db import errors as db_errors
from db.api import keypairs as db_keypairs
from db.api.keypairs import KeyPairRecord

SSH = "ssh"
X509 = "x509"
SSH_KEY_TYPES = frozenset({
    "ssh-rsa", "ssh-dss", "ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384",
    "ecdsa-sha2-nistp521", "sk-ssh-ed25519@openssh.com",
    "sk-ecdsa-sha2-nistp256@openssh.com"})
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----\s*(.+?)\s*-----END CERTIFICATE-----",
                  re.DOTALL)


def _colons(digest: bytes) -> str:
    return ":".join(f"{byte:02x}" for byte in digest)


def _invalid(reason: str) -> errors.BadRequest:
    return errors.BadRequest(f"Keypair data is invalid: {reason}")


def ssh_fingerprint(public_key: str) -> str:
    """The MD5 fingerprint of an OpenSSH public key line; BadRequest if it is not one."""
    parts = public_key.strip().split()
    if len(parts) < 2 or parts[0] not in SSH_KEY_TYPES:
        raise _invalid("failed to generate fingerprint")
    try:
        blob = base64.b64decode(parts[1], validate=True)
    except (binascii.Error, ValueError) as error:
        raise _invalid("failed to generate fingerprint") from error
    # The blob starts with its own key type, length-prefixed.
    if len(blob) < 4:
        raise _invalid("failed to generate fingerprint")
    (length,) = struct.unpack(">I", blob[:4])
    if blob[4:4 + length] != parts[0].encode():
        raise _invalid("failed to generate fingerprint")
    return _colons(hashlib.md5(blob, usedforsecurity=False).digest())


def x509_fingerprint(certificate: str) -> str:
    """The SHA-1 fingerprint of a PEM certificate's DER bytes; BadRequest if not PEM."""
    match = _PEM.search(certificate)
    if match is None:
        raise _invalid("failed to generate fingerprint")
    try:
        der = base64.b64decode("".join(match.group(1).split()), validate=True)
    except (binascii.Error, ValueError) as error:
        raise _invalid("failed to generate fingerprint") from error
    if not der or der[0] != 0x30:  # a DER certificate is a SEQUENCE
        raise _invalid("failed to generate fingerprint")
    return _colons(hashlib.sha1(der, usedforsecurity=False).digest())


def fingerprint(public_key: str, key_type: str) -> str:
    """The fingerprint of a key of ``key_type``."""
    return x509_fingerprint(public_key) if key_type == X509 else ssh_fingerprint(public_key)


def generate(key_type: str) -> tuple[str, str]:
    """A new key pair for a create without a public key: (public, private), OpenSSH forms.

    Ed25519: as good as Nova's RSA keys for every OpenSSH client, and made in
    microseconds. Certificates (x509) are only imported.
    """
    if key_type != SSH:
        raise errors.BadRequest("Only ssh key pairs are generated; import an x509 "
                                "certificate with public_key.")
    private = ed25519.Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH)
    pem = private.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
    return f"{public.decode()} Generated-by-Cellar", pem.decode()


def create(backends: Backends, context: RequestContext, user_id: str, name: str,
           public_key: str, key_type: str) -> KeyPairRecord:
    """Import a key pair for ``user_id``; 400 for a bad key, 409 for a taken name."""
    print_ = fingerprint(public_key, key_type)
    limit = quotas.limit_of(backends, context.project_id, "key_pairs")
    try:
        return db_keypairs.create(backends.api_url, user_id, name, public_key, print_,
                                  key_type, project_id=context.project_id, limit=limit)
    except db_errors.Duplicate as error:
        raise errors.Conflict(f"Key pair '{name}' already exists.") from error
    except db_errors.Conflict as error:
        raise errors.Forbidden("Quota exceeded, too many key pairs.") from error


def get(backends: Backends, user_id: str, name: str) -> KeyPairRecord:
    """The user's key pair ``name``; 404 otherwise."""
    try:
        return db_keypairs.get(backends.api_url, user_id, name)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Keypair {name} not found for user {user_id}") from error


def list_for(backends: Backends, user_id: str, limit: int | None,
             marker: str | None) -> list[KeyPairRecord]:
    """A page of the user's key pairs, by name."""
    limit = backends.max_limit if limit is None else min(limit, backends.max_limit)
    try:
        return db_keypairs.list_for_user(backends.api_url, user_id, limit, marker)
    except db_errors.NotFound as error:
        raise errors.BadRequest(f"marker [{marker}] not found") from error


def delete(backends: Backends, user_id: str, name: str) -> None:
    """Remove the user's key pair ``name``; 404 otherwise."""
    try:
        db_keypairs.delete(backends.api_url, user_id, name)
    except db_errors.NotFound as error:
        raise errors.NotFound(f"Keypair {name} not found for user {user_id}") from error
