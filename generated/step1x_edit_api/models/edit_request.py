from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from attrs import define as _attrs_define

from ..types import UNSET, Unset

T = TypeVar("T", bound="EditRequest")


@_attrs_define
class EditRequest:
    """The Step1X-Edit input. Names not listed here are outside the contract: the API drops
    them silently and still bills the prediction (the vendor's own CLI says so), so this
    client refuses them before sending anything. The sandbox drops them like the API
    (`--strict-inputs` makes it answer 400 instead).

    """

    prompt: str
    """ The edit instruction, e.g. "make the sky purple". """
    image: str
    """ The photo to edit: an http(s) URL the server can download (for instance an
    upload's `download_url`) or a base64 data URI.
     """
    negative_prompt: str | Unset = UNSET
    """ What the edit should avoid. No default is documented. """
    seed: int | Unset = UNSET
    """ Random seed for a reproducible edit; -1 asks for a random seed. No default is
    documented, so none is sent unless given. (The older v2 page allowed up to
    9999999999; the v3 page says 2147483647.)
     """
    guidance_scale: float | Unset = 4.0
    """ How closely the edit follows the prompt; higher is stricter. """
    num_inference_steps: int | Unset = 30
    """ Denoising steps; more is slower and usually finer. """
    enable_sync_mode: bool | Unset = False
    """ Hold the submit request open until the prediction finishes. Platform-wide flag, not
    listed on the Step1X-Edit page; the server gives up after its own limit (the page
    names a 504; the SDKs expect HTTP 200, status `processing`, task code 5004).
     """
    enable_base64_output: bool | Unset = False
    """ Return outputs as base64 strings instead of CDN URLs. Platform-wide flag; cannot be
    combined with the `webhook` query parameter.
     """

    def to_dict(self) -> dict[str, Any]:
        prompt = self.prompt

        image = self.image

        negative_prompt = self.negative_prompt

        seed = self.seed

        guidance_scale = self.guidance_scale

        num_inference_steps = self.num_inference_steps

        enable_sync_mode = self.enable_sync_mode

        enable_base64_output = self.enable_base64_output

        field_dict: dict[str, Any] = {}

        field_dict.update(
            {
                "prompt": prompt,
                "image": image,
            }
        )
        if negative_prompt is not UNSET:
            field_dict["negative_prompt"] = negative_prompt
        if seed is not UNSET:
            field_dict["seed"] = seed
        if guidance_scale is not UNSET:
            field_dict["guidance_scale"] = guidance_scale
        if num_inference_steps is not UNSET:
            field_dict["num_inference_steps"] = num_inference_steps
        if enable_sync_mode is not UNSET:
            field_dict["enable_sync_mode"] = enable_sync_mode
        if enable_base64_output is not UNSET:
            field_dict["enable_base64_output"] = enable_base64_output

        return field_dict

    @classmethod
    def from_dict(cls: type[T], src_dict: Mapping[str, Any]) -> T:
        d = dict(src_dict)
        prompt = d.pop("prompt")

        image = d.pop("image")

        negative_prompt = d.pop("negative_prompt", UNSET)

        seed = d.pop("seed", UNSET)

        guidance_scale = d.pop("guidance_scale", UNSET)

        num_inference_steps = d.pop("num_inference_steps", UNSET)

        enable_sync_mode = d.pop("enable_sync_mode", UNSET)

        enable_base64_output = d.pop("enable_base64_output", UNSET)

        edit_request = cls(
            prompt=prompt,
            image=image,
            negative_prompt=negative_prompt,
            seed=seed,
            guidance_scale=guidance_scale,
            num_inference_steps=num_inference_steps,
            enable_sync_mode=enable_sync_mode,
            enable_base64_output=enable_base64_output,
        )

        return edit_request
