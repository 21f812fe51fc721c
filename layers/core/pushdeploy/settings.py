"""Each function's environment, validated at cold start so a misconfigured stack fails on its first call."""

from __future__ import annotations

import os
from typing import Self

from pydantic import ConfigDict, Field, ValidationError

from pushdeploy.models import Model
from pushdeploy.scope import Scope


class Settings(Model):
    model_config = ConfigDict(extra="ignore", frozen=True)

    @classmethod
    def from_env(cls) -> Self:
        try:
            return cls.model_validate(dict(os.environ))
        except ValidationError as exc:
            missing = ", ".join(str(e["loc"][0]) for e in exc.errors())
            raise RuntimeError(f"{cls.__name__}: environment variable(s) missing or invalid: {missing}") from exc


class TriggerSettings(Settings):
    state_machine_arn: str = Field(alias="STATE_MACHINE_ARN", pattern=r"^arn:aws[a-z-]*:states:")


class ScopeSettings(Settings):
    """The stack's IAM scope (pushdeploy.scope), as the template writes it into the environment."""

    scope_cluster: str = Field(alias="SCOPE_CLUSTER", min_length=1)
    scope_repositories: str = Field(alias="SCOPE_REPOSITORIES", min_length=1)  # comma-separated
    scope_task_roles: str = Field(alias="SCOPE_TASK_ROLES", min_length=1)  # comma-separated role ARNs

    @property
    def scope(self) -> Scope:
        return Scope(
            cluster=self.scope_cluster,
            repositories=tuple(self.scope_repositories.split(",")),
            task_roles=tuple(self.scope_task_roles.split(",")),
        )


class PlanSettings(ScopeSettings):
    targets_parameter: str = Field(alias="TARGETS_PARAMETER", min_length=1)
    lock_table: str = Field(alias="LOCK_TABLE", min_length=3)  # what each service last ran healthy
    # pushdeploy's lifecycle hook (empty: the stack has none, DeploymentStrategy=ROLLING): a native strategy's
    # service must name it (pushdeploy.steps.plan).
    hook_function_arn: str = Field("", alias="HOOK_FUNCTION_ARN")
    # Where the plan's items are written for the Deploy Map to read (the stack's results bucket).
    items_bucket: str = Field(alias="ITEMS_BUCKET", min_length=3)


class RegisterSettings(ScopeSettings):
    pass


class LockSettings(Settings):
    lock_table: str = Field(alias="LOCK_TABLE", min_length=3)


class NotifySettings(Settings):
    alert_topic_arn: str = Field(alias="ALERT_TOPIC_ARN", pattern=r"^arn:aws[a-z-]*:sns:")
    notify_on_success: bool = Field(False, alias="NOTIFY_ON_SUCCESS")


class ApprovalSettings(LockSettings):
    alert_topic_arn: str = Field(alias="ALERT_TOPIC_ARN", pattern=r"^arn:aws[a-z-]*:sns:")


class HookSettings(Settings):
    targets_parameter: str = Field(alias="TARGETS_PARAMETER", min_length=1)  # the judge's policy per target
    lock_table: str = Field(alias="LOCK_TABLE", min_length=3)  # where each judgement is recorded


class CheckSettings(Settings):
    # Where pushdeploy's hook records its judgements of native deployments (template.yaml sets it on every
    # stack; only a stack with the hook grants the read).
    lock_table: str | None = Field(None, alias="LOCK_TABLE", min_length=3)
