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
