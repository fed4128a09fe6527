#!/usr/bin/env bash
# Site/API (issue 5): Debian's Chromium for the headless browser test (tests/site/test_browser.py),
# driven by Playwright through executable_path; no browser is ever downloaded by Playwright.
# wrk is for benchmarks/bench_site.py (not run in CI, cheap to have). Idempotent; runs as root.
set -euo pipefail
need=()
[ -x /usr/bin/chromium ] || need+=(chromium fonts-liberation)
[ -x /usr/bin/chromedriver ] || need+=(chromium-driver)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
if [ "${#need[@]}" -gt 0 ]; then
  echo ">> installing ${need[*]} (Debian packages)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
/usr/bin/chromium --version
