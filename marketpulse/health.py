"""GET /health: 200 {"status": "ok"} when pages can be served, else 503 with a reason.

Pages need the database (a round trip) and, in production, the collected static files
(`marketpulse.assets.static_problem`).
"""

from __future__ import annotations

import logging

from django.db import DatabaseError, connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from marketpulse.assets import static_problem

logger = logging.getLogger(__name__)


@never_cache
@require_GET
def health(request: HttpRequest) -> JsonResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except DatabaseError as exc:
        logger.warning("health check: database unreachable: %s", exc)
        return JsonResponse({"status": "error", "reason": "database unreachable"}, status=503)
    problem = static_problem()
    if problem:
        logger.warning("health check: %s", problem)
        return JsonResponse({"status": "error", "reason": "static files not collected"}, status=503)
    return JsonResponse({"status": "ok"})
