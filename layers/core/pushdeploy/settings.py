"""Each function's environment, validated at cold start so a misconfigured stack fails on its first call."""

from __future__ import annotations

import os
from typing import Self

from pydantic import ConfigDict, Field, ValidationError

from pushdeploy.models import Model


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


class PlanSettings(Settings):
    targets_parameter: str = Field(alias="TARGETS_PARAMETER", min_length=1)
    lock_table: str = Field(alias="LOCK_TABLE", min_length=3)  # what each service last ran healthy


class LockSettings(Settings):
    lock_table: str = Field(alias="LOCK_TABLE", min_length=3)


class NotifySettings(Settings):
    alert_topic_arn: str = Field(alias="ALERT_TOPIC_ARN", pattern=r"^arn:aws[a-z-]*:sns:")
    notify_on_success: bool = Field(False, alias="NOTIFY_ON_SUCCESS")
