# Market Pulse. `make help` lists the targets.
# Every target prints what it does; variables can be overridden: make demo PORT=8001

PYTHON ?= python3.11
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
PORT ?= 8000
MANAGE := $(PY) manage.py

.DEFAULT_GOAL := help

.PHONY: help  ## list the targets
help:
	@grep -E '^\.PHONY: [a-zA-Z0-9_-]+ +## ' $(MAKEFILE_LIST) | sed -E 's/^\.PHONY: ([a-zA-Z0-9_-]+) +## (.*)/  \1|\2/' | awk -F'|' '{printf "  %-24s %s\n", $$1, $$2}'

$(VENV)/.installed: requirements/base.txt requirements/web.txt requirements/jobs.txt requirements/dev.txt
	@echo ">> creating the virtualenv in $(VENV) and installing requirements/dev.txt (torch: CPU build)"
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "error: $(PYTHON) not found; install Python 3.11 or run make PYTHON=/path/to/python3.11"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	@# TORCH_INDEX_URL (the PyTorch CPU wheel index) avoids the multi-GB CUDA build where no local CPU wheel exists.
	$(PIP) install --quiet torch==2.13.0 $${TORCH_INDEX_URL:+--index-url "$$TORCH_INDEX_URL"}
	$(PIP) install --quiet -r requirements/dev.txt
	@touch $@

.PHONY: install  ## create .venv and install everything (idempotent)
install: $(VENV)/.installed

SERVE ?= 1

.PHONY: demo  ## the whole pipeline locally: migrate, load tickers, scrape the bundled replay, score, serve :8000 (SERVE=0: build the state and exit)
demo: install
	@echo ">> make demo: SQLite database db.sqlite3, $(if $(filter 0,$(SERVE)),no server (SERVE=0),site on http://127.0.0.1:$(PORT))"
	PY=$(PY) PORT=$(PORT) SERVE=$(SERVE) bash scripts/demo.sh

.PHONY: test  ## run the whole test suite (SQLite unless DATABASE_URL is set)
test: install
	@echo ">> running the test suite on $${DATABASE_URL:-SQLite (set DATABASE_URL for PostgreSQL)}"
	$(PY) -m pytest $(PYTEST_ARGS)

# --- Images, ECR and the ECS jobs (issue 7) -----------------------------------------------
# Docker (or podman: make ... CONTAINER=podman) runs on the operator's machine or in the
# deploy workflow. Repository URLs come from the Terraform outputs (terraform init first),
# or set ECR_WEB_REPO / ECR_JOBS_REPO. The ecs-* and schedule-* targets call manage.py ecs
# with the standard AWS variables (AWS_PROFILE, AWS_REGION, ...); ECS_ARGS adds flags.
CONTAINER ?= docker
TERRAFORM ?= terraform
TF_DIR ?= infra
BASE_IMAGE ?= python:3.11-slim
IMAGE_TAG ?= $(shell git rev-parse --short=12 HEAD 2>/dev/null || echo dev)
GIT_SHA ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
WEB_IMAGE ?= market-pulse-web
JOBS_IMAGE ?= market-pulse-jobs
ECR_WEB_REPO ?= $(shell $(TERRAFORM) -chdir=$(TF_DIR) output -json ecr_repository_urls | python3 -c 'import json,sys; print(json.load(sys.stdin)["web"])')
ECR_JOBS_REPO ?= $(shell $(TERRAFORM) -chdir=$(TF_DIR) output -json ecr_repository_urls | python3 -c 'import json,sys; print(json.load(sys.stdin)["jobs"])')
SINCE ?= 1h
ECS_ARGS ?=
# The operator's machine needs no Django secret to talk to AWS: ops commands run in development mode.
OPS := DJANGO_DEBUG=$${DJANGO_DEBUG:-true} $(MANAGE)

.PHONY: lint  ## ruff check + ruff format --check, hadolint (both Dockerfiles), actionlint (workflows), import-linter contracts
lint: install
	@echo ">> lint: ruff, hadolint, actionlint, lint-imports"
	VENV=$(VENV) bash .ci/pre.d/20-lint.sh

.PHONY: build-web-image  ## build the slim web image (Dockerfile.web) as market-pulse-web:IMAGE_TAG
build-web-image:
	@echo ">> building $(WEB_IMAGE):$(IMAGE_TAG) from Dockerfile.web (base $(BASE_IMAGE))"
	$(CONTAINER) build -f Dockerfile.web --build-arg BASE_IMAGE=$(BASE_IMAGE) -t $(WEB_IMAGE):$(IMAGE_TAG) .

.PHONY: build-jobs-image  ## build the jobs image (Dockerfile.jobs, CPU torch, model baked in) as market-pulse-jobs:IMAGE_TAG
build-jobs-image:
	@echo ">> building $(JOBS_IMAGE):$(IMAGE_TAG) from Dockerfile.jobs (base $(BASE_IMAGE)); downloads the model once"
	$(CONTAINER) build -f Dockerfile.jobs --build-arg BASE_IMAGE=$(BASE_IMAGE) --build-arg GIT_SHA=$(GIT_SHA) -t $(JOBS_IMAGE):$(IMAGE_TAG) .

.PHONY: ecr-login  ## log docker in to the ECR registry (password from manage.py ecs ecr-password)
ecr-login: install
	@echo ">> logging $(CONTAINER) in to ECR in $${AWS_REGION:-the default region}"
	@registry="$$($(OPS) ecs ecr-password --registry-only)" && \
	  $(OPS) ecs ecr-password | $(CONTAINER) login --username AWS --password-stdin "$$registry"

.PHONY: push-jobs-image  ## build, tag and push the jobs image to ECR as :IMAGE_TAG (make ecr-login first)
push-jobs-image: build-jobs-image
	@echo ">> pushing $(JOBS_IMAGE):$(IMAGE_TAG) to $(ECR_JOBS_REPO):$(IMAGE_TAG)"
	@test -n "$(ECR_JOBS_REPO)" || { echo "error: no jobs repository URL (terraform -chdir=$(TF_DIR) init, or set ECR_JOBS_REPO)"; exit 1; }
	$(CONTAINER) tag $(JOBS_IMAGE):$(IMAGE_TAG) $(ECR_JOBS_REPO):$(IMAGE_TAG)
	$(CONTAINER) push $(ECR_JOBS_REPO):$(IMAGE_TAG)

.PHONY: push-web-image  ## build, tag and push the web image to ECR as :IMAGE_TAG (make ecr-login first)
push-web-image: build-web-image
	@echo ">> pushing $(WEB_IMAGE):$(IMAGE_TAG) to $(ECR_WEB_REPO):$(IMAGE_TAG)"
	@test -n "$(ECR_WEB_REPO)" || { echo "error: no web repository URL (terraform -chdir=$(TF_DIR) init, or set ECR_WEB_REPO)"; exit 1; }
	$(CONTAINER) tag $(WEB_IMAGE):$(IMAGE_TAG) $(ECR_WEB_REPO):$(IMAGE_TAG)
	$(CONTAINER) push $(ECR_WEB_REPO):$(IMAGE_TAG)

.PHONY: ecs-run-scraper  ## run the scraper task on ECS now (schedule's network; ECS_ARGS="--on-demand" etc.)
ecs-run-scraper: install
	@echo ">> ECS RunTask: scraper"
	$(OPS) ecs run scraper $(ECS_ARGS)

.PHONY: ecs-run-sentiment  ## run the sentiment task on ECS now
ecs-run-sentiment: install
	@echo ">> ECS RunTask: sentiment"
	$(OPS) ecs run sentiment $(ECS_ARGS)

.PHONY: ecs-run-status  ## run the daily_status task on ECS now
ecs-run-status: install
	@echo ">> ECS RunTask: status"
	$(OPS) ecs run status $(ECS_ARGS)

.PHONY: ecs-logs-scraper  ## print the scraper's CloudWatch logs (SINCE=1h, FOLLOW=1 to follow)
ecs-logs-scraper: install
	@echo ">> logs of /ecs/market-pulse-scraper since $(SINCE)"
	$(OPS) ecs logs scraper --since $(SINCE) $(if $(FOLLOW),--follow) $(ECS_ARGS)

.PHONY: ecs-logs-sentiment  ## print the sentiment job's CloudWatch logs (SINCE=1h, FOLLOW=1 to follow)
ecs-logs-sentiment: install
	@echo ">> logs of /ecs/market-pulse-sentiment since $(SINCE)"
	$(OPS) ecs logs sentiment --since $(SINCE) $(if $(FOLLOW),--follow) $(ECS_ARGS)

.PHONY: ecs-logs-status  ## print the daily_status job's CloudWatch logs (SINCE=1h, FOLLOW=1 to follow)
ecs-logs-status: install
	@echo ">> logs of /ecs/market-pulse-status since $(SINCE)"
	$(OPS) ecs logs status --since $(SINCE) $(if $(FOLLOW),--follow) $(ECS_ARGS)

.PHONY: ecs-list-tasks  ## running and recently stopped tasks with stop reasons and exit codes
ecs-list-tasks: install
	@echo ">> ECS tasks on $${ECS_CLUSTER:-market-pulse}"
	$(OPS) ecs tasks $(ECS_ARGS)

.PHONY: schedule-enable-all  ## enable every market-pulse-* schedule (the cutover)
schedule-enable-all: install
	@echo ">> enabling every schedule named $${ECS_NAME_PREFIX:-market-pulse-}*"
	$(OPS) ecs schedules enable --all $(ECS_ARGS)

.PHONY: schedule-disable-all  ## disable every market-pulse-* schedule (the rollback)
schedule-disable-all: install
	@echo ">> disabling every schedule named $${ECS_NAME_PREFIX:-market-pulse-}*"
	$(OPS) ecs schedules disable --all $(ECS_ARGS)

.PHONY: schedule-status  ## state, expression and task definition of every market-pulse-* schedule
schedule-status: install
	@echo ">> schedules named $${ECS_NAME_PREFIX:-market-pulse-}*"
	$(OPS) ecs schedules status $(ECS_ARGS)

.PHONY: images-local  ## build both images here without Docker (buildah, vfs, chroot, local base image) and print sizes
images-local:
	@echo ">> buildah: both images on a locally made Debian bookworm Python 3.11 base (needs root, buildah, debootstrap)"
	bash benchmarks/build_images_local.sh both

.PHONY: bench-site  ## seed 10k and 1M articles into PostgreSQL and measure /, /t/TSLA/, /api/v1/tickers through gunicorn + wrk
bench-site: install
	@echo ">> seeding mp_bench_10k and mp_bench_1m on 127.0.0.1:5432 (a few minutes), then wrk against gunicorn"
	psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='mp_bench_10k'" | grep -q 1 || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE mp_bench_10k"
	psql -h 127.0.0.1 -U postgres -tc "SELECT 1 FROM pg_database WHERE datname='mp_bench_1m'" | grep -q 1 || psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE mp_bench_1m"
	$(PY) benchmarks/bench_site.py --seed

# --- Terraform (issue 8) --------------------------------------------------------------------
# infra/backend.hcl (from backend.hcl.example; bucket and lock table made once by
# infra/bootstrap) and infra/terraform.tfvars (from terraform.tfvars.example) are the
# operator's, never committed. TF_VARS passes the image tag the push targets used.
TF_BACKEND_CONFIG ?= backend.hcl
TF_VARS ?= -var image_tag=$(IMAGE_TAG)
TF_ARGS ?=

.PHONY: tf-init  ## terraform init of infra/ with the S3 state backend (infra/backend.hcl)
tf-init:
	@echo ">> terraform init in $(TF_DIR) with -backend-config=$(TF_BACKEND_CONFIG) (S3 state, DynamoDB lock)"
	@test -f $(TF_DIR)/$(TF_BACKEND_CONFIG) || { echo "error: no $(TF_DIR)/$(TF_BACKEND_CONFIG): copy $(TF_DIR)/backend.hcl.example and fill it in (infra/README.md, Bootstrap)"; exit 1; }
	$(TERRAFORM) -chdir=$(TF_DIR) init -input=false -backend-config=$(TF_BACKEND_CONFIG) $(TF_ARGS)

.PHONY: tf-plan  ## terraform plan of infra/ for image tag IMAGE_TAG, saved to infra/tfplan
tf-plan:
	@echo ">> terraform plan in $(TF_DIR) (image tag $(IMAGE_TAG)), saved to $(TF_DIR)/tfplan"
	$(TERRAFORM) -chdir=$(TF_DIR) plan -input=false -out=tfplan $(TF_VARS) $(TF_ARGS)

.PHONY: tf-apply  ## terraform apply of infra/ (the saved infra/tfplan if there is one, else a fresh plan to confirm)
tf-apply:
	@if [ -f $(TF_DIR)/tfplan ]; then \
	  echo ">> terraform apply of the saved plan $(TF_DIR)/tfplan"; \
	  $(TERRAFORM) -chdir=$(TF_DIR) apply -input=false tfplan && rm -f $(TF_DIR)/tfplan; \
	else \
	  echo ">> terraform apply in $(TF_DIR) (image tag $(IMAGE_TAG)); Terraform asks before it changes anything"; \
	  $(TERRAFORM) -chdir=$(TF_DIR) apply $(TF_VARS) $(TF_ARGS); \
	fi

.PHONY: infra-check  ## terraform fmt + validate, checkov, then pytest -m infra: the stack applied to moto, ops commands, destroy
infra-check: install
	@echo ">> infra checks: fmt, validate, checkov, pytest tests/infra -m infra (apply/ops/destroy against moto, a few minutes)"
	VENV=$(VENV) bash infra/ci/check.sh

.PHONY: bench-sentiment  ## FinBERT-sized scoring: naive pipeline vs ours fp32/int8, tokens/s vs the dense ceiling, peak RSS (~10 min)
bench-sentiment: install
	@echo ">> sentiment benchmark: random-init BERT-base, 2,000 generated comments, no download"
	$(PY) benchmarks/bench_sentiment.py $(BENCH_ARGS)

# --- Cost (issue 16) --------------------------------------------------------------------------
COST_ARGS ?=

.PHONY: cost  ## the month's AWS estimate, item by item: infra/variables.tf (+ terraform.tfvars), measured run times, prices
cost:
	@echo ">> cost: infra/variables.tf defaults (+ infra/terraform.tfvars), infra/cost/measured_runtimes.json, infra/cost/prices.json"
	$(PY) scripts/cost.py $(COST_ARGS)

.PHONY: bench-jobs  ## time each scheduled job as a process on one CPU for a 15-minute batch; writes infra/cost/measured_runtimes.json (~15 min, empties DATABASE_URL)
bench-jobs: install
	@echo ">> job run times: 1,500 generated comments from the fake Reddit, random-init BERT-base, PostgreSQL $${DATABASE_URL:?set DATABASE_URL=postgres://... (it is emptied)}"
	$(PY) benchmarks/bench_jobs.py $(BENCH_ARGS)
