#!/usr/bin/env bash
# Build both images without Docker, with Debian's buildah (vfs storage, chroot isolation),
# on a base image made locally (nothing can be pulled from a container registry here), and
# print their sizes. `make images-local` runs it; needs root and `apt-get install buildah debootstrap`.
#
# The local base stands in for python:3.11-slim: Debian bookworm minbase with its Python
# 3.11 (python3, venv, pip) from Debian's packages, `python`/`pip` on the PATH like the
# official image. Everything else comes from the Dockerfiles unchanged, through
# --build-arg BASE_IMAGE; the jobs image gets a local index of the CPU torch wheel and a
# tiny stand-in model through build args, since neither the PyTorch index nor the model
# hub can be reached from this machine (so its size excludes the real FinBERT weights).
set -euo pipefail
cd "$(dirname "$0")/.."
STORE="${STORE:-$(pwd)/var/buildah}"
ROOTFS="${STORE}/rootfs-bookworm"
BASE="localhost/market-pulse-base:3.11-bookworm"
TAG="${IMAGE_TAG:-local}"
BUILDAH=(buildah --storage-driver vfs --root "${STORE}/storage" --runroot "${STORE}/run")
WHICH="${1:-both}"   # web | jobs | both
mkdir -p "${STORE}"

for tool in buildah debootstrap; do
  command -v "$tool" >/dev/null || { echo "error: $tool not found (apt-get install buildah debootstrap)"; exit 1; }
done

if ! "${BUILDAH[@]}" inspect --type image "${BASE}" >/dev/null 2>&1; then
  echo ">> base image ${BASE}: debootstrap bookworm minbase with Python 3.11"
  if [ ! -x "${ROOTFS}/usr/bin/python3.11" ]; then
    rm -rf "${ROOTFS}"
    debootstrap --variant=minbase --include=python3,python3-venv,python3-pip,ca-certificates bookworm "${ROOTFS}" >"${STORE}/debootstrap.log" 2>&1 \
      || { echo "debootstrap failed, see ${STORE}/debootstrap.log"; exit 1; }
  fi
  ln -sf python3 "${ROOTFS}/usr/bin/python"
  ln -sf pip3 "${ROOTFS}/usr/bin/pip"
  rm -f "${ROOTFS}"/usr/lib/python3*/EXTERNALLY-MANAGED   # the official image's pip installs system-wide too
  rm -rf "${ROOTFS}"/var/cache/apt/archives/*.deb "${ROOTFS}"/var/lib/apt/lists/*
  # This machine reaches the package registry through TLS interception: its CA bundle goes
  # into the local base (PIP_CERT below), as a CI runner's would. Not part of the real images.
  cp /etc/ssl/certs/ca-certificates.crt "${ROOTFS}/etc/ssl/certs/ca-certificates.crt"
  ctr="$("${BUILDAH[@]}" from scratch)"
  mnt="$("${BUILDAH[@]}" mount "$ctr")"
  cp -a "${ROOTFS}/." "$mnt/"
  "${BUILDAH[@]}" umount "$ctr" >/dev/null
  "${BUILDAH[@]}" config --env LANG=C.UTF-8 --env PIP_CERT=/etc/ssl/certs/ca-certificates.crt --env PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin --cmd python3 "$ctr"
  "${BUILDAH[@]}" commit --quiet "$ctr" "${BASE}" >/dev/null
  "${BUILDAH[@]}" rm "$ctr" >/dev/null
fi

build() {
  local name="$1" file="$2"; shift 2
  echo ">> ${name}:${TAG} from ${file} (buildah bud, vfs, chroot)"
  local started=$SECONDS
  "${BUILDAH[@]}" bud --isolation chroot --layers -f "${file}" --build-arg BASE_IMAGE="${BASE}" "$@" -t "${name}:${TAG}" . \
    >"${STORE}/${name}.log" 2>&1 || { echo "   FAILED, see ${STORE}/${name}.log"; tail -20 "${STORE}/${name}.log"; return 1; }
  echo "   built in $((SECONDS - started)) s"
}

if [ "$WHICH" = web ] || [ "$WHICH" = both ]; then
  build market-pulse-web Dockerfile.web
fi
if [ "$WHICH" = jobs ] || [ "$WHICH" = both ]; then
  # The PyTorch CPU index cannot be reached here: a local index of the same CPU wheel and
  # its dependencies (from the machine's wheel directory and the package registry) stands in.
  INDEX="${STORE}/torch-index"
  if [ ! -f "${INDEX}/torch/index.html" ]; then
    echo ">> local torch index in ${INDEX}"
    mkdir -p "${STORE}/wheelhouse"
    .venv/bin/pip download --quiet --only-binary=:all: --python-version 3.11 "torch==2.13.0" -d "${STORE}/wheelhouse" 2>/dev/null
    for wheel in "${STORE}"/wheelhouse/*.whl; do
      name="$(basename "$wheel" | cut -d- -f1 | tr 'A-Z_.' 'a-z--')"
      mkdir -p "${INDEX}/${name}" && ln -f "$wheel" "${INDEX}/${name}/"
    done
    # pip reads index.html in a file:// index directory, like a simple-index page
    for project in "${INDEX}"/*/; do
      { echo "<!DOCTYPE html><html><body>"
        for f in "$project"*.whl; do n="$(basename "$f")"; echo "<a href=\"${n//+/%2B}\">${n}</a>"; done
        echo "</body></html>"; } > "${project}index.html"
    done
  fi
  # The model hub cannot be reached either: a tiny BERT with FinBERT's labels (the sentiment
  # tests' builder) goes through the same download_model step; the real weights are not in it.
  MODEL="${STORE}/tiny-model"
  if [ ! -f "${MODEL}/config.json" ]; then
    echo ">> tiny stand-in model in ${MODEL}"
    .venv/bin/python -c "import sys; from pathlib import Path; sys.path.insert(0, '.'); from tests.sentiment.conftest import build_model; build_model(Path(sys.argv[1]))" "${MODEL}"
  fi
  build market-pulse-jobs Dockerfile.jobs \
    --volume "${INDEX}:/opt/torch-index:ro" \
    --volume "${MODEL}:/opt/model-src:ro" \
    --build-arg TORCH_INDEX_URL=file:///opt/torch-index \
    --build-arg SENTIMENT_MODEL_ID=/opt/model-src
fi

echo ">> image sizes (uncompressed, as buildah stores them)"
"${BUILDAH[@]}" images --format '{{.Name}}:{{.Tag}} {{.Size}}' | grep -E "market-pulse-(base|web|jobs)" || true
