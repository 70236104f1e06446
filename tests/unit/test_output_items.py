"""Output items shaped ``{"url": ...}`` (tolerant client, issue 16).

The spec says outputs are strings (objects are the `outputs-as-objects` drift, which the live
check reports as breaking); the client still reads ``{"url": ...}`` items as their URL, as the
vendor's desktop app and CLI do, and turns any other item into ContractViolationError carrying
the prediction id instead of an AttributeError later. Mutations caught: dropping the tolerance
(a dict in ``outputs``), or letting odd items through (no ContractViolationError).
"""

from __future__ import annotations

import httpx
import pytest

from step1x_edit import ContractViolationError, Step1XEdit

from .conftest import PID, RESULT, FakeAPI, envelope, prediction


def _completed(outputs: list[object]) -> httpx.Response:
    data = prediction("completed")
    data["outputs"] = outputs
    data["has_nsfw_contents"] = [False] * len(outputs)
    return httpx.Response(200, json=envelope(data))


def test_url_objects_read_as_their_url(client: Step1XEdit, api: FakeAPI) -> None:
    api.on(RESULT, _completed([{"url": "https://cdn.test/out/0.png"}, "https://cdn.test/out/1.png"]))
    result = client.get(PID)
    assert result.outputs == ("https://cdn.test/out/0.png", "https://cdn.test/out/1.png")
    assert result.raw["outputs"][0] == {"url": "https://cdn.test/out/0.png"}  # raw keeps what was sent


@pytest.mark.parametrize("item", [{"href": "https://cdn.test/x.png"}, 42, None, {"url": 7}])
def test_other_items_are_a_contract_violation_naming_the_prediction(
    client: Step1XEdit, api: FakeAPI, item: object
) -> None:
    api.on(RESULT, _completed([item]))
    with pytest.raises(ContractViolationError) as caught:
        client.get(PID)
    assert caught.value.prediction_id == PID
