"""Making telemetry strings safe to show: they are attacker-controlled.

A device name or URL can carry terminal escape sequences, bidi overrides that
reorder what an analyst reads, or megabytes of padding. Every responder that
renders such a string for people passes it through ``safe_text`` first; the
target's own escaping (Markdown, HTML) is applied on top by that responder.
"""

from __future__ import annotations

import unicodedata

TRUNCATION_MARK = "…[truncated]"


def safe_text(value: object, limit: int = 200) -> str:
    """``value`` as one printable line of at most ``limit`` characters.

    Control and format characters (ESC, CR/LF, U+202E and friends) are shown as
    ``\\uXXXX`` escapes instead of acting; a longer text is cut and ends with
    ``…[truncated]`` so nobody mistakes it for the whole value.
    """
    text = "" if value is None else str(value)
    shown = "".join(
        f"\\u{ord(ch):04x}" if unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") else ch for ch in text
    )
    if len(shown) > limit:
        shown = shown[: max(0, limit - len(TRUNCATION_MARK))] + TRUNCATION_MARK
    return shown
