"""The trained stance versions side by side in the admin: the model-quality page and the
versions' changelist (read from StanceModelVersion; no store, no scikit-learn on the web path)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse

from sentiment.models import StanceModelVersion

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def _metrics(macro: float, bull: tuple[float, float]) -> dict:
    return {
        "n": 62,
        "accuracy": 0.95,
        "macro_recall": macro,
        "directional_macro_recall": macro - 0.01,
        "per_class": {
            "bullish": {"precision": bull[0], "recall": bull[1], "f1": 0.9, "support": 27},
            "bearish": {"precision": 0.9, "recall": 0.91, "f1": 0.9, "support": 26},
        },
    }


@pytest.fixture
def versions(db):
    StanceModelVersion.objects.create(
        version="20261130T120000Z-aaaaaaaaaa",
        kind="linear",
        uri="var/stance-models/versions/20261130T120000Z-aaaaaaaaaa",
        created_at=T0,
        git_sha="0123456789abcdef",
        metrics=_metrics(0.9872, (0.96, 1.0)),
        baseline_name="cues+vader",
        baseline_metrics={"macro_recall": 0.9501},
        data_counts={
            "total": 306,
            "by_source": {"demo": {"bullish": 131, "bearish": 130, "neutral": 45}},
            "train": {"total": 244},
            "held_out": {"total": 62},
        },
        promoted=True,
        promoted_at=T0,
        decision="promoted: macro recall 0.9872 > 0.9501 (cues+vader)",
    )
    StanceModelVersion.objects.create(
        version="20261130T130000Z-bbbbbbbbbb",
        kind="linear",
        uri="var/stance-models/versions/20261130T130000Z-bbbbbbbbbb",
        created_at=T0 + timedelta(hours=1),
        metrics=_metrics(0.4123, (0.41, 0.38)),
        baseline_name="linear:20261130T120000Z-aaaaaaaaaa",
        baseline_metrics={"macro_recall": 0.9872},
        data_counts={"total": 306},
        decision="refused: macro recall 0.4123 is not above the current scorer's 0.9872",
    )


def test_quality_page_shows_the_versions_side_by_side(reviewer_client, versions, django_assert_max_num_queries):
    url = reverse("admin:articles_article_quality")
    reviewer_client.get(url)
    with django_assert_max_num_queries(9):
        html = reviewer_client.get(url).content.decode()
    section = html.split('id="quality-stance-models"')[1].split("</section>")[0]
    head = section.split("</thead>")[0]
    # newest first, the promoted one marked
    assert head.index("20261130T130000Z-bbbbbbbbbb") < head.index("20261130T120000Z-aaaaaaaaaa")
    assert 'class="promoted">★ 20261130T120000Z-aaaaaaaaaa' in head
    macro = section.split('data-row="macro_recall"')[1].split("</tr>")[0]
    assert macro.count("<td>") == 2 and "0.412" in macro and "0.987" in macro
    bull = section.split('data-row="pr_bullish"')[1].split("</tr>")[0]
    assert "0.41 / 0.38" in bull and "0.96 / 1.00" in bull
    neutral = section.split('data-row="pr_neutral"')[1].split("</tr>")[0]
    assert neutral.count("<td>—</td>") == 2  # neither version had neutral in its held-out set
    assert "0.950 cues+vader" in section and "refused: macro recall" in section
    assert "demo 306" in section


def test_quality_page_without_versions_says_how_to_train(reviewer_client):
    html = reviewer_client.get(reverse("admin:articles_article_quality")).content.decode()
    section = html.split('id="quality-stance-models"')[1].split("</section>")[0]
    assert "No stance model trained yet" in section and "train_stance --promote" in section


def test_versions_changelist_is_read_only_and_side_by_side(client, versions):
    admin = User.objects.create_superuser("root", "root@example.com", "root-pass-123")
    client.force_login(admin)
    url = reverse("admin:sentiment_stancemodelversion_changelist")
    html = client.get(url).content.decode()
    assert 'id="stance-versions-table"' in html
    assert "20261130T120000Z-aaaaaaaaaa" in html and "0.950 (cues+vader)" in html
    assert client.get(reverse("admin:sentiment_stancemodelversion_add")).status_code == 403
    pk = StanceModelVersion.objects.get(promoted=True).pk
    response = client.post(reverse("admin:sentiment_stancemodelversion_change", args=[pk]), {"promoted": ""})
    assert response.status_code == 403
    assert StanceModelVersion.objects.get(pk=pk).promoted
