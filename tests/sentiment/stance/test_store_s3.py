"""The S3 model store against moto in SERVER mode (a real HTTP endpoint, boto3 unpatched):
save, list, promote, load through the local cache, and train_stance/stance_models/eval_stance
with STANCE_MODEL_STORE=s3://bucket/prefix. Nothing is downloaded from anywhere else."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from sentiment.models import StanceModelVersion
from sentiment.stance import store as stance_store
from sentiment.stance.services import stance_model_train

ROOT = Path(__file__).resolve().parents[3]
DEMO = ROOT / "sentiment" / "data" / "stance_demo_train.csv"
BUCKET = "market-pulse-models-test"
REGION = "us-east-1"


@pytest.fixture
def s3_store(aws_env, settings, tmp_path):
    """boto3 pointed at moto in server mode (tests/conftest.py), a bucket, STANCE_MODEL_STORE on it."""
    import boto3

    s3 = boto3.session.Session(region_name=REGION).client("s3")
    s3.create_bucket(Bucket=BUCKET)
    settings.STANCE_MODEL_STORE = f"s3://{BUCKET}/stance"
    settings.STANCE_MODEL_CACHE = str(tmp_path / "cache")
    stance_store.promoted_scorer_reset()
    yield s3
    stance_store.promoted_scorer_reset()


def _call(name, *args):
    out, err = StringIO(), StringIO()
    call_command(name, *args, stdout=out, stderr=err)
    return out.getvalue()


@pytest.mark.django_db
def test_s3_store_save_list_promote_load(s3_store, tmp_path, settings):
    _call("import_labels", str(DEMO), "--source", "demo")
    store = stance_store.store_open()
    assert isinstance(store, stance_store.S3Store) and store.url == f"s3://{BUCKET}/stance"
    assert stance_store.versions_list(store) == [] and stance_store.promoted_read(store) is None
    assert stance_store.promoted_scorer() is None

    first = stance_model_train(store=store, now=datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    second = stance_model_train(store=store, seed=1, now=datetime(2026, 11, 30, 12, 1, tzinfo=UTC))
    keys = sorted(o["Key"] for o in s3_store.list_objects_v2(Bucket=BUCKET)["Contents"])
    assert f"stance/versions/{first.version}/metrics.json" in keys
    assert f"stance/versions/{first.version}/model/stance_model.json" in keys
    assert f"stance/versions/{first.version}/model/stance_arrays.npz" in keys
    assert f"stance/versions/{first.version}/train_hashes.txt" in keys
    assert first.uri == f"s3://{BUCKET}/stance/versions/{first.version}"
    assert [v["version"] for v in stance_store.versions_list(store)] == [first.version, second.version]
    assert not any(k.endswith("PROMOTED") for k in keys), "nothing promoted without --promote"

    pointer = stance_store.promote(store, second.version)
    assert pointer["version"] == second.version and pointer["previous"] is None
    raw = s3_store.get_object(Bucket=BUCKET, Key="stance/PROMOTED")["Body"].read()
    assert json.loads(raw)["version"] == second.version
    pointer = stance_store.promote(store, first.version)
    assert pointer["previous"] == second.version
    with pytest.raises(stance_store.StoreError):
        stance_store.promote(store, "20990101T000000Z-nope")

    # Loaded through the cache: downloaded once, then read from disk.
    scorer = stance_store.promoted_scorer()
    assert scorer.name == f"linear:{first.version}"
    cached = list(Path(settings.STANCE_MODEL_CACHE).rglob("stance_model.json"))
    assert len(cached) == 1 and (cached[0].parent / ".complete").is_file()
    assert scorer.score(["shorting $GME, puts printing"])[0][0] == "bearish"

    out = _call("stance_models")
    assert f"* {first.version}" in out and f"  {second.version}" in out and f"s3://{BUCKET}/stance" in out


@pytest.mark.django_db
def test_train_stance_promote_and_eval_against_s3(s3_store, tmp_path):
    _call("import_labels", str(DEMO), "--source", "demo")
    out = _call("train_stance", "--promote")
    assert "promoted: macro recall" in out
    row = StanceModelVersion.objects.get()
    assert row.promoted and row.uri.startswith(f"s3://{BUCKET}/stance/versions/")
    raw = s3_store.get_object(Bucket=BUCKET, Key="stance/PROMOTED")["Body"].read()
    assert json.loads(raw)["version"] == row.version
    eval_csv = tmp_path / "e.csv"
    eval_csv.write_text("label,text\nbullish,loaded up on $NVDA leaps\nbearish,$GME puts printing, dump it\n")
    out = _call("eval_stance", str(eval_csv))
    assert f"scorer linear:{row.version}" in out


@pytest.mark.django_db
def test_unreadable_store_falls_back_for_scoring_and_fails_for_training(s3_store, settings):
    settings.STANCE_MODEL_STORE = "s3://no-such-bucket-here/stance"
    stance_store.promoted_scorer_reset()
    assert stance_store.promoted_scorer() is None  # logged as an ERROR; analyze_sentiment goes on
    with pytest.raises(stance_store.StoreError):
        stance_store.versions_list(stance_store.store_open())
