"""The tables of `status` and `history` in a narrow terminal: identifiers fold, they are never cut."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from rich.console import Console

from pushdeploy_cli import render
from pushdeploy_cli.deployer import TargetStatus
from pushdeploy_cli.story import Summary

SERVICE = "aiuteur-cluster/aiuteur-backend-service-of-the-second-region"
FAMILY_ARN = "arn:aws:ecs:us-east-1:123456789012:task-definition/aiuteur-backend-service-of-the-second-region"
EXECUTION = "deploy-aiuteur-backend-service-of-the-second-region-v1.4.2-20261202T101500123"


def narrow() -> Console:
    return Console(width=100, record=True, file=io.StringIO())


def shown_whole_or_folded(identifier: str, text: str) -> bool:
    """Whether `identifier` can be read in `text`: in one piece, or folded into pieces on successive lines."""

    def read(rest: str, tokens: list[str]) -> bool:
        return not rest or any(
            rest.startswith(token) and read(rest[len(token) :], tokens[i + 1 :]) for i, token in enumerate(tokens)
        )

    return read(identifier, text.split())


def test_history_shows_every_execution_and_service_name_whole_in_a_narrow_terminal():
    summary = Summary(
        execution=f"arn:aws:states:us-east-1:123456789012:execution:pushdeploy-deploy:{EXECUTION}",
        name=EXECUTION,
        status="FAILED",
        outcome="rolled_back",
        reason="Essential container in task exited (exit code 1) while the new tasks were starting up",
        started_at=datetime(2026, 12, 2, 10, 15, tzinfo=UTC),
        services=[SERVICE],
        image=f"aiuteur-backend:v1.4.2@sha256:{'a' * 64}",
    )
    console = narrow()

    render.print_history([summary], console)

    text = console.export_text()
    assert shown_whole_or_folded(EXECUTION, text)
    assert shown_whole_or_folded(SERVICE.split("/")[-1], text)


def test_status_shows_the_service_the_task_definitions_and_the_last_execution_whole_in_a_narrow_terminal():
    status = TargetStatus(
        service=SERVICE,
        container="backend",
        task_definition=f"{FAMILY_ARN}:1234",
        image=f"123456789012.dkr.ecr.us-east-1.amazonaws.com/aiuteur-backend@sha256:{'b' * 64}",
        digest=f"sha256:{'b' * 64}",
        tags=["v1.4.2"],
        since=datetime(2026, 12, 2, 10, 15, tzinfo=UTC),
        desired=2,
        running=2,
        rollout_state="COMPLETED",
        deployments=1,
        rollback_to=f"{FAMILY_ARN}:1233",
    )
    console = narrow()

    render.print_status([status], console)

    text = console.export_text()
    assert shown_whole_or_folded(SERVICE, text)
    assert shown_whole_or_folded("aiuteur-backend-service-of-the-second-region:1234", text)
    assert shown_whole_or_folded("aiuteur-backend-service-of-the-second-region:1233", text)
