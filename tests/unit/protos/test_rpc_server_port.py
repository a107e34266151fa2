"""Two Cellar gRPC servers can never share a port."""

import pytest

from protos import rpc


def test_second_server_cannot_bind_a_port_in_use():
    first = rpc.server(1, "first")
    second = rpc.server(1, "second")
    port = rpc.listen(first, "127.0.0.1:0", None)
    first.start()
    try:
        with pytest.raises(RuntimeError):
            rpc.listen(second, f"127.0.0.1:{port}", None)
    finally:
        first.stop(0).wait()
