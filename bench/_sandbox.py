"""Run the step1x_edit sandbox in its own process (so it can be pinned to another CPU).

    python -m bench._sandbox '{"processing_seconds": 0.5, ...}'

The argument is a JSON object of `SandboxConfig` fields (api_key defaults to the bench key).
Prints one JSON line `{"base_url": ..., "pid": ...}`, then answers commands on stdin, one JSON
line each: `stats` (the sandbox's request counters) and `quit`. Exits when stdin closes, on
SIGTERM, or after SERVER_LIFETIME_S.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from typing import Any

from bench._common import API_KEY, SERVER_LIFETIME_S


def jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, (int, float, str, bool)) or value is None:
        return value
    if hasattr(value, "items"):
        return {str(k): jsonable(v) for k, v in value.items()}
    return repr(value)


def main() -> None:
    from step1x_edit.sandbox import SandboxConfig, serve

    fields: dict[str, Any] = {"api_key": API_KEY}
    if len(sys.argv) > 1:
        fields.update(json.loads(sys.argv[1]))
    config = SandboxConfig(**fields)
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    timer = threading.Timer(SERVER_LIFETIME_S, stop.set)
    timer.daemon = True
    timer.start()
    with serve(config) as server:
        print(json.dumps({"base_url": server.base_url, "pid": os.getpid()}), flush=True)

        def commands() -> None:
            for line in sys.stdin:
                cmd = line.strip()
                if cmd == "stats":
                    print(json.dumps(jsonable(server.sandbox.stats)), flush=True)
                elif cmd == "quit":
                    print("{}", flush=True)
                    break
                else:
                    print(json.dumps({"error": f"unknown command {cmd!r}"}), flush=True)
            stop.set()

        threading.Thread(target=commands, daemon=True).start()
        stop.wait()


if __name__ == "__main__":
    main()
