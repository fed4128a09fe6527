"""Trigram (pg_trgm) GIN indexes for the admin's article and ticker search; nothing on SQLite.

The admin searches with Django's `icontains`, which PostgreSQL runs as
`UPPER(col::text) LIKE UPPER('%term%')`: a GIN index of `UPPER(col) gin_trgm_ops`
answers that for any term of three characters or more, instead of scanning a
million rows. `=reddit_id` (`iexact`: `UPPER(reddit_id::text) = UPPER('t3_x')`)
gets a B-tree on the same expression, so every branch of the search's OR can use
an index (one unindexed branch would make PostgreSQL scan the table anyway). The
tables are then ANALYZEd: PostgreSQL keeps statistics of indexed expressions, and
needs them to see that a rare term matches few rows.

PostgreSQL only: the indexes are built CONCURRENTLY (the scraper keeps writing while
they build), so the migration is not atomic. `CREATE EXTENSION pg_trgm` needs a role
allowed to create it (pg_trgm is a trusted extension: the database owner may). On
SQLite the migration does nothing and search stays a plain scan (a laptop's data).
Figures: BENCHMARKS.md, "Admin search with trigram indexes".
"""

from django.db import migrations

INDEXES = [
    ("articles_article", "article_title_trgm", "gin (UPPER(title) gin_trgm_ops)"),
    ("articles_article", "article_body_trgm", "gin (UPPER(body) gin_trgm_ops)"),
    ("articles_article", "article_author_trgm", "gin (UPPER(author) gin_trgm_ops)"),
    ("articles_article", "article_reddit_id_upper", "btree (UPPER(reddit_id))"),
    ("articles_ticker", "ticker_symbol_trgm", "gin (UPPER(symbol) gin_trgm_ops)"),
    ("articles_ticker", "ticker_name_trgm", "gin (UPPER(name) gin_trgm_ops)"),
    ("articles_ticker", "ticker_aliases_trgm", "gin (UPPER(aliases::text) gin_trgm_ops)"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, name, using in INDEXES:
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} ON {table} USING {using}")
    # Statistics of the indexed expressions: without them PostgreSQL guesses how many rows
    # match `%term%` and, for a rare term, walks the newest-first index filtering a million
    # rows instead of reading the few matches from the trigram index (2.5 s vs 25 ms).
    for table in sorted({table for table, _name, _using in INDEXES}):
        schema_editor.execute(f"ANALYZE {table}")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name, _using in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")


class Migration(migrations.Migration):
    atomic = False  # CREATE INDEX CONCURRENTLY cannot run in a transaction

    dependencies = [("articles", "0004_mention_article_no_extra_index")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
