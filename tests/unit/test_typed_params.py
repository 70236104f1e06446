"""Edit parameters are typed from the spec: mypy rejects a misspelt or mistyped one on both
clients, the run-time error suggests the closest name, and help() shows every field's range.

Mutations caught: ``**params: Any`` instead of ``Unpack[EditParams]`` on either client (the mypy
test), dropping the did-you-mean hint, dropping the signature rewrite (no range in help()).
"""

from __future__ import annotations

import inspect
import pydoc
import textwrap
from pathlib import Path

import pytest
from mypy import api as mypy_api

from step1x_edit import AsyncStep1XEdit, InvalidParameterError, Step1XEdit
from step1x_edit._params import EDIT_PARAM_HELP, EditParams
from step1x_edit._spec_data import EDIT_REQUEST_SCHEMA

ROOT = Path(__file__).resolve().parents[2]

CALLS = textwrap.dedent(
    """\
    from step1x_edit import AsyncStep1XEdit, Step1XEdit


    def sync_calls(client: Step1XEdit) -> None:
        client.edit("x", "a.png", guidence_scale=5)  # line 5
        client.edit("x", "a.png", seed="42")  # line 6
        client.submit("x", "a.png", num_inference_step=30)  # line 7
        client.edit("x", "a.png", seed=42, guidance_scale=4.5, num_inference_steps=30, negative_prompt="blur")


    async def async_calls(client: AsyncStep1XEdit) -> None:
        await client.edit("x", "a.png", guidence_scale=5)  # line 12
        await client.submit("x", "a.png", seed="42")  # line 13
        await client.edit("x", "a.png", seed=42, guidance_scale=4)
    """
)


def test_mypy_strict_rejects_misspelt_and_mistyped_parameters(tmp_path: Path) -> None:
    target = tmp_path / "calls.py"
    target.write_text(CALLS, encoding="utf-8")
    stdout, stderr, status = mypy_api.run(
        [
            "--strict",
            "--no-incremental",
            "--cache-dir",
            str(tmp_path / "cache"),
            "--config-file",
            str(ROOT / "pyproject.toml"),
            str(target),
        ]
    )
    assert status == 1, stdout + stderr
    errors = {int(line.split(":")[1]): line for line in stdout.splitlines() if ": error:" in line}
    assert sorted(errors) == [5, 6, 7, 12, 13], stdout
    assert '"guidence_scale"' in errors[5]
    assert '"guidence_scale"' in errors[12]
    assert '"seed"' in errors[6]
    assert "str" in errors[6]
    assert '"seed"' in errors[13]
    assert '"num_inference_step"' in errors[7]


@pytest.mark.parametrize("client_class", [Step1XEdit, AsyncStep1XEdit])
def test_unknown_parameter_suggests_the_closest_name(client_class: type[Step1XEdit | AsyncStep1XEdit]) -> None:
    client = client_class(api_key="k", base_url="http://127.0.0.1:9")
    with pytest.raises(InvalidParameterError) as caught:
        client._prepare(
            "x", "https://example.com/a.png", {"guidence_scale": 5}, sync=False, base64_output=False, webhook=None
        )
    assert caught.value.field == "guidence_scale"
    assert "did you mean 'guidance_scale'?" in str(caught.value)
    with pytest.raises(InvalidParameterError) as far:
        client._prepare("x", "https://example.com/a.png", {"zzz": 5}, sync=False, base64_output=False, webhook=None)
    assert "did you mean" not in str(far.value)


@pytest.mark.parametrize("method", [Step1XEdit.edit, Step1XEdit.submit, AsyncStep1XEdit.edit, AsyncStep1XEdit.submit])
def test_signature_and_help_show_each_parameter_with_its_range(method: object) -> None:
    signature = inspect.signature(method)  # type: ignore[arg-type]
    assert set(EditParams.__annotations__) == set(EDIT_PARAM_HELP)
    text = pydoc.render_doc(method, renderer=pydoc.plaintext)
    for name in EDIT_PARAM_HELP:
        rule = EDIT_REQUEST_SCHEMA["properties"][name]
        parameter = signature.parameters[name]
        assert parameter.kind is inspect.Parameter.KEYWORD_ONLY
        shown = str(parameter)
        if "minimum" in rule:
            assert f"from {rule['minimum']} to {rule['maximum']} inclusive" in shown
            assert f"Range: {rule['minimum']} to {rule['maximum']} inclusive." in text
        if "default" in rule:
            assert f"server default {rule['default']}" in shown
        assert name in text
    assert "num_inference_steps" in str(signature)
    assert "an integer from 1 to 50 inclusive" in text
