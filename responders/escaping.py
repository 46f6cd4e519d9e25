"""Target-specific escaping of telemetry strings, on top of ``safe_text``.

Device, process and account names and remote URLs are attacker-controlled: a
device renamed ``[click](https://evil)`` must not become a link in a Teams card,
and ``<img src=x onerror=...>`` or ServiceNow's ``[code]`` tag must not become
markup in a ticket or in the e-mail a ticket sends. Every value is first made
printable and bounded by ``safe_text`` (control characters shown, long values
cut with ``…[truncated]``), then escaped for where it goes.
"""

from __future__ import annotations

import html
import re

from .text import safe_text

# Characters that form Markdown constructs anywhere in a line (emphasis, links, images, code,
# strike-through, HTML); list and heading markers only matter at the start of the (single) line.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]()!<>~|])")
_MARKDOWN_LINE_START = re.compile(r"^(\s*\d*)([#>+\-.)])")
_SCHEME = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*)://")
_SERVICENOW_CODE_TAG = re.compile(r"(?i)\[(/?)code\]")


def _defang_scheme(match: re.Match[str]) -> str:
    name = match.group(1)
    if name.lower() in ("http", "https"):
        name = "hxxp" + name[4:]
    return name + "[:]//"


def defang(value: str) -> str:
    """A URL or host name that no chat client or mail reader turns into a link: ``hxxps[:]//evil[.]com``."""
    return _SCHEME.sub(_defang_scheme, value).replace(".", "[.]")


def markdown_escape(text: str) -> str:
    """Backslash-escape what Adaptive Card Markdown would turn into formatting or links."""
    escaped = _MARKDOWN_INLINE.sub(r"\\\1", text)
    return _MARKDOWN_LINE_START.sub(lambda m: m.group(1) + "\\" + m.group(2), escaped)


def card_text(value: object, limit: int = 200) -> str:
    """A telemetry value for an Adaptive Card TextBlock or FactSet: bounded, then Markdown-escaped.

    A URL inside the value loses its ``://`` so Teams does not auto-link it.
    """
    return markdown_escape(_SCHEME.sub(lambda m: m.group(1) + "[:]//", safe_text(value, limit)))


def card_url(value: object, limit: int = 200) -> str:
    """A remote URL or host from telemetry for a card: bounded, defanged, then Markdown-escaped."""
    return markdown_escape(defang(safe_text(value, limit)))


def ticket_text(value: object, limit: int = 200) -> str:
    """A telemetry value for a ticket field (Sentinel HTML, ServiceNow text and its e-mails).

    HTML-escaped, and ServiceNow's ``[code]`` escape hatch (which renders raw HTML in
    journal fields) broken up, so the value stays text wherever it is shown.
    """
    escaped = html.escape(safe_text(value, limit), quote=True)
    return _SERVICENOW_CODE_TAG.sub(lambda m: f"&#91;{m.group(1)}code&#93;", escaped)
