"""Trigger: an ECR push event -> one execution, named so that duplicate deliveries start it once."""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from aws_lambda_powertools import Logger

from pushdeploy.adapters import stepfunctions
from pushdeploy.errors import InvalidRequest
from pushdeploy.models import Model, safe_execution_name
from pushdeploy.requests import DeployRequest, Ignored, parse_request

logger = Logger(child=True)


class TriggerOutput(Model):
    outcome: Literal["started", "duplicate", "ignored", "rejected"]
    reason: str = ""
    execution: str | None = None


def execution_name(request: DeployRequest) -> str:
    """One name per push: repository and tag (cut to fit), then the digest and the event's id, never cut.

    EventBridge redelivers an event with its id, so a duplicate delivery names the same execution and
    starts nothing; a new push, even of an image and tag pushed before (a tag moved back), has a new id.
    """
    digest = (request.digest or "").removeprefix("sha256:")[:16]
    event = hashlib.sha256(request.event_id.encode()).hexdigest()[:12] if request.event_id else ""
    unique = f"{digest}-{event}" if event else digest
    return safe_execution_name(request.repository or request.service or "", request.tag or "", unique=unique)


def trigger(event: Any, state_machine: str) -> TriggerOutput:
    try:
        request = parse_request(event)
    except InvalidRequest as exc:
        logger.warning("event rejected", extra={"reason": str(exc)})
        return TriggerOutput(outcome="rejected", reason=str(exc))
    if isinstance(request, Ignored):
        logger.info("event ignored", extra={"reason": request.reason})
        return TriggerOutput(outcome="ignored", reason=request.reason)
    if not isinstance(request, DeployRequest) or request.source != "ecr-event":
        return TriggerOutput(outcome="rejected", reason="the trigger takes ECR Image Action events only")
    name = execution_name(request)
    execution, started = stepfunctions.start_execution(state_machine, name, json.dumps(event))
    if not started:
        logger.info("duplicate delivery: execution exists", extra={"execution": execution})
        return TriggerOutput(outcome="duplicate", reason="this push already has an execution", execution=execution)
    logger.info("execution started", extra={"execution": execution})
    return TriggerOutput(outcome="started", execution=execution)
