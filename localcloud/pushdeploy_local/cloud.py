"""The local cloud: moto's AWS with pushdeploy's real functions and state machine, on a virtual clock.

`LocalCloud` starts moto, installs the hooks (Lambda in-process, virtual time, the ECS/ALB model),
builds template.yaml's stack in it as `sam deploy` would (`pushdeploy_local.stack`: the SAM transform,
then every resource created from its resolved properties, with what the scenario names), and offers
what a scenario does: push an image, deliver an event, start an execution, and run the world until
every execution has ended.
The world steps in one place (`step_world`): the ECS model moves to the instant, then EventBridge
delivers the task state-change events it emitted to the template's rules.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import importlib.util
import io
import itertools
import json
import logging
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any
from unittest import mock

import boto3
import botocore.loaders
import botocore.session
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.ecs.models import ecs_backends
from moto.events.models import EventPattern
from moto.moto_api._internal import mock_random

from pushdeploy.adapters import aws, stepfunctions
from pushdeploy_local.clock import VirtualClock
from pushdeploy_local.container_logs import AwsLogsDriver
from pushdeploy_local.ecs import EcsModel
from pushdeploy_local.ecs.events import envelope
from pushdeploy_local.iam.calls import Where
from pushdeploy_local.iam.enforce import Enforcer
from pushdeploy_local.iam.policy import Request
from pushdeploy_local.iam.stack import stack_iam as iam_of
from pushdeploy_local.moto_hooks import (
    cloudwatch_alarms,
    cloudwatch_percentiles,
    distributed_map,
    ecr_images,
    ecs_deployments,
    ecs_list_task_definitions,
    ecs_missing_tasks,
    ecs_service_deployments,
    quotas,
    sdk_integrations,
    target_health,
    task_failure_cause,
)
from pushdeploy_local.moto_hooks.asl_parse import parse_once
from pushdeploy_local.moto_hooks.dispatch_once import method_names_once
from pushdeploy_local.moto_hooks.interpreter_clients import reuse_clients
from pushdeploy_local.moto_hooks.lambda_invoke import route_invocations
from pushdeploy_local.moto_hooks.virtual_time import callbacks_on, sleep_on
from pushdeploy_local.scenario import Behavior, PullError, Scenario, ScenarioError
from pushdeploy_local.stack import PSEUDO
from pushdeploy_local.stack.build import BuiltStack
from pushdeploy_local.stack.local import StackView, build_scenario_stack, services_of
from pushdeploy_local.traffic import Traffic

ACCOUNT = PSEUDO["AWS::AccountId"]
REGION = PSEUDO["AWS::Region"]
EPOCH = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
MANIFEST_MEDIA_TYPE = "application/vnd.docker.distribution.manifest.v2+json"
STATE_MACHINE_ROLE_OWNER = "DeployStateMachine"  # the template's state machine, whose role invokes its tasks
# The calls the interpreter makes for the state machine's tasks (a Lambda task; Summarize's SDK integration).
STATE_MACHINE_CALLS = frozenset({("lambda", "Invoke"), ("stepfunctions", "DescribeMapRun")})

_ENVIRONMENT = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "POWERTOOLS_SERVICE_NAME": "pushdeploy",
    "POWERTOOLS_DEV": "false",
    "MOTO_EC2_LOAD_DEFAULT_AMIS": "false",  # the service runs on Fargate; loading moto's AMIs costs 0.6 s
}


@dataclass
class LambdaContext:
    """The part of Lambda's context object the handlers (and Powertools) read."""

    function_name: str
    memory_limit_in_mb: int
    invoked_function_arn: str
    aws_request_id: str
    function_version: str = "$LATEST"
    log_group_name: str = "/aws/lambda/local"
    log_stream_name: str = "local"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


class _Tee(io.TextIOBase):
    """Pass everything the handlers print on, and keep it: every line, and the embedded-metric ones parsed.

    One for the process: each LocalCloud points the handlers' logger at it (that logger keeps the stream of
    whoever created it first, maybe a test that imported a handler) and attaches where the text goes on to
    and the lists it keeps.
    """

    def __init__(self) -> None:
        self._stream: Any = sys.__stdout__
        self._printed: list[str] = []
        self._metrics: list[dict[str, Any]] = []
        self._partial = ""

    def attach(self, stream: Any, printed: list[str], metrics: list[dict[str, Any]]) -> None:
        self._stream, self._printed, self._metrics, self._partial = stream, printed, metrics, ""

    def write(self, text: str) -> int:
        *lines, self._partial = (self._partial + text).split("\n")
        self._printed.extend(lines)
        for line in lines:
            if line.startswith('{"_aws"'):
                self._metrics.append(json.loads(line))
        return int(self._stream.write(text))

    def flush(self) -> None:
        self._stream.flush()


_TEE = _Tee()


class InjectedCrash(Exception):
    """A Lambda invocation that died (a fault the local cloud injects on purpose)."""


@dataclass
class Fault:
    """Crash `times` invocations of one function, before or after its handler did its work."""

    function: str
    after_handler: bool
    times: int


@dataclass(frozen=True)
class Delivery:
    """An event EventBridge delivered: the rule that matched, the function it invoked, and when."""

    at_seconds: float
    rule: str
    function: str
    event: dict[str, Any]
    error: str | None  # the function's errorType when it failed


@dataclass(frozen=True)
class Refusal:
    """An event EventBridge refused (over its entry size): when, and why, in EventBridge's words."""

    at_seconds: float
    event: dict[str, Any]
    reason: str


@dataclass(frozen=True)
class Function:
    """A Lambda function of the built stack and the handler the local cloud runs for it."""

    logical_id: str
    name: str  # its physical name
    arn: str
    handler: str
    path: Path  # the packaged artifact (its CodeUri)
    memory_mb: int
    architecture: str
    environment: dict[str, str] = field(default_factory=dict)

    @property
    def module_path(self) -> Path:
        module, _ = self.handler.rsplit(".", 1)
        return self.path / f"{module.replace('.', '/')}.py"

    @property
    def attribute(self) -> str:
        return self.handler.rsplit(".", 1)[1]


@dataclass(frozen=True)
class _Route:
    """An enabled EventBridge rule of the stack: its resolved pattern and its Lambda targets (logical ids)."""

    rule: str
    pattern: EventPattern
    text: str
    functions: tuple[str, ...]


@dataclass
class Usage:
    """What the deployer consumed: its AWS calls, Lambda invocations and their duration."""

    api_calls: Counter[str]
    invocations: Counter[str]
    gb_seconds: float = 0.0


class LocalCloud:
    def __init__(self, scenario: Scenario, template: dict[str, Any] | None = None) -> None:
        """`template`: a template document in its source form (`stack.source()`, changed); template.yaml by default."""
        self.scenario = scenario
        self.template = template
        self.clock = VirtualClock(EPOCH)
        world = scenario.world
        self.model = EcsModel(ACCOUNT, REGION, epoch=EPOCH, seed=world.seed, events=world.events, timing=world.timing)
        self.usage = Usage(api_calls=Counter(), invocations=Counter())
        self.executions: list[str] = []
        self.functions: dict[str, Function] = {}  # by logical id
        self._handlers: dict[str, Any] = {}
        self._logical: dict[str, str] = {}  # a function's physical name -> its logical id
        self._in_handler = threading.local()
        self._stack = contextlib.ExitStack()
        self._saved_env: dict[str, str | None] = {}
        self._pushes = 0
        self._faults: list[Fault] = []
        self._usage_lock = threading.Lock()
        self._function_locks: dict[str, threading.Lock] = {}
        self.printed: list[str] = []  # every line the handlers printed (their logs, their metrics)
        self.metrics: list[dict[str, Any]] = []  # the embedded-metric documents among them
        self.events_delivered: list[Delivery] = []  # what `publish` delivered, in order
        self.events_refused: list[Refusal] = []  # what `publish` refused (over EventBridge's quotas)
        self._routes: list[_Route] = []
        self._alarm_event_ids = itertools.count(1)
        self._ecr_events: list[dict[str, Any]] = []  # ECR's push events for the handlers' PutImage, to deliver

    # -- lifecycle -------------------------------------------------------------------------------

    def __enter__(self) -> LocalCloud:
        for key, value in _ENVIRONMENT.items():
            self._saved_env[key] = os.environ.get(key)
            os.environ[key] = value
        try:
            self._start()
        except BaseException:
            self.__exit__(None, None, None)
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()
        aws.client.cache_clear()
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    def _start(self) -> None:
        enter = self._stack.enter_context
        _TEE.attach(sys.stdout if sys.stdout is not _TEE else sys.__stdout__, self.printed, self.metrics)
        enter(contextlib.redirect_stdout(_TEE))
        for handler in logging.getLogger(_ENVIRONMENT["POWERTOOLS_SERVICE_NAME"]).handlers:
            if isinstance(handler, logging.StreamHandler):
                handler.setStream(_TEE)
        enter(mock_aws(config={"stepfunctions": {"execute_state_machine": True}}))
        # moto draws its ids (task ids, target group ARNs, ...) from one random source that "can be seeded to
        # make identifiers deterministic" (moto/moto_api/_internal/moto_random.py, MotoRandom): seeded with the
        # world's seed, a report that names tasks and target groups replays exactly.
        mock_random.seed(self.scenario.world.seed)
        enter(_shared_service_data())
        enter(parse_once())
        enter(method_names_once())
        aws.client.cache_clear()  # clients of an earlier run belong to another moto world
        self.session = _own_clients()  # the cloud's own calls, not counted
        boto3.setup_default_session(region_name=REGION)
        events = boto3.DEFAULT_SESSION.events  # type: ignore[union-attr]
        events.register("before-call", self._count_call)
        enter(self.clock)
        enter(route_invocations(lambda name, event: self.invoke(self._logical[name], event)))
        enter(reuse_clients())
        enter(sleep_on(self.clock.sleep))
        enter(callbacks_on(self.clock.wait_for))
        enter(ecs_deployments.install(self.model))
        enter(ecs_service_deployments.install(self.model))
        enter(target_health.install(self.model))
        enter(ecs_missing_tasks.install())
        enter(ecs_list_task_definitions.install())
        enter(ecr_images.install(on_gone=self._image_gone))
        enter(cloudwatch_alarms.install())
        enter(task_failure_cause.install())
        enter(cloudwatch_percentiles.install())
        enter(quotas.install())
        enter(sdk_integrations.install())
        self.children = enter(distributed_map.install(self._state_machine_may))
        try:
            self._build()
        except ClientError as exc:  # AWS would refuse what the scenario asks for (SSM's 4,096 characters, say)
            raise ScenarioError(f"AWS refuses this scenario's resources: {exc}") from exc
        self._awslogs = AwsLogsDriver(self.session.client("ecs"), self.session.client("logs"), EPOCH)
        # IAM as the built stack holds it, less what the scenario takes out for this run.
        stack_iam = iam_of(self.stack.evaluator).without((r.function, r.action) for r in self.scenario.iam.remove)
        self.iam = Enforcer(stack_iam, Where(ACCOUNT, REGION, stack_iam.topic_keys, _next_revision))
        events.register("before-parameter-build", self.iam.remember_params)
        events.register("before-call", self._authorize)
        events.register("after-call.ecr.PutImage", self._image_put)

    # -- the stack -------------------------------------------------------------------------------

    def _build(self) -> None:
        """template.yaml's stack, with the scenario's services, then the handlers and routes it defines."""
        seed = f"{self.scenario.name}-initial"
        digest = ecr_images.digest_of(_manifest(seed))
        self.stack: BuiltStack = build_scenario_stack(
            self.scenario,
            self.session,
            template=self.template,
            network=default_network(self.session),
            initial_image=f"{self.scenario.initial.tag}@{digest}",
        )
        stack = self.stack
        registry = str(stack.attribute("Repository", "RepositoryUri")).split("/", 1)[0]
        self.infra = StackView(
            state_machine=stack.output("StateMachineArn"),
            targets_parameter=stack.output("TargetsParameterName"),
            lock_table=stack.output("LockTableName"),
            alert_topic=stack.output("AlertTopicArn"),
            registry=registry,
            initial_digest=_put_image(self.session, stack.ref("Repository"), self.scenario.initial.tag, seed),
            services=services_of(stack, self.scenario),
            repositories={stack.ref(name) for name in stack.of_type("AWS::ECR::Repository")},
        )
        if self.scenario.repository.lifecycle_policy is not None:  # after the first image, as a user would
            self.session.client("ecr").put_lifecycle_policy(
                repositoryName=stack.ref("Repository"),
                lifecyclePolicyText=json.dumps(self.scenario.repository.lifecycle_policy),
            )
        self.state_machine = self.infra.state_machine
        self.model.set_behavior(self.infra.initial_digest, self.scenario.initial.behavior)
        for service in self.infra.services:
            self.model.add_service(
                cluster=service.cluster,
                service=service.name,
                container=service.container,
                spec=service.spec,
                target_group_arn=service.target_group,
            )
        self.traffic = Traffic(
            self.model,
            self.session.client("elbv2"),
            functools.partial(cloudwatch_percentiles.put, ACCOUNT, REGION),
            epoch=EPOCH,
            seed=self.scenario.world.seed,
        )
        for service in self.infra.services:
            if service.spec.traffic is not None and service.target_group is not None:
                self.traffic.add_service(service.name, service.target_group, service.spec.traffic.requests_per_second)
        self._alert_queue = _subscribe_queue(self.session, self.infra.alert_topic)
        self._create_alarms()
        self._load_functions(stack)
        self._load_routes(stack)
        for fault in self.scenario.faults:
            self.crash(fault.function, after_handler=fault.when == "after", times=fault.times)

    def _create_alarms(self) -> None:
        """The scenario's CloudWatch alarms (the services' own, not the stack's), each in INSUFFICIENT_DATA:
        a new alarm's state until its first evaluation (API_PutMetricAlarm.html; moto starts it OK)."""
        for name in dict.fromkeys(a.name for a in self.scenario.alarms):
            cloudwatch = self.session.client("cloudwatch")
            put_alarm(cloudwatch, name)
            # its state from creation, not a change: no state-change event
            cloudwatch.set_alarm_state(AlarmName=name, StateValue="INSUFFICIENT_DATA", StateReason="Unchecked")

    def set_alarm(self, name: str, state: str, reason: str) -> None:
        """Put an alarm of the scenario in `state` now, as its metric's evaluation would (SetAlarmState), and,
        when its state changes, send CloudWatch's "CloudWatch Alarm State Change" event to EventBridge (best
        effort, as `world.events` delivers; https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html)."""
        cloudwatch = self.session.client("cloudwatch")
        [before] = cloudwatch.describe_alarms(AlarmNames=[name])["MetricAlarms"]
        cloudwatch.set_alarm_state(AlarmName=name, StateValue=state, StateReason=reason)
        if state != before["StateValue"]:
            event_id = f"00000000-0000-4000-a000-{next(self._alarm_event_ids):012d}"
            self.model.post_event(alarm_state_change(before, state, reason, self.clock.at(self.clock.now), event_id))
            self.step_world(self.clock.now)  # delivered now, unless `world.events` delays or loses it

    def _load_functions(self, stack: BuiltStack) -> None:
        """Each Lambda function of the stack, its handler imported with the function's own environment."""
        for logical_id in stack.of_type("AWS::Lambda::Function"):
            properties = stack.properties(logical_id)
            function = Function(
                logical_id=logical_id,
                name=stack.ref(logical_id),
                arn=stack.attribute(logical_id, "Arn"),
                handler=properties["Handler"],
                path=stack.artifacts.of(logical_id),
                memory_mb=int(properties.get("MemorySize", 128)),
                architecture=properties.get("Architectures", ["x86_64"])[0],
                environment={k: str(v) for k, v in properties.get("Environment", {}).get("Variables", {}).items()},
            )
            self.functions[logical_id] = function
            self._logical[function.name] = logical_id
            self._handlers[logical_id] = getattr(_load_module(function), function.attribute)
            self._function_locks[logical_id] = threading.Lock()

    def _load_routes(self, stack: BuiltStack) -> None:
        """Each enabled rule of the stack with Lambda targets, its pattern resolved; the ECR push rule apart."""
        by_arn = {f.arn: f.logical_id for f in self.functions.values()}
        for rule in stack.of_type("AWS::Events::Rule"):
            properties = stack.properties(rule)
            text = json.dumps(properties["EventPattern"])
            functions = tuple(by_arn[t["Arn"]] for t in properties.get("Targets", []) if t["Arn"] in by_arn)
            # the local cloud delivers to Lambda targets only (an SNS target is EventBridge's to call)
            if properties.get("State", "ENABLED") == "ENABLED" and functions:
                self._routes.append(_Route(rule, EventPattern.load(text), text, functions))
        (self._ecr_route,) = [r for r in self._routes if json.loads(r.text).get("source") == ["aws.ecr"]]

    def invoke(self, function_name: str, event: Any) -> Any:
        """Run one function's real handler in-process, as Lambda would (counted in the usage)."""
        function, handler = self.functions[function_name], self._handlers[function_name]
        context = LambdaContext(
            function_name=function.name,
            memory_limit_in_mb=function.memory_mb,
            invoked_function_arn=function.arn,
            aws_request_id=hashlib.sha1(f"{function_name}{time.monotonic_ns()}".encode()).hexdigest()[:32],
        )
        with self._usage_lock:
            self.usage.invocations[function_name] += 1
            fault = next((f for f in self._faults if f.function == function_name and f.times > 0), None)
            if fault is not None:
                fault.times -= 1
        # Lambda runs concurrent invocations in separate environments; here they share the module's
        # globals (Powertools' Metrics, say), so one function runs one invocation at a time.
        with self._function_locks[function_name]:
            self._in_handler.active, self._in_handler.function = True, function_name
            started = time.perf_counter()
            try:
                if fault is not None and not fault.after_handler:
                    raise InjectedCrash(f"{function_name} crashed before doing anything")
                result = handler(event, context)
                if fault is not None:
                    raise InjectedCrash(f"{function_name} crashed after doing its work")
                return result
            finally:
                billed_ms = max(1, int((time.perf_counter() - started) * 1000) + 1)
                with self._usage_lock:
                    self.usage.gb_seconds += billed_ms / 1000 * function.memory_mb / 1024
                self._in_handler.active = False

    def _count_call(self, model: Any, **_: Any) -> None:
        if getattr(self._in_handler, "active", False):
            with self._usage_lock:
                self.usage.api_calls[f"{model.service_model.signing_name}:{model.name}"] += 1

    def _authorize(self, model: Any, context: dict[str, Any], **_: Any) -> Any:
        """Each call with its caller's role: a handler's with its function's, a task's (the interpreter's
        own client) with the state machine's; a refusal is the answer AWS would give."""
        caller = None
        if getattr(self._in_handler, "active", False):
            caller = self._in_handler.function
        elif (model.service_model.service_name, model.name) in STATE_MACHINE_CALLS:
            caller = STATE_MACHINE_ROLE_OWNER
        return self.iam.authorize_call(caller, model, context)

    def _state_machine_may(self, action: str, resource: str) -> str | None:
        """What Step Functions does with the state machine's role itself (a Distributed Map's children):
        None when IAM allows it, else IAM's refusal."""
        denial = self.iam.check(STATE_MACHINE_ROLE_OWNER, Request.of(action, resource))
        return None if denial is None else denial.message

    def crash(self, function: str, *, after_handler: bool, times: int = 1) -> None:
        """Make the next `times` invocations of `function` crash (after its AWS calls, if `after_handler`)."""
        self._faults.append(Fault(function, after_handler, times))

    # -- what scenarios do -----------------------------------------------------------------------

    def push_image(
        self,
        repository: str,
        tag: str | None,
        behavior: Behavior,
        digest: str | None = None,
        retag_of: str | None = None,
        by_service: Mapping[str, Behavior] | None = None,
    ) -> str:
        """Put a new image into ECR (as `docker push` would) and tell the model how it behaves (on the services
        of `by_service` as it says, on the others as `behavior`); or, with `retag_of`, put the image that tag
        names under `tag` too (ECR's re-tag: BatchGetImage, PutImage)."""
        self._pushes += 1
        ecr = self.session.client("ecr")
        if repository not in self.infra.repositories:
            ecr.create_repository(repositoryName=repository)
            self.infra.repositories.add(repository)
        if retag_of is not None:
            (image,) = ecr.batch_get_image(repositoryName=repository, imageIds=[{"imageTag": retag_of}])["images"] or [
                None
            ]
            if image is None:
                raise ScenarioError(f"pushes: `retag_of` {retag_of!r} names no image of {repository} now")
            args = {"imageManifest": image["imageManifest"], "imageTag": tag}
            return str(ecr.put_image(repositoryName=repository, **args)["image"]["imageId"]["imageDigest"])
        seed = f"{self.scenario.name}-{self._pushes}"
        digest = _put_image(self.session, repository, tag, seed, digest)
        self.model.set_behavior(digest, behavior)
        for service, own in (by_service or {}).items():
            self.model.set_behavior(digest, own, service=service)
        return digest

    def push_event(self, repository: str, digest: str, tag: str | None, result: str, event_id: str) -> dict[str, Any]:
        """An "ECR Image Action" PUSH event shaped like tests/fixtures/events (docs/aws-facts.md)."""
        detail: dict[str, Any] = {
            "result": result,
            "repository-name": repository,
            "image-digest": digest,
            "action-type": "PUSH",
        }
        if tag:
            detail["image-tag"] = tag
        return envelope(
            source="aws.ecr",
            detail_type="ECR Image Action",
            detail=detail,
            resources=[],
            account_id=ACCOUNT,
            region=REGION,
            at=self.clock.at(self.clock.now),
            event_id=event_id,
        )

    def _image_put(self, parsed: dict[str, Any], **_: Any) -> None:
        """ECR sends its push event for every image put, a re-tag by the API too (ecr-eventbridge.html, "completed
        image push"; modelling choice: AWS does not single the re-tag out): a handler's PutImage sends one."""
        image = parsed.get("image")
        if image:
            event_id = f"00000000-0000-4000-9000-{len(self._ecr_events):012d}"
            tag, digest = image["imageId"].get("imageTag"), image["imageId"]["imageDigest"]
            self._ecr_events.append(self.push_event(image["repositoryName"], digest, tag, "SUCCESS", event_id))

    def _image_gone(self, digest: str) -> None:
        """An image expired or deleted from ECR cannot be pulled: a task started on it now fails as on ECS
        (CannotPullContainerError); the tasks that run it already go on."""
        self.model.set_behavior(digest, PullError(kind="pull_error"))

    def _deliver_ecr_events(self) -> None:
        while self._ecr_events:
            self.deliver(self._ecr_events.pop(0))

    def deliver(self, event: dict[str, Any]) -> dict[str, Any]:
        """EventBridge: the real rule pattern decides; a match invokes the rule's target (the Trigger)."""
        if refused := quotas.oversized_entry(event):
            return {"outcome": "ignored", "reason": refused}
        route = self._ecr_route
        if not route.pattern.matches_event(event):  # type: ignore[arg-type]
            why = unmatched(json.loads(route.text), event) or "the event"
            return {"outcome": "ignored", "reason": f"the EventBridge rule's pattern does not match {why}"}
        target = self.functions[route.functions[0]]
        if not self.iam.delivers(self.stack.attribute(route.rule, "Arn"), target.arn):
            return {"outcome": "rejected", "reason": f"EventBridge may not invoke {target.logical_id}"}
        answer = self.session.client("lambda").invoke(
            FunctionName=self.functions[route.functions[0]].name, Payload=json.dumps(event).encode()
        )
        result = json.loads(answer["Payload"].read())
        if answer.get("FunctionError"):
            return {
                "outcome": "rejected",
                "reason": f"{result.get('errorType')}: {result.get('errorMessage')}",
            }
        if result.get("execution") and result["execution"] not in self.executions:
            self.executions.append(result["execution"])
        return dict(result)

    def publish(self, event: dict[str, Any]) -> list[Delivery]:
        """EventBridge's default bus: each enabled rule whose pattern matches invokes its functions.

        EventBridge invokes a Lambda target asynchronously; here the invocation runs in-process before
        `publish` returns, through moto's Lambda API like every other one (counted in the usage). A
        failed invocation is recorded, not retried. An event that no rule matches is dropped; one over
        EventBridge's entry size is refused before any rule sees it (recorded in `events_refused`).
        """
        if refused := quotas.oversized_entry(event):
            self.events_refused.append(Refusal(self.clock.now, event, refused))
            return []
        lam = self.session.client("lambda")
        delivered = []
        for route in self._routes:
            if not route.pattern.matches_event(event):  # type: ignore[arg-type]
                continue
            for function in route.functions:
                if not self.iam.delivers(self.stack.attribute(route.rule, "Arn"), self.functions[function].arn):
                    continue  # EventBridge counts a FailedInvocation; nothing runs
                answer = lam.invoke(
                    FunctionName=self.functions[function].name,
                    InvocationType="Event",
                    Payload=json.dumps(event).encode(),
                )
                error = None
                if answer.get("FunctionError"):
                    error = str(json.loads(answer["Payload"].read()).get("errorType"))
                delivered.append(Delivery(self.clock.now, route.rule, function, event, error))
        self.events_delivered.extend(delivered)
        return delivered

    def start_execution(self, document: Any, name: str) -> str:
        """A console execution: the input exactly as a person typed it."""
        sfn = self.session.client("stepfunctions")
        text = document if isinstance(document, str) else json.dumps(document)
        arn = sfn.start_execution(stateMachineArn=self.state_machine, name=name, input=text)["executionArn"]
        if arn not in self.executions:
            self.executions.append(arn)
        return str(arn)

    def running_executions(self) -> list[str]:
        sfn = self.session.client("stepfunctions")
        return [e for e in self.executions if sfn.describe_execution(executionArn=e)["status"] == "RUNNING"]

    def describe(self, execution: str) -> dict[str, Any]:
        return dict(self.session.client("stepfunctions").describe_execution(executionArn=execution))

    def history(self, execution: str) -> list[dict[str, Any]]:
        """The execution's whole story: its history with its Distributed Map's child executions in place."""
        return stepfunctions.execution_history(execution, sfn=self.session.client("stepfunctions"))

    def own_histories(self, execution: str) -> list[list[dict[str, Any]]]:
        """The execution's own history, then each of its child executions' (each as GetExecutionHistory has it)."""
        sfn = self.session.client("stepfunctions")
        parent = stepfunctions.own_history(execution, sfn=sfn)
        runs = stepfunctions.map_run_children(parent, sfn=sfn)
        return [parent] + [stepfunctions.own_history(c, sfn=sfn) for children in runs.values() for c in children]

    # -- time ------------------------------------------------------------------------------------

    def step_world(self, instant: float) -> None:
        """The world at virtual `instant`: the ECS model steps there, then EventBridge delivers its events.

        The clock calls it at each advance, before it wakes the executions due then. Events that the
        invoked functions cause in turn (an UpdateService starting tasks) are delivered in the same step.
        The load balancer first serves the requests until `instant` as the world stood since the last step
        (nothing it routes by changes in between), and publishes the metrics due by then.
        """
        self.traffic.advance_to(instant)
        self.model.advance_to(instant)
        self._awslogs.write(self.model.drain_logs())
        self._deliver_ecr_events()
        while events := self.model.drain_events():
            for event in events:
                self.publish(event)

    def run_until(self, instant: float) -> None:
        """Advance the world to `instant`, executions and model together, stopping at every wake-up."""
        while True:
            self.clock.wait_quiescent()
            candidates = [t for t in (self.clock.next_wakeup(), self.model.next_change_at()) if t is not None]
            step = min(candidates, default=None)
            if step is None or step > instant:
                self.clock.advance_to(instant, self.step_world)
                self.clock.wait_quiescent()
                return
            self.clock.advance_to(step, self.step_world)

    def run_until_done(self, limit: float) -> None:
        """Run until no execution is running and the model has settled (or the virtual `limit`)."""
        while self.clock.now < limit:
            self.clock.wait_quiescent()
            self._deliver_ecr_events()
            running = self.running_executions()
            wakeup = self.clock.next_wakeup()
            change = self.model.next_change_at()
            if not running and (self.model.settled() or change is None):
                return
            if running and wakeup is None:
                time.sleep(0.002)  # an execution is finishing on its own thread
                continue
            step = min(t for t in (wakeup, change) if t is not None)
            self.clock.advance_to(min(step, limit), self.step_world)

    def alerts(self) -> list[dict[str, Any]]:
        """Every SNS message published to the alert topic, read from the queue subscribed to it."""
        sqs = self.session.client("sqs")
        found: list[dict[str, Any]] = []
        while True:
            batch = sqs.receive_message(QueueUrl=self._alert_queue, MaxNumberOfMessages=10).get("Messages", [])
            if not batch:
                return found
            for message in batch:
                found.append(json.loads(message["Body"]))
                sqs.delete_message(QueueUrl=self._alert_queue, ReceiptHandle=message["ReceiptHandle"])


def unmatched(pattern: dict[str, Any], event: Any, path: str = "") -> str | None:
    """The first field of `event` that an EventBridge pattern of plain values and `exists` rejects."""
    for key, allowed in pattern.items():
        where = f"{path}{key}"
        present = isinstance(event, dict) and key in event
        value = event.get(key) if isinstance(event, dict) else None
        if isinstance(allowed, dict):
            deeper = unmatched(allowed, value if isinstance(value, dict) else {}, f"{where}.")
            if deeper:
                return deeper
            continue
        exists = [a["exists"] for a in allowed if isinstance(a, dict) and "exists" in a]
        if exists and exists[0] != present:
            return f"{where} ({'absent' if not present else 'present'})"
        values = [a for a in allowed if not isinstance(a, dict)]
        if values and value not in values:
            return f"{where} {str(value)[:80]!r} (the rule takes {values})"
    return None


def alarm_state_change(before: dict[str, Any], state: str, reason: str, at: datetime, event_id: str) -> dict[str, Any]:
    """CloudWatch's "CloudWatch Alarm State Change" event for the alarm `before` (as DescribeAlarms gave it)
    entering `state` (https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/cloudwatch-and-eventbridge.html)."""

    def stamp(when: datetime) -> str:
        return when.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "+0000"

    detail = {
        "alarmName": before["AlarmName"],
        "state": {"value": state, "reason": reason, "timestamp": stamp(at)},
        "previousState": {
            "value": before["StateValue"],
            "reason": before.get("StateReason", ""),
            "timestamp": stamp(before["StateUpdatedTimestamp"]),
        },
    }
    return envelope(
        source="aws.cloudwatch",
        detail_type="CloudWatch Alarm State Change",
        detail=detail,
        resources=[before["AlarmArn"]],
        account_id=ACCOUNT,
        region=REGION,
        at=at,
        event_id=event_id,
    )


def put_alarm(cloudwatch: Any, name: str) -> None:
    """A CloudWatch metric alarm named `name`, as a service's own alarm would be (PutMetricAlarm).

    Modelling choice: the metric is a target group's 5XX count, which reads true; nothing evaluates it,
    whoever creates the alarm sets its state.
    """
    cloudwatch.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/ApplicationELB",
        MetricName="HTTPCode_Target_5XX_Count",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )


def _next_revision(family: str) -> int:
    """The revision RegisterTaskDefinition gives `family` next (what IAM authorizes it to create)."""
    revisions = ecs_backends[ACCOUNT][REGION].task_definitions.get(family, {})
    return max(revisions, default=0) + 1


class Clients:
    """The local cloud's own boto3 clients (not the deployer's), each made once: one costs ~40 ms."""

    def __init__(self, region: str) -> None:
        self.region_name = region
        self._session = boto3.session.Session(region_name=region)
        self._clients: dict[str, Any] = {}

    def client(self, service: str) -> Any:
        if service not in self._clients:
            self._clients[service] = self._session.client(service)  # type: ignore[call-overload]
        return self._clients[service]


def default_network(session: Clients) -> dict[str, Any]:
    """moto's default VPC and two of its default subnets: the VpcId and SubnetIds the guide uses."""
    ec2 = session.client("ec2")
    vpc = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"][0]["VpcId"]
    subnets = ec2.describe_subnets(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default-for-az", "Values": ["true"]}]
    )
    return {"vpc": vpc, "subnets": [s["SubnetId"] for s in subnets["Subnets"]][:2]}


def _subscribe_queue(session: Clients, topic: str) -> str:
    """An SQS queue subscribed to the alert topic: the local cloud's own instrument to read the alerts
    published (not a resource of the stack; on AWS a person subscribes, by AlertEmail or otherwise)."""
    sqs = session.client("sqs")
    url = sqs.create_queue(QueueName="pushdeploy-local-alerts-inbox")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    session.client("sns").subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn)
    return str(url)


def _manifest(seed: str) -> str:
    """A distinct image manifest for each seed."""
    layer = hashlib.sha256(seed.encode()).hexdigest()
    return json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": MANIFEST_MEDIA_TYPE,
            "config": {
                "mediaType": "application/vnd.docker.container.image.v1+json",
                "size": 1,
                "digest": f"sha256:{layer}",
            },
            "layers": [],
        }
    )


def _put_image(session: Clients, repository: str, tag: str | None, seed: str, digest: str | None = None) -> str:
    """Push a distinct image (or the one an event names by its digest, through a manifest standing in for it)."""
    manifest = ecr_images.stand_in(digest, MANIFEST_MEDIA_TYPE) if digest else _manifest(seed)
    args: dict[str, Any] = {"repositoryName": repository, "imageManifest": manifest}
    if tag:
        args["imageTag"] = tag
    return str(session.client("ecr").put_image(**args)["image"]["imageId"]["imageDigest"])


@functools.cache
def _own_clients() -> Clients:
    """The clients of the cloud's own calls, made once for the process: each costs 10-80 ms to make.

    They hold no state of a moto world (moto answers whichever client calls, from the backends of the
    world running then) and no handler of a cloud: the deployer's clients, which count calls for their
    cloud, are still made anew for each cloud.
    """
    return Clients(REGION)


@functools.cache
def _loader(search_path: str | None) -> botocore.loaders.Loader:
    return botocore.loaders.create_loader(search_path)


@contextlib.contextmanager
def _shared_service_data() -> Iterator[None]:
    """Every botocore session made while the cloud runs reads the service JSON through one loader.

    A cloud makes two sessions and about twenty clients; each new session's loader read and parsed
    every service's model and the endpoint rules again, half of a scenario's CPU time. botocore's
    loader keeps what it read and hands the same dicts to every client of its session; one loader per
    data path for the process hands them to every session too. The files do not change while a
    process runs.
    """
    with mock.patch.object(botocore.session, "create_loader", _loader):
        yield


_modules: dict[str, ModuleType] = {}


def _load_module(function: Function) -> ModuleType:
    """Import a function's handler from its CodeUri, once per process and environment (like a warm Lambda:
    a stack whose function has other variables, e.g. built with another DeploymentStrategy, is another
    function, imported afresh, since handlers read their settings at import).

    It imports with only the environment variables the built function has (template.yaml's, resolved
    to the stack's physical names), so a variable missing from the template fails here as it would
    on AWS: at cold start.
    """
    path = function.module_path
    key = f"{path}?{sorted(function.environment.items())}"
    if key in _modules:
        return _modules[key]
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update({k: v for k, v in saved.items() if k.startswith(("AWS_", "POWERTOOLS_", "PATH", "HOME"))})
    os.environ.update(function.environment)
    try:
        spec = importlib.util.spec_from_file_location(f"pushdeploy_function_{function.logical_id}", path)
        assert spec and spec.loader, f"cannot import {path}"
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    _modules[key] = module
    return module
