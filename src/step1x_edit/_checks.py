"""Checks of the client's configuration and identifiers: base URL, key, timeouts, retries, ids.

Each returns the value to use or raises InvalidParameterError naming the argument; none sends
anything. The key is never echoed, not even in part.
"""

from __future__ import annotations

import logging
import warnings

import httpx

from ._constants import CONNECT_TIMEOUT, ENV_API_KEY, POOL_TIMEOUT, READ_TIMEOUT, WRITE_TIMEOUT
from ._deadline import seconds
from ._exceptions import InvalidParameterError
from ._models import is_usable_id
from ._retry import is_loopback

log = logging.getLogger("step1x_edit")


def _check_id(prediction_id: object) -> str:
    if not is_usable_id(prediction_id):
        raise InvalidParameterError(
            "prediction_id", prediction_id, "a prediction id string such as the one submit returned"
        )
    assert isinstance(prediction_id, str)
    return prediction_id


_API_PATH = "/api/v3"


def _normalise_base_url(url: str) -> str:
    """Suggest the scheme when it is missing; drop a trailing API path (``/api/v3``...) users often copy."""
    head = url.split("/", 1)[0]
    if "://" not in url:
        host = head.rsplit(":", 1)[0] if head.count(":") == 1 else head
        scheme = "http" if is_loopback(host) else "https"
        suggestion = f"{scheme}://{url.rstrip('/')}"
        raise InvalidParameterError(
            "base_url",
            url,
            f"a URL with its scheme, e.g. {suggestion}",
            message=f"base_url {url!r} has no scheme: did you mean {suggestion}?",
        )
    parsed = httpx.URL(url)
    path = parsed.path.rstrip("/")
    if _API_PATH in path:
        before = path[: path.index(_API_PATH)]
        log.debug("base_url %s: dropping %s (the client adds the API path itself)", url, path[len(before) :])
        return str(parsed.copy_with(path=before or "/", query=None, fragment=None)).rstrip("/")
    return url


def _check_base_url(url: object) -> str:
    allowed = "an https URL (plain http only to a loopback address: the API key would travel in clear text)"
    if not isinstance(url, str | httpx.URL):
        raise InvalidParameterError("base_url", url, allowed)
    try:
        text = _normalise_base_url(str(url))  # a missing scheme is refused with a suggestion
        parsed = httpx.URL(text)
    except InvalidParameterError:
        raise
    except (httpx.InvalidURL, ValueError, TypeError):
        raise InvalidParameterError("base_url", url, allowed) from None
    if parsed.host and (parsed.scheme == "https" or (parsed.scheme == "http" and is_loopback(parsed.host))):
        return text.rstrip("/")
    raise InvalidParameterError("base_url", str(url), allowed)


def _check_key(key: object) -> str:
    if not isinstance(key, str) or not key:
        raise InvalidParameterError(
            "api_key",
            None,
            f"pass api_key= or set {ENV_API_KEY}",
            show_value=False,
            message=f"no API key: pass api_key= to the client or set the {ENV_API_KEY} environment variable",
        )
    # Printable ASCII without spaces: anything else cannot travel in a header (and h11 would
    # echo the value in its error). The message never shows the key, not even a part of it.
    if not all("!" <= c <= "~" for c in key):
        raise InvalidParameterError(
            "api_key",
            None,
            "printable ASCII only (no spaces, control characters such as CR/LF, or non-ASCII letters); "
            "check for a stray newline where the key was pasted",
            show_value=False,
        )
    return key


def _check_timeout(timeout: object) -> httpx.Timeout:
    """The per-request limits from ``request_timeout=`` (seconds, an httpx.Timeout, or None)."""
    if timeout is None or isinstance(timeout, int | float):
        limit = seconds("request_timeout", timeout)
        return httpx.Timeout(
            limit if limit is not None else READ_TIMEOUT,
            connect=CONNECT_TIMEOUT if limit is None else min(CONNECT_TIMEOUT, limit),
            write=WRITE_TIMEOUT if limit is None else limit,
            pool=POOL_TIMEOUT if limit is None else min(POOL_TIMEOUT, limit),
        )
    if isinstance(timeout, httpx.Timeout):
        for part in ("connect", "read", "write", "pool"):
            seconds(f"request_timeout.{part}", getattr(timeout, part))
        return timeout
    raise InvalidParameterError(
        "request_timeout", timeout, "seconds per request (a positive number), an httpx.Timeout, or None"
    )


def _request_timeout(request_timeout: object, timeout: object) -> object:
    """The per-request timeout from ``request_timeout=`` or the deprecated constructor ``timeout=``."""
    if timeout is None:  # not given (None was, and is, the default per-request limits)
        return request_timeout
    warnings.warn(
        "the constructor's timeout= is deprecated: pass request_timeout= (the limit of each HTTP "
        "request); timeout= on edit(), wait(), get(), upload() and download() is the call's overall deadline",
        DeprecationWarning,
        stacklevel=3,
    )
    if request_timeout is not None:
        raise InvalidParameterError(
            "timeout", timeout, "not together with request_timeout= (pass only request_timeout=)"
        )
    return timeout


def _check_retries(max_retries: object) -> int:
    if isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0:
        raise InvalidParameterError("max_retries", max_retries, "a whole number >= 0")
    return max_retries
