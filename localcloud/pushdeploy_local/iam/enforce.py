"""IAM enforced on the deployer's calls in the local cloud: each call is authorized against its caller's role.

A handler's boto3 call is authorized against its function's role; a Lambda task of the state machine
against the state machine's role; an EventBridge delivery against the target function's resource policy.
A refused call fails as on AWS: botocore raises a `ClientError` with the service's error code and AWS's
message, returned from the `before-call` hook as if the service had answered it, so it travels the
product's real error paths.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from botocore.awsrequest import AWSResponse

from pushdeploy_local.iam.calls import Where, requests_of
from pushdeploy_local.iam.policy import Decision, Policy, Principal, Request, decide, matches
from pushdeploy_local.iam.stack import StackIam

# The code and HTTP status each service answers a refused call with. JSON-protocol services answer
# AccessDeniedException (400; e.g. DynamoDB's and ECS's "Common Errors"); the query-protocol ones their
# own: SNS AuthorizationError (403, API_Publish "Errors"), ELB and CloudWatch AccessDenied (403).
_REFUSED: dict[str, tuple[str, int]] = {
    "sns": ("AuthorizationError", 403),
    "elbv2": ("AccessDenied", 403),
    "cloudwatch": ("AccessDenied", 403),
}
_DEFAULT_REFUSED = ("AccessDeniedException", 400)
# SNS answers a publish whose KMS calls were refused with KMSAccessDenied (API_Publish, "Errors").
_KMS_VIA_SNS = ("KMSAccessDenied", 400)
_PARAMS = "pushdeploy_iam_params"


@dataclass(frozen=True)
class Denial:
    function: str
    action: str
    resource: str
    message: str


def message(principal: Principal, request: Request, decision: Decision) -> str:
    """AWS's text for a refused request (IAM User Guide, troubleshoot_access-denied.html)."""
    if decision is Decision.EXPLICIT_DENY:
        why = "with an explicit deny in an identity-based policy"
    else:
        why = f"because {decision.value} the {request.action} action"
    return f"User: {principal.arn} is not authorized to perform: {request.action} on resource: {request.resource} {why}"


class Enforcer:
    """Authorizes calls for one local cloud; keeps what it refused and which actions each role used."""

    def __init__(self, stack: StackIam, where: Where) -> None:
        self.stack = stack
        self.where = where
        self.denied: list[Denial] = []
        self.used: dict[str, set[str]] = {}  # role owner (function) -> actions allowed to it
        self._decisions: dict[tuple[str, Request], Decision] = {}
        self._lock = threading.Lock()

    # -- botocore hooks --------------------------------------------------------------------------

    def remember_params(self, params: Mapping[str, Any], context: dict[str, Any], **_: Any) -> None:
        """before-parameter-build: keep the call's parameters for before-call (which sees only the wire form)."""
        context[_PARAMS] = dict(params)

    def authorize_call(
        self, caller: str | None, model: Any, context: Mapping[str, Any]
    ) -> tuple[AWSResponse, dict[str, Any]] | None:
        """before-call: None lets the call through; a refusal is the (response, parsed) pair of AWS's error."""
        if caller is None:
            return None
        service = model.service_model.service_name
        params = context.get(_PARAMS, {})
        for request in requests_of(service, model.name, params, self.where):
            denial = self.check(caller, request)
            if denial is not None:
                if service == "sns" and request.action.startswith("kms:"):
                    return _refusal(*_KMS_VIA_SNS, denial.message)
                return _refusal(*_REFUSED.get(service, _DEFAULT_REFUSED), denial.message)
        return None

    # -- decisions -------------------------------------------------------------------------------

    def check(self, caller: str, request: Request) -> Denial | None:
        """Authorize `request` made with `caller`'s role; a Denial (recorded) when IAM refuses it."""
        role = self.stack.roles[caller]
        principal = self.stack.session(caller)
        key = (caller, request)
        decision = self._decisions.get(key)
        if decision is None:
            resource, key_policy = self._resource_policy(request)
            decision = decide(request, role.policies, resource, principal, key_policy=key_policy)
            self._decisions[key] = decision
        with self._lock:
            if decision.allowed:
                self.used.setdefault(caller, set()).add(request.action)
                return None
            denial = Denial(caller, request.action, request.resource, message(principal, request, decision))
            self.denied.append(denial)
        return denial

    def delivers(self, rule_arn: str, arn: str) -> bool:
        """EventBridge invoking the function `arn` for the rule: the function's resource policy must allow it."""
        request = Request.of("lambda:InvokeFunction", arn, **{"aws:SourceArn": rule_arn})
        policy = self.stack.lambda_permissions.get(arn)
        principal = Principal(service="events.amazonaws.com")
        decision = decide(request, (), policy, principal)
        if decision.allowed:
            return True
        with self._lock:
            self.denied.append(
                Denial("events.amazonaws.com", request.action, arn, message(principal, request, decision))
            )
        return False

    def unused(self) -> dict[str, list[str]]:
        """Each role's granted actions (the template's statements) that no call of this run used."""
        found = {}
        for owner, role in self.stack.roles.items():
            used = self.used.get(owner, set())
            idle = [a for a in role.granted if not any(matches(a, u, ignore_case=True) for u in used)]
            if idle:
                found[role.logical_id] = idle
        return found

    def _resource_policy(self, request: Request) -> tuple[Policy | None, bool]:
        """The policy of the resource `request` names (if the service has resource policies), and whether it
        is a KMS key policy."""
        if request.action.lower().startswith("kms:"):
            return self.stack.key_policies.get(request.resource), True
        if request.action.lower().startswith("sns:"):
            return self.stack.topic_policies.get(request.resource), False
        if request.action.lower().startswith("lambda:"):
            return self.stack.lambda_permissions.get(request.resource), False
        return None, False


def _refusal(code: str, status: int, text: str) -> tuple[AWSResponse, dict[str, Any]]:
    response = AWSResponse(url="https://local", status_code=status, headers={}, raw=None)
    parsed = {
        "Error": {"Code": code, "Message": text, "Type": "Sender"},
        "ResponseMetadata": {"HTTPStatusCode": status, "HTTPHeaders": {}, "RetryAttempts": 0},
    }
    return response, parsed
