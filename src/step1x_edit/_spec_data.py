"""Facts derived from openapi/step1x-edit.yaml by scripts/regenerate. Do not edit."""

from typing import Any, Final

SPEC_VERSION: Final[str] = "2027.0.0"
DEFAULT_BASE_URL: Final[str] = "https://api.wavespeed.ai"
EDIT_REQUEST_SCHEMA: Final[dict[str, Any]] = {
    "type": "object",
    "required": ["prompt", "image"],
    "additionalProperties": False,
    "properties": {
        "prompt": {"type": "string", "minLength": 1},
        "image": {
            "type": "string",
            "minLength": 1,
            "pattern": "^(https?://[^\\s/?#]+\\S*|data:[^,\\s]*;base64,[A-Za-z0-9+/=]+)$",
        },
        "negative_prompt": {"type": "string"},
        "seed": {"type": "integer", "minimum": -1, "maximum": 2147483647},
        "guidance_scale": {"type": "number", "minimum": 0, "maximum": 20, "default": 4},
        "num_inference_steps": {"type": "integer", "minimum": 1, "maximum": 50, "default": 30},
        "enable_sync_mode": {"type": "boolean", "default": False},
        "enable_base64_output": {"type": "boolean", "default": False},
    },
}
DOCUMENTED_STATUSES: Final[tuple[str, ...]] = ("created", "processing", "completed", "failed")
OBSERVED_STATUSES: Final[tuple[str, ...]] = ("cancelled", "timeout", "deleted", "pending")
TERMINAL_STATUSES: Final[frozenset[str]] = frozenset(["cancelled", "completed", "deleted", "failed", "timeout"])
SUCCESSFUL_STATUSES: Final[frozenset[str]] = frozenset(["completed"])
SYNC_TIMEOUT_TASK_CODE: Final[int] = 5004
WEBHOOK_SIGNATURE: Final[dict[str, Any]] = {
    "algorithm": "hmac-sha256",
    "digest-encoding": "hex",
    "signed-content": "{webhook-id}.{webhook-timestamp}.{body}",
    "signature-prefix": "v3,",
    "secret-prefix": "whsec_",
    "timestamp-tolerance-seconds": 300,
}
PREFERRED_UPLOAD: Final[str] = "uploadBinary"
