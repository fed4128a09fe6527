"""manage.py ecs: run and watch the jobs on ECS (schedules, run, tasks, logs, ecr-password).

JOB is one of `ops.aws.JOBS`, the keys of the Terraform's `local.jobs`. AWS errors exit 1,
usage errors 2. See docs/design/operations.md.
"""

from __future__ import annotations

import json
import shlex
from datetime import datetime

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from marketpulse import cli
from ops import aws, ecs


def _when(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d %H:%M:%S") if moment else "-"


class Command(BaseCommand):
    help = "Operate the ECS jobs: schedules status/enable/disable, run a task now, list tasks, read logs."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="area", required=True, metavar="{schedules,run,tasks,logs,ecr-password}")

        schedules = sub.add_parser("schedules", help="Show, enable or disable the EventBridge Scheduler schedules.")
        schedules.add_argument(
            "action",
            choices=["status", "enable", "disable"],
            help="status lists them; enable/disable flips their state.",
        )
        schedules.add_argument(
            "name",
            nargs="?",
            help="A schedule: its full name (market-pulse-scraper) or the job "
            f"({', '.join(job for job, spec in aws.JOBS.items() if spec.schedule)}).",
        )
        schedules.add_argument("--all", action="store_true", help="Every schedule whose name starts with the prefix.")
        schedules.add_argument(
            "--prefix", default=None, help="Schedule name prefix (default: ECS_NAME_PREFIX, market-pulse-)."
        )
        schedules.add_argument(
            "--group", default="default", help="Schedule group for a named schedule (default: default)."
        )
        schedules.add_argument("--dry-run", action="store_true", help="Say what would change; change nothing.")

        run = sub.add_parser("run", help="Start one task of a job now (ECS RunTask).")
        run.add_argument(
            "job",
            choices=list(aws.JOBS),
            help="Which job's task definition to run (import-dump: one task per --file).",
        )
        run.add_argument(
            "--file",
            dest="files",
            action="append",
            default=[],
            metavar="s3://BUCKET/KEY",
            help="import-dump: a dump file to import, repeatable (one task per file).",
        )
        run.add_argument(
            "--import-options",
            default="",
            help='import-dump: extra import_dump options for every file, e.g. "--subreddit stocks --since 2021-01-05".',
        )
        run.add_argument("--cluster", default=None, help="ECS cluster (default: ECS_CLUSTER, market-pulse).")
        run.add_argument(
            "--subnets",
            default="",
            help="Comma-separated subnet ids (default: the ones the job's schedule uses).",
        )
        run.add_argument(
            "--security-groups",
            default="",
            help="Comma-separated security group ids (default: the ones the job's schedule uses).",
        )
        run.add_argument(
            "--assign-public-ip",
            action="store_true",
            default=None,
            help="Give the task a public IP (only for public subnets without a NAT).",
        )
        spot = run.add_mutually_exclusive_group()
        spot.add_argument("--spot", dest="use_spot", action="store_true", default=None, help="Run on FARGATE_SPOT.")
        spot.add_argument(
            "--on-demand",
            dest="use_spot",
            action="store_false",
            help="Run on on-demand FARGATE (default: the schedule's capacity provider strategy).",
        )
        run.add_argument(
            "--command",
            dest="task_command",
            default="",
            help='Override the container command, e.g. "scrape_reddit --mode backfill --since 2026-01-01"; '
            'replay the surge log over history with the sentiment job, e.g. "detect_surges --since 2026-01-01 --no-alerts".',
        )
        run.add_argument(
            "--env",
            action="append",
            default=[],
            metavar="NAME=VALUE",
            help="Extra environment variable for the container (repeatable).",
        )
        run.add_argument(
            "--cpu", type=cli.positive_int, default=None, help="Task CPU override in CPU units (e.g. 1024)."
        )
        run.add_argument(
            "--memory", type=cli.positive_int, default=None, help="Task memory override in MiB (e.g. 4096)."
        )
        run.add_argument("--dry-run", action="store_true", help="Print the RunTask request as JSON; start nothing.")

        tasks = sub.add_parser(
            "tasks", help="List running and recently stopped tasks with stop reasons and exit codes."
        )
        tasks.add_argument("--cluster", default=None, help="ECS cluster (default: ECS_CLUSTER, market-pulse).")
        tasks.add_argument("--prefix", default=None, help="Task definition family prefix (default: ECS_NAME_PREFIX).")

        logs = sub.add_parser("logs", help="Print a job's CloudWatch log events.")
        logs.add_argument(
            "job",
            choices=list(aws.JOBS),
            help="Whose log group (/ecs/market-pulse-JOB).",
        )
        logs.add_argument(
            "--since", type=cli.duration_type, default="1h", help="How far back: 30m, 1h, 2d (default 1h)."
        )
        logs.add_argument("--follow", action="store_true", help="Keep printing new events until Ctrl-C.")
        logs.add_argument(
            "--follow-for",
            type=cli.positive_float,
            default=None,
            metavar="SECONDS",
            help="With --follow: stop after this many seconds (default: until Ctrl-C).",
        )
        logs.add_argument(
            "--poll",
            type=cli.positive_float,
            default=2.0,
            metavar="SECONDS",
            help="With --follow: seconds between reads.",
        )

        ecr = sub.add_parser(
            "ecr-password",
            help="Print an ECR login password for piping: manage.py ecs ecr-password | docker login "
            "--username AWS --password-stdin REGISTRY (make ecr-login does this).",
        )
        ecr.add_argument(
            "--registry-only", action="store_true", help="Print the registry host instead of the password."
        )

    def handle(self, *args, **options):
        handler = getattr(self, f"_{options['area'].replace('-', '_')}")
        try:
            handler(options)
        except aws.AwsError as exc:
            raise CommandError(str(exc), returncode=1) from None

    # --- schedules ---------------------------------------------------------------------------

    def _schedule_name(self, raw: str, prefix: str) -> str:
        if raw.startswith(prefix):
            return raw
        if raw.lower() in aws.JOBS:
            return prefix + aws.job_name_resolve(raw)
        return raw  # let AWS say whether it exists

    def _schedules(self, options):
        prefix = options["prefix"] if options["prefix"] is not None else settings.ECS_NAME_PREFIX
        action, name, every = options["action"], options["name"], options["all"]
        if action != "status" and bool(name) == bool(every):
            raise CommandError(f"ecs schedules {action}: give exactly one of NAME or --all", returncode=2)
        if name:
            targets = [ecs.schedule_get(name=self._schedule_name(name, prefix), group=options["group"])]
        else:
            targets = ecs.schedules_list(prefix=prefix)
            if not targets:
                raise CommandError(
                    f"no schedules whose names start with {prefix!r} in {settings.AWS_REGION} "
                    "(has the Terraform in infra/ been applied?)",
                    returncode=1,
                )
        if action == "status":
            for schedule in targets:
                self.stdout.write(
                    f"{schedule.name:<32} {schedule.state:<10} {schedule.expression:<22} "
                    f"{schedule.task_definition_arn.rsplit('/', 1)[-1] or '-'}"
                )
            return
        enabled = action == "enable"
        changed_count = 0
        for schedule in targets:
            after, changed = ecs.schedule_set_state(
                name=schedule.name, group=schedule.group, enabled=enabled, dry_run=options["dry_run"]
            )
            changed_count += changed
            wanted = "ENABLED" if enabled else "DISABLED"
            if not changed:
                self.stdout.write(f"{schedule.name}: already {wanted}")
            elif options["dry_run"]:
                self.stdout.write(f"{schedule.name}: would change {schedule.state} -> {wanted} (dry run)")
            else:
                self.stdout.write(self.style.SUCCESS(f"{schedule.name}: {schedule.state} -> {after.state}"))
        if options["verbosity"] >= 1:
            verb = "would change" if options["dry_run"] else "changed"
            self.stdout.write(f"{verb} {changed_count} of {len(targets)} schedule(s)")

    # --- run ---------------------------------------------------------------------------------------

    def _run(self, options):
        environment = {}
        for item in options["env"]:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise CommandError(f"--env wants NAME=VALUE, not {item!r}", returncode=2)
            environment[key] = value
        if (options["job"] == "import-dump") != bool(options["files"]):
            raise CommandError("--file goes with import-dump, and import-dump needs at least one --file", returncode=2)
        request = ecs.RunRequest(
            job=options["job"],
            cluster=options["cluster"] or settings.ECS_CLUSTER,
            subnets=[s.strip() for s in options["subnets"].split(",") if s.strip()],
            security_groups=[s.strip() for s in options["security_groups"].split(",") if s.strip()],
            assign_public_ip=options["assign_public_ip"],
            command=options["task_command"].split() or None,
            environment=environment,
            cpu=options["cpu"],
            memory=options["memory"],
            use_spot=options["use_spot"],
        )
        if options["files"]:
            self._run_imports(request, options)
            return
        result = ecs.task_run(request=request, dry_run=options["dry_run"])
        if options["dry_run"]:
            self.stdout.write("dry run: would call RunTask with")
            self.stdout.write(json.dumps(result, indent=2, sort_keys=True))
            return
        task_id = result["taskArn"].rsplit("/", 1)[-1]
        self.stdout.write(
            self.style.SUCCESS(f"started {aws.task_family(options['job'])} task {task_id} on {request.cluster}")
        )
        self.stdout.write(f"  status: {result.get('lastStatus', '?')}; follow it with: manage.py ecs tasks")
        self.stdout.write(f"  logs:   manage.py ecs logs {aws.job_name_resolve(options['job'])} --follow")

    def _run_imports(self, request: ecs.RunRequest, options) -> None:
        if options["task_command"]:
            raise CommandError("import-dump builds its own command: use --import-options", returncode=2)
        started = ecs.dump_imports_run(
            files=options["files"],
            request=request,
            import_options=shlex.split(options["import_options"]),
            dry_run=options["dry_run"],
        )
        family = aws.task_family("import-dump")
        for name, result in started:
            if options["dry_run"]:
                self.stdout.write(f"dry run: would call RunTask for {name} with")
                self.stdout.write(json.dumps(result, indent=2, sort_keys=True))
                continue
            task_id = result["taskArn"].rsplit("/", 1)[-1]
            self.stdout.write(self.style.SUCCESS(f"started {family} task {task_id} for {name}"))
        if not options["dry_run"]:
            self.stdout.write(f"{len(started)} task(s) on {request.cluster}; follow them with: manage.py ecs tasks")
            self.stdout.write("  logs: manage.py ecs logs import-dump --follow")

    # --- tasks --------------------------------------------------------------------------------------

    def _tasks(self, options):
        cluster = options["cluster"] or settings.ECS_CLUSTER
        tasks = ecs.tasks_list(cluster=cluster, prefix=options["prefix"])
        if not tasks:
            self.stdout.write(f"no running or recently stopped tasks on {cluster}")
            return
        self.stdout.write(f"{'TASK':<34} {'FAMILY':<24} {'STATUS':<9} {'STARTED':<19}  {'STOPPED':<19}  EXIT  REASON")
        for task in tasks:
            codes = ",".join("-" if code is None else str(code) for code in task.exit_codes.values()) or "-"
            reason = task.stopped_reason or task.stop_code or ""
            self.stdout.write(
                f"{task.task_id:<34} {task.family:<24} {task.last_status:<9} {_when(task.started_at):<19}  "
                f"{_when(task.stopped_at):<19}  {codes:<4}  {reason}"
            )

    # --- ECR -----------------------------------------------------------------------------------------

    def _ecr_password(self, options):
        host, password = aws.ecr_login()
        if options["registry_only"]:
            self.stdout.write(host)
            return
        if self.stdout.isatty():
            raise CommandError(
                "refusing to print a password to a terminal: pipe it into docker login --password-stdin", returncode=2
            )
        self.stdout.write(password, ending="")
        self.stdout.flush()

    # --- logs ----------------------------------------------------------------------------------------

    def _logs(self, options):
        since = options["since"]  # a timedelta (cli.duration_type)
        count = 0
        try:
            for event in ecs.logs_read(
                job=options["job"],
                since=since,
                follow=options["follow"],
                follow_for=options["follow_for"],
                poll_seconds=options["poll"],
            ):
                count += 1
                self.stdout.write(f"{_when(event.timestamp)} {event.stream.rsplit('/', 1)[-1]}  {event.message}")
                self.stdout.flush()
        except KeyboardInterrupt:
            pass
        if count == 0 and options["verbosity"] >= 1:
            self.stderr.write(
                f"no events in {aws.log_group(options['job'])} in the last {cli.duration_text(options['since'])}"
            )
