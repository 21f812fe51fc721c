"""The base classes of every pushdeploy model (pushdeploy.models re-exports them; the judge builds on them too)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """Every pushdeploy model. Its validator is built when first used, so each step's cold start pays only for
    the models that step uses (measured in docs/benchmarks.md)."""

    model_config = ConfigDict(defer_build=True)


class Frozen(Model):
    model_config = ConfigDict(extra="forbid", frozen=True)
