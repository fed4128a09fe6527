"""The review queue says what each number is; a VADER-scored row shows VADER once (issue 13)."""

from __future__ import annotations

from django.urls import reverse


def test_a_vader_scored_row_shows_vader_once(reviewer_client, tickers, make_article):
    make_article(["TSLA"], label="positive", confidence=0.7, vader="positive", model="vader")
    html = reviewer_client.get(reverse("admin:articles_article_review_queue")).content.decode()
    model_line = html.split('class="review-model"', 1)[1].split("</p>", 1)[0]
    assert model_line.count("VADER") == 1 and "compound" in model_line
    assert "same scorer" in model_line


def test_a_finbert_row_labels_its_numbers(reviewer_client, tickers, make_article):
    make_article(["TSLA"], label="positive", confidence=0.9, vader="negative", model="finbert-test")
    html = reviewer_client.get(reverse("admin:articles_article_review_queue")).content.decode()
    model_line = html.split('class="review-model"', 1)[1].split("</p>", 1)[0]
    assert "confidence 0.90" in model_line and "VADER" in model_line


def _messages(response) -> list[str]:
    html = response.content.decode()
    return [part.split("</li>", 1)[0] for part in html.split('<ul class="messagelist">', 1)[1].split("<li")[1:]]


def test_review_messages_show_the_id_as_stored_and_a_readable_title(reviewer_client, tickers, make_article):
    """The admin capitalises a message's first letter: t3_... once read "T3_101h2br" (issue 30, item 8)."""
    one = make_article(["TSLA"], label="positive", confidence=0.6, title="Rocket emoji and calls")
    two = make_article(["GME", "TSLA"], label="negative", confidence=0.5, title="Two tickers at once")
    queue = reverse("admin:articles_article_review_queue")
    done = reviewer_client.post(queue, {"article_id": one.pk, "label": "positive"}, follow=True)
    [message] = _messages(done)
    assert one.reddit_id in message and "T3_" not in message, message
    assert "<bdi>Rocket emoji and calls</bdi>" in message and message.split(">", 1)[1].startswith("Reviewed")
    mention = two.mentions.get(ticker__symbol="GME")
    stance = reviewer_client.post(queue, {"article_id": two.pk, "mention_stance": f"{mention.pk}:bullish"}, follow=True)
    [message] = _messages(stance)
    assert "GME: bullish" in message and two.reddit_id in message and "T3_" not in message, message
    again = reviewer_client.post(queue, {"article_id": one.pk, "label": "negative"}, follow=True)
    [message] = _messages(again)
    assert one.reddit_id in message and "T3_" not in message and "already reviewed" in message, message
