#!/usr/bin/env bash
# make demo: the whole pipeline on a laptop, no cloud account.
#   migrate SQLite -> load tickers -> scrape (bundled replay, or live Reddit when
#   REDDIT_CLIENT_ID/REDDIT_CLIENT_SECRET are set) -> import labelled examples, train and
#   promote the stance model -> score -> serve on 127.0.0.1:$PORT
# SERVE=0 builds the same state and exits instead of serving (.ci/run runs it before the tests).
set -euo pipefail
cd "$(dirname "$0")/.."

PY="${PY:-.venv/bin/python}"
PORT="${PORT:-8000}"
SERVE="${SERVE:-1}"
REPLAY_PORT="${REPLAY_PORT:-8765}"
export DJANGO_DEBUG="${DJANGO_DEBUG:-true}"
export DATABASE_URL="${DATABASE_URL:-sqlite:///$PWD/db.sqlite3}"
say() { printf '\n>> %s\n' "$*"; }

say "migrating the database ($DATABASE_URL)"
"$PY" manage.py migrate --noinput -v 0

say "loading the bundled ticker list (articles/data/tickers.csv)"
"$PY" manage.py load_tickers

if [ -z "${DJANGO_SUPERUSER_PASSWORD:-}" ]; then export DJANGO_SUPERUSER_PASSWORD=demo-password; fi
if "$PY" manage.py shell -c "from django.contrib.auth import get_user_model as g; import sys; sys.exit(0 if g().objects.filter(username='demo').exists() else 1)"; then
  say "admin user 'demo' already exists"
else
  say "creating the admin user demo / $DJANGO_SUPERUSER_PASSWORD (demo database only)"
  DJANGO_SUPERUSER_USERNAME=demo DJANGO_SUPERUSER_EMAIL=demo@example.com "$PY" manage.py createsuperuser --noinput
fi

replay_pid=""
cleanup() { [ -n "$replay_pid" ] && kill "$replay_pid" 2>/dev/null || true; }
trap cleanup EXIT
if [ -n "${REDDIT_CLIENT_ID:-}" ] && [ -n "${REDDIT_CLIENT_SECRET:-}" ]; then
  say "REDDIT_CLIENT_ID is set: scraping live Reddit (r/${REDDIT_SUBREDDITS:-wallstreetbets})"
else
  say "no Reddit credentials: replaying the bundled sample data (ingest/sample_data) from a local Reddit-compatible server on 127.0.0.1:$REPLAY_PORT"
  "$PY" -m ingest.fakereddit --port "$REPLAY_PORT" --data ingest/sample_data &
  replay_pid=$!
  for _ in $(seq 1 50); do
    "$PY" -c "import socket,sys; s=socket.socket(); sys.exit(s.connect_ex(('127.0.0.1', $REPLAY_PORT)))" && break
    sleep 0.2
  done
  export REDDIT_OAUTH_URL="http://127.0.0.1:$REPLAY_PORT" REDDIT_URL="http://127.0.0.1:$REPLAY_PORT"
  export REDDIT_CLIENT_ID=demo REDDIT_CLIENT_SECRET=demo
fi
say "scraping: manage.py scrape_reddit --mode incremental"
"$PY" manage.py scrape_reddit --mode incremental
cleanup; replay_pid=""

# Learning from reviewers (README "Learning from reviewers"): labelled examples in, a trained
# stance model out, promoted only if it beats cues + VADER on held-out examples. The demo's
# store is a directory (STANCE_MODEL_STORE, default var/stance-models); analyze_sentiment then
# scores each mention's stance with the promoted model.
export STANCE_MODEL_STORE="${STANCE_MODEL_STORE:-$PWD/var/stance-models}"
say "importing the demo's labelled examples: manage.py import_labels sentiment/data/stance_demo_train.csv --source demo"
"$PY" manage.py import_labels sentiment/data/stance_demo_train.csv --source demo
say "training the stance model: manage.py train_stance --promote (store: $STANCE_MODEL_STORE)"
"$PY" manage.py train_stance --promote
"$PY" manage.py stance_models

MODEL="${SENTIMENT_MODEL:-}"
if [ -n "$MODEL" ] && [ -d "$MODEL" ]; then
  say "scoring sentiment with FinBERT from $MODEL"
  "$PY" manage.py analyze_sentiment --model finbert
else
  say "no local FinBERT model (set SENTIMENT_MODEL to a directory made by 'python -m sentiment.download_model'): scoring with VADER, the light fallback"
  "$PY" manage.py analyze_sentiment --model vader
fi

# Surges need a week of rollups for a baseline: on the demo's day it says it is warming up.
"$PY" manage.py detect_surges --no-alerts

if [ "$SERVE" = "0" ]; then
  say "SERVE=0: the demo state is built (database $DATABASE_URL, stance store $STANCE_MODEL_STORE); not serving"
  exit 0
fi
say "serving the site at http://127.0.0.1:$PORT/ (admin: http://127.0.0.1:$PORT/${ADMIN_URL:-admin/}, health: /health). Ctrl-C stops it."
exec "$PY" manage.py runserver "127.0.0.1:$PORT" --noreload
