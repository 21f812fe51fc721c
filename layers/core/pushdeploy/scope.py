"""What the stack's IAM policies let the deployer touch, and the targets that fall outside it.

template.yaml scopes each function's role: services and tasks of one cluster (`ClusterName`), images of
the watched repositories (`WatchedRepositories`) and iam:PassRole for the two task roles only. A target
outside that scope would pass the targets' own validation and then fail with AccessDenied mid-execution;
here it is refused first, naming what is out of scope and the stack parameter that would take it in.
The functions learn the scope from their environment (SCOPE_*, set by the template).
"""

from __future__ import annotations

from typing import Any

from pushdeploy.models import Frozen, Target


class Scope(Frozen):
    cluster: str
    repositories: tuple[str, ...]
    task_roles: tuple[str, ...]

    def outside(self, target: Target) -> list[str]:
        """What of the target itself the policies do not cover."""
        found = []
        if target.cluster != self.cluster:
            found.append(
                f"cluster {target.cluster!r} (the stack's policies cover cluster {self.cluster!r}: ClusterName)"
            )
        if target.repository not in self.repositories:
            watched = ", ".join(self.repositories)
            found.append(f"repository {target.repository!r} (the stack watches {watched}: WatchedRepositories)")
        return found

    def roles_outside(self, definition: dict[str, Any]) -> list[str]:
        """The roles of a task definition the deployer may not pass (iam:PassRole covers the task roles)."""
        return [
            f"{key} {definition[key]} (iam:PassRole covers only the stack's task roles)"
            for key in ("executionRoleArn", "taskRoleArn")
            if definition.get(key) and definition[key] not in self.task_roles
        ]
