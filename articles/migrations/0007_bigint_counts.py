"""Article.score and num_comments as BigIntegerField (issue 13).

Reddit's own numbers can pass 2**31 (a hostile or corrupt answer: score 3e9,
num_comments 5e9); as IntegerField PostgreSQL refused the row with DataError and the
whole batch (a thread, a subreddit's posts) was lost. `ingest.validation` reads the
clamp bounds from these fields' types, so it follows this change by itself.

On PostgreSQL the type change rewrites the table under an ACCESS EXCLUSIVE lock: run
it when no job is writing (the deploy runs migrations before the jobs start).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0006_article_unscored_newest_idx"),
    ]

    operations = [
        migrations.AlterField(
            model_name="article",
            name="num_comments",
            field=models.BigIntegerField(default=0),
        ),
        migrations.AlterField(
            model_name="article",
            name="score",
            field=models.BigIntegerField(default=0, verbose_name="upvotes"),
        ),
    ]
