"""Edit parameters derived from openapi/step1x-edit.yaml by scripts/regenerate. Do not edit.

EditParams types the ``**params`` of edit() and submit() on both clients; EDIT_PARAM_HELP is
the same text for help(), inspect.signature and the CLI's options.
"""

from typing import Final, TypedDict

__all__ = ["EDIT_PARAM_HELP", "EDIT_PARAM_TYPES", "NAMED_ARGUMENTS", "EditParams"]


class EditParams(TypedDict, total=False):
    """Optional Step1X-Edit parameters (the spec's EditRequest fields without a named argument)."""

    negative_prompt: str
    """What the edit should avoid. No default is documented. Not sent unless given."""

    seed: int
    """Random seed for a reproducible edit; -1 asks for a random seed. No default is documented, so
    none is sent unless given. (The older v2 page allowed up to 9999999999; the v3 page says
    2147483647.) Range: -1 to 2147483647 inclusive. Not sent unless given.
    """

    guidance_scale: float
    """How closely the edit follows the prompt; higher is stricter. Range: 0 to 20 inclusive. Server
    default: 4.
    """

    num_inference_steps: int
    """Denoising steps; more is slower and usually finer. Range: 1 to 50 inclusive. Server default: 30."""


EDIT_PARAM_HELP: Final[dict[str, str]] = {
    "negative_prompt": "What the edit should avoid. No default is documented. Not sent unless given.",
    "seed": "Random seed for a reproducible edit; -1 asks for a random seed. No default is "
    "documented, so none is sent unless given. (The older v2 page allowed up to 9999999999; "
    "the v3 page says 2147483647.) Range: -1 to 2147483647 inclusive. Not sent unless given.",
    "guidance_scale": "How closely the edit follows the prompt; higher is stricter. Range: 0 to 20 "
    "inclusive. Server default: 4.",
    "num_inference_steps": "Denoising steps; more is slower and usually finer. Range: 1 to 50 "
    "inclusive. Server default: 30.",
}
EDIT_PARAM_TYPES: Final[dict[str, type]] = {
    "negative_prompt": str,
    "seed": int,
    "guidance_scale": float,
    "num_inference_steps": int,
}
NAMED_ARGUMENTS: Final[dict[str, str]] = {
    "prompt": "prompt",
    "image": "image",
    "enable_sync_mode": "sync",
    "enable_base64_output": "base64_output",
}  # request field -> argument name
