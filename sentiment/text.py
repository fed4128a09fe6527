"""Reddit text -> the plain text a sentiment model should read.

Reddit bodies arrive as markdown with HTML entities (`&amp;`, `&gt;`), sometimes
raw HTML, links, zero-width spaces and quoted lines (`> what the parent said`).
The model should read what the author says: link text without the URL, no
markup, no quoted text (unless the whole comment is a quote), whitespace
collapsed. Pure functions, no Django, no heavy imports.
"""

from __future__ import annotations

import html
import re

REMOVED_MARKERS = {
    "[deleted]",
    "[removed]",
    "[ Removed by Reddit ]",
    "[removed by reddit]",
}

_ZERO_WIDTH = re.compile("[\u200b\u200c\u200d\u2060\ufeff]")
_TAG = re.compile(r"</?[a-zA-Z][^<>]{0,200}>")
_MD_IMAGE_OR_LINK = re.compile(r"!?\[([^\]\n]{0,500})\]\((?:[^()\s]|\([^()\s]*\))*\)")
_URL = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_SUB_OR_USER = re.compile(r"(?<!\w)/?([ru])/(\w+)")
_MD_MARKUP = re.compile(r"(\*{1,3}|_{2,3}|~~|\^|`{1,3}|^#{1,6}\s*|^\s*[-*+]\s+|^\s*\d+\.\s+)", re.MULTILINE)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def clean_text(raw: str) -> str:
    """Strip markup from one Reddit text; '' when nothing worth scoring is left."""
    if not raw:
        return ""
    text = raw.strip()
    if text in REMOVED_MARKERS:
        return ""
    # Entities can be double-escaped in Reddit JSON (`&amp;gt;`): unescape twice at most.
    for _ in range(2):
        unescaped = html.unescape(text)
        if unescaped == text:
            break
        text = unescaped
    text = _ZERO_WIDTH.sub("", text)
    text = _TAG.sub(" ", text)
    text = _MD_IMAGE_OR_LINK.sub(r"\1", text)
    text = _URL.sub(" ", text)
    lines = text.split("\n")
    own = [line for line in lines if not line.lstrip().startswith(">")]
    if any(line.strip() for line in own):
        lines = own
    else:  # a comment that is only a quote: the quote is all it says
        lines = [line.lstrip().lstrip(">") for line in lines]
    text = "\n".join(lines)
    text = _MD_MARKUP.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n", text)
    return text.strip()


def article_text(*, kind: str, title: str, body: str) -> str:
    """Text to score for an article: title + body for a post, body for a comment."""
    body_clean = clean_text(body)
    if kind == "post":
        title_clean = clean_text(title)
        if title_clean and body_clean:
            return f"{title_clean}\n{body_clean}"
        return title_clean or body_clean
    return body_clean
