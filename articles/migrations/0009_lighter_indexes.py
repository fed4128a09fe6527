"""Fewer index entries per new article and mention; every search and page answers as before.

Each index on a table costs every INSERT (and every non-HOT UPDATE: scoring changes
`scored_at`, a column of a partial index's predicate) an entry. Measured on 100,000
comments copied in psql (BENCHMARKS.md, "Dump import end to end"), three of them cost
more than they bring:

* `article_title_trgm` held an entry for EVERY article, though a comment never has a
  title (`item_validate` stores "" for each): about 11 us of database CPU per comment,
  for nothing. It now covers posts only (`WHERE kind = 'post'`), and the admin search
  looks for titles among posts only (`ArticleAdmin.get_search_results`): the same rows.
* `article_unscored_idx` (first seen, of the unscored): analyze_sentiment claims newest
  first through `article_unscored_newest_idx` since issue 14, and the backlog figures
  read that one; nothing needs the old order any more.
* the FK index of `Mention.ticker`: `mention_ticker_created_idx` starts with `ticker`.

PostgreSQL only for the trigram part (like 0005, CONCURRENTLY, so not atomic); on SQLite
there are no trigram indexes and the rest is Django's own operations.
"""

import django.db.models.deletion
from django.db import migrations, models

TITLE_INDEX = "article_title_trgm"
TITLE_ALL = "gin (UPPER(title) gin_trgm_ops)"
TITLE_POSTS = "gin (UPPER(title) gin_trgm_ops) WHERE kind = 'post'"


def _title_index(schema_editor, using: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {TITLE_INDEX}")
    schema_editor.execute(f"CREATE INDEX CONCURRENTLY {TITLE_INDEX} ON articles_article USING {using}")
    schema_editor.execute("ANALYZE articles_article")  # statistics of the indexed expression (see 0005)


def title_posts_only(apps, schema_editor):
    _title_index(schema_editor, TITLE_POSTS)


def title_all(apps, schema_editor):
    _title_index(schema_editor, TITLE_ALL)


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("articles", "0008_mention_stance")]

    operations = [
        migrations.RemoveIndex(model_name="article", name="article_unscored_idx"),
        migrations.AlterField(
            model_name="mention",
            name="ticker",
            field=models.ForeignKey(
                db_index=False,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="mentions",
                to="articles.ticker",
            ),
        ),
        migrations.RunPython(title_posts_only, title_all, elidable=False),
    ]
