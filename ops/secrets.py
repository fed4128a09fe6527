"""The job secrets for `manage.py setup_secrets`: SSM SecureString parameters or Secrets Manager.

A value is never logged or returned. See docs/design/operations.md."""

from __future__ import annotations

from ops import aws

# --- parameters (SSM Parameter Store) ----------------------------------------------------------------


def parameter_put(*, short_name: str, value: str, dry_run: bool = False) -> str:
    """Create the SecureString parameter `/market-pulse/<short_name>`, or overwrite its value.

    An existing parameter keeps its KMS key (the project CMK when Terraform made it with one;
    PutParameter without a key id would move it to aws/ssm), tier and description. A new one
    gets the AWS managed key aws/ssm. Returns 'created', 'updated', 'unchanged', or with
    dry_run 'would create'/'would update'. The value is never logged or returned.
    """
    name = aws.parameter_name(short_name)
    if not value:
        raise aws.AwsError(f"refusing to store an empty value in {name}")
    client = aws.client_for("ssm")
    current: str | None = None
    key_id: str | None = None
    try:
        current = aws.call(f"read parameter {name}", client.get_parameter, Name=name, WithDecryption=True)["Parameter"][
            "Value"
        ]
    except aws.AwsError as exc:
        if exc.code != "ParameterNotFound":
            raise
        exists = False
    else:
        exists = True
        found = aws.call(
            f"describe parameter {name}",
            client.describe_parameters,
            ParameterFilters=[{"Key": "Name", "Option": "Equals", "Values": [name]}],
        )["Parameters"]
        key_id = found[0].get("KeyId") if found else None
    if dry_run:
        return "would update" if exists else "would create"
    if not exists:
        aws.call(
            f"create parameter {name}",
            client.put_parameter,
            Name=name,
            Value=value,
            Type="SecureString",
            Tier="Standard",
            Description=f"Market Pulse: {aws.SECRETS.get(short_name, short_name)} for the ECS tasks (set by manage.py setup_secrets)",
        )
        return "created"
    if current == value:
        return "unchanged"
    kwargs = {"KeyId": key_id} if key_id else {}
    aws.call(
        f"update parameter {name}",
        client.put_parameter,
        Name=name,
        Value=value,
        Type="SecureString",
        Overwrite=True,
        **kwargs,
    )
    return "updated"


def value_put(*, backend: str, short_name: str, value: str, dry_run: bool = False) -> str:
    """Store one job secret in the given backend (`ssm` or `secretsmanager`)."""
    if backend == "ssm":
        return parameter_put(short_name=short_name, value=value, dry_run=dry_run)
    if backend == "secretsmanager":
        return secret_put(short_name=short_name, value=value, dry_run=dry_run)
    raise aws.AwsError(f"unknown secrets backend {backend!r}: expected one of {', '.join(aws.SECRETS_BACKENDS)}")


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
