"""infra/bootstrap (the state bucket and its lock table) applied to moto, checked, re-planned
and destroyed; and infra/ planned with terraform.tfvars.example. Both run in the background
lane while test_moto_apply.py works on the main stack (conftest.py); the lane records what
it saw and these tests assert on the record.

Runs in `make infra-check` only (marker `infra`; see conftest.py).
"""

from __future__ import annotations

import pytest

from .harness import Bootstrap, tail

pytestmark = [pytest.mark.infra, pytest.mark.timeout(900)]


def test_bootstrap_creates_a_versioned_private_state_bucket_and_the_lock_table(bootstrap: Bootstrap):
    held = bootstrap.after_apply
    assert bootstrap.bucket in held["buckets"]
    assert held["versioning"] == "Enabled"
    assert all(held["public_access_block"].values()), held["public_access_block"]
    assert held["lock_table_key"] == [{"AttributeName": "LockID", "KeyType": "HASH"}]


def test_bootstrap_plan_after_apply_has_no_changes(bootstrap: Bootstrap):
    assert bootstrap.plan.returncode == 0, "drift right after apply: " + tail(bootstrap.plan)


def test_bootstrap_destroy_removes_the_state_bucket(bootstrap: Bootstrap):
    assert bootstrap.destroy.returncode == 0, tail(bootstrap.destroy)
    assert bootstrap.bucket not in bootstrap.buckets_after_destroy


def test_the_example_variables_pass_every_validation(example_plan_started):
    """terraform.tfvars.example must parse and pass every validation: a plan with it (fake
    ids are fine for a plan; nothing is created) succeeds with changes (exit 2)."""
    proc = example_plan_started.result()
    assert proc.args[1] == "plan", "terraform init failed: " + tail(proc)
    assert proc.returncode == 2, tail(proc)
