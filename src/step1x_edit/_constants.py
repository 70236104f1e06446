"""Every default knob of the client, in one place. API facts live in _spec_data (from the spec)."""

from __future__ import annotations

ENV_API_KEY = "WAVESPEED_API_KEY"
ENV_BASE_URL = "WAVESPEED_BASE_URL"
ENV_WEBHOOK_SECRET = "WAVESPEED_WEBHOOK_SECRET"
CLIENT_NAME = "step1x-edit"
CLIENT_VERSION = "0.1.0"  # = pyproject.toml's version (tests/test_packaging.py checks)

# Per-request timeouts (seconds). The overall deadline of edit()/wait() clips all of them.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 60.0
WRITE_TIMEOUT = 60.0
POOL_TIMEOUT = 10.0
# Requests one async client sends at once (and connections it keeps open). More wait their turn
# in the client, at no cost, rather than in httpcore's pool, whose bookkeeping for queued
# requests grows with the queue times the connections (92 s of CPU for 1,000 edits 256 at once).
MAX_CONNECTIONS = 32
# Sync mode holds the submit open until the prediction ends; the server gives up after ~90 s.
SYNC_READ_TIMEOUT = 120.0
# edit() and wait() give up after this long unless told otherwise (None: no limit).
DEFAULT_WAIT_TIMEOUT = 600.0

# Retries of safe requests (result polls, downloads), and of any request that provably never
# reached the server (connect failures) or was turned away with 429.
DEFAULT_MAX_RETRIES = 5
INITIAL_RETRY_DELAY = 0.5
MAX_RETRY_DELAY = 8.0
# A connection that cannot be opened (wrong host or port, server down) is retried at most this
# often (backoff 0.5 s then 1 s), so a wrong base URL fails in about 1.5 s, not 14 s; a refused
# connection to a loopback address is not retried at all (nothing listens on that port).
MAX_CONNECT_RETRIES = 2
# Honour server-directed delays (Retry-After) up to a minute; longer ones are clipped to this.
MAX_RETRY_AFTER = 60.0

# Polling: first poll 0.3 s after submit, then each poll at 1.25 x elapsed + 0.05 s, at most
# 6 s apart. A job done at 1 s is seen at 1.02 s; a 30 s job costs 20 polls; the detection delay
# never exceeds 50 ms + 25 % of the job's duration. See _polling.py.
POLL_FIRST = 0.3
POLL_FACTOR = 1.25
POLL_STEP = 0.05
POLL_MAX_INTERVAL = 6.0

# Never submit without budget: a submit is billed, so it is sent only when at least this many
# seconds of the caller's deadline are left to hear its answer (the id). Less, and the call raises
# DeadlineExceededError saying nothing was submitted. edit()/submit() refuse a timeout below it.
MIN_SUBMIT_BUDGET = 1.0

# Largest file upload() / a local image will send. The vendor recommends passing a URL instead
# above 300 MB (docs: upload-files-api); not yet in the spec.
MAX_UPLOAD_BYTES = 300 * 1024 * 1024
# Largest output download() will write (streamed to disk, never held in memory); per call
# ``max_bytes=`` changes it.
MAX_DOWNLOAD_BYTES = 100 * 1024 * 1024
# Largest API answer (JSON, possibly carrying base64 outputs) the client will read.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
