"""The container health check of template.yaml runs only commands that its image has.

The guide's check, `curl -f http://localhost:3001/api/health || exit 1`, fails on every task:
node:20-alpine has no curl, so ECS marks each task unhealthy and replaces it forever.
"""

from __future__ import annotations

import shlex

import pytest

# What is on PATH in each base image the template may name (TaskDefinition Metadata.pushdeploy.BaseImage).
# node:20-alpine is Alpine Linux with Node.js: BusyBox provides /bin/sh and its applets (wget, nc, ...);
# the Docker official image installs neither curl nor bash. Extend the table when the base image changes.
IMAGE_COMMANDS = {
    "node:20-alpine": {
        "present": {"sh", "node", "npm", "npx", "wget", "nc", "cat", "grep"},
        "absent": {"curl", "bash"},
    },
}
# Built into /bin/sh, so present whatever the image.
SHELL_BUILTINS = {"exit", "true", "false", "test", "[", ":", "echo"}


def commands_of(check: list[str]) -> set[str]:
    """The executables an ECS container health check runs: CMD runs argv[1]; CMD-SHELL runs a shell line."""
    kind, *rest = check
    if kind == "CMD":
        return {rest[0]}
    assert kind == "CMD-SHELL", f"unknown health check form {kind}"
    commands = set()
    lexer = shlex.shlex(rest[0], posix=True, punctuation_chars=True)
    at_start = True
    for token in lexer:
        if token in ("||", "&&", ";", "|", "(", ")"):
            at_start = True
        elif at_start:
            commands.add(token)
            at_start = False
    return commands | {"sh"}


def missing_commands(check: list[str], image: str) -> set[str]:
    known = IMAGE_COMMANDS[image]
    return {c for c in commands_of(check) - SHELL_BUILTINS if c in known["absent"] or c not in known["present"]}


@pytest.fixture
def container(template):
    return template.resources["TaskDefinition"]["Properties"]["ContainerDefinitions"][0]


@pytest.fixture
def base_image(template):
    image = template.resources["TaskDefinition"]["Metadata"]["pushdeploy"]["BaseImage"]
    assert image in IMAGE_COMMANDS, f"add {image} to IMAGE_COMMANDS with what is on its PATH"
    return image


def test_the_check_rejects_the_guides_command(base_image):
    guide = ["CMD-SHELL", "curl -f http://localhost:3001/api/health || exit 1"]
    assert missing_commands(guide, base_image) == {"curl"}


def test_health_check_commands_exist_in_the_image(template, container, base_image):
    check = template.resolve(container["HealthCheck"]["Command"])
    assert missing_commands(check, base_image) == set(), check


def test_health_check_probes_the_target_groups_path_on_the_container_port(template, container):
    check = template.resolve(container["HealthCheck"]["Command"])
    assert check == ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:3001/api/health || exit 1"]
    target_group = template.resources["TargetGroup"]["Properties"]
    assert target_group["HealthCheckPath"] == {"Ref": "HealthCheckPath"}
    assert target_group["Port"] == container["PortMappings"][0]["ContainerPort"] == {"Ref": "ContainerPort"}


def test_health_check_timing_is_the_guides(container):
    check = container["HealthCheck"]
    assert (check["Interval"], check["Timeout"], check["Retries"], check["StartPeriod"]) == (30, 5, 3, 60)


def test_command_parsing():
    assert commands_of(["CMD", "node", "-e", "1"]) == {"node"}
    assert commands_of(["CMD-SHELL", "a x && b y|c; d"]) == {"a", "b", "c", "d", "sh"}
