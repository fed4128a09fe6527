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
_MD_MARKUP = re.compile(r"(\*{1,3}|_{2,3}|~~|\^|`{1,3}|^#{1,6}\s*|^\s*[-*+]\s+|^\s*\d+\.\s+)", re.MULTILINE)
_SPACES = re.compile(r"[ \t\r\f\v]+")
_BLANK_LINES = re.compile(r"\n\s*\n+")


def scoring_text_clean(raw: str) -> str:
    """Strip markup from one Reddit text (a title or a body); '' when nothing worth scoring is left.

    Not the ticker linker's cleaning (`ingest.linker`), which keeps what a reader says
    but drops what must never link (code, quotes, URLs); this one keeps what the
    sentiment model should read.
    """
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


def scoring_text(*, kind: str, title: str, body: str) -> str:
    """The text the sentiment model reads for an article: the cleaned title and body of a
    post (one line apart), the cleaned body of a comment. The raw text is
    `articles.models.article_text`."""
    body_clean = scoring_text_clean(body)
    if kind == "post":
        title_clean = scoring_text_clean(title)
        if title_clean and body_clean:
            return f"{title_clean}\n{body_clean}"
        return title_clean or body_clean
    return body_clean
