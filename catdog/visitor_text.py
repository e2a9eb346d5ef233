"""Text a visitor typed or named (a run's name, a photo's file name) kept as text where the app shows or exports it."""

from __future__ import annotations

import html
import re

# What starts Markdown anywhere in a line (emphasis, code, links, images, HTML, entities, tables, math), and what
# starts a block at a line's start (a heading, a list, a quote): CommonMark lets a backslash escape each of them.
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]<>!~$|&])")
_BLOCK_START = re.compile(r"^(\d*)([#+=>.)-])")  # "# …", "- …", "> …", "1. …"
# GitHub's Markdown, which Streamlit speaks, links bare addresses (https://…, www.…, a@b.c) even when spelt with
# escapes: an invisible word joiner in each breaks them.
_AUTOLINK_PARTS = re.compile(r"(?<=:)(?=//)|(?<=www)(?=\.)|(?<=@)", re.IGNORECASE)
WORD_JOINER = "\u2060"
# A spreadsheet reads a cell that begins with one of these as a formula (OWASP's "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def markdown_literal(text: str) -> str:
    """`text` as Markdown that shows it character for character: no link, image, emphasis, heading or HTML.

    For st.markdown, st.subheader, st.caption, alerts, button and expander labels: all render Markdown.
    Line breaks become spaces and leading spaces go, so a name stays on its heading's line and out of a code block.
    """
    text = _INLINE_SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()).lstrip())
    text = _BLOCK_START.sub(r"\1\\\2", text)
    return _AUTOLINK_PARTS.sub(WORD_JOINER, text)


def plotly_literal(text: str) -> str:
    """`text` for a Plotly legend or hover label, which read a few HTML tags (<a href>, <b>, <br>): shown as typed."""
    return html.escape(str(text), quote=False)


def csv_cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as written: text that begins like a formula gets a leading apostrophe."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
