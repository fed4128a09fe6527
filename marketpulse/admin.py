"""JobRun admin: read-only history of every job run, newest first.

Holds `ReadOnlyAdminMixin`, here in the lowest layer that uses it (the article
admins import it from here; marketpulse never imports articles). Admin logins are
throttled by django-axes (settings `AXES_*`); its attempts and lockouts show under
"Axes" (delete an access attempt to lift a lockout).
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.text import Truncator

from marketpulse.models import JobRun

admin.site.site_header = "Market Pulse admin"
admin.site.site_title = "Market Pulse admin"


class ReadOnlyAdminMixin:
    """A ModelAdmin for rows only the jobs write: nobody adds, changes or deletes them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(JobRun)
class JobRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["command", "status", "started_at", "finished_at", "duration", "counters_short", "error_short"]
    list_filter = ["command", "status"]

    class Media:
        css = {"all": ["admin-changelist/changelist.css"]}  # every column on screen at 1280 px

    search_fields = ["=command", "error"]
    ordering = ["-started_at"]
    date_hierarchy = None
    list_per_page = 100
    show_full_result_count = False
    fields = [
        "command",
        "status",
        "started_at",
        "finished_at",
        "duration",
        "arguments",
        "counters",
        "error",
        "hostname",
        "pid",
    ]
    readonly_fields = fields

    # History is written by the jobs only (ReadOnlyAdminMixin).

    @admin.display(description="duration")
    def duration(self, obj: JobRun) -> str:
        seconds = obj.duration_seconds
        if seconds is None:
            return "running" if obj.status == JobRun.Status.RUNNING else "—"
        if seconds < 60:
            return f"{seconds:.1f} s"
        minutes, sec = divmod(int(round(seconds)), 60)
        hours, minutes = divmod(minutes, 60)
        return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {sec:02d} s"

    @admin.display(description="counters")
    def counters_short(self, obj: JobRun) -> str:
        return Truncator(", ".join(f"{k}={v}" for k, v in sorted((obj.counters or {}).items()))).chars(80)

    @admin.display(description="error")
    def error_short(self, obj: JobRun) -> str:
        return Truncator(obj.error).chars(100)
