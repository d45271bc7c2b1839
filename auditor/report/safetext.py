"""Tenant text made safe to print: one sanitiser for the console, logs, Markdown and ``whatif``.

Names, messages and subjects come from the tenant (anyone who can name an application or
a group) and from policy packs. Printed as they are, they can:

* move the cursor or repaint a verdict (terminal escape sequences, C0/C1 controls);
* reorder what a reader sees (bidi embeddings, overrides and isolates, U+202A–202E and
  U+2066–2069, and the invisible marks U+200E, U+200F, U+061C);
* start a new line in a CI log (``\\n``, ``\\r``, U+2028, U+2029, U+0085...) that begins with a
  GitHub Actions workflow command: ``::add-mask::`` hides text from the log, ``::error``
  forges an annotation, ``::stop-commands::`` and ``::set-output`` change the job;
* render as an image, a link or HTML in ``summary.md`` (a pull-request comment or a step
  summary).

:func:`printable` strips the first two and keeps real newlines (multi-line help, diffs);
:func:`one_line` also turns every line break into a space; :func:`inert` (console fields)
also defuses a workflow command wherever a line could start with it;
:func:`guard_lines` is the last step before text reaches stdout or stderr;
:func:`markdown_text` escapes a table cell or list item for GitHub-flavoured Markdown.
"""

from __future__ import annotations

import html
import re

#: C0 controls but tab and newline, DEL, C1 controls (incl. the 8-bit CSI and NEL), the bidi
#: embeddings, overrides and isolates, the invisible direction marks, and the Unicode line
#: and paragraph separators
_CONTROLS = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069]"
)
#: every character a terminal, a CI log or a browser may start a new line at
_BREAKS = re.compile("[\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029]")
#: a GitHub Actions workflow command (``::name ...::``) or its older ``##[name]`` form
_COMMAND_AT_WORD = re.compile(r"(^|\s)(::|##\[)")
#: a line that would be read as a workflow command: the runner trims leading whitespace, and
#: a styled line may begin with SGR escape sequences
_COMMAND_LINE = re.compile(r"^((?:\s|\x1b\[[0-9;]*m)*)(::|##\[)", re.MULTILINE)
#: what is put before a defused ``::`` or ``##[``: visible, and not whitespace
DEFUSE = "\\"
#: characters escaped with a backslash in Markdown: emphasis, links and images, code,
#: strikethrough, table pipes, the escape character itself
_MD_PUNCT = re.compile(r"([\\`*_\[\]()!~|{}])")
#: what turns plain text into a link in GitHub-flavoured Markdown (extended autolinks)
_MD_AUTOLINK = re.compile(r"(?i)(:)(//)|\b(www)(\.)")


def printable(text: str) -> str:
    """``text`` without terminal control, bidi and separator characters (escape sequences
    lose their ESC and show as text); tabs and newlines are kept."""
    return _CONTROLS.sub("", text) if _CONTROLS.search(text) else text


def one_line(text: str) -> str:
    """:func:`printable`, with every line break (and tab) turned into a space."""
    return printable(_BREAKS.sub(" ", text))


def inert(text: str) -> str:
    """One line that cannot start a workflow command, wherever a log or a terminal wraps it:
    a ``::`` or ``##[`` at the start of a word gets a backslash before it."""
    flat = one_line(text)
    return (
        _COMMAND_AT_WORD.sub(lambda m: m.group(1) + DEFUSE + m.group(2), flat)
        if ":" in flat or "#" in flat
        else flat
    )


def guard_lines(text: str) -> str:
    """Text about to be written to stdout or stderr: control characters removed, and no line
    (after its leading whitespace and styling) starts with a workflow command."""
    return _COMMAND_LINE.sub(lambda m: m.group(1) + DEFUSE + m.group(2), printable_keep_sgr(text))


def printable_keep_sgr(text: str) -> str:
    """:func:`printable`, but colour and style sequences that we wrote (ESC ``[`` digits ``m``)
    are kept: a rendered rich summary passes through here."""
    if "\x1b" not in text:
        return printable(text)
    parts = re.split(r"(\x1b\[[0-9;]*m)", text)
    return "".join(p if i % 2 else printable(p) for i, p in enumerate(parts))


def markdown_text(text: str) -> str:
    """Text inside a Markdown line (a table cell, a list item): one line, HTML escaped (GitHub
    renders inline HTML), Markdown punctuation escaped so that no image, link, emphasis or
    code span is made, table pipes escaped, bare URLs kept from becoming links."""
    flat = html.escape(inert(text), quote=False)
    flat = _MD_PUNCT.sub(r"\\\1", flat)
    return _MD_AUTOLINK.sub(
        lambda m: f"\\{m.group(1)}{m.group(2)}" if m.group(1) else f"{m.group(3)}\\{m.group(4)}", flat
    )


def markdown_code(text: str) -> str:
    """The inside of a Markdown code span in a table: one line, no backtick (it would end the
    span: shown as ``'``), table pipes escaped; nothing else is interpreted there."""
    return inert(text).replace("`", "'").replace("|", "\\|")


def json_text(text: str) -> str:
    """JSON written for a terminal: the control, bidi and separator characters that ``json``
    leaves raw become ``\\uXXXX`` escapes (the same string, decoded)."""
    return _CONTROLS.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
