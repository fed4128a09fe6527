"""Per-mention stance (issue 12): the stance fields on Mention, filled from each article's label.

Existing mentions take their article's label as their stance (positive -> bullish,
negative -> bearish, neutral -> neutral), its score as their score, its model as their
model, and its reviewed label as their reviewed stance, so the rollups and every page
keep their numbers until `analyze_sentiment --rescore` computes stances per ticker.
One `UPDATE ... FROM` per 50,000 mention ids (PostgreSQL, and SQLite >= 3.33), in the
migration's transaction; the constraints are added after the fill. The text and JSON
columns get database defaults ('' and []), so raw inserts that name only the linker's
columns (import_dump's INSERT ... SELECT) make unscored mentions.
"""

from django.db import migrations, models

BATCH = 50_000
_STANCE = (
    "CASE {col} WHEN 'positive' THEN 'bullish' WHEN 'negative' THEN 'bearish' WHEN 'neutral' THEN 'neutral' ELSE '' END"
)


def fill_from_articles(apps, schema_editor):
    Mention = apps.get_model("articles", "Mention")
    Article = apps.get_model("articles", "Article")
    connection = schema_editor.connection
    qn = connection.ops.quote_name
    mention, article = qn(Mention._meta.db_table), qn(Article._meta.db_table)
    bounds = Mention.objects.aggregate(lo=models.Min("id"), hi=models.Max("id"))
    if bounds["lo"] is None:
        return
    sql = f"""
        UPDATE {mention} SET
            stance = {_STANCE.format(col="a.sentiment_label")},
            stance_score = CASE WHEN a.sentiment_label = '' THEN NULL ELSE COALESCE(a.sentiment_score, 0.0) END,
            stance_model = CASE WHEN a.sentiment_label = '' THEN '' ELSE a.sentiment_model END,
            reviewed_stance = {_STANCE.format(col="a.reviewed_label")},
            stance_reviewed_at = CASE WHEN a.reviewed_label = '' THEN NULL ELSE a.reviewed_at END
        FROM {article} AS a
        WHERE a.id = {mention}.article_id
          AND (a.sentiment_label <> '' OR a.reviewed_label <> '')
          AND {mention}.id >= %s AND {mention}.id < %s
    """
    with connection.cursor() as cursor:
        for start in range(bounds["lo"], bounds["hi"] + 1, BATCH):
            cursor.execute(sql, [start, start + BATCH])


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0007_bigint_counts"),
    ]

    operations = [
        migrations.AddField(
            model_name="mention",
            name="reviewed_stance",
            field=models.CharField(
                db_default="",
                default="",
                blank=True,
                choices=[("bullish", "Bullish"), ("bearish", "Bearish"), ("neutral", "Neutral")],
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="mention",
            name="stance",
            field=models.CharField(
                db_default="",
                default="",
                blank=True,
                choices=[("bullish", "Bullish"), ("bearish", "Bearish"), ("neutral", "Neutral")],
                max_length=8,
            ),
        ),
        migrations.AddField(
            model_name="mention",
            name="stance_cues",
            field=models.JSONField(
                db_default=[],
                blank=True,
                default=list,
                help_text="The retail cues that fired in this ticker's text: [[name, weight], ...].",
            ),
        ),
        migrations.AddField(
            model_name="mention",
            name="stance_model",
            field=models.CharField(
                db_default="",
                default="",
                blank=True,
                help_text='What produced it: "cues+vader", "cues+finbert:<model>", "linear:<version>".',
                max_length=200,
            ),
        ),
        migrations.AddField(
            model_name="mention",
            name="stance_reviewed_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="mention",
            name="stance_score",
            field=models.FloatField(blank=True, help_text="Bullish (+1) to bearish (-1).", null=True),
        ),
        migrations.RunPython(fill_from_articles, migrations.RunPython.noop, elidable=False),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.CheckConstraint(
                condition=models.Q(("stance__in", ["", "bullish", "bearish", "neutral"])), name="mention_stance_valid"
            ),
        ),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.CheckConstraint(
                condition=models.Q(("reviewed_stance__in", ["", "bullish", "bearish", "neutral"])),
                name="mention_reviewed_stance_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("stance_score__isnull", True),
                    models.Q(("stance_score__gte", -1.0), ("stance_score__lte", 1.0)),
                    _connector="OR",
                ),
                name="mention_stance_score_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("stance", ""), ("stance_score__isnull", True)),
                    models.Q(models.Q(("stance", ""), _negated=True), ("stance_score__isnull", False)),
                    _connector="OR",
                ),
                name="mention_stance_scored_consistent",
            ),
        ),
        migrations.AddConstraint(
            model_name="mention",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(("stance_reviewed_at__isnull", True), ("reviewed_stance", "")),
                    models.Q(("stance_reviewed_at__isnull", False), models.Q(("reviewed_stance", ""), _negated=True)),
                    _connector="OR",
                ),
                name="mention_stance_reviewed_consistent",
            ),
        ),
    ]
