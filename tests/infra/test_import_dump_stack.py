"""infra/import_dump.tf and local.jobs["import-dump"]: the import-dump task (no schedule) and its read access to one bucket.

The `infra` test asserts on the stack test_moto_apply.py applies to moto (conftest.py runs it
inside that sequence, before the no-drift plan and the destroy). The stack is applied with
no dump bucket, so the task role must carry no policy at all.
"""

from __future__ import annotations

import pytest

from ops import aws as ops_aws

from .harness import PREFIX, Stack

JOB = "import-dump"


def test_import_dump_is_a_job_manage_py_ecs_knows():
    assert ops_aws.job_name_resolve(JOB) == JOB and ops_aws.JOBS[JOB].schedule is None
    assert ops_aws.task_family(JOB) == f"{PREFIX}{JOB}"
    assert ops_aws.log_group(JOB) == f"/ecs/{PREFIX}{JOB}"


@pytest.mark.infra
def test_import_dump_task_is_sized_for_the_zstd_window_with_its_own_empty_role(stack: Stack, aws):
    td = aws("ecs").describe_task_definition(taskDefinition=f"{PREFIX}{JOB}")["taskDefinition"]
    assert (td["cpu"], td["memory"]) == ("1024", "4096")  # a --long=31 window is up to 2 GiB
    (c,) = td["containerDefinitions"]
    assert c["command"][0] == "import_dump" and c["stopTimeout"] == 120 and c["readonlyRootFilesystem"] is True
    assert c["logConfiguration"]["options"]["awslogs-group"] == f"/ecs/{PREFIX}{JOB}"
    role = td["taskRoleArn"].rsplit("/", 1)[-1]
    assert role == f"{PREFIX}import-dump-task"
    iam = aws("iam")
    assert iam.list_role_policies(RoleName=role)["PolicyNames"] == []  # dump_bucket_name is empty here
    assert iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"] == []
    schedules = aws("scheduler").list_schedules(NamePrefix=f"{PREFIX}{JOB}")["Schedules"]
    assert schedules == [], "import-dump runs on demand only"
