"""Where the deployer is: real AWS (boto3's default credentials) or the local cloud's endpoint.

Every command that talks to the deployer takes the same options (`--region`, `--stack`,
`--state-machine`, `--local`, `--endpoint-url`), declared once as the fields of `Where` and given to a
command by `connected`; `connect` turns them into a `Connection`, which finds the state machine and
the targets document the way an operator would: an ARN given outright, else the stack's
CloudFormation outputs, else (on an endpoint) the state machine the local cloud creates.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import shlex
import typing
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Annotated, Any

import boto3
import typer
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError, EndpointConnectionError, NoCredentialsError, NoRegionError
from rich.console import Console
from rich.markup import escape

from pushdeploy.adapters import ssm
from pushdeploy.errors import InvalidRequest
from pushdeploy.models import TargetsConfig

DEFAULT_STACK = "pushdeploy"  # samconfig.toml's stack_name
DEFAULT_TARGETS_PARAMETER = "/pushdeploy/targets"
# The local cloud builds template.yaml as the stack DEFAULT_STACK; CloudFormation names the resources the
# template leaves unnamed (the state machine, the lock table) from the stack and their logical ids.
LOCAL_STATE_MACHINE_PREFIX = f"{DEFAULT_STACK}-DeployStateMachine-"
LOCAL_LOCK_TABLE_PREFIX = f"{DEFAULT_STACK}-LockTable-"
LOCAL_REGION = "us-east-1"
LOCAL_URL_TEMPLATE = "http://127.0.0.1:{port}"
LOCAL_PORT = 5000

_CLIENT_CONFIG = Config(retries={"mode": "standard", "max_attempts": 5}, user_agent_extra="pushdeploy-cli")


class CliError(Exception):
    """A problem the user must fix outside the command line (exit 1), said in one sentence."""


Region = Annotated[
    str | None,
    typer.Option("--region", help="AWS Region (default: boto3's, e.g. AWS_REGION).", rich_help_panel="Where"),
]
Stack = Annotated[
    str | None,
    typer.Option(
        "--stack",
        help=f"CloudFormation stack whose outputs name the state machine (default on AWS: {DEFAULT_STACK}).",
        rich_help_panel="Where",
    ),
]
StateMachine = Annotated[
    str | None,
    typer.Option(
        "--state-machine",
        envvar="PUSHDEPLOY_STATE_MACHINE_ARN",
        help="The deployer's state machine ARN (instead of --stack).",
        rich_help_panel="Where",
    ),
]
Local = Annotated[
    bool,
    typer.Option(
        "--local",
        help=f"Use `pushdeploy local serve` on {LOCAL_URL_TEMPLATE.format(port=LOCAL_PORT)}.",
        rich_help_panel="Where",
    ),
]
EndpointUrl = Annotated[
    str | None,
    typer.Option(
        "--endpoint-url",
        envvar="PUSHDEPLOY_ENDPOINT_URL",
        help="Send every AWS call to this endpoint (a local cloud).",
        rich_help_panel="Where",
    ),
]


@dataclass(frozen=True)
class Where:
    """The connection options as given on the command line: each field is one option of every `connected`
    command."""

    region: Region = None
    stack: Stack = None
    state_machine: StateMachine = None
    local: Local = False
    endpoint_url: EndpointUrl = None

    def as_options(self) -> list[str]:
        """These options as they were given, to be typed again (in a command the CLI suggests)."""
        given: list[str] = []
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            option = "--" + f.name.replace("_", "-")  # each field's option is named so (typer's own rule)
            if value is True:
                given.append(option)
            elif value not in (None, False):
                given += [option, str(value)]
        return given

    def command(self, *words: str) -> str:
        """`pushdeploy WORDS...` with these options, quoted for a shell."""
        return shlex.join(["pushdeploy", *words, *self.as_options()])


def connected(command: Callable[..., None]) -> Callable[..., None]:
    """A command that talks to the deployer: typer sees its own parameters and the options of `Where` (the
    "Where" panel of its --help); the command receives them as one `where: Where` argument."""
    hints = typing.get_type_hints(Where, include_extras=True)
    options = [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name])
        for f in dataclasses.fields(Where)
    ]
    signature = inspect.signature(command, eval_str=True)
    own = [p for p in signature.parameters.values() if p.name != "where"]

    @functools.wraps(command)
    def run(**given: Any) -> None:
        where = Where(**{option.name: given.pop(option.name) for option in options})
        command(where=where, **given)

    run.__signature__ = signature.replace(parameters=[*own, *options])  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in [*own, *options]}
    return run


def connect(where: Where) -> Connection:
    endpoint = where.endpoint_url
    if where.local and endpoint is None:
        endpoint = LOCAL_URL_TEMPLATE.format(port=LOCAL_PORT)
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise typer.BadParameter(f"{endpoint!r} is not an http(s) URL", param_hint="--endpoint-url")
    if where.state_machine is not None and ":stateMachine:" not in where.state_machine:
        raise typer.BadParameter(f"{where.state_machine!r} is not a state machine ARN", param_hint="--state-machine")
    session = boto3.session.Session(region_name=where.region)
    if endpoint is not None:
        # A local cloud takes any credentials; do not require (or send) real ones.
        session = boto3.session.Session(
            region_name=where.region or session.region_name or LOCAL_REGION,
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
    if session.region_name is None:
        raise CliError("no AWS Region: pass --region or set AWS_REGION")
    return Connection(session=session, endpoint_url=endpoint, stack=where.stack, given_arn=where.state_machine)


@dataclass
class Connection:
    session: boto3.session.Session
    endpoint_url: str | None
    stack: str | None
    given_arn: str | None
    given_lock_table: str | None = None  # the local cloud's own runner names it (pushdeploy_local.runner)
    _clients: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def region(self) -> str:
        return str(self.session.region_name)

    @property
    def is_local(self) -> bool:
        return self.endpoint_url is not None

    def client(self, service: str) -> Any:
        """One client per service for the command's short life."""
        if service not in self._clients:
            self._clients[service] = self.session.client(  # type: ignore[call-overload]
                service, endpoint_url=self.endpoint_url, config=_CLIENT_CONFIG
            )
        return self._clients[service]

    @functools.cached_property
    def state_machine(self) -> str:
        if self.given_arn:
            return self.given_arn
        if self.stack or not self.is_local:
            return self._stack_output("StateMachineArn")
        machines = self.client("stepfunctions").list_state_machines()["stateMachines"]
        named = [m["stateMachineArn"] for m in machines if m["name"].startswith(LOCAL_STATE_MACHINE_PREFIX)]
        if not named:
            raise CliError(f"{self.endpoint_url} has no state machine named {LOCAL_STATE_MACHINE_PREFIX}...")
        return str(named[0])

    @functools.cached_property
    def targets_parameter(self) -> str:
        if self.stack or (not self.is_local and not self.given_arn):
            with contextlib.suppress(CliError):
                return self._stack_output("TargetsParameterName")
        return DEFAULT_TARGETS_PARAMETER

    @functools.cached_property
    def lock_table(self) -> str | None:
        """The lock table (it keeps what a rollback returns to and the approvals that wait); None when a stack
        older than its output is used."""
        if self.given_lock_table:
            return self.given_lock_table
        if self.stack or (not self.is_local and not self.given_arn):
            with contextlib.suppress(CliError):
                return self._stack_output("LockTableName")
        if not self.is_local:
            return None
        tables = self.client("dynamodb").list_tables()["TableNames"]
        return next((name for name in tables if name.startswith(LOCAL_LOCK_TABLE_PREFIX)), None)

    def targets(self) -> TargetsConfig:
        """The targets (SSM), read and validated as the Plan step reads them."""
        try:
            return ssm.load_targets(self.targets_parameter, ssm=self.client("ssm"))
        except InvalidRequest as exc:
            raise CliError(str(exc)) from exc

    def execution_arn(self, name_or_arn: str) -> str:
        if name_or_arn.startswith("arn:"):
            return name_or_arn
        return f"{self.state_machine.replace(':stateMachine:', ':execution:')}:{name_or_arn}"

    @functools.cached_property
    def _outputs(self) -> dict[str, str]:
        stack = self.stack or DEFAULT_STACK
        try:
            found = self.client("cloudformation").describe_stacks(StackName=stack)["Stacks"]
        except ClientError as exc:
            if "does not exist" in str(exc):
                raise typer.BadParameter(
                    f"no stack {stack!r} in {self.region} (deploy it with `make deploy`, or pass --state-machine)",
                    param_hint="--stack",
                ) from exc
            raise
        return {o["OutputKey"]: o["OutputValue"] for o in found[0].get("Outputs", [])}

    def _stack_output(self, key: str) -> str:
        value = self._outputs.get(key)
        if value is None:
            raise CliError(f"stack {self.stack or DEFAULT_STACK!r} has no output {key}: is it a pushdeploy stack?")
        return value


@contextlib.contextmanager
def opened(where: Where) -> Iterator[Connection]:
    """A connection for one command; AWS trouble becomes one red line on stderr and exit status 1."""
    hint = "is `pushdeploy local serve` running?" if where.local or where.endpoint_url else None
    try:
        with aws_errors(hint):
            yield connect(where)
    except CliError as exc:
        Console(stderr=True).print(f"[red]error:[/red] {escape(str(exc))}", highlight=False)
        raise typer.Exit(1) from exc


@contextlib.contextmanager
def aws_errors(connection_hint: str | None = None) -> Iterator[None]:
    """AWS's and botocore's errors as one sentence for the user (CliError)."""
    try:
        yield
    except EndpointConnectionError as exc:
        hint = f" ({connection_hint})" if connection_hint else ""
        raise CliError(f"cannot reach {exc.kwargs.get('endpoint_url', 'the endpoint')}{hint}") from exc
    except NoCredentialsError as exc:
        raise CliError("no AWS credentials: configure them (aws configure, AWS_PROFILE) or use --local") from exc
    except NoRegionError as exc:
        raise CliError("no AWS Region: pass --region or set AWS_REGION") from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        raise CliError(f"{exc.operation_name}: {error.get('Code')}: {error.get('Message')}") from exc
    except BotoCoreError as exc:
        raise CliError(str(exc)) from exc
