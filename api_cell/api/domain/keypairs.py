"""Key pairs: validation and fingerprints of public keys, and their per-user store.

Cellar imports public keys and, before 2.92, makes a key pair when a create names
none, as Nova does: an SSH key, or a self-signed x509 certificate (for certificate
logins such as WinRM's); the private half is in the reply only, never stored.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import hashlib
import re
import struct

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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
# A generated certificate's life; the key pair outlives it only as a record.
CERTIFICATE_DAYS = 365
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


def generate(key_type: str, user_id: str, project_id: str) -> tuple[str, str]:
    """A new key pair for a create without a public key: (public, private).

    ssh: an Ed25519 key in OpenSSH forms (as good as Nova's RSA keys for every OpenSSH
    client, and made in microseconds). x509: an RSA 2048 key and a self-signed
    client-authentication certificate naming the user and the project, both PEM (RSA,
    as Nova makes them: certificate logins such as Windows' expect it).
    """
    if key_type == X509:
        return _certificate(user_id, project_id)
    private = ed25519.Ed25519PrivateKey.generate()
    public = private.public_key().public_bytes(serialization.Encoding.OpenSSH,
                                               serialization.PublicFormat.OpenSSH)
    pem = private.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.OpenSSH,
                                serialization.NoEncryption())
    return f"{public.decode()} Generated-by-Cellar", pem.decode()


def _certificate(user_id: str, project_id: str) -> tuple[str, str]:
    """A self-signed certificate and its private key (PKCS#8), PEM."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, project_id),
                         x509.NameAttribute(NameOID.COMMON_NAME, user_id)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
        .public_key(private.public_key()).serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=CERTIFICATE_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]),
                       critical=False)
        .sign(private, hashes.SHA256()))
    pem = private.private_bytes(serialization.Encoding.PEM,
                                serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    return (certificate.public_bytes(serialization.Encoding.PEM).decode(), pem.decode())


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
