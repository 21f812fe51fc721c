"""`pushdeploy targets show | validate | apply` against `local serve`."""

from __future__ import annotations

import json

from tests.cli.conftest import SERVICE, Served, pushdeploy

OWN = {
    "cluster": "aiuteur-cluster",
    "service": SERVICE,
    "container": "aiuteur-backend",
    "repository": "aiuteur-backend",
}


def test_show_lists_the_targets_as_the_plan_reads_them(served: Served):
    ran = pushdeploy("targets", "show", "--json", "--endpoint-url", served.url)

    assert ran.exit_code == 0, ran.stderr
    assert [t["service"] for t in ran.json()["targets"]] == [SERVICE]


def test_validate_names_what_the_account_says_against_each_target_and_writes_nothing(served: Served, tmp_path):
    file = tmp_path / "targets.json"
    missing = {**OWN, "service": "api"}
    wrong_container = {**OWN, "container": "web"}
    file.write_text(json.dumps({"targets": [missing, {**wrong_container, "repository": "nowhere"}]}))

    ran = pushdeploy("targets", "validate", str(file), "--endpoint-url", served.url)

    assert ran.exit_code == 2
    said = " ".join(ran.stderr.split())
    assert "service 'api' does not exist in cluster 'aiuteur-cluster'" in said
    assert "container 'web' is not in task definition" in said and "no ECR repository nowhere" in said
    shown = pushdeploy("targets", "show", "--json", "--endpoint-url", served.url).json()
    assert [t["service"] for t in shown["targets"]] == [SERVICE]


def test_validate_names_an_alarm_that_does_not_exist(served: Served, tmp_path):
    # Given a target whose policy watches an alarm no one created (DescribeAlarms finds nothing of that name)
    file = tmp_path / "targets.json"
    watching = {**OWN, "policy": {"alarms": ["jobs-5xx"]}}
    file.write_text(json.dumps({"targets": [watching]}))

    ran = pushdeploy("targets", "validate", str(file), "--endpoint-url", served.url)

    assert ran.exit_code == 2
    assert "no CloudWatch alarm jobs-5xx (policy.alarms)" in " ".join(ran.stderr.split())


def test_apply_refuses_a_service_the_stacks_own_document_lists(served: Served, tmp_path):
    file = tmp_path / "targets.json"
    file.write_text(json.dumps({"targets": [OWN]}))

    ran = pushdeploy("targets", "apply", str(file), "--endpoint-url", served.url)

    assert ran.exit_code == 2
    assert "already in the stack's own targets document" in " ".join(ran.stderr.split())


def test_validate_names_a_canary_target_whose_service_has_no_alternate_target_group(served: Served, tmp_path):
    # Given the default (rolling) stack's service, and a target that asks ECS for a canary on it
    file = tmp_path / "targets.json"
    file.write_text(json.dumps({"targets": [{**OWN, "service": SERVICE, "strategy": {"kind": "canary"}}]}))

    ran = pushdeploy("targets", "validate", str(file), "--endpoint-url", served.url)

    assert ran.exit_code == 2
    said = " ".join(ran.stderr.split())
    assert f"aiuteur-cluster/{SERVICE}: strategy canary needs a load balancer with" in said
    assert "(an alternate target group and listener rules); the service has none" in said
