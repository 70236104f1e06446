"""pytest plugin: the ``step1x_sandbox`` fixture and marker, for testing code that uses the API.

Registered through the ``pytest11`` entry point and inert until a test asks for the fixture: it
adds no autouse fixture, no option and no network change, and the sandbox (starlette, Pillow)
is imported only when a test uses it. Needs the ``sandbox`` extra.

    def test_my_code(step1x_sandbox):
        step1x_sandbox.fail(code=1200, prompt="forbidden")
        with step1x_sandbox.client() as client:
            my_code(client)
        assert step1x_sandbox.submits[0].input["guidance_scale"] == 7

Fast by construction: jobs take zero seconds by default (the submit answers ``created``, the
first poll ``completed``), and the fixture's clients poll and retry on a test schedule
(:data:`TEST_POLL`, :data:`TEST_RETRY`: milliseconds, Retry-After capped at 10 ms). Requests go
through an in-process httpx transport (no socket); ``WAVESPEED_BASE_URL`` points at a loopback
server (one per process, so one per pytest-xdist worker, started on first use) for code that
builds its own client, unless sockets are blocked. See README, "Testing your own code".
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import re
import threading
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from ._polling import PollPolicy
from ._retry import RetryPolicy

if TYPE_CHECKING:
    from anyio.from_thread import BlockingPortal
    from starlette.applications import Starlette
    from starlette.types import Receive, Scope, Send

    from ._client import AsyncStep1XEdit, Step1XEdit
    from .sandbox import Fault, Outcome, Sandbox, SandboxRequest, SandboxServer

__all__ = ["IN_PROCESS_URL", "TEST_API_KEY", "TEST_POLL", "TEST_RETRY", "Step1XSandbox"]

#: The key the fixture's sandbox accepts (and puts in ``WAVESPEED_API_KEY``).
TEST_API_KEY = "step1x-sandbox-test-key"
#: The base URL when no loopback server runs (sockets blocked): reachable only in-process.
IN_PROCESS_URL = "https://step1x-sandbox.invalid"
#: The fixture's clients poll 0.1 ms after submit, then at most 20 ms apart.
TEST_POLL = PollPolicy(first=0.0001, factor=1.5, step=0.001, max_interval=0.02, learn=False)
#: ... and retry after 1-10 ms (a Retry-After header is honoured up to 10 ms).
TEST_RETRY = RetryPolicy(initial_delay=0.001, max_delay=0.01, max_retry_after=0.01)

_MARKER = "step1x_sandbox"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}(duration=0.0, faults=(), outcomes=(), loopback=None, api_key=..., **SandboxConfig fields): "
        "set up the step1x_sandbox fixture (step1x-edit's pytest plugin)",
    )


class _DropTranslation:
    """An in-process "dropped connection" fault raises in the app; callers see what httpx raises."""

    @staticmethod
    def error(exc: BaseException, request: httpx.Request) -> httpx.TransportError:
        return httpx.RemoteProtocolError(f"Server disconnected ({exc})", request=request)


class _AsyncAppTransport(httpx.AsyncBaseTransport):
    """An httpx transport that calls the ASGI app directly (like httpx.ASGITransport, without
    its per-request event-library probing), raising a dropped-connection fault as httpx does."""

    def __init__(self, app: Starlette) -> None:
        self._app = app

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        url = request.url
        scope: dict[str, Any] = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": request.method,
            "headers": [(k.lower(), v) for (k, v) in request.headers.raw],
            "scheme": url.scheme,
            "path": url.path,
            "raw_path": url.raw_path.split(b"?")[0],
            "query_string": url.query,
            "server": (url.host, url.port),
            "client": ("127.0.0.1", 123),
            "root_path": "",
        }
        sent: list[bool] = []
        status: list[int] = []
        headers: list[tuple[bytes, bytes]] = []
        parts: list[bytes] = []

        async def receive() -> dict[str, Any]:
            if not sent:
                sent.append(True)
                return {"type": "http.request", "body": body, "more_body": False}
            import anyio

            await anyio.sleep_forever()  # the app only asks again to watch for a disconnect
            raise AssertionError("unreachable")

        async def send(message: Mapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status.append(message["status"])
                headers.extend(message.get("headers", []))
            elif message["type"] == "http.response.body" and request.method != "HEAD":
                parts.append(message.get("body", b""))

        try:
            await self._app(scope, receive, send)
        except ConnectionAbortedError as exc:
            raise _DropTranslation.error(exc, request) from None
        if not status:
            raise httpx.RemoteProtocolError("the sandbox app sent no response", request=request)
        # A stream, not content=: the client reads and closes it (and times it) as a network body.
        return httpx.Response(status[0], headers=headers, stream=httpx.ByteStream(b"".join(parts)), request=request)


class _SyncAppTransport(httpx.BaseTransport):
    """A sync httpx transport into the ASGI app.

    Runs the app on an event loop of the calling thread (one per thread, kept for the
    sandbox's life): no thread hop, so a request costs what the app costs. Called from inside a
    running event loop (sync code in an async test), or for a submit with a webhook (delivered by
    a background task), it runs the app on the background loop of the runtime (a portal) instead.
    """

    def __init__(self, app: Starlette, runtime: _Runtime) -> None:
        self._async = _AsyncAppTransport(app)
        self._runtime = runtime

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        body = request.read()
        copy = httpx.Request(request.method, request.url, headers=request.headers, content=body)
        # A webhook is delivered by a background task: it needs a loop that keeps running.
        if asyncio._get_running_loop() is None and "webhook" not in copy.url.params:
            answer = self._runtime.thread_loop().run_until_complete(self._async.handle_async_request(copy))
        else:
            answer = self._runtime.portal.call(self._async.handle_async_request, copy)
        return httpx.Response(answer.status_code, headers=answer.headers, stream=answer.stream, request=request)


class _Dispatch:
    """The loopback server's app: forwards to the sandbox of the test running now."""

    def __init__(self, placeholder: Sandbox) -> None:
        self.target: Starlette | None = None
        self.state = type("State", (), {"sandbox": placeholder})()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        target = self.target
        if target is None:
            if scope["type"] != "http":
                return
            body = b"no test using the step1x_sandbox fixture is running"
            headers = [(b"content-type", b"text/plain"), (b"content-length", str(len(body)).encode())]
            await send({"type": "http.response.start", "status": 503, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await target(scope, receive, send)


class _Runtime:
    """Per process (so per pytest-xdist worker): the event loop thread of the sync clients, and
    the loopback server, both started on first use and stopped at the end of the session."""

    def __init__(self) -> None:
        self._stack = contextlib.ExitStack()
        self._portal: BlockingPortal | None = None
        self._server: SandboxServer | None = None
        self._dispatch: _Dispatch | None = None
        self._local = threading.local()
        self._loops: list[asyncio.AbstractEventLoop] = []

    def thread_loop(self) -> asyncio.AbstractEventLoop:
        """This thread's event loop for sync requests (created on first use, closed at the end)."""
        loop: asyncio.AbstractEventLoop | None = getattr(self._local, "loop", None)
        if loop is None or loop.is_closed():
            loop = asyncio.new_event_loop()
            self._local.loop = loop
            self._loops.append(loop)
        return loop

    @property
    def portal(self) -> BlockingPortal:
        if self._portal is None:
            from anyio.from_thread import start_blocking_portal

            self._portal = self._stack.enter_context(start_blocking_portal())
        return self._portal

    def loopback(self, required: bool) -> tuple[SandboxServer, _Dispatch] | None:
        if self._server is None:
            from .sandbox import Sandbox, serve

            dispatch = _Dispatch(Sandbox())
            try:
                import socket

                socket.socket(socket.AF_INET, socket.SOCK_STREAM).close()  # blocked? fail fast, here
                self._server = self._stack.enter_context(serve(app=dispatch))  # type: ignore[arg-type]
            except Exception as exc:  # sockets blocked (pytest-socket, --block-network)
                if required:
                    raise RuntimeError(f"step1x_sandbox(loopback=True): no loopback server: {exc}") from exc
                return None
            self._dispatch = dispatch
        assert self._dispatch is not None
        return self._server, self._dispatch

    def close(self) -> None:
        self._stack.close()
        for loop in self._loops:
            with contextlib.suppress(Exception):
                loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()


class Step1XSandbox:
    """What the ``step1x_sandbox`` fixture gives a test: a sandbox and clients pointed at it."""

    def __init__(self, app: Starlette, base_url: str, runtime: _Runtime, loopback: bool) -> None:
        self.app = app
        #: The sandbox's controller (``step1x_edit.sandbox.Sandbox``): faults, stats, config.
        self.sandbox: Sandbox = app.state.sandbox
        self.base_url = base_url
        self.api_key = self.sandbox.config.api_key
        #: Whether ``base_url`` is also served on a loopback socket (for code building its own client).
        self.loopback = loopback
        self._runtime = runtime
        self._clients: list[Step1XEdit] = []
        self._async_clients: list[AsyncStep1XEdit] = []

    # -- clients -----------------------------------------------------------------------------
    def transport(self) -> httpx.BaseTransport:
        """A sync httpx transport straight into the sandbox (no socket)."""
        return _SyncAppTransport(self.app, self._runtime)

    def async_transport(self) -> httpx.AsyncBaseTransport:
        """An async httpx transport straight into the sandbox (no socket)."""
        return _AsyncAppTransport(self.app)

    def client(self, **options: Any) -> Step1XEdit:
        """A ``Step1XEdit`` on the sandbox (test key, :data:`TEST_POLL`, :data:`TEST_RETRY`);
        ``options`` override any constructor argument. Closed at teardown."""
        from ._client import Step1XEdit

        kwargs: dict[str, Any] = {"api_key": self.api_key, "base_url": self.base_url, "poll": TEST_POLL}
        kwargs["retry"] = _retry(options)
        kwargs.update(options)
        if "http_client" not in kwargs:
            kwargs.setdefault("transport", self.transport())
        client = Step1XEdit(**kwargs)
        self._clients.append(client)
        return client

    def async_client(self, **options: Any) -> AsyncStep1XEdit:
        """An ``AsyncStep1XEdit`` on the sandbox, like :meth:`client`."""
        from ._client import AsyncStep1XEdit

        kwargs: dict[str, Any] = {"api_key": self.api_key, "base_url": self.base_url, "poll": TEST_POLL}
        kwargs["retry"] = _retry(options)
        kwargs.update(options)
        if "http_client" not in kwargs:
            kwargs.setdefault("transport", self.async_transport())
        client = AsyncStep1XEdit(**kwargs)
        self._async_clients.append(client)
        return client

    # -- controls ----------------------------------------------------------------------------
    def fault(self, spec: str | Fault | None = None, /, **fields: Any) -> Fault:
        """Script a sandbox fault: ``fault("result:429:retry_after=1:times=2")``,
        ``fault(route="submit", status=503)`` or ``fault(Fault(...))`` (``step1x_edit.sandbox.Fault``)."""
        from .sandbox import Fault

        if isinstance(spec, Fault):
            fault = spec
        elif isinstance(spec, str):
            fault = Fault.parse(spec)
        else:
            fault = Fault(**fields)
        return self.sandbox.add_fault(fault)

    def outcome(
        self, outcome: Outcome, *, prompt: str | re.Pattern[str] | None = None, times: int | None = 1
    ) -> Outcome:
        """How the next ``times`` submits (``None``: every one) whose prompt matches end."""
        return self.sandbox.add_outcome(outcome, prompt=prompt, times=times)

    def complete(
        self,
        outputs: int = 1,
        *,
        nsfw: bool | Sequence[bool] = False,
        prompt: str | re.Pattern[str] | None = None,
        times: int | None = 1,
    ) -> Outcome:
        """The next submit(s) complete with ``outputs`` images; ``nsfw``: one flag or one per output."""
        from .sandbox import Outcome

        flags = nsfw if isinstance(nsfw, bool) else tuple(nsfw)
        return self.outcome(Outcome("completed", outputs=outputs, nsfw=flags), prompt=prompt, times=times)

    def fail(
        self,
        code: int = 1403,
        error: str | None = None,
        *,
        prompt: str | re.Pattern[str] | None = None,
        times: int | None = 1,
    ) -> Outcome:
        """The next submit(s) fail with task ``code`` and message ``error``."""
        from .sandbox import Outcome

        return self.outcome(Outcome("failed", code=code, error=error), prompt=prompt, times=times)

    def never_finish(self, *, prompt: str | re.Pattern[str] | None = None, times: int | None = 1) -> Outcome:
        """The next submit(s) stay ``processing`` forever (sync mode: code 5004 at once)."""
        from .sandbox import Outcome

        return self.outcome(Outcome("never"), prompt=prompt, times=times)

    def sync_timeout(self, *, prompt: str | re.Pattern[str] | None = None, times: int | None = 1) -> Outcome:
        """The next sync-mode submit(s) answer the 5004 timeout at once; the task then completes."""
        from .sandbox import Outcome

        return self.outcome(Outcome(sync_timeout=True), prompt=prompt, times=times)

    def set_duration(self, seconds: float) -> None:
        """How long the next jobs run (real seconds; default 0: done at the first poll)."""
        if not seconds >= 0:
            raise ValueError(f"duration must be >= 0 seconds, got {seconds!r}")
        self.sandbox.config.created_seconds = 0.0
        self.sandbox.config.processing_seconds = float(seconds)

    # -- inspection --------------------------------------------------------------------------
    @property
    def requests(self) -> list[SandboxRequest]:
        """Every API request received, oldest first (``step1x_edit.sandbox.SandboxRequest``)."""
        return self.sandbox.requests

    @property
    def submits(self) -> list[SandboxRequest]:
        """The submit requests (``.input`` is the JSON body sent)."""
        return [r for r in self.sandbox.requests if r.kind == "submit"]

    @property
    def polls(self) -> list[SandboxRequest]:
        """The result requests (``.prediction_id`` says which task)."""
        return [r for r in self.sandbox.requests if r.kind == "result"]

    @property
    def stats(self) -> Mapping[str, int]:
        return self.sandbox.stats

    def _close(self) -> None:
        for client in self._clients:
            client.close()
        for async_client in self._async_clients:
            with contextlib.suppress(Exception):
                self._runtime.portal.call(async_client.aclose)


def _retry(options: Mapping[str, Any]) -> RetryPolicy:
    """:data:`TEST_RETRY`, with the caller's ``max_retries`` if given."""
    if "max_retries" in options:
        return dataclasses.replace(TEST_RETRY, max_retries=options["max_retries"])
    return TEST_RETRY


@pytest.fixture(scope="session")
def _step1x_sandbox_runtime() -> Iterator[_Runtime]:
    runtime = _Runtime()
    try:
        yield runtime
    finally:
        runtime.close()


def _options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for marker in reversed(list(request.node.iter_markers(_MARKER))):  # closest marker wins
        if marker.args:
            raise TypeError(f"@pytest.mark.{_MARKER} takes keyword arguments only, got {marker.args!r}")
        options.update(marker.kwargs)
    return options


@pytest.fixture
def step1x_sandbox(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, _step1x_sandbox_runtime: _Runtime
) -> Iterator[Step1XSandbox]:
    """A fresh Step1X-Edit sandbox for this test; see ``step1x_edit.pytest_plugin``."""
    from .sandbox import Fault, Outcome, SandboxConfig, create_app

    options = _options(request)
    duration = float(options.pop("duration", 0.0))
    faults = options.pop("faults", ())
    outcomes = options.pop("outcomes", ())
    loopback = options.pop("loopback", None)
    options.setdefault("api_key", TEST_API_KEY)
    options.setdefault("min_polls", 1)
    options.setdefault("max_output_side", 64)
    options.setdefault("created_seconds", 0.0)
    options.setdefault("processing_seconds", duration)
    options["faults"] = [Fault.parse(f) if isinstance(f, str) else f for f in faults]
    app = create_app(SandboxConfig(**options))
    for item in [outcomes] if isinstance(outcomes, Outcome) else outcomes:
        if isinstance(item, Outcome):
            app.state.sandbox.add_outcome(item)
        else:  # (outcome, prompt) or (outcome, prompt, times)
            app.state.sandbox.add_outcome(item[0], prompt=item[1], times=item[2] if len(item) > 2 else 1)

    served = _step1x_sandbox_runtime.loopback(required=loopback is True) if loopback is not False else None
    if served is not None:
        server, dispatch = served
        base_url = server.base_url
        app.state.sandbox.drop_hook = dispatch.state.sandbox.drop_hook
        dispatch.target = app
    else:
        base_url = IN_PROCESS_URL
    fixture = Step1XSandbox(app, base_url, _step1x_sandbox_runtime, loopback=served is not None)
    monkeypatch.setenv("WAVESPEED_BASE_URL", base_url)
    monkeypatch.setenv("WAVESPEED_API_KEY", fixture.api_key)
    try:
        yield fixture
    finally:
        fixture._close()
        if served is not None and served[1].target is app:
            served[1].target = None
