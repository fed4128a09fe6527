"""Create the `reviewers` group with exactly the permissions sentiment review needs.

Reviewers may: see articles, tickers and mentions; change articles (the admin only
lets them edit the review fields; every other field is read-only) — which is also
the permission that gates the review actions, the "Needs review" queue, unlinking
a wrong mention, and the model-quality page. Nothing else (no deletes, no ticker
edits, no job runs, no users).

Permissions do not exist yet on a fresh database (Django creates them in a
post_migrate signal, after all migrations), so this migration creates them first.
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

GROUP = "reviewers"
PERMISSIONS = [
    ("articles", "view_article"),
    ("articles", "change_article"),
    ("articles", "view_ticker"),
    ("articles", "view_mention"),
]


def create_group(apps, schema_editor):
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    group, _ = Group.objects.get_or_create(name=GROUP)
    perms = []
    for app_label, codename in PERMISSIONS:
        perms.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
    group.permissions.set(perms)


def delete_group(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("articles", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_group, delete_group)]
