"""One push that feeds more services than an inline Map runs at once: each in its own child execution."""

from __future__ import annotations

from bench.cases import fanout_scenario
from pushdeploy.steps import plan
from pushdeploy_local.cloud import LocalCloud
from pushdeploy_local.runner import play

# More than the 40 an inline Map runs at once: the largest push the suite affords (about 30 s).
SERVICES = 45
TARGET_STATES = {"Lock", "Register", "Update", "CheckRollout", "Watch", "Unlock", "Notify"}


def test_a_push_to_45_services_runs_each_in_a_child_execution_none_waiting_for_a_place():
    # Given 45 services that follow the repository
    with LocalCloud(fanout_scenario(SERVICES)) as cloud:
        # When one healthy image is pushed
        report = play(cloud)
        (execution,) = cloud.executions
        parent, *children = cloud.own_histories(execution)
        ended = [cloud.describe(c["executionArn"])["stopDate"] for c in _listed(cloud, parent)]

    # Then every service is deployed, each by a child execution of its own
    (push,) = report.pushes
    assert push.outcome == "deployed" and push.executions == 1
    assert len(push.targets) == len(children) == SERVICES
    assert {t.outcome for t in push.targets} == {"deployed"}
    # none waited for another's watch to end: every verdict came before the first child ended, the last one
    # no later than its start delay after the first
    verdicts = sorted(t.verdict_at_seconds or 0 for t in push.targets)
    first_end = min(ended)
    assert all(cloud.clock.at(v) < first_end for v in verdicts)
    assert verdicts[-1] - verdicts[0] <= plan.start_delay(SERVICES - 1)
    # and the targets' steps are in the children's histories, none in the push's own
    entered = {e["stateEnteredEventDetails"]["name"] for e in parent if "stateEnteredEventDetails" in e}
    assert entered.isdisjoint(TARGET_STATES)
    assert all(
        {e["stateEnteredEventDetails"]["name"] for e in c if "stateEnteredEventDetails" in e} >= TARGET_STATES
        for c in children
    )
    assert report.max_history_events == max(len(h) for h in children) > len(parent)


def _listed(cloud: LocalCloud, parent: list[dict]) -> list[dict]:
    sfn = cloud.session.client("stepfunctions")
    (run,) = [e["mapRunStartedEventDetails"]["mapRunArn"] for e in parent if e["type"] == "MapRunStarted"]
    return [c for page in sfn.get_paginator("list_executions").paginate(mapRunArn=run) for c in page["executions"]]


# Step Functions' payload quota: a state's input or output of at most 256 KiB (aws-facts.md).
PAYLOAD_MAX_BYTES = 262_144


def _payloads(services: int) -> tuple[dict[str, int], list[int]]:
    """One healthy push to `services` services: the size of each state's output in the push's own history, and
    of each target's result (its child's Notify output)."""
    with LocalCloud(fanout_scenario(services)) as cloud:
        play(cloud)
        (execution,) = cloud.executions
        parent, *children = cloud.own_histories(execution)
    outputs = {
        e["stateExitedEventDetails"]["name"]: len(e["stateExitedEventDetails"]["output"].encode())
        for e in parent
        if "stateExitedEventDetails" in e
    }
    results = [
        len(e["stateExitedEventDetails"]["output"].encode())
        for history in children
        for e in history
        if e.get("stateExitedEventDetails", {}).get("name") == "Notify"
    ]
    return outputs, results


def test_the_push_payload_after_the_map_does_not_grow_with_its_targets():
    # Given a push to 2 services and one to 12
    (few, few_results), (many, many_results) = _payloads(2), _payloads(12)

    # Then every state after the Map carries the same payload, whatever N (but N's digits: the Plan's reason and its
    # count of targets name N, and from Summarize on the Map Run's total count too), and it is small: the Map's
    # output is where its results are, not the results
    digits = len("12") - len("2")
    for state, names_n in (("Deploy", 2), ("Summarize", 3), ("Outcome", 3)):
        assert many[state] - few[state] == names_n * digits, state
        assert many[state] < 1_024, state
    # while each target's result still has its size: inline, 300 of them would pass the quota (the push's
    # payload held them all before the Map wrote them to S3); written out, they weigh nothing on it
    assert (len(few_results), len(many_results)) == (2, 12)
    assert min(few_results + many_results) > PAYLOAD_MAX_BYTES / 300


def test_the_push_payload_before_the_map_does_not_grow_with_its_targets():
    # Given a push to 2 services and one to 12
    (few, _), (many, _) = _payloads(2), _payloads(12)

    # Then the Plan's output, and the Route that passes it on, carry the same payload whatever N (but N's digits:
    # the reason and the count name it): the items are in S3, where the Map reads them, not in the payload
    digits = len("12") - len("2")
    for state in ("Plan", "Route"):
        assert many[state] - few[state] == 2 * digits, state
        assert many[state] < 1_024, state
