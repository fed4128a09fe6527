"""Whether the static files the pages need are served: /health and `check --deploy` ask.

With the manifest storage of production (DEBUG off), a page whose asset has no manifest
entry fails with a 500 ("Missing staticfiles manifest entry"). `static_problem` names the
first asset of PAGE_ASSETS that would fail so; without a manifest storage it is None.
"""

from __future__ import annotations

from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage

#: What every public page and the admin load (articles/base.html, the admin's base).
PAGE_ASSETS = ("css/site.css", "favicon.svg", "admin/css/base.css")


def static_problem() -> str | None:
    """A sentence saying which page asset cannot be served, or None when all can."""
    storage = staticfiles_storage
    if not isinstance(storage, ManifestFilesMixin):
        return None
    if not storage.hashed_files:
        return f"no staticfiles manifest in {storage.location}: run manage.py collectstatic"
    for name in PAGE_ASSETS:
        try:
            stored = storage.stored_name(name)
        except ValueError:
            return f"{name} has no staticfiles manifest entry: run manage.py collectstatic"
        if not storage.exists(stored):
            return f"{name} is in the staticfiles manifest but {stored} is missing: run manage.py collectstatic"
    return None
