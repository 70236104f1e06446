"""The one reading of the spec's regular expressions (JSON Schema patterns are ECMA-262).

Used by the client's validation and by the sandbox's, so a value one accepts the other does
too. Python's ``re`` differs from ECMA-262 where the spec's patterns care: ``$`` also matches
before a final newline, and ``\\s``/``\\S`` cover other characters.
"""

from __future__ import annotations

import re
from functools import cache

__all__ = ["ecma_pattern"]

# ECMA-262 (JSON Schema's regex dialect) whitespace; Python's \s differs (\x1c-\x1f, \x85, no \ufeff).
_ECMA_WS = "\\t\\n\\x0b\\x0c\\r \\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000\\ufeff"


@cache
def ecma_pattern(regex: str) -> re.Pattern[str]:
    """Compile a JSON Schema (ECMA-262) pattern with ECMA meanings of \\s, \\S and $."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(regex):
        char = regex[i]
        if char == "\\" and i + 1 < len(regex):
            escape = regex[i + 1]
            if escape == "s":
                out.append(_ECMA_WS if in_class else f"[{_ECMA_WS}]")
            elif escape == "S" and not in_class:
                out.append(f"[^{_ECMA_WS}]")
            else:
                out.append(regex[i : i + 2])
            i += 2
            continue
        if char == "[" and not in_class:
            in_class = True
        elif char == "]" and in_class:
            in_class = False
        elif char == "$" and not in_class:
            char = r"\Z"  # Python's $ also matches before a trailing newline
        out.append(char)
        i += 1
    return re.compile("".join(out))
