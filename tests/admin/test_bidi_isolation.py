"""Issue 30 item 18 (render half): user text is isolated with <bdi> wherever it is shown.

Validation strips the bidi controls from what comes in now; rows stored before it (or any
other direction change, an Arabic name say) still must not reorder the line around them.
So authors, titles and bodies render inside <bdi> on the ticker page, in the review
queue, and in the admin's list and change form.
"""

from __future__ import annotations

import re

from django.urls import reverse

from articles.models import Article

RLO = "\u202e"


def _stored_before_validation(make_article):
    article = make_article(["GME"], label="negative", title=f"{RLO}title flips", body=f"{RLO}body flips\nline two")
    Article.objects.filter(pk=article.pk).update(author=f"{RLO}evil_user", reviewed_label="")
    article.refresh_from_db()
    return article


def _isolated(html: str, text: str) -> bool:
    """Every occurrence of `text` in `html` is inside a <bdi> element, and there is one."""
    hits = [m.start() for m in re.finditer(re.escape(text), html)]
    if not hits:
        return False
    for at in hits:
        opened = html.rfind("<bdi>", 0, at)
        closed = html.rfind("</bdi>", 0, at)
        if opened == -1 or closed > opened:
            return False
    return True


def test_ticker_page_isolates_author_title_and_body(client, make_article, tickers, refresh):
    _stored_before_validation(make_article)
    refresh()
    html = client.get("/t/GME/").content.decode()
    for text in (f"{RLO}evil_user", f"{RLO}title flips", f"{RLO}body flips"):
        assert _isolated(html, text), text


def test_review_queue_isolates_title_and_body(reviewer_client, make_article, tickers):
    _stored_before_validation(make_article)
    html = reviewer_client.get(reverse("admin:articles_article_review_queue")).content.decode()
    assert f"{RLO}title flips" in html and _isolated(html, f"{RLO}title flips")
    assert _isolated(html, f"{RLO}body flips")


def test_admin_list_and_change_form_isolate_user_text(reviewer_client, make_article, tickers):
    article = _stored_before_validation(make_article)
    listing = reviewer_client.get(reverse("admin:articles_article_changelist")).content.decode()
    assert _isolated(listing, f"{RLO}title flips")
    form = reviewer_client.get(reverse("admin:articles_article_change", args=[article.pk])).content.decode()
    for text in (f"{RLO}evil_user", f"{RLO}title flips", f"{RLO}body flips"):
        assert _isolated(form, text), text
    assert "line two" in form and "<br>" in form  # the body keeps its line breaks
