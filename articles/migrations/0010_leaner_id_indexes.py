"""Two fewer index entries per new article; every search and page answers as before.

Measured on 100,000 comments copied in psql, and in the 1M-comment dump import
(BENCHMARKS.md, "Dump import end to end", round 4):

* `reddit_id` was `unique=True`, for which Django adds, on PostgreSQL, a second index
  with `varchar_pattern_ops` (`..._like`) for LIKE queries on the column. Nothing needs
  one: the one prefix test (`analyze_sentiment --source reddit`: t1_ or t3_) matches
  every row, and PostgreSQL reads it off the newest-first walk (EXPLAIN at 1M rows).
  The uniqueness is now the named constraint `article_reddit_id_unique`: the same
  unique index, which `ON CONFLICT (reddit_id)` and every lookup use.
* `article_reddit_id_upper` (migration 0005) served the admin search's `reddit_id__iexact`.
  A stored id is a fullname as `item_validate` writes it: lower case (`t1_`/`t3_` and
  base 36), so the search now compares the term in lower case (`ArticleAdmin.
  get_search_results`) through the unique index, and the expression index goes.
* `reviewed_by`'s FK index held a NULL entry for every article never reviewed: it is now
  `article_reviewed_by_idx`, on the reviewed rows only (what deleting a user looks up).

The unique constraint is added before the old one is dropped, so `reddit_id` is never
without one. Atomic: building the unique index takes a lock on the table for a few
seconds per million rows (a deploy, not a job, runs it).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

UPPER_INDEX = "article_reddit_id_upper"


def drop_upper(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":  # 0005 made it on PostgreSQL only
        schema_editor.execute(f"DROP INDEX IF EXISTS {UPPER_INDEX}")


def create_upper(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {UPPER_INDEX} ON articles_article USING btree (UPPER(reddit_id))"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0009_lighter_indexes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddConstraint(
            model_name="article",
            constraint=models.UniqueConstraint(fields=("reddit_id",), name="article_reddit_id_unique"),
        ),
        migrations.AlterField(
            model_name="article",
            name="reddit_id",
            field=models.CharField(
                help_text="Fullname: t3_ for posts, t1_ for comments.", max_length=20, verbose_name="Reddit id"
            ),
        ),
        migrations.AddIndex(
            model_name="article",
            index=models.Index(
                condition=models.Q(("reviewed_by__isnull", False)),
                fields=["reviewed_by"],
                name="article_reviewed_by_idx",
            ),
        ),
        migrations.AlterField(
            model_name="article",
            name="reviewed_by",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="reviewed_articles",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.RunPython(drop_upper, create_upper, elidable=False),
    ]
