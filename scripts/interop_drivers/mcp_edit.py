"""Drive WaveSpeedAI's MCP server (PyPI `wavespeed-mcp`) as an MCP client would: over stdio.

Run with the throwaway venv's Python, where `wavespeed-mcp` (and its `mcp` dependency) is
installed; WAVESPEED_API_HOST points the server at the sandbox. Calls the public
`image_to_image` tool with a local file (the server inlines it as a base64 data URI: it has no
upload helper) and exits 0 when the tool reports success with an output URL.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys

from mcp import ClientSession, StdioServerParameters  # type: ignore[import-not-found]
from mcp.client.stdio import stdio_client  # type: ignore[import-not-found]


async def main(image: str, model: str) -> int:
    params = StdioServerParameters(
        command=os.path.join(os.path.dirname(sys.executable), "wavespeed-mcp"), env=dict(os.environ)
    )
    async with stdio_client(params) as (read, write), ClientSession(read, write) as session:
        await session.initialize()
        arguments = {"image": image, "images": [], "prompt": "make the sky purple", "model": model}
        result = await session.call_tool("image_to_image", arguments)
    text = result.content[0].text
    print(text)
    data = json.loads(text)
    return 0 if data.get("status") == "success" and data.get("urls") else 1


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], sys.argv[2])))
