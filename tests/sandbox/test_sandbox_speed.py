"""The sandbox answers fast: its sockets send small responses at once (no Nagle + delayed-ACK
stall), and a finished job renders its stand-in output cheaply.

Regression: the socket uvicorn served on was created with proto 0, so asyncio did not set
TCP_NODELAY on the accepted connections and every response (head and body written separately)
waited about 40 ms for a delayed ACK on loopback. No timing here: the option itself is checked.
"""

from __future__ import annotations

import asyncio
import socket

import pytest

from step1x_edit.sandbox import _server


def _nodelay_of_accepted(listener: socket.socket) -> int:
    async def main() -> int:
        seen: asyncio.Future[int] = asyncio.get_running_loop().create_future()

        async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            sock = writer.get_extra_info("socket")
            seen.set_result(sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))
            writer.close()

        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        server = await asyncio.start_server(handle, sock=listener)
        async with server:
            _, writer = await asyncio.open_connection("127.0.0.1", listener.getsockname()[1])
            try:
                return await asyncio.wait_for(seen, 5)
            finally:
                writer.close()

    return asyncio.run(main())


def test_connections_accepted_on_the_sandbox_socket_have_nodelay() -> None:
    assert _nodelay_of_accepted(_server._listening_socket(socket.AF_INET)) != 0


def test_the_check_sees_a_socket_without_nodelay() -> None:
    # The teeth of the test above: a listener created the old way (proto 0) is caught.
    assert _nodelay_of_accepted(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) == 0


@pytest.mark.parametrize("proxy", [True, False])
def test_serve_listens_on_that_socket(monkeypatch: pytest.MonkeyPatch, proxy: bool) -> None:
    made: list[socket.socket] = []
    original = _server._listening_socket

    def recording(family: socket.AddressFamily) -> socket.socket:
        made.append(original(family))
        return made[-1]

    monkeypatch.setattr(_server, "_listening_socket", recording)
    with _server.serve(proxy=proxy) as running:
        assert running.port > 0
        assert len(made) == 1
        assert made[0].proto == socket.IPPROTO_TCP


def test_the_cached_placeholder_is_never_changed_by_a_render() -> None:
    # The placeholder of a URL input is drawn once and cached (sandbox CPU per finished job):
    # transform() must work on a copy, or one job's edit would leak into the next job's input.
    from step1x_edit.sandbox import _images

    source = _images.placeholder("https://example.com/cached.png")
    before = source.tobytes()
    first = _images.transform(source, prompt="invert and mirror me", seed=7, max_side=64)
    assert source.tobytes() == before
    assert _images.placeholder("https://example.com/cached.png") is source
    assert _images.transform(source, prompt="invert and mirror me", seed=7, max_side=64) == first
