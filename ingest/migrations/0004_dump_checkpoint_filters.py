"""DumpCheckpoint.filters: a checkpoint is one file read with one set of filters (issue 30, item 10).

Rows written before have filters "", which no run computes: a run after this migration
reads such a file again from its first line (rows are keyed by fullname, so nothing doubles).
"""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("ingest", "0003_thread_num_comments_bigint"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="dumpcheckpoint",
            name="dumpckpt_identity_unique",
        ),
        migrations.AddField(
            model_name="dumpcheckpoint",
            name="filters",
            field=models.CharField(
                blank=True,
                default="",
                help_text="The run's --subreddit/--since/--until/--kind, as JSON.",
                max_length=2048,
            ),
        ),
        migrations.AddConstraint(
            model_name="dumpcheckpoint",
            constraint=models.UniqueConstraint(
                fields=("source", "size", "version", "filters"), name="dumpckpt_identity_unique"
            ),
        ),
    ]
