"""Run one scenario on the local cloud and report what happened (scenarios.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import boto3
import typer
from botocore.exceptions import ClientError

from pushdeploy.errors import InvalidRequest
from pushdeploy.outcome import DescribedExecution, Outcome, worst
from pushdeploy.requests import DeployRequest, parse_request
from pushdeploy_cli import deployer
from pushdeploy_cli.connection import Connection
from pushdeploy_cli.story import TargetStory, read_story
from pushdeploy_local import report as r
from pushdeploy_local.cloud import EPOCH, REGION, LocalCloud
from pushdeploy_local.scenario import Push, Scenario

SETTLE_SECONDS = 3 * 3600  # the longest a scenario may run on after its last push (virtual time)


@dataclass
class PushRecord:
    push: Push
    at: float
    digest: str | None = None
    executions: list[str] = field(default_factory=list)
    outcome: Outcome | None = None  # decided before any execution started (ignored / rejected)
    reason: str = ""


def run(scenario: Scenario) -> r.Report:
    return run_recorded(scenario)[0]


def run_recorded(scenario: Scenario) -> tuple[r.Report, dict[str, list[dict[str, Any]]]]:
    """The report, and each execution's Step Functions history (for timelines)."""
    with LocalCloud(scenario) as cloud:
        return play(cloud), {e: cloud.history(e) for e in cloud.executions}


def play(cloud: LocalCloud) -> r.Report:
    """Make the cloud's scenario happen, push by push and alarm by alarm, until every execution has ended;
    report it. An alarm's state set at the moment of a push is set first (the push sees it)."""
    scenario = cloud.scenario
    records = []
    answered = []
    # ("alarm" sorts before "push": at one instant, the alarm's state is set first)
    timeline = [(a.at_seconds, "alarm", i) for i, a in enumerate(scenario.alarms)]
    timeline += [(p.at_seconds, "push", i) for i, p in enumerate(scenario.pushes)]
    for at, kind, index in sorted(timeline):
        cloud.run_until(at)
        if kind == "alarm":
            alarm = scenario.alarms[index]
            cloud.set_alarm(alarm.name, alarm.state, f"the scenario sets {alarm.state} at {alarm.at_seconds:g} s")
        elif scenario.pushes[index].answers is not None:
            answered.append(_answer(cloud, scenario.pushes[index]))
        else:
            records.append(_perform(cloud, index, scenario.pushes[index]))
    last = max((at for at, _, _ in timeline), default=0)
    cloud.run_until_done(last + SETTLE_SECONDS)
    return _report(cloud, scenario, records).model_copy(update={"approvals": answered})


def _answer(cloud: LocalCloud, entry: Push) -> r.Answered:
    """`pushdeploy approve` (or `abort`) of each execution the scenario started, as a person would run it against
    the cloud: the CLI's own code (its calls are the CLI user's, outside every role the template defines). What
    waits is answered; an execution that waits for nothing is refused by the command, and changes nothing."""
    assert entry.answers is not None
    connection = Connection(
        session=boto3.session.Session(region_name=REGION),
        endpoint_url=None,
        stack=None,
        given_arn=cloud.state_machine,
        given_lock_table=cloud.infra.lock_table,
    )
    answered = r.Answered(at_seconds=cloud.clock.now, decision=entry.answers)
    refusals = []
    for execution in cloud.executions:
        try:
            answers = deployer.answer_approval(connection, execution, entry.answers)
        except typer.BadParameter as exc:  # it waits for nothing: the command says so and changes nothing
            refusals.append(exc.message)
            continue
        answered.services += [a.service for a in answers if a.done]
    if not answered.services:
        answered.error = "; ".join(refusals) or "no execution runs"
    return answered


def _perform(cloud: LocalCloud, index: int, push: Push) -> PushRecord:
    record = PushRecord(push=push, at=cloud.clock.now)
    if push.input is not None:
        record.executions.append(cloud.start_execution(push.input, f"console-{index}"))
        return record
    if push.event is not None:
        record.digest = _push_named_image(cloud, push)
        return _deliver(cloud, record, push.event, push.duplicate)
    repository = push.repository_name
    if push.result == "SUCCESS":
        try:
            record.digest = cloud.push_image(
                repository, push.tag, push.behavior, retag_of=push.retag_of, by_service=push.behavior_by_service
            )
        except ClientError as exc:  # `docker push` fails (an IMMUTABLE tag taken, say): no image, no event
            record.outcome, record.reason = Outcome.IGNORED, f"ECR refused the push: {exc}"
            return record
    else:  # a failed push stores nothing; its event still names a digest
        record.digest = "sha256:" + f"{index:064x}"
    if push.manual:
        record.executions.append(cloud.start_execution({"repository": repository, "tag": push.tag}, f"manual-{index}"))
        return record
    return _deliver(cloud, record, ecr_event(cloud, push, record.digest, index), push.duplicate)


def _push_named_image(cloud: LocalCloud, push: Push) -> str | None:
    """A raw event that is a valid push of a repository the cloud holds: make its image real in ECR."""
    try:
        request = parse_request(push.event)
    except InvalidRequest:
        return None
    if not isinstance(request, DeployRequest) or request.repository not in cloud.infra.repositories:
        return None
    assert request.digest is not None
    return cloud.push_image(
        request.repository, request.tag, push.behavior, digest=request.digest, by_service=push.behavior_by_service
    )


def _deliver(cloud: LocalCloud, record: PushRecord, event: dict[str, Any], times: int) -> PushRecord:
    for _ in range(times):
        answer = cloud.deliver(event)
        if answer.get("execution"):
            if answer["execution"] not in record.executions:
                record.executions.append(answer["execution"])
        elif answer["outcome"] in ("ignored", "rejected"):
            record.outcome, record.reason = Outcome(answer["outcome"]), answer.get("reason", "")
    return record


def ecr_event(cloud: LocalCloud, push: Push, digest: str, index: int) -> dict[str, Any]:
    """The push's "ECR Image Action" event (its id numbered by the push)."""
    tag = None if push.untagged else push.tag
    return cloud.push_event(push.repository_name, digest, tag, push.result, f"00000000-0000-4000-8000-{index:012d}")


def _seconds(moment: datetime | str | None) -> float | None:
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return round((moment - EPOCH).total_seconds(), 3)


def _report(cloud: LocalCloud, scenario: Scenario, records: list[PushRecord]) -> r.Report:
    histories = {e: cloud.history(e) for e in cloud.executions}  # each read once (a push's children folded in)
    pushes = [_push_report(cloud, record, histories) for record in records]
    transitions = sum(_transitions(history) for history in histories.values())
    invocations = sum(cloud.usage.invocations.values())
    architecture = next(iter(cloud.functions.values())).architecture
    usd = (
        transitions * r.USD_PER_TRANSITION
        + invocations * r.USD_PER_LAMBDA_REQUEST
        + cloud.usage.gb_seconds * r.USD_PER_GB_SECOND.get(architecture, r.USD_PER_GB_SECOND["x86_64"])
    )
    services = [_final(cloud, records, s.name) for s in cloud.infra.services]
    return r.Report(
        scenario=scenario.name,
        pushes=pushes,
        final=services[0],
        services=services,
        alerts=[
            r.Alert(at_seconds=_seconds(a["Timestamp"]) or 0.0, subject=a.get("Subject", ""), message=a["Message"])
            for a in cloud.alerts()
        ],
        cost=r.Cost(
            state_transitions=transitions,
            lambda_invocations=invocations,
            lambda_gb_seconds=round(cloud.usage.gb_seconds, 6),
            usd=round(usd, 8),
        ),
        api_calls=dict(sorted(cloud.usage.api_calls.items())),
        # Every execution's own history counts against the quota, a Distributed Map's children each apart.
        max_history_events=max((len(h) for e in cloud.executions for h in cloud.own_histories(e)), default=0),
        iam=r.Iam(
            denied=[r.Denied(function=d.function, action=d.action, resource=d.resource) for d in cloud.iam.denied],
            unused=cloud.iam.unused(),
        ),
        bad_requests=sum(p.bad_requests for p in pushes),
    )


def _push_report(cloud: LocalCloud, record: PushRecord, histories: dict[str, list[dict[str, Any]]]) -> r.PushReport:
    base = {
        "tag": record.push.tag if record.push.tag else None,
        "digest": record.digest,
        "executions": len(record.executions),
        "started_at_seconds": record.at,
    }
    if not record.executions:
        return r.PushReport(**base, outcome=record.outcome or Outcome.IGNORED, reason=record.reason)
    targets: list[r.TargetReport] = []
    finished = []
    for execution in record.executions:
        described = cloud.describe(execution)
        finished.append(_seconds(described.get("stopDate")))
        story = read_story(execution, histories[execution], described)
        tracks = {t.service: t for t in story.targets}
        # Each target's result is its child execution's (the Notify step in the history, children included).
        results = [t.result for t in story.targets if t.result is not None]
        summary = DescribedExecution.model_validate(described).summary(results)
        if summary.outcome is None:
            reason = "the execution still ran when the scenario ended"
            targets.append(r.TargetReport(service="", outcome=Outcome.FAILED, reason=reason))
        elif not summary.results:  # the execution's own outcome: ignored, rejected or failed before any target
            targets.append(r.TargetReport(service="", outcome=summary.outcome, reason=summary.reason))
        targets += [
            r.TargetReport(
                service=result.service,
                outcome=result.outcome,
                reason=result.reason,
                verdict_at_seconds=_seconds(result.verdict_at),
                evidence=_evidence(tracks.get(result.service)),
                approval=track.approval if (track := tracks.get(result.service)) else None,
            )
            for result in summary.results
        ]
    outcome = worst(t.outcome for t in targets)
    deciding = [t for t in targets if t.outcome == outcome]
    verdicts = [t.verdict_at_seconds for t in targets if t.verdict_at_seconds is not None]
    done = [f for f in finished if f is not None]
    approvals = [t.approval for t in targets if t.approval is not None]
    finished_at = max(done) if done else None
    # A version deployed is proven when its execution ends; one rolled back served until its tasks stopped.
    proven = finished_at if outcome == Outcome.DEPLOYED else None
    return r.PushReport(
        **base,
        outcome=outcome,
        verdict_at_seconds=min(verdicts) if verdicts else None,
        finished_at_seconds=finished_at,
        reason=deciding[0].reason,
        targets=[t for t in targets if t.service],
        approval=min(approvals, key=r.APPROVAL_WORST_FIRST.index) if approvals else None,
        bad_requests=cloud.traffic.bad_requests(record.digest, since=record.at, until=proven) if record.digest else 0,
    )


def _evidence(track: TargetStory | None) -> r.Evidence | None:
    """The evidence of the Check that decided the target: its deployment's last verdict (for a deploy, the
    one that kept it or rolled it back; the rollback's own verdict decides only a rollback asked for)."""
    if track is None:
        return None
    phase = "rollback" if track.kind == "rollback" else "deploy"
    decided = [p for p in track.probes if p.decided and p.phase == phase]
    if not decided:
        return None
    probe = decided[-1]
    return r.Evidence(
        at_seconds=_seconds(probe.at) or 0.0,
        verdict=probe.verdict,
        reason=probe.reason,
        rollout_state=probe.rollout_state,
        desired=probe.desired,
        running=probe.running,
        pending=probe.pending,
        stopped_tasks=probe.stopped_tasks,
        targets=probe.targets,
        alarms=probe.alarms,
        events=probe.events,
        metrics=probe.metrics,
        hook=probe.hook,
    )


def _transitions(history: list[dict[str, Any]]) -> int:
    """Billed state transitions: every state entered, plus every retried Lambda attempt (aws-facts.md)."""
    kinds = [e["type"] for e in history]
    entered = sum(k.endswith("StateEntered") for k in kinds)
    retries = kinds.count("LambdaFunctionScheduled") - kinds.count("TaskStateEntered")
    return entered + max(0, retries)


def _final(cloud: LocalCloud, records: list[PushRecord], service: str) -> r.FinalState:
    ecs = cloud.session.client("ecs")
    infra = cloud.infra
    found = ecs.describe_services(cluster=infra.services[0].cluster, services=[service])["services"][0]
    definition = ecs.describe_task_definition(taskDefinition=found["taskDefinition"])["taskDefinition"]
    container = next(s.container for s in infra.services if s.name == service)
    image = next(c["image"] for c in definition["containerDefinitions"] if c["name"] == container)
    digest = image.rsplit("@", 1)[-1]
    tags = {infra.initial_digest: cloud.scenario.initial.tag}
    tags.update({rec.digest: rec.push.tag for rec in records if rec.digest and rec.push.tag})
    state = cloud.model.service_state(infra.services[0].cluster, service)
    return r.FinalState(
        service=service,
        tag=tags.get(digest),
        image=image,
        task_definition=found["taskDefinition"],
        running=found["runningCount"],
        healthy=state.healthy,
    )
