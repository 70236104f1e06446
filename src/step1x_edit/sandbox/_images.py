"""Stand-in "model" of the sandbox: deterministic Pillow transforms, NOT an edit.

The sandbox does not edit images and does not understand the prompt. It derives a few
parameters (posterize depth, a tint colour and strength, whether to invert or mirror) from a
hash of ``seed`` and ``prompt`` and applies them to the input image, so the same request always
gives the same bytes and different prompts visibly differ. Inputs it cannot read (URLs it does
not serve) are replaced by a placeholder drawn from a hash of the URL; nothing is downloaded.
"""

from __future__ import annotations

import functools
import hashlib
import io
import random

from PIL import Image, ImageDraw, ImageOps


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8", "surrogatepass")).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


@functools.lru_cache(maxsize=64)
def placeholder(url: str, size: int = 256) -> Image.Image:
    """A deterministic gradient-and-shapes picture standing for an image the sandbox won't fetch.

    Cached (drawing it cost 1.5 ms a job): callers must not change it (``transform`` copies)."""
    rng = _rng("placeholder", url)
    c1 = tuple(rng.randrange(256) for _ in range(3))
    c2 = tuple(rng.randrange(256) for _ in range(3))
    img = Image.linear_gradient("L").resize((size, size)).convert("RGB")
    img = ImageOps.colorize(img.convert("L"), black=c1, white=c2)
    draw = ImageDraw.Draw(img)
    for _ in range(4):
        x0, y0 = rng.randrange(size // 2), rng.randrange(size // 2)
        x1, y1 = x0 + rng.randrange(16, size // 2), y0 + rng.randrange(16, size // 2)
        draw.ellipse((x0, y0, x1, y1), fill=tuple(rng.randrange(256) for _ in range(3)))
    return img


def decode(data: bytes) -> Image.Image:
    """Open image bytes; raises ``ValueError`` if they are not an image Pillow can read."""
    try:
        img = Image.open(io.BytesIO(data))
        img.load()
    except Exception as exc:  # Pillow raises many types for bad input
        raise ValueError(f"not a readable image ({type(exc).__name__})") from None
    return img


def sniff_type(data: bytes, content_type: str | None) -> str | None:
    """``image``/``video``/``audio`` for an upload, or None when it is none of them."""
    try:
        decode(data)
        return "image"
    except ValueError:
        pass
    major = (content_type or "").split("/", 1)[0].lower()
    return major if major in ("image", "video", "audio") else None


def transform(img: Image.Image, *, prompt: str, seed: int | None, max_side: int) -> bytes:
    """The sandbox's stand-in output: a deterministic function of (image, prompt, seed) as PNG."""
    rng = _rng("edit", prompt, seed)
    out = ImageOps.exif_transpose(img).convert("RGB")
    out.thumbnail((max_side, max_side))
    out = ImageOps.posterize(out, rng.choice((2, 3, 4, 5)))
    tint = Image.new("RGB", out.size, tuple(rng.randrange(256) for _ in range(3)))
    out = Image.blend(out, tint, rng.uniform(0.15, 0.45))
    if rng.random() < 0.3:
        out = ImageOps.invert(out)
    if rng.random() < 0.5:
        out = ImageOps.mirror(out)
    buf = io.BytesIO()
    # zlib level 1: the sandbox's PNGs are stand-ins, and level 6 cost 1.5 ms of its event loop
    # per finished job (a quarter of a core at 64 jobs/s in the batch benchmark).
    out.save(buf, format="PNG", optimize=False, compress_level=1)
    return buf.getvalue()
