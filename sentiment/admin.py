"""Admin for the stance training data and the trained versions (on the web path: models only).

The versions come from `StanceModelVersion`, the table `train_stance` writes beside the
model store; nothing here imports boto3, scikit-learn or `sentiment.stance.linear`
(.importlinter, contract "web-slim-stance"). The side-by-side table of versions is the
`stance_versions` template tag (`sentiment/templatetags/stance_admin.py`), shown on this
changelist and on the articles' model-quality page.
"""

from __future__ import annotations

from django.contrib import admin

from sentiment.models import StanceExample, StanceModelVersion


@admin.register(StanceModelVersion)
class StanceModelVersionAdmin(admin.ModelAdmin):
    change_list_template = "admin/sentiment/stancemodelversion/change_list.html"
    list_display = (
        "version",
        "kind",
        "is_promoted",
        "macro_recall_display",
        "baseline_display",
        "examples",
        "created_at",
        "git_short",
    )
    list_filter = ("promoted", "kind")
    search_fields = ("version", "git_sha")
    readonly_fields = [f.name for f in StanceModelVersion._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False  # versions come from train_stance

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # promotion is train_stance --promote (the store is the source of truth)

    @admin.display(boolean=True, description="promoted", ordering="promoted")
    def is_promoted(self, obj: StanceModelVersion) -> bool:
        return obj.promoted

    @admin.display(description="macro recall (held out)")
    def macro_recall_display(self, obj: StanceModelVersion) -> str:
        value = obj.macro_recall
        return "—" if value is None else f"{value:.3f}"

    @admin.display(description="current scorer then")
    def baseline_display(self, obj: StanceModelVersion) -> str:
        value = obj.baseline_macro_recall
        return "—" if value is None else f"{value:.3f} ({obj.baseline_name})"

    @admin.display(description="examples")
    def examples(self, obj: StanceModelVersion) -> int:
        return int((obj.data_counts or {}).get("total", 0))

    @admin.display(description="git")
    def git_short(self, obj: StanceModelVersion) -> str:
        return obj.git_sha[:10]


@admin.register(StanceExample)
class StanceExampleAdmin(admin.ModelAdmin):
    list_display = ("short_text", "label", "source", "imported_at")
    list_filter = ("label", "source")
    search_fields = ("text",)
    readonly_fields = ("text_hash", "imported_at")
    fields = ("text", "label", "source", "text_hash", "imported_at")
    list_per_page = 100

    def has_add_permission(self, request) -> bool:
        return False  # examples come from import_labels (de-duplicated by text hash)

    @admin.display(description="text")
    def short_text(self, obj: StanceExample) -> str:
        return obj.text if len(obj.text) <= 120 else obj.text[:119] + "…"
