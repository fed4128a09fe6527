#!/usr/bin/env bash
# Infrastructure (issue 8): terraform fmt/validate, checkov, and `pytest tests/infra -m infra`
# (the whole stack applied to moto in server mode with manage.py ecs against it, then
# destroyed). Same script as `make infra-check`. The main suite (`make test`) deselects the
# infra tests, so this is the only step that applies the stack; with CI=true a check that
# cannot run fails instead of skipping. Idempotent; runs as root; checkov goes into its own
# venv (var/infra-venv).
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${VENV:-.venv}" bash infra/ci/check.sh
