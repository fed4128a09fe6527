"""Fixtures for the infrastructure tests: the whole Terraform stack applied to moto.

Which run executes what (decided in issue 11, keep it in one place: here):

- The tests marked `infra` (test_moto_apply.py, test_moto_bootstrap.py) apply infra/ and
  infra/bootstrap/ with Terraform against moto in server mode: about two minutes on an idle
  2-core machine. They run ONLY in the infra step: `make infra-check`, which is
  infra/ci/check.sh, which is also CI's .ci/pre.d/30-infra.sh. check.sh runs
  `pytest tests/infra -m infra`.
- The main suite (`make test`, run twice by CI: PostgreSQL and SQLite) deselects them with
  `-m "not infra"` in pytest.ini's addopts, so CI applies the stack once, not three times.
  The deselection is reported at the end of the run (pytest_terminal_summary below), never
  silent. A `-m` on the command line replaces the addopts one: `pytest tests/infra -m infra`
  runs them alone; another selection that should leave them out must say so again
  (`-m "not browser and not infra"`).
- Unmarked tests here (test_contracts.py) need no Terraform and run in the main suite.

When Terraform or the provider mirror is missing, the infra tests SKIP with the reason
outside CI, and FAIL in CI (`CI=true`) or with INFRA_CHECK_STRICT=1: a missing tool must not
turn the check green. check.sh sets INFRA_CHECK_STRICT=1 for its pytest run, because it has
already found both.

Work files go to TEST_STATE_DIR/infra-moto/ (copies of the configurations beside infra/ci/moto/*.tf,
Terraform's logs, moto's log); the copies are removed after a run without failures and kept
for a look after a failure. The production files in infra/ are never touched.

Two lanes, as the timings need: the main stack runs in the test process in file order
(validations, apply, contract, ops commands, no drift, destroy); infra/bootstrap/ (its
apply waits ~55 s on the S3 lifecycle configuration) and the plan with
terraform.tfvars.example run meanwhile in one background thread on the same moto server
(disjoint names). test_moto_apply.py starts that lane before its first test.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from tests.moto import moto_server_running

from .harness import (
    CLUSTER,
    DEFAULT_MIRROR,
    INFRA,
    PREFIX,
    REGION,
    ROOT,
    TF_TIMEOUT,
    WORK,
    Bootstrap,
    Stack,
    Terraform,
    stack_copy,
)

# --- selection: say what the main suite leaves out ---------------------------------------------

_deselected_infra: list[str] = []


def pytest_deselected(items: list[pytest.Item]) -> None:
    _deselected_infra.extend(item.nodeid for item in items if item.get_closest_marker("infra"))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _deselected_infra:
        terminalreporter.write_sep(
            "-",
            f"{len(_deselected_infra)} infra tests deselected (-m 'not infra' in pytest.ini): the Terraform apply "
            "against moto runs in `make infra-check` (infra/ci/check.sh, CI's .ci/pre.d/30-infra.sh); "
            "run it alone with: pytest tests/infra -m infra",
            yellow=True,
        )


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The `infra` tests of other files that assert on the applied stack (training, import
    dump, cost wiring: they use the `stack` fixture) run inside test_moto_apply.py's
    sequence, after the ops commands and before the no-drift plan and the destroy (file
    order alone would put them after the destroy)."""
    own = {"test_moto_apply.py", "test_moto_bootstrap.py"}
    extra = [
        i
        for i in items
        if i.path.name not in own and i.get_closest_marker("infra") and "stack" in getattr(i, "fixturenames", ())
    ]
    anchor = next((i for i in items if i.name == "test_plan_after_apply_and_the_ops_commands_has_no_changes"), None)
    if not extra or anchor is None:
        return
    rest = [i for i in items if i not in extra]
    at = rest.index(anchor)
    items[:] = rest[:at] + extra + rest[at:]


# --- tools ------------------------------------------------------------------------------------


def _strict() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes") or os.environ.get("INFRA_CHECK_STRICT") == "1"


def _unavailable(reason: str) -> None:
    if _strict():
        pytest.fail(f"infra tests cannot run: {reason} (in CI or with INFRA_CHECK_STRICT=1 this fails)", pytrace=False)
    pytest.skip(f"SKIPPED: {reason}; the infra tests need it (in CI, CI=true, this fails instead)")


def _aws_env(base: dict[str, str]) -> dict[str, str]:
    """Dummy credentials and the region; nothing from the operator's own AWS setup."""
    env = dict(base)
    for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        env.pop(key, None)
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_REGION=REGION,
        AWS_DEFAULT_REGION=REGION,
    )
    return env


@pytest.fixture(scope="session")
def workdir(request: pytest.FixtureRequest) -> Iterator[Path]:
    """TEST_STATE_DIR/infra-moto/, emptied first; the configuration copies are removed after a clean run."""
    if WORK.exists():
        shutil.rmtree(WORK)
    (WORK / "logs").mkdir(parents=True)
    yield WORK
    if request.session.testsfailed == 0:
        for sub in ("stack", "bootstrap", "example"):
            shutil.rmtree(WORK / sub, ignore_errors=True)


@pytest.fixture(scope="session")
def terraform(workdir: Path) -> Terraform:
    """The Terraform binary (TERRAFORM or the PATH) with a CLI configuration that takes the
    hashicorp/aws provider from the filesystem mirror (TF_PLUGIN_MIRROR, default
    /opt/tf-plugins; infra/ci/terraformrc): no provider download, ever."""
    binary = shutil.which(os.environ.get("TERRAFORM") or "terraform")
    if not binary:
        _unavailable(f"no terraform binary ({os.environ.get('TERRAFORM') or 'terraform on the PATH'})")
    mirror = os.environ.get("TF_PLUGIN_MIRROR", DEFAULT_MIRROR)
    if not (Path(mirror) / "registry.terraform.io" / "hashicorp" / "aws").is_dir():
        _unavailable(f"no hashicorp/aws provider mirror at {mirror} (set TF_PLUGIN_MIRROR)")
    cli_config = workdir / "terraformrc"
    cli_config.write_text((INFRA / "ci" / "terraformrc").read_text().replace(DEFAULT_MIRROR, mirror))
    env = _aws_env(os.environ)
    env.update(
        TF_CLI_CONFIG_FILE=str(cli_config),
        TF_IN_AUTOMATION="1",
        TF_INPUT="0",
        CHECKPOINT_DISABLE="1",
    )
    return Terraform(binary=binary, env=env, logs=workdir / "logs")


@pytest.fixture(scope="session")
def moto_server(workdir: Path) -> Iterator[str]:
    """`moto_server` on 127.0.0.1 and a free port for the session (tests/moto.py); its URL."""
    try:
        with moto_server_running(workdir / "moto.log") as url:
            yield url
    except RuntimeError as exc:
        pytest.fail(str(exc))


@pytest.fixture(scope="session")
def aws(moto_server: str):
    """aws("ec2") -> a boto3 client of the moto server."""
    import boto3

    session = boto3.session.Session(aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION)
    return lambda service: session.client(service, endpoint_url=moto_server)


# --- the main stack -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def network(aws) -> dict[str, Any]:
    """The operator's existing network the stack expects (VPC, two private subnets, the
    PostgreSQL security group), made with boto3; the stack's network variables."""
    ec2 = aws("ec2")
    vpc = ec2.create_vpc(CidrBlock="10.42.0.0/16")["Vpc"]["VpcId"]
    subnets = [
        ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.42.{i}.0/24", AvailabilityZone=f"{REGION}{az}")["Subnet"][
            "SubnetId"
        ]
        for i, az in ((1, "a"), (2, "b"))
    ]
    pg = ec2.create_security_group(GroupName="existing-postgres", Description="the database's own group", VpcId=vpc)
    main_rtb = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpc]}])["RouteTables"][0]
    return {
        "vpc_id": vpc,
        "s3_gateway_route_table_ids": [main_rtb["RouteTableId"]],
        "private_subnet_ids": subnets,
        "postgres_security_group_id": pg["GroupId"],
    }


@pytest.fixture(scope="session")
def stack_dir(terraform: Terraform, workdir: Path, moto_server: str, network: dict[str, Any]) -> Path:
    """infra/ copied for moto with the test's variables, `terraform init` done."""
    tfvars = dict(
        network,
        moto_endpoint=moto_server,
        aws_region=REGION,
        image_tag="ci-moto",
        alarm_email="ops@example.com",
        secret_recovery_window_days=0,
        kms_deletion_window_days=7,
        job_environment={
            "REDDIT_SUBREDDITS": "wallstreetbets",
            "REDDIT_USER_AGENT": "python:market-pulse:ci (by /u/nobody)",
        },
    )
    dest = stack_copy(INFRA, workdir / "stack", tfvars)
    terraform.require(dest, "init", "-input=false")
    return dest


@pytest.fixture(scope="session")
def stack(terraform: Terraform, stack_dir: Path, network: dict[str, Any]) -> Iterator[Stack]:
    """The whole stack applied to moto (every resource; none switched off for moto). Destroyed
    here only when test_destroy_leaves_nothing did not get to (a failure on the way)."""
    applied = Stack(dir=stack_dir, network=network, applied=True)  # a failed apply leaves resources too
    try:
        terraform.require(stack_dir, "apply", "-input=false", "-auto-approve")
        outputs = json.loads(terraform.require(stack_dir, "output", "-json").stdout)
        applied.outputs = {name: out["value"] for name, out in outputs.items()}
        yield applied
    finally:
        if applied.applied:
            terraform(stack_dir, "destroy", "-input=false", "-auto-approve")


@pytest.fixture(scope="session")
def manage(terraform: Terraform, moto_server: str, workdir: Path):
    """manage("ecs", "schedules", "status", env={...}) -> CompletedProcess: manage.py as the
    operator runs it (its own settings, development mode), against the moto server."""
    env = dict(
        terraform.env,
        AWS_ENDPOINT_URL=moto_server,
        DJANGO_DEBUG="true",
        MARKETPULSE_IGNORE_DOTENV="1",
        DATABASE_URL=f"sqlite:///{workdir / 'manage.sqlite3'}",
        ECS_NAME_PREFIX=PREFIX,
        ECS_CLUSTER=CLUSTER,
    )
    env.pop("DJANGO_SETTINGS_MODULE", None)  # pytest-django's tests.settings is not the operator's

    def run(*args: str, extra_env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env={**env, **(extra_env or {})},
            text=True,
            capture_output=True,
            timeout=300,
            check=False,
        )

    return run


# --- the background lane: infra/bootstrap and the example variables -----------------------------


@pytest.fixture(scope="session")
def background(moto_server: str) -> Iterator[ThreadPoolExecutor]:
    """One worker thread for the slow stacks that do not depend on the main one. Set up after
    (so torn down before) the moto server: its terraform runs end before moto stops, and
    never outlive the test process."""
    pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="infra-background")
    yield pool
    pool.shutdown(wait=True, cancel_futures=True)


@pytest.fixture(scope="session")
def bootstrap_started(
    terraform: Terraform, workdir: Path, moto_server: str, aws, background: ThreadPoolExecutor
) -> Iterator[Future]:
    """infra/bootstrap (state bucket + lock table) in the background lane: init, apply, what
    moto then holds, a re-plan, destroy, what is left. test_moto_bootstrap.py asserts on it."""
    boot = Bootstrap(dir=workdir / "bootstrap")

    def lane() -> Bootstrap:
        stack_copy(INFRA / "bootstrap", boot.dir, {"moto_endpoint": moto_server, "aws_region": REGION})
        terraform.require(boot.dir, "init", "-input=false")
        boot.applied = True
        terraform.require(boot.dir, "apply", "-input=false", "-auto-approve")
        s3 = aws("s3")
        boot.after_apply = {
            "buckets": [b["Name"] for b in s3.list_buckets()["Buckets"]],
            "versioning": s3.get_bucket_versioning(Bucket=boot.bucket).get("Status"),
            "public_access_block": s3.get_public_access_block(Bucket=boot.bucket)["PublicAccessBlockConfiguration"],
            "lock_table_key": aws("dynamodb").describe_table(TableName=boot.lock_table)["Table"]["KeySchema"],
        }
        boot.plan = terraform(boot.dir, "plan", "-input=false", "-detailed-exitcode")
        boot.destroy = terraform(boot.dir, "destroy", "-input=false", "-auto-approve")
        boot.applied = boot.destroy.returncode != 0
        boot.buckets_after_destroy = [b["Name"] for b in s3.list_buckets()["Buckets"]]
        return boot

    future = background.submit(lane)
    yield future
    if not future.cancel():
        future.exception()  # wait for a running lane before a last destroy
    if boot.applied:
        terraform(boot.dir, "destroy", "-input=false", "-auto-approve")


@pytest.fixture(scope="session")
def bootstrap(bootstrap_started: Future) -> Bootstrap:
    """The bootstrap round trip (waits for the background lane; its error if it failed)."""
    return bootstrap_started.result(timeout=4 * TF_TIMEOUT)


@pytest.fixture(scope="session")
def example_plan_started(
    terraform: Terraform, workdir: Path, moto_server: str, background: ThreadPoolExecutor
) -> Future:
    """`terraform plan -var-file=terraform.tfvars.example` of infra/, in the background lane
    after the bootstrap apply. Its CompletedProcess, or the failed init's."""

    def lane() -> subprocess.CompletedProcess:
        example = stack_copy(INFRA, workdir / "example", {"moto_endpoint": moto_server})
        shutil.copy2(INFRA / "terraform.tfvars.example", example / "terraform.tfvars.example")
        init = terraform(example, "init", "-input=false")
        if init.returncode != 0:
            return init
        return terraform(
            example,
            "plan",
            "-input=false",
            "-lock=false",
            "-refresh=false",
            "-detailed-exitcode",
            "-var-file=terraform.tfvars.example",
        )

    return background.submit(lane)
