"""`pushdeploy plan`: a dry run through the deployer's own Plan step, against `local serve`."""

from __future__ import annotations

from tests.cli.conftest import SERVICE, Served, push, pushdeploy, wait_until_idle


def test_plan_of_a_healthy_image_says_what_would_change_and_changes_nothing(served: Served):
    pushed = push(served, "plan-healthy")  # a tag the world's deployer does not watch: nothing deploys
    wait_until_idle(served)
    before = pushdeploy("status", "--service", SERVICE, "--json", "--endpoint-url", served.url).json()[0]

    ran = pushdeploy("plan", "--service", SERVICE, "--tag", "plan-healthy", "--json", "--endpoint-url", served.url)

    assert ran.exit_code == 0, ran.stdout + ran.stderr
    answer = ran.json()
    assert answer["action"] == "dry_run" and "nothing was changed" in answer["reason"]
    (preview,) = answer["previews"]
    assert preview["runs"] == before["task_definition"]
    assert preview["image"].endswith("@" + pushed["digest"])
    assert [c["field"] for c in preview["would_register"]] == ["containerDefinitions[aiuteur-backend].image"]
    assert preview["rollback_to"] == before["rollback_to"]  # the same rule as `status` and `rollback`
    after = pushdeploy("status", "--service", SERVICE, "--json", "--endpoint-url", served.url).json()[0]
    assert after["task_definition"] == before["task_definition"] and after["last"]["outcome"] == "planned"

    text = pushdeploy("plan", "-s", SERVICE, "-t", "plan-healthy", "--endpoint-url", served.url)
    assert text.exit_code == 0
    assert "would run" in text.stdout and "register   containerDefinitions[aiuteur-backend].image" in text.stdout


def test_plan_as_a_push_of_a_tag_no_target_watches_is_refused_naming_it(served: Served):
    push(served, "plan-unwatched")
    wait_until_idle(served)

    ran = pushdeploy("plan", "--repository", "aiuteur-backend", "--tag", "plan-unwatched", "--endpoint-url", served.url)

    assert ran.exit_code == 2
    assert "no target follows aiuteur-backend:plan-unwatched" in ran.stdout


def test_plan_needs_the_targets_and_the_image_once_each():
    assert pushdeploy("plan", "--tag", "v1").exit_code == 2
    assert pushdeploy("plan", "--service", SERVICE).exit_code == 2
