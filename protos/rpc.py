"""What every Cellar gRPC server and client shares: request ids and transport security.

The request id of the API call that caused some work travels in the gRPC metadata
key ``x-request-id`` (doc/contracts.rst), so one grep follows a boot from the API to
the host. Clients send :func:`request_metadata`; servers install
:class:`RequestIdInterceptor`, which runs each call inside the caller's request scope.

Channels are plain, or mutual TLS when a process is given a certificate, its key and
the CA that signs its peers' certificates (:class:`TLSFiles`): each side then proves
its identity to the other.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable
from concurrent import futures
from typing import Any

import grpc

from common import context

REQUEST_ID_KEY = "x-request-id"


def request_metadata() -> tuple[tuple[str, str], ...]:
    """Metadata carrying the current request id (none outside a request scope)."""
    request_id = context.current_request_id()
    return ((REQUEST_ID_KEY, request_id),) if request_id != "-" else ()


def _request_id(metadata: Any) -> str | None:
    for key, value in metadata or ():
        if key == REQUEST_ID_KEY:
            return value
    return None


def _in_scope(behavior: Callable, request_id: str | None) -> Callable:
    def run(request, servicer_context):
        with context.request_scope(request_id):
            return behavior(request, servicer_context)
    return run


class RequestIdInterceptor(grpc.ServerInterceptor):
    """Runs every unary call in the request scope named by its ``x-request-id``.

    Calls without one get a fresh request id, so their log lines still group.
    """

    def intercept_service(self, continuation, handler_call_details):
        handler = continuation(handler_call_details)
        if handler is None or handler.unary_unary is None:
            return handler
        request_id = _request_id(handler_call_details.invocation_metadata)
        return grpc.unary_unary_rpc_method_handler(
            _in_scope(handler.unary_unary, request_id),
            request_deserializer=handler.request_deserializer,
            response_serializer=handler.response_serializer)


@dataclasses.dataclass(frozen=True)
class TLSFiles:
    """PEM files of one process's identity and of the CA it trusts."""

    cert_file: str
    key_file: str
    ca_file: str

    @classmethod
    def from_options(cls, cert_file: str | None, key_file: str | None,
                     ca_file: str | None) -> TLSFiles | None:
        """TLSFiles if all three are set, None if none is; ValueError otherwise."""
        given = [cert_file, key_file, ca_file]
        if not any(given):
            return None
        if not all(given):
            raise ValueError("mutual TLS needs a certificate, its key and a CA file")
        return cls(cert_file, key_file, ca_file)

    def _read(self) -> tuple[bytes, bytes, bytes]:
        return tuple(pathlib.Path(p).read_bytes()
                     for p in (self.cert_file, self.key_file, self.ca_file))


def server(max_workers: int, thread_name_prefix: str) -> grpc.Server:
    """A gRPC server that runs each call in its caller's request scope.

    SO_REUSEPORT is off: with it (gRPC's default on Linux) a second process can bind a
    port another server already listens on, and the two silently share its calls.
    """
    return grpc.server(
        futures.ThreadPoolExecutor(max_workers=max_workers,
                                   thread_name_prefix=thread_name_prefix),
        interceptors=[RequestIdInterceptor()], options=[("grpc.so_reuseport", 0)])


def listen(server: grpc.Server, address: str, tls: TLSFiles | None) -> int:
    """Bind ``server`` to ``address`` (host:port, port 0 = free); returns the port."""
    if tls is None:
        port = server.add_insecure_port(address)
    else:
        cert, key, ca = tls._read()
        port = server.add_secure_port(address, grpc.ssl_server_credentials(
            [(key, cert)], root_certificates=ca, require_client_auth=True))
    if port == 0:
        raise OSError(f"cannot listen on {address}")
    return port


def channel(address: str, tls: TLSFiles | None) -> grpc.Channel:
    """A channel to ``address``, plain or mutually authenticated."""
    if tls is None:
        return grpc.insecure_channel(address)
    cert, key, ca = tls._read()
    return grpc.secure_channel(address, grpc.ssl_channel_credentials(
        root_certificates=ca, private_key=key, certificate_chain=cert))
