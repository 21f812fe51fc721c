"""The four systems, each run on the same local cloud (moto, the ECS/ALB model, the virtual clock).

- `pushdeploy`: the product itself, through `pushdeploy_local.runner.run` (the real ASL and handlers).
- `circuit_breaker`: register the new task definition, UpdateService, and nothing else: ECS's
  deployment circuit breaker with rollback (the service's configuration) is the only safety net.
- `waiter`: a CI job: register, UpdateService, botocore's real `services-stable` waiter (15 s polls,
  40 attempts; botocore/data/ecs/2014-11-13/waiters-2.json, aws-facts.md), UpdateService back to the
  previous task definition if the waiter failed.
- `poll_1s`: a CLI with fabfuel/ecs-deploy's rule (aws-facts.md: polls every 1 s, 300 s timeout, here
  with `--rollback`): each second DescribeServices; a PRIMARY deployment FAILED ends it (no rollback:
  the CLI only rolls back on a timeout or a placement error); one deployment left and as many RUNNING
  tasks of the service's task definition as desired (ListTasks + DescribeTasks) is success; at the
  timeout it rolls back and waits for the rollback the same way (600 s).

The baselines make their calls through their own boto3 session, counted, at virtual times; the clock
moves only when they sleep. All four are watched by the same `Timeline` until HORIZON_SECONDS.
"""

from __future__ import annotations

import contextlib
import io
import logging
import types
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any, Literal
from unittest import mock

import boto3
from botocore.exceptions import WaiterError

from bench.cases import HORIZON_SECONDS, Case
from bench.observe import Call, RecordingCloud, Timeline
from bench.rows import Conclusion, Policy, PollingRow, PushdeployRow, Row, System
from pushdeploy import taskdef
from pushdeploy.outcome import Outcome
from pushdeploy.verdict import POLL_SECONDS
from pushdeploy_local import runner
from pushdeploy_local.cloud import REGION
from pushdeploy_local.report import Report
from pushdeploy_local.scenario import Scenario

# fabfuel/ecs-deploy's defaults (cli.py: --timeout 300, --sleep-time 1; rollback_task_definition waits 600 s).
POLL_1S_TIMEOUT = 300
POLL_1S_ROLLBACK_TIMEOUT = 600
POLL_1S_SLEEP = 1
# How the 1 s poller's wait ends, and what it then concludes.
PollEnd = Literal["success", "deployment_failed", "placement_error", "timeout"]
POLL_1S_CONCLUSIONS: dict[PollEnd, Conclusion] = {
    "success": Conclusion.SUCCESS,
    "deployment_failed": Conclusion.FAILURE,
    "placement_error": Conclusion.FAILURE,
    "timeout": Conclusion.TIMEOUT,
}
# The template's functions (logical ids) whose invocations a pushdeploy row times.
WAKE, UNLOCK = "WakeFunction", "UnlockFunction"
# What pushdeploy's outcome for the bench's one push and one service says, in the terms every system is
# compared in. A single push is never superseded, nor a rollback asked for by hand.
CONCLUSIONS = {
    Outcome.DEPLOYED: Conclusion.SUCCESS,
    Outcome.ROLLED_BACK: Conclusion.FAILURE,
    Outcome.ROLLBACK_FAILED: Conclusion.FAILURE,
    Outcome.FAILED: Conclusion.FAILURE,
}
# The baselines' probe interval (the waiter's: botocore's waiters-2.json).
POLL_INTERVALS: dict[System, int] = {"pushdeploy": POLL_SECONDS, "waiter": 15, "poll_1s": POLL_1S_SLEEP}


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """The handlers' JSON logs and moto's interpreter messages are not the bench's output."""
    logging.disable(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()):
            yield
    finally:
        logging.disable(logging.NOTSET)


def run(system: System, case: Case, deployer: dict[str, Any] | None = None) -> Row:
    """One system on one case. `deployer` overrides pushdeploy's policy (the scenario's `deployer`
    settings, e.g. {"watch_seconds": 0}); the baselines have none."""
    runners: dict[str, Callable[[Case], Row]] = {
        "circuit_breaker": run_circuit_breaker,
        "waiter": run_waiter,
        "poll_1s": run_poll_1s,
    }
    if system == "pushdeploy":
        return run_pushdeploy(case, deployer)
    if deployer:
        raise ValueError(f"{system} has no deployer policy to override")
    with quiet():
        return runners[system](case)


# ---------------------------------------------------------------------------------------------- pushdeploy


def run_pushdeploy(case: Case, deployer: dict[str, Any] | None = None) -> PushdeployRow:
    scenario = case.build(**(deployer or {}))
    with quiet():
        report, cloud = pushdeploy_report(scenario)
    assert cloud.timeline is not None
    (push,) = report.pushes
    checks = [c for c in cloud.calls if c.function == "CheckFunction"]
    probes = cloud.usage.invocations.get("CheckFunction", 0)

    def invoked(function: str) -> list[float]:
        return [at for at, name in cloud.invoked if name == function]

    # The report is taken after the whole HORIZON_SECONDS watched, so its usage holds every invocation until
    # then: Wake's too, which EventBridge makes for every stopped task, during the execution or after it.
    assert sum(cloud.usage.invocations.values()) == report.cost.lambda_invocations == len(cloud.invoked)
    return PushdeployRow(
        **_figures(
            case,
            "pushdeploy",
            cloud.timeline,
            verdict_at=push.verdict_at_seconds,
            outcome=CONCLUSIONS[Outcome(push.outcome)],
            calls=Counter(report.api_calls),
            calls_per_probe=round(len(checks) / probes, 2) if probes else None,
            busy_until=push.finished_at_seconds,
            transitions=report.cost.state_transitions,
            lambda_invocations=report.cost.lambda_invocations,
            lambda_gb_seconds=round(report.cost.lambda_gb_seconds, 3),
            usd_per_1000=round(report.cost.usd * 1000, 3),
        ),
        reason=push.reason,
        policy=Policy.of(scenario.deployer.policy()),
        check_invocations=probes,
        calls_per_probe_by_operation={
            op: round(n / probes, 2) for op, n in sorted(Counter(c.operation for c in checks).items())
        }
        if probes
        else {},
        lambda_invocations_by_function=dict(sorted(cloud.usage.invocations.items())),
        wake_at_s=invoked(WAKE),
        watch_from_s=min(cloud.watched, default=None),
        lock_released_s=max(invoked(UNLOCK), default=None),
    )


def pushdeploy_report(
    scenario: Scenario, *, watch: bool = True, template: dict[str, Any] | None = None
) -> tuple[Report, RecordingCloud]:
    """`runner.run`, unchanged, on a RecordingCloud that keeps watching until HORIZON_SECONDS; `template`: a
    template document in its source form to build instead of template.yaml."""
    made: list[RecordingCloud] = []

    def cloud(scenario: Scenario) -> RecordingCloud:
        made.append(RecordingCloud(scenario, observe_until=HORIZON_SECONDS if watch else None, watch=watch))
        made[-1].template = template
        return made[-1]

    with mock.patch.object(runner, "LocalCloud", cloud):
        report = runner.run(scenario)
    return report, made[0]


# ---------------------------------------------------------------------------------------------- baselines


class Tool:
    """A deployer that runs outside AWS: its own boto3 session, each call logged with its virtual time."""

    def __init__(self, cloud: RecordingCloud) -> None:
        self.cloud = cloud
        self.calls: list[Call] = []
        session = boto3.session.Session(region_name=REGION)
        session.events.register("before-call", self._count)
        self.ecs = session.client("ecs")
        main = cloud.infra.services[0]
        self.cluster, self.service, self.container, self.repository = (
            main.cluster,
            main.name,
            main.container,
            main.repository,
        )

    def _count(self, model: Any, **_: Any) -> None:
        self.calls.append(Call(self.cloud.clock.now, f"{model.service_model.signing_name}:{model.name}", None))

    @property
    def now(self) -> float:
        return self.cloud.clock.now

    def sleep(self, seconds: float) -> None:
        self.cloud.run_until(self.now + seconds)

    def describe(self) -> dict[str, Any]:
        return dict(self.ecs.describe_services(cluster=self.cluster, services=[self.service])["services"][0])

    def deploy(self, digest: str) -> tuple[str, str]:
        """What every such script does first: copy the current task definition with the new image
        (by digest, as pushdeploy does), register it, UpdateService. Returns (new, previous)."""
        previous = self.describe()["taskDefinition"]
        answer = self.ecs.describe_task_definition(taskDefinition=previous, include=["TAGS"])
        current = dict(answer["taskDefinition"])
        if answer.get("tags"):
            current["tags"] = answer["tags"]
        image = f"{self.cloud.infra.registry}/{self.repository}@{digest}"
        registered = self.ecs.register_task_definition(**taskdef.with_image(current, self.container, image))
        new = registered["taskDefinition"]["taskDefinitionArn"]
        self.update(new)
        return new, previous

    def update(self, task_definition: str) -> None:
        self.ecs.update_service(cluster=self.cluster, service=self.service, taskDefinition=task_definition)


@contextlib.contextmanager
def baseline(case: Case) -> Iterator[tuple[RecordingCloud, Tool, str]]:
    """A local cloud with the case's service, the new image pushed to ECR (no event: pushdeploy is not
    involved), and a Tool to drive it. Watched until HORIZON_SECONDS on the way out."""
    scenario = case.build()
    with RecordingCloud(scenario) as cloud:
        tool = Tool(cloud)
        push = scenario.pushes[0]
        assert push.tag is not None
        digest = cloud.push_image(tool.repository, push.tag, push.behavior)
        yield cloud, tool, digest
        cloud.run_until(max(HORIZON_SECONDS, cloud.clock.now))


def run_circuit_breaker(case: Case) -> Row:
    with baseline(case) as (cloud, tool, digest):
        tool.deploy(digest)
    timeline = _timeline(cloud)
    # ECS's own verdict: the rollout state of the new deployment (FAILED or COMPLETED), if ever.
    decided = [t for t in (timeline.new_failed_at, timeline.new_completed_at) if t is not None]
    verdict_at = min(decided) if decided else None
    outcome = None
    if verdict_at is not None:
        outcome = Conclusion.FAILURE if verdict_at == timeline.new_failed_at else Conclusion.SUCCESS
    return Row(
        **_baseline_figures(
            case,
            "circuit_breaker",
            cloud,
            tool,
            verdict_at=verdict_at,
            outcome=outcome,
            calls_per_probe=None,
            busy_until=0.0,
        )
    )


def run_waiter(case: Case) -> PollingRow:
    with baseline(case) as (cloud, tool, digest):
        _, previous = tool.deploy(digest)
        started = len(tool.calls)
        waiter = tool.ecs.get_waiter("services_stable")
        # botocore.waiter sleeps with time.sleep between attempts; here it sleeps on the virtual clock.
        try:
            with mock.patch("botocore.waiter.time", types.SimpleNamespace(sleep=tool.sleep)):
                waiter.wait(cluster=tool.cluster, services=[tool.service])
            outcome = Conclusion.SUCCESS
        except WaiterError as exc:
            outcome = Conclusion.TIMEOUT if "Max attempts exceeded" in str(exc) else Conclusion.FAILURE
        verdict_at = tool.now
        probes = len(tool.calls) - started
        if outcome != Conclusion.SUCCESS:
            tool.update(previous)
    return PollingRow(
        **_baseline_figures(
            case,
            "waiter",
            cloud,
            tool,
            verdict_at=verdict_at,
            outcome=outcome,
            calls_per_probe=1.0 if probes else None,
            busy_until=verdict_at,
        ),
        probes=probes,
    )


def run_poll_1s(case: Case) -> PollingRow:
    with baseline(case) as (cloud, tool, digest):
        _, previous = tool.deploy(digest)
        started = len(tool.calls)
        ended, probes = _poll_until_deployed(tool, POLL_1S_TIMEOUT)
        verdict_at = tool.now
        polling_calls = len(tool.calls) - started
        if ended in ("timeout", "placement_error"):  # what fabfuel's --rollback acts on
            tool.update(previous)
            started = len(tool.calls)
            _, rollback_probes = _poll_until_deployed(tool, POLL_1S_ROLLBACK_TIMEOUT)
            probes += rollback_probes
            polling_calls += len(tool.calls) - started
        busy_until = tool.now
    return PollingRow(
        **_baseline_figures(
            case,
            "poll_1s",
            cloud,
            tool,
            verdict_at=verdict_at,
            outcome=POLL_1S_CONCLUSIONS[ended],
            calls_per_probe=round(polling_calls / probes, 2) if probes else None,
            busy_until=busy_until,
        ),
        probes=probes,
    )


def _poll_until_deployed(tool: Tool, timeout: float) -> tuple[PollEnd, int]:
    """fabfuel/ecs-deploy's wait_for_finish and is_deployed, on the virtual clock. Returns (how it ended, probes)."""
    deadline = tool.now + timeout
    tool.describe()  # it reads the service once before the loop
    probes = 0
    while tool.now < deadline:
        probes += 1
        service = tool.describe()
        primary = next(d for d in service["deployments"] if d["status"] == "PRIMARY")
        if any("unable" in e["message"] for e in service.get("events", []) if e["createdAt"] > primary["createdAt"]):
            return "placement_error", probes
        if primary.get("rolloutState") == "FAILED":
            return "deployment_failed", probes
        if (
            len(service["deployments"]) == 1
            and _running_of_service_definition(tool, service) == service["desiredCount"]
        ):
            return "success", probes
        tool.sleep(POLL_1S_SLEEP)
    return "timeout", probes


def _running_of_service_definition(tool: Tool, service: dict[str, Any]) -> int:
    # ListTasks' desiredStatus defaults to RUNNING on ECS; moto needs it said (it ignores serviceName).
    arns = tool.ecs.list_tasks(cluster=tool.cluster, serviceName=tool.service, desiredStatus="RUNNING")["taskArns"]
    if not arns:
        return 0
    tasks = tool.ecs.describe_tasks(cluster=tool.cluster, tasks=arns[:100])["tasks"]
    return sum(1 for t in tasks if t["taskDefinitionArn"] == service["taskDefinition"] and t["lastStatus"] == "RUNNING")


# ---------------------------------------------------------------------------------------------- rows


def _timeline(cloud: RecordingCloud) -> Timeline:
    assert cloud.timeline is not None
    return cloud.timeline


def _baseline_figures(
    case: Case,
    system: System,
    cloud: RecordingCloud,
    tool: Tool,
    *,
    verdict_at: float | None,
    outcome: Conclusion | None,
    calls_per_probe: float | None,
    busy_until: float | None,
) -> dict[str, Any]:
    """A baseline's `_figures`: its own calls, and what the timeline saw."""
    calls = Counter(c.operation for c in tool.calls)
    return _figures(
        case,
        system,
        _timeline(cloud),
        verdict_at=verdict_at,
        outcome=outcome,
        calls=calls,
        calls_per_probe=calls_per_probe,
        busy_until=busy_until,
    )


def _figures(
    case: Case,
    system: System,
    timeline: Timeline,
    *,
    verdict_at: float | None,
    outcome: Conclusion | None,
    calls: Counter[str],
    calls_per_probe: float | None,
    busy_until: float | None,
    transitions: int | None = None,
    lambda_invocations: int | None = None,
    lambda_gb_seconds: float | None = None,
    usd_per_1000: float | None = None,
) -> dict[str, Any]:
    """The fields of `Row`, every system's, from what it did and what the timeline saw. The AWS cost figures
    are pushdeploy's only: the baselines run outside AWS."""
    evidence, rollback, restored = timeline.evidence_at, timeline.rollback_at, timeline.restored_at
    detect = rollback - evidence if evidence is not None and rollback is not None and rollback >= evidence else None
    correct = None if outcome is None else (outcome == Conclusion.SUCCESS) == (not case.bad)
    return {
        "scenario": case.scenario,
        "desired_count": case.desired_count,
        "system": system,
        "verdict_s": verdict_at,
        "detect_s": detect,
        "restore_s": restored if case.bad else None,
        "transitions": transitions,
        "lambda_invocations": lambda_invocations,
        "usd_per_1000": usd_per_1000,
        "api_calls": sum(calls.values()),
        "api_calls_per_probe": calls_per_probe,
        "outcome": outcome,
        "verdict_correct": correct,
        "verdict_after_evidence_s": None if evidence is None or verdict_at is None else verdict_at - evidence,
        "evidence_s": evidence,
        "evidence": timeline.evidence,
        "rollback_s": rollback,
        "rolled_back_by": timeline.rolled_back_by,
        "completed_s": timeline.new_completed_at,
        "ecs_failed_s": timeline.new_failed_at,
        "client_busy_s": busy_until,
        "lambda_gb_seconds": lambda_gb_seconds,
        "api_calls_by_operation": dict(sorted(calls.items())),
        "poll_seconds": POLL_INTERVALS.get(system),
        "timing": case.timing,
        "breaker": case.breaker,
    }
