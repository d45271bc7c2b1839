"""Text for people in ``report.html``: policy Markdown, engine messages and evidence.

Everything here escapes first and only then adds markup, so no input (policy text from
anyone, tenant data from any user who can set a display name) can inject HTML: the
Markdown renderer understands only backticks, ``**strong**``, ``*emphasis*``,
``[text](https://...)`` links and ``-``/``*`` lists, all applied to escaped text.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping
from typing import Any

#: evidence values longer than this (as compact JSON) are shown cut, with the raw JSON on demand
CELL_MAX = 400
_CODE = re.compile(r"`([^`\n]+)`")
_STRONG = re.compile(r"\*\*([^*\n]+)\*\*")
_EM = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_LINK = re.compile(r"\[([^\]\n]+)\]\((https?://[^)\s]+)\)")
_LIST_ITEM = re.compile(r"^\s*[-*]\s+(.*)$")
#: a JSON list of strings inside an engine message: ``... : ["CA001 ...", "CA002 ..."]``
_JSON_LIST = re.compile(r'\[(?:"(?:[^"\\]|\\.)*"(?:,\s*"(?:[^"\\]|\\.)*")*)?\]')


def e(value: object) -> str:
    """Escape any value for HTML text or a quoted attribute."""
    return html.escape("" if value is None else str(value), quote=True)


def _inline(escaped: str) -> str:
    """Inline Markdown on already-escaped text; code spans are protected from the rest."""
    codes: list[str] = []

    def keep(m: re.Match[str]) -> str:
        codes.append(f"<code>{m.group(1)}</code>")
        return f"\x00{len(codes) - 1}\x00"

    text = _CODE.sub(keep, escaped)
    text = _LINK.sub(lambda m: f'<a href="{m.group(2)}" rel="noopener noreferrer">{m.group(1)}</a>', text)
    text = _STRONG.sub(r"<strong>\1</strong>", text)
    text = _EM.sub(r"<em>\1</em>", text)
    return re.sub("\x00(\\d+)\x00", lambda m: codes[int(m.group(1))], text)


def markdown(text: str | None) -> str:
    """A tiny, safe Markdown subset as HTML: paragraphs, lists and inline markup."""
    out: list[str] = []
    for block in re.split(r"\n\s*\n", str(text or "").strip()):
        lines = block.splitlines()
        if (
            lines
            and all(_LIST_ITEM.match(line) or line.startswith("  ") for line in lines)
            and _LIST_ITEM.match(lines[0])
        ):
            items: list[str] = []
            for line in lines:
                m = _LIST_ITEM.match(line)
                if m:
                    items.append(m.group(1))
                elif items:
                    items[-1] += " " + line.strip()
            out.append("<ul>" + "".join(f"<li>{_inline(e(i))}</li>" for i in items) + "</ul>")
        elif block.strip():
            out.append(f"<p>{_inline(e(' '.join(line.strip() for line in lines)))}</p>")
    return "".join(out)


def message(text: str | None) -> str:
    """An engine message for people: a JSON list of names inside it becomes a list."""
    raw = str(text or "")
    out: list[str] = []
    pos = 0
    for m in _JSON_LIST.finditer(raw):
        try:
            items = json.loads(m.group(0))
        except json.JSONDecodeError:
            continue
        out.append(e(raw[pos : m.start()]).rstrip())
        if items:
            out.append('<ul class="items">' + "".join(f"<li>{e(i)}</li>" for i in items) + "</ul>")
        else:
            out.append(" <i>none</i>")
        pos = m.end()
    out.append(e(raw[pos:]))
    return "".join(out)


def _value(value: Any) -> str:
    if value is None:
        return '<span class="muted">none</span>'
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, str | int | float):
        return e(value)
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        if not value:
            return '<span class="muted">none</span>'
        return (
            '<ul class="items">'
            + "".join(f"<li>{e(v)}</li>" for v in value[:50])
            + (f"<li class=muted>… and {len(value) - 50} more</li>" if len(value) > 50 else "")
            + "</ul>"
        )
    compact = json.dumps(value, ensure_ascii=False, sort_keys=True)
    if len(compact) > CELL_MAX:
        compact = compact[: CELL_MAX - 1] + "…"
    return f'<span class="mono">{e(compact)}</span>'


def evidence(value: Any) -> str:
    """Evidence as a readable table (a key per row), with the raw JSON on demand."""
    raw = json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False)
    raw_html = f'<details class="raw"><summary>raw JSON</summary><pre>{e(raw)}</pre></details>'
    if isinstance(value, Mapping) and value:
        rows = "".join(
            f'<tr><th scope="row">{e(k)}</th><td><div class="v">{_value(v)}</div></td></tr>'
            for k, v in sorted(value.items())
        )
        return f'<table class="evidence">{rows}</table>{raw_html}'
    return f"<div>{_value(value)}</div>{raw_html}"
