"""Shared admin pieces: `ReadOnlyAdminMixin` for rows only the jobs write.

Admin login throttling is django-axes (settings `AXES_*`; attempts and lockouts are
rows in the database, so every web worker shares them, listed and deletable in the
admin under Axes).
"""

from __future__ import annotations


class ReadOnlyAdminMixin:
    """A ModelAdmin for rows only the jobs write: nobody adds, changes or deletes them here."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
