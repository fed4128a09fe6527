"""The stance model store (a directory or s3://bucket/prefix): versions, the PROMOTED pointer, the promoted scorer.

    scorer = promoted_scorer()        # None when nothing is promoted (cached per process)

The store, not the database, says what is promoted; promoting is one write of PROMOTED, so
a reader sees the old version or the new one. Design: docs/design/stance.md.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

from django.conf import settings

logger = logging.getLogger(__name__)

PROMOTED_KEY = "PROMOTED"
VERSIONS = "versions"
MANIFEST = "metrics.json"
TRAIN_HASHES = "train_hashes.txt"
MODEL_DIR = "model"


class StoreError(Exception):
    """The model store cannot be read or written; the message says which and why."""


class Scorer(Protocol):
    name: str

    def score(self, texts: Sequence[str]) -> list[tuple[str, float, float]]: ...


# --- the two backends ---------------------------------------------------------------------------


class LocalStore:
    """A directory (created on the first write)."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root).expanduser()
        self.url = str(self.root)

    def __repr__(self) -> str:
        return f"LocalStore({self.url!r})"

    def read(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StoreError(f"cannot read {self.root / key}: {exc}") from exc

    def write(self, key: str, data: bytes) -> None:
        path = self.root / key
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=f".{path.name}.", delete=False) as fh:
                fh.write(data)
            os.replace(fh.name, path)  # atomic: a reader sees the old file or the new one
        except OSError as exc:
            raise StoreError(f"cannot write {path}: {exc}") from exc

    def children(self, prefix: str) -> list[str]:
        """Names directly under `prefix` (a "directory")."""
        try:
            return sorted(p.name for p in (self.root / prefix).iterdir() if not p.name.startswith("."))
        except FileNotFoundError:
            return []
        except OSError as exc:
            raise StoreError(f"cannot list {self.root / prefix}: {exc}") from exc

    def local_dir(self, prefix: str, cache: Path) -> Path:
        """A local directory holding the files under `prefix` (here: the store's own)."""
        return self.root / prefix


class S3Store:
    """s3://bucket/prefix through boto3 (credentials, region and endpoint the way boto3 reads them)."""

    def __init__(self, url: str) -> None:
        rest = url[len("s3://") :]
        bucket, _, prefix = rest.partition("/")
        if not bucket:
            raise StoreError(f"STANCE_MODEL_STORE {url!r} has no bucket: expected s3://bucket/prefix")
        self.bucket = bucket
        self.prefix = prefix.strip("/")
        self.url = f"s3://{bucket}/{self.prefix}" if self.prefix else f"s3://{bucket}"
        self._client = None

    def __repr__(self) -> str:
        return f"S3Store({self.url!r})"

    @property
    def client(self):
        if self._client is None:
            import boto3  # lazy: only the jobs that use an S3 store load it

            logging.getLogger("botocore").setLevel(
                max(logging.getLogger("botocore").getEffectiveLevel(), logging.WARNING)
            )
            region = getattr(settings, "AWS_REGION", None) or None
            self._client = boto3.session.Session(region_name=region).client("s3")
        return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}/{key}" if self.prefix else key

    def _fail(self, what: str, exc: Exception) -> StoreError:
        return StoreError(f"{what} in {self.url}: {' '.join(str(exc).split())}")

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            return self.client.get_object(Bucket=self.bucket, Key=self._key(key))["Body"].read()
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise self._fail(f"cannot read {key}", exc) from exc
        except BotoCoreError as exc:
            raise self._fail(f"cannot read {key}", exc) from exc

    def write(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self.client.put_object(Bucket=self.bucket, Key=self._key(key), Body=data)
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(f"cannot write {key}", exc) from exc

    def _list(self, prefix: str, delimiter: bool) -> list[dict[str, Any]]:
        from botocore.exceptions import BotoCoreError, ClientError

        full = self._key(prefix).rstrip("/") + "/"
        kwargs: dict[str, Any] = {"Bucket": self.bucket, "Prefix": full}
        if delimiter:
            kwargs["Delimiter"] = "/"
        pages = []
        try:
            for page in self.client.get_paginator("list_objects_v2").paginate(**kwargs):
                pages.append(page)
        except (BotoCoreError, ClientError) as exc:
            raise self._fail(f"cannot list {prefix}", exc) from exc
        return pages

    def children(self, prefix: str) -> list[str]:
        full = self._key(prefix).rstrip("/") + "/"
        names = set()
        for page in self._list(prefix, delimiter=True):
            names.update(p["Prefix"][len(full) :].rstrip("/") for p in page.get("CommonPrefixes", []))
            names.update(o["Key"][len(full) :] for o in page.get("Contents", []))
        return sorted(n for n in names if n)

    def local_dir(self, prefix: str, cache: Path) -> Path:
        """Download the files under `prefix` into the cache once; the local copy."""
        store_id = hashlib.sha256(self.url.encode()).hexdigest()[:12]
        dest = cache / store_id / prefix
        if (dest / ".complete").is_file():
            return dest
        full = self._key(prefix).rstrip("/") + "/"
        keys = [o["Key"] for page in self._list(prefix, delimiter=False) for o in page.get("Contents", [])]
        if not keys:
            raise StoreError(f"{self.url}/{prefix} is empty")
        dest.parent.mkdir(parents=True, exist_ok=True)
        work = Path(tempfile.mkdtemp(dir=dest.parent, prefix=".download-"))
        try:
            for key in keys:
                rel = key[len(full) :]
                if not rel or rel.startswith("/") or ".." in Path(rel).parts:
                    continue  # never write outside the cache directory
                target = work / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                data = self.read(f"{prefix.rstrip('/')}/{rel}")
                if data is None:
                    raise StoreError(f"{key} vanished while downloading {self.url}/{prefix}")
                target.write_bytes(data)
            (work / ".complete").write_text("ok\n")
            if dest.exists():
                shutil.rmtree(dest, ignore_errors=True)
            os.replace(work, dest)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        return dest


Store = LocalStore | S3Store


def store_open(url: str | None = None) -> Store:
    """The store at `url` (default settings.STANCE_MODEL_STORE)."""
    url = str(url or settings.STANCE_MODEL_STORE)
    if url.startswith("s3://"):
        return S3Store(url)
    if "://" in url:
        raise StoreError(f"STANCE_MODEL_STORE {url!r}: expected a directory or s3://bucket/prefix")
    return LocalStore(url)


def cache_dir() -> Path:
    configured = getattr(settings, "STANCE_MODEL_CACHE", "")
    return Path(configured) if configured else Path(tempfile.gettempdir()) / "marketpulse-stance-models"


# --- versions and the pointer ---------------------------------------------------------------------


def _version_prefix(version: str) -> str:
    if not version or "/" in version or version.startswith("."):
        raise StoreError(f"bad version name {version!r}")
    return f"{VERSIONS}/{version}"


def version_save(
    store: Store, *, version: str, model_dir: Path, manifest: dict[str, Any], train_hashes: Sequence[str]
) -> str:
    """Write a version: its model files, the training hashes, then the manifest (last: it marks it complete)."""
    prefix = _version_prefix(version)
    for path in sorted(Path(model_dir).rglob("*")):
        if path.is_file():
            store.write(f"{prefix}/{MODEL_DIR}/{path.relative_to(model_dir).as_posix()}", path.read_bytes())
    store.write(f"{prefix}/{TRAIN_HASHES}", ("\n".join(train_hashes) + "\n").encode())
    store.write(f"{prefix}/{MANIFEST}", json.dumps(manifest, indent=2, sort_keys=True).encode())
    return f"{store.url}/{prefix}"


def manifest_read(store: Store, version: str) -> dict[str, Any] | None:
    raw = store.read(f"{_version_prefix(version)}/{MANIFEST}")
    if raw is None:
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise StoreError(f"{store.url}/{_version_prefix(version)}/{MANIFEST} is not JSON: {exc}") from exc


def train_hashes_read(store: Store, version: str) -> set[str]:
    raw = store.read(f"{_version_prefix(version)}/{TRAIN_HASHES}")
    return set(raw.decode().split()) if raw else set()


def versions_list(store: Store) -> list[dict[str, Any]]:
    """The complete versions' manifests, oldest first (version names sort by time)."""
    out = []
    for name in store.children(VERSIONS):
        manifest = manifest_read(store, name)
        if manifest is not None:
            out.append(manifest)
    return out


def promoted_read(store: Store) -> dict[str, Any] | None:
    """The PROMOTED pointer ({"version", "promoted_at", "previous"}), or None."""
    raw = store.read(PROMOTED_KEY)
    if raw is None:
        return None
    try:
        pointer = json.loads(raw)
    except ValueError:
        pointer = {"version": raw.decode(errors="replace").strip()}  # a hand-written pointer: just the name
    return pointer if pointer.get("version") else None


def promote(store: Store, version: str) -> dict[str, Any]:
    """Point PROMOTED at `version` (which must be a complete version); the new pointer."""
    if manifest_read(store, version) is None:
        raise StoreError(f"no complete version {version!r} in {store.url}")
    current = promoted_read(store)
    pointer = {
        "version": version,
        "promoted_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "previous": current["version"] if current else None,
    }
    store.write(PROMOTED_KEY, json.dumps(pointer, indent=2).encode())
    promoted_scorer_reset()  # this process serves the new one from now on
    return pointer


# --- scorers ------------------------------------------------------------------------------------


@dataclass
class StanceScorer:
    """A trained version as a scorer: `.name` "<kind>:<version>", `.score(texts)`."""

    name: str
    version: str
    model: Any

    def score(self, texts: Sequence[str]) -> list[tuple[str, float, float]]:
        return self.model.predict(list(texts))


def scorer_load(store: Store, version: str) -> StanceScorer:
    """Load a version of the store (downloading it into the cache first when the store is S3)."""
    manifest = manifest_read(store, version)
    if manifest is None:
        raise StoreError(f"no complete version {version!r} in {store.url}")
    kind = manifest.get("kind", "linear")
    local = store.local_dir(f"{_version_prefix(version)}/{MODEL_DIR}", cache_dir())
    try:
        if kind == "linear":
            from sentiment.stance.linear import load_model

            model = load_model(local)
        elif kind == "embedding-head":  # a head on a local transformer's embeddings (sentiment.stance.embedding_head)
            from sentiment.stance.embedding_head import load_embedding_head

            model = load_embedding_head(local)
        else:
            raise StoreError(f"version {version!r} is a {kind!r} model, which this code cannot load")
    except ValueError as exc:
        raise StoreError(f"version {version!r} in {store.url} cannot be loaded: {exc}") from exc
    return StanceScorer(name=f"{kind}:{version}", version=version, model=model)


_promoted: dict[str, StanceScorer | None] = {}


def promoted_scorer() -> StanceScorer | None:
    """The promoted model of settings.STANCE_MODEL_STORE as a scorer, None when nothing is
    promoted (or the store cannot be read: logged as an ERROR). Loaded once per process."""
    url = str(settings.STANCE_MODEL_STORE)
    if url in _promoted:
        return _promoted[url]
    scorer = None
    try:
        store = store_open(url)
        pointer = promoted_read(store)
        if pointer is not None:
            scorer = scorer_load(store, pointer["version"])
            logger.info("stance: using the promoted model %s from %s", scorer.name, store.url)
    except StoreError as exc:
        logger.error("stance: the promoted model cannot be loaded (%s); falling back to cues + the analyzer", exc)
    _promoted[url] = scorer
    return scorer


def promoted_scorer_reset() -> None:
    """Forget the cached promoted scorer (tests; a long-lived process after a promotion)."""
    _promoted.clear()


promoted_scorer.cache_clear = promoted_scorer_reset  # type: ignore[attr-defined]
