"""template.yaml as `sam deploy` reads it: the source, its SAM transform, and one evaluator of its intrinsics.

`Template` is the one evaluator: the template tests read the source template through it, and the local
cloud builds its resources from the transformed template through it (`build`, giving a `BuiltStack`:
each resource's physical values, and each function's role and that role's policies).
"""

from pushdeploy_local.stack.build import BuiltStack, build
from pushdeploy_local.stack.evaluate import NO_VALUE, PSEUDO, Template
from pushdeploy_local.stack.source import REPO_ROOT, TEMPLATE_PATH, Artifacts, source, transformed

__all__ = [
    "NO_VALUE",
    "PSEUDO",
    "REPO_ROOT",
    "TEMPLATE_PATH",
    "Artifacts",
    "BuiltStack",
    "Template",
    "build",
    "source",
    "transformed",
]
