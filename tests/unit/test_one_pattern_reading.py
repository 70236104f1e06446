"""Client and sandbox read the spec's (ECMA-262) patterns the same way: a value the client lets
through is never answered 400 by the sandbox for its pattern, and the other way round.

Mutation caught: the client compiling the spec's pattern with Python ``re`` as is (its ``$``
matches before a trailing newline and its ``\\s`` differs from ECMA's).
"""

from __future__ import annotations

import pytest

from step1x_edit import InvalidParameterError
from step1x_edit._validation import validate_field
from step1x_edit.sandbox._validation import RequestInvalid, validate_edit_request

URL = "https://example.com/a.png"
SAMPLES = [
    URL,
    URL + "\n",  # Python's $ matches before a final newline; ECMA's does not
    URL + "\r\n",
    "https://example.com/a\x1cb.png",  # Python's \s matches \x1c-\x1f, ECMA's does not
    "https://example.com/a\ufeffb.png",  # ECMA's \s matches U+FEFF, Python's does not
    "https://exa\u00a0mple.com/a.png",
    "data:image/png;base64,iVBORw0KGgo=",
    "data:image/png;base64,iVBORw0KGgo=\n",
]


def _client_accepts(value: str) -> bool:
    try:
        validate_field("image", value)
    except InvalidParameterError:
        return False
    return True


def _sandbox_accepts(value: str) -> bool:
    try:
        validate_edit_request({"prompt": "p", "image": value})
    except RequestInvalid:
        return False
    return True


@pytest.mark.parametrize("value", SAMPLES)
def test_client_and_sandbox_agree_on_the_image_pattern(value: str) -> None:
    assert _client_accepts(value) == _sandbox_accepts(value), repr(value)


def test_a_trailing_newline_is_refused_by_the_client() -> None:
    with pytest.raises(InvalidParameterError) as info:
        validate_field("image", URL + "\n")
    assert info.value.field == "image"
