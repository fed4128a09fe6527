"""Secrets Manager work for `manage.py setup_secrets`: the `market-pulse/*` secrets the
task definitions read (`ops.aws.SECRETS`). A value is never logged or returned."""

from __future__ import annotations

from ops import aws

# --- secrets (Secrets Manager) ----------------------------------------------------------------------


def secret_put(*, short_name: str, value: str, dry_run: bool = False) -> str:
    """Create the secret `market-pulse/<short_name>`, or put a new version of it.

    Returns 'created', 'updated', 'unchanged', or with dry_run 'would create'/'would update'.
    The value is never logged or returned.
    """
    if not value:
        raise aws.AwsError(f"refusing to store an empty value in {aws.secret_id(short_name)}")
    name = aws.secret_id(short_name)
    client = aws.client_for("secretsmanager")
    exists = True
    current: str | None = None
    try:
        current = aws.call(f"read secret {name}", client.get_secret_value, SecretId=name).get("SecretString")
    except aws.AwsError as exc:
        code = exc.code
        if code != "ResourceNotFoundException":
            raise
        # Not found: either no secret, or a secret with no value yet.
        try:
            aws.call(f"describe secret {name}", client.describe_secret, SecretId=name)
        except aws.AwsError as exc2:
            if exc2.code != "ResourceNotFoundException":
                raise
            exists = False
    if dry_run:
        return "would update" if exists else "would create"
    if not exists:
        aws.call(
            f"create secret {name}",
            client.create_secret,
            Name=name,
            SecretString=value,
            Description=f"Market Pulse: {aws.SECRETS.get(short_name, short_name)} for the ECS tasks (set by manage.py setup_secrets)",
        )
        return "created"
    if current == value:
        return "unchanged"
    aws.call(f"update secret {name}", client.put_secret_value, SecretId=name, SecretString=value)
    return "updated"
