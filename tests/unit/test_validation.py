"""Input validation: driven by the spec, clear errors, and nothing sent on bad input.

Covers a table of rejected inputs (each naming field, value and what is allowed), hypothesis
properties over the numeric ranges (read from the spec file itself, so the oracle is
independent of the code under test), image forms, and unknown parameter names.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from step1x_edit import InvalidParameterError, Step1XEdit
from step1x_edit._validation import validate_edit_params

from .conftest import SUBMIT, FakeAPI

SPEC = yaml.safe_load((Path(__file__).resolve().parents[2] / "openapi" / "step1x-edit.yaml").read_text())
FIELDS = SPEC["components"]["schemas"]["EditRequest"]["properties"]
URL = "https://example.com/a.png"


def _bounds(name: str) -> tuple[int | float, int | float]:
    return FIELDS[name]["minimum"], FIELDS[name]["maximum"]


@pytest.mark.parametrize(
    ("params", "field", "allowed"),
    [
        ({"seed": 2147483648}, "seed", "from -1 to 2147483647"),
        ({"seed": -2}, "seed", "from -1 to 2147483647"),
        ({"seed": 1.5}, "seed", "a whole number"),
        ({"seed": True}, "seed", "an integer"),
        ({"seed": "7"}, "seed", "an integer"),
        ({"guidance_scale": 20.0001}, "guidance_scale", "from 0 to 20"),
        ({"guidance_scale": -0.1}, "guidance_scale", "from 0 to 20"),
        ({"guidance_scale": math.nan}, "guidance_scale", "finite"),
        ({"guidance_scale": math.inf}, "guidance_scale", "finite"),
        ({"guidance_scale": False}, "guidance_scale", "a number"),
        ({"num_inference_steps": 0}, "num_inference_steps", "from 1 to 50"),
        ({"num_inference_steps": 51}, "num_inference_steps", "from 1 to 50"),
        ({"num_inference_steps": None}, "num_inference_steps", "an integer"),
        ({"negative_prompt": 3}, "negative_prompt", "a string"),
        ({"prompt": ""}, "prompt", "non-empty"),
        ({"image": "ftp://example.com/a.png"}, "image", "matching"),
        ({"image": "data:image/png;base64,@@@"}, "image", "matching"),
        ({"enable_sync_mode": 1}, "enable_sync_mode", "true or false"),
        ({"enable_safety_checker": True}, "enable_safety_checker", "unknown parameter"),
        ({"strength": 0.5}, "strength", "unknown parameter"),
    ],
)
def test_rejects_with_a_clear_message(params: dict[str, Any], field: str, allowed: str) -> None:
    with pytest.raises(InvalidParameterError) as info:
        validate_edit_params({"prompt": "p", "image": URL, **params})
    assert info.value.field == field
    assert allowed in str(info.value)
    assert str(info.value).startswith(f"{field}=")


@pytest.mark.parametrize("missing", ["prompt", "image"])
def test_required_fields(missing: str) -> None:
    params = {"prompt": "p", "image": URL}
    del params[missing]
    with pytest.raises(InvalidParameterError, match=f"{missing}=None is not allowed: required"):
        validate_edit_params(params)


@given(
    seed=st.integers(*_bounds("seed")),
    guidance=st.floats(*_bounds("guidance_scale"), allow_nan=False) | st.integers(*_bounds("guidance_scale")),
    steps=st.integers(*_bounds("num_inference_steps")),
)
@example(seed=-1, guidance=0, steps=1)
@example(seed=2147483647, guidance=20, steps=50)
def test_in_range_values_pass_unchanged(seed: int, guidance: float, steps: int) -> None:
    params = {"prompt": "p", "image": URL, "seed": seed, "guidance_scale": guidance, "num_inference_steps": steps}
    body = validate_edit_params(params)
    assert body == params
    wire = json.loads(httpx.Request("POST", "https://x", json=body).content)
    assert wire["seed"] == seed
    assert type(wire["seed"]) is int
    assert wire["guidance_scale"] == guidance


@given(value=st.integers() | st.floats())
@example(value=2147483648)
@example(value=-2)
@example(value=math.nan)
def test_seed_outside_range_or_not_whole_is_rejected(value: float) -> None:
    low, high = _bounds("seed")
    valid = math.isfinite(value) and float(value).is_integer() and low <= value <= high
    if valid:
        assert validate_edit_params({"prompt": "p", "image": URL, "seed": value})["seed"] == int(value)
    else:
        with pytest.raises(InvalidParameterError):
            validate_edit_params({"prompt": "p", "image": URL, "seed": value})


@given(value=st.floats(allow_nan=True, allow_infinity=True))
def test_guidance_scale_range_and_finiteness(value: float) -> None:
    low, high = _bounds("guidance_scale")
    if math.isfinite(value) and low <= value <= high:
        assert validate_edit_params({"prompt": "p", "image": URL, "guidance_scale": value})["guidance_scale"] == value
    else:
        with pytest.raises(InvalidParameterError):
            validate_edit_params({"prompt": "p", "image": URL, "guidance_scale": value})


def test_integral_float_is_sent_as_an_integer() -> None:
    body = validate_edit_params({"prompt": "p", "image": URL, "num_inference_steps": 30.0})
    assert body["num_inference_steps"] == 30
    assert type(body["num_inference_steps"]) is int


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"guidance_scale": 25}, "guidance_scale"),
        ({"seed": math.inf}, "seed"),
        ({"image": "no/such/file.png"}, "image"),
        ({"image": ""}, "image"),
        ({"cfg": 7}, "cfg"),
        ({"webhook": "not a url"}, "webhook"),
        ({"webhook": "https://hook.example/x", "base64_output": True}, "webhook"),
        ({"timeout": -1}, "timeout"),
        ({"prompt": ""}, "prompt"),
    ],
)
def test_client_sends_nothing_on_bad_input(
    client: Step1XEdit, api: FakeAPI, kwargs: dict[str, Any], field: str, tmp_path: Path
) -> None:
    call: dict[str, Any] = {"prompt": "make it blue", "image": URL, **kwargs}
    with pytest.raises(InvalidParameterError) as info:
        client.edit(**call)
    assert info.value.field == field
    assert api.requests == []


def test_bad_params_are_caught_before_a_local_file_is_uploaded(
    client: Step1XEdit, api: FakeAPI, tmp_path: Path
) -> None:
    image = tmp_path / "in.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 10)
    with pytest.raises(InvalidParameterError):
        client.edit("x", image, num_inference_steps=500)
    assert api.requests == []


def test_local_file_is_uploaded_then_submitted(client: Step1XEdit, api: FakeAPI, tmp_path: Path) -> None:
    image = tmp_path / "in.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 10)
    api.on(
        "/api/v3/media/upload/binary",
        httpx.Response(
            200,
            json={"code": 200, "data": {"type": "image", "download_url": "https://cdn.test/in.png", "size": 18}},
        ),
    )
    client.submit("x", str(image), seed=3)
    upload, submit = api.requests
    assert b'filename="in.png"' in upload.content
    assert b"Content-Type: image/png" in upload.content
    assert json.loads(submit.content)["image"] == "https://cdn.test/in.png"
    assert api.sent_json(SUBMIT)[0]["seed"] == 3
