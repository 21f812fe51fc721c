"""IAM's decision for one request, from the policies that apply to it (AWS's policy evaluation logic, in small).

What it follows, each from the IAM User Guide:
- The decision (reference_policies_evaluation-logic.html, "Determining whether a request is allowed or
  denied within an account"): an explicit Deny in any policy wins; otherwise an Allow from an
  identity-based policy, or from a resource-based policy that names the principal itself, allows;
  otherwise the request is implicitly denied. A resource-based policy that names the account
  (`arn:aws:iam::<account>:root`) delegates to the account's IAM policies: the identity still needs an Allow.
  AWS KMS is the exception: a key's policy must allow (the principal, or the account, which then needs
  an identity Allow); with no key policy Allow, no IAM policy can (kms key-policies.html, "Default key
  policy" and "Allowing access").
- Action and Resource (reference_policies_elements_action.html, _resource.html): `*` matches any run of
  characters, `?` one; actions match case-insensitively, resources case-sensitively. NotAction and
  NotResource match everything the list does not.
- Condition (reference_policies_elements_condition_operators.html): operators AND together, keys of an
  operator AND together, values of a key OR together. A key missing from the request makes a positive
  operator false and a negated one (StringNotEquals, ArnNotLike, ...) true; with `...IfExists`, a missing
  key makes the condition true. ArnEquals and ArnLike are the same test: each of the six colon-separated
  parts of the ARN matched on its own, with wildcards.

It evaluates the operators template.yaml uses and a few neighbours; any other raises, so a policy that
needs more is never silently read as allowed or denied.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


@dataclass(frozen=True)
class Request:
    """What one call asks IAM for: the action, the resource's ARN (`*` when the action has no resource
    type), and the request's condition keys."""

    action: str
    resource: str
    context: tuple[tuple[str, str], ...] = ()

    @classmethod
    def of(cls, action: str, resource: str, **context: str) -> Request:
        return cls(action, resource, tuple(sorted(context.items())))

    def value(self, key: str) -> str | None:
        lowered = key.lower()  # condition key names are case-insensitive
        return next((v for k, v in self.context if k.lower() == lowered), None)


@dataclass(frozen=True)
class Principal:
    """Who asks: an assumed role's session (a Lambda function, the state machine) or an AWS service."""

    arn: str = ""  # arn:aws:sts::<account>:assumed-role/<role>/<session>
    role_arn: str = ""
    account: str = ""
    service: str = ""  # events.amazonaws.com, ...


class Effect(StrEnum):
    ALLOW = "Allow"
    DENY = "Deny"


class Decision(StrEnum):
    ALLOWED = "allowed"
    EXPLICIT_DENY = "explicit deny"
    NO_IDENTITY_ALLOW = "no identity-based policy allows"
    NO_RESOURCE_ALLOW = "no resource-based policy allows"

    @property
    def allowed(self) -> bool:
        return self is Decision.ALLOWED


@functools.cache
def _pattern(text: str, ignore_case: bool) -> re.Pattern[str]:
    parts = {"*": ".*", "?": "."}
    flags = re.DOTALL | (re.IGNORECASE if ignore_case else 0)
    return re.compile("".join(parts.get(c, re.escape(c)) for c in text), flags)


def matches(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcard match: `*` any run of characters, `?` exactly one."""
    return _pattern(pattern, ignore_case).fullmatch(value) is not None


def arn_matches(pattern: str, arn: str) -> bool:
    """ArnEquals/ArnLike: each of the six colon-separated parts matched on its own."""
    wanted, given = pattern.split(":", 5), arn.split(":", 5)
    return len(wanted) == len(given) == 6 and all(matches(w, g) for w, g in zip(wanted, given, strict=True))


_TESTS: dict[str, Callable[[str, str], bool]] = {
    "StringEquals": lambda want, got: want == got,
    "StringEqualsIgnoreCase": lambda want, got: want.lower() == got.lower(),
    "StringLike": matches,
    "ArnEquals": arn_matches,
    "ArnLike": arn_matches,
    "Bool": lambda want, got: want.lower() == got.lower(),
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}


def _listed(value: Any) -> list[str]:
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def _condition_holds(operator: str, key: str, wanted: list[str], request: Request) -> bool:
    if operator == "Null":  # "true": the key is absent; "false": it is present
        return (request.value(key) is None) == (wanted[0].lower() == "true")
    if_exists = operator.endswith("IfExists")
    base = operator.removesuffix("IfExists")
    negated = base in _NEGATED
    test = _TESTS.get(_NEGATED.get(base, base))
    if test is None:
        raise NotImplementedError(f"condition operator {operator} is not evaluated by the local cloud")
    got = request.value(key)
    if got is None:
        return if_exists or negated
    matched = any(test(w, got) for w in wanted)
    return not matched if negated else matched


@dataclass(frozen=True)
class Statement:
    effect: Effect
    actions: tuple[str, ...]
    not_actions: tuple[str, ...]
    resources: tuple[str, ...]
    not_resources: tuple[str, ...]
    condition: tuple[tuple[str, str, tuple[str, ...]], ...]
    principals: Mapping[str, tuple[str, ...]] | None = None  # resource-based policies only; None: identity
    sid: str = ""

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> Statement:
        principal = data.get("Principal")
        if "NotPrincipal" in data:
            raise NotImplementedError("NotPrincipal is not evaluated by the local cloud")
        principals = None
        if principal is not None:
            given = {"AWS": principal} if principal == "*" else principal
            principals = {kind: tuple(_listed(values)) for kind, values in given.items()}
        return cls(
            effect=Effect(data["Effect"]),
            actions=tuple(_listed(data.get("Action", []))),
            not_actions=tuple(_listed(data.get("NotAction", []))),
            resources=tuple(_listed(data.get("Resource", []))),
            not_resources=tuple(_listed(data.get("NotResource", []))),
            condition=tuple(
                (operator, key, tuple(_listed(values)))
                for operator, keys in data.get("Condition", {}).items()
                for key, values in keys.items()
            ),
            principals=principals,
            sid=str(data.get("Sid", "")),
        )

    def applies(self, request: Request) -> bool:
        if self.actions:
            action_ok = any(matches(a, request.action, ignore_case=True) for a in self.actions)
        else:
            action_ok = not any(matches(a, request.action, ignore_case=True) for a in self.not_actions)
        if not action_ok:
            return False
        if self.resources:
            resource_ok = any(matches(r, request.resource) for r in self.resources)
        else:
            resource_ok = not any(matches(r, request.resource) for r in self.not_resources)
        return resource_ok and all(_condition_holds(op, key, list(v), request) for op, key, v in self.condition)

    def names(self, principal: Principal) -> str | None:
        """How this resource-policy statement names `principal`: "itself", "account" (delegation), or None."""
        assert self.principals is not None
        for value in self.principals.get("Service", ()):
            if principal.service and value == principal.service:
                return "itself"
        for value in self.principals.get("AWS", ()):
            if value == "*" or (value and value in (principal.arn, principal.role_arn)):
                return "itself"
            if principal.account and value in (principal.account, f"arn:aws:iam::{principal.account}:root"):
                return "account"
        return None


@dataclass(frozen=True)
class Policy:
    statements: tuple[Statement, ...] = field(default_factory=tuple)

    @classmethod
    def parse(cls, document: Mapping[str, Any]) -> Policy:
        statements = document.get("Statement", [])
        if isinstance(statements, Mapping):
            statements = [statements]
        return cls(tuple(Statement.parse(s) for s in statements))

    def actions(self, effect: Effect = Effect.ALLOW) -> set[str]:
        return {a for s in self.statements if s.effect is effect for a in s.actions}


def _effects(policies: Iterable[Policy], request: Request) -> set[Effect]:
    return {s.effect for p in policies for s in p.statements if s.applies(request)}


def decide(
    request: Request,
    identity: Sequence[Policy],
    resource: Policy | None = None,
    principal: Principal | None = None,
    *,
    key_policy: bool = False,
) -> Decision:
    """IAM's decision for `request` by `principal`, in one account (see the module's docstring).

    `identity`: the principal's identity-based policies; `resource`: the resource's policy, if it has
    one; `key_policy`: `resource` is a KMS key policy, which must allow for any policy to.
    """
    principal = principal or Principal()
    allowed_by_identity = False
    found = _effects(identity, request)
    if Effect.DENY in found:
        return Decision.EXPLICIT_DENY
    allowed_by_identity = Effect.ALLOW in found
    resource_says: set[tuple[Effect, str]] = set()
    if resource is not None:
        for statement in resource.statements:
            naming = statement.names(principal)
            if naming and statement.applies(request):
                resource_says.add((statement.effect, naming))
    if any(effect is Effect.DENY for effect, _ in resource_says):
        return Decision.EXPLICIT_DENY
    if (Effect.ALLOW, "itself") in resource_says:
        return Decision.ALLOWED
    if key_policy and (Effect.ALLOW, "account") not in resource_says:
        return Decision.NO_RESOURCE_ALLOW
    return Decision.ALLOWED if allowed_by_identity else Decision.NO_IDENTITY_ALLOW
