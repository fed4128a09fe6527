"""The table of the shared `ratelimit` cache (Django's database cache, `mp_cache`).

`migrate` makes it, so tests and `make demo` need no `createcachetable` step. It is
made whatever CACHE_URL says (an unused table costs nothing), so switching from
Redis back to the database cache needs no extra command either.
"""

from django.core.management.commands.createcachetable import Command as CreateCacheTable
from django.db import migrations

TABLE = "mp_cache"


def create(apps, schema_editor):
    command = CreateCacheTable()
    command.verbosity = 0
    command.create_table(schema_editor.connection.alias, TABLE, dry_run=False)


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP TABLE IF EXISTS {schema_editor.quote_name(TABLE)}")


class Migration(migrations.Migration):
    dependencies = [("marketpulse", "0002_jobrun_cmd_status_fin_idx")]

    operations = [migrations.RunPython(create, drop)]
