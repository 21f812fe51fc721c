"""`make deploy` on an empty account: the first install starts the service with no task, in the default
VPC, and the deploy after the push starts it; a service with tasks is never scaled down."""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import replace

import boto3
import pytest
from moto import mock_aws

from pushdeploy_cli.install import Install, InstallError
from tests.conftest import REPO

REGION = "us-east-1"


@pytest.fixture
def aws():
    with mock_aws():
        yield boto3.session.Session(region_name=REGION)


@pytest.fixture
def install() -> Install:
    return Install.from_samconfig(REPO / "samconfig.toml")


def create_stack(session, name: str, desired_count: str) -> None:
    template = {
        "Parameters": {"DesiredCount": {"Type": "Number"}},
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
    }
    session.client("cloudformation").create_stack(
        StackName=name,
        TemplateBody=json.dumps(template),
        Parameters=[{"ParameterKey": "DesiredCount", "ParameterValue": desired_count}],
    )


def decide(install: Install, session) -> tuple[list[str], str | None]:
    network = install.network(ec2=session.client("ec2"))
    waiting = install.waiting_for_image(cloudformation=session.client("cloudformation"), ecr=session.client("ecr"))
    return install.sam_arguments(network, waiting), waiting


def overrides(arguments: list[str]) -> dict[str, str]:
    assert arguments[:2] == ["deploy", "--parameter-overrides"]
    return dict(pair.split("=", 1) for pair in arguments[2:])


def test_samconfig_is_read_as_sam_reads_it(install: Install):
    assert (install.stack, install.region) == ("pushdeploy", "us-east-1")
    assert install.overrides["DesiredCount"] == "1"
    assert install.overrides["RepositoryName"] == "aiuteur-backend"


def test_the_first_install_starts_the_service_with_no_task_in_the_default_vpc(aws, install: Install):
    arguments, waiting = decide(install, aws)

    assert waiting is not None and "first install" in waiting
    given = overrides(arguments)
    assert given["DesiredCount"] == "0"
    ec2 = aws.client("ec2")
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    assert given["VpcId"] == vpc["VpcId"]
    subnets = given["SubnetIds"].split(",")
    described = ec2.describe_subnets(SubnetIds=subnets)["Subnets"]
    assert len(subnets) == 2 and {s["VpcId"] for s in described} == {vpc["VpcId"]}
    assert all(s["DefaultForAz"] for s in described) and len({s["AvailabilityZone"] for s in described}) == 2
    # every other samconfig parameter is passed as it is (SAM replaces samconfig's list by the given one)
    assert {k: v for k, v in given.items() if k not in ("DesiredCount", "VpcId", "SubnetIds")} == {
        k: v for k, v in install.overrides.items() if k != "DesiredCount"
    }


def test_the_deploy_after_the_push_starts_the_service(aws, install: Install):
    create_stack(aws, install.stack, "0")
    aws.client("ecr").create_repository(repositoryName="aiuteur-backend")
    arguments, waiting = decide(install, aws)
    assert waiting == "the repository aiuteur-backend has no image tagged latest yet"
    assert overrides(arguments)["DesiredCount"] == "0"

    manifest = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.docker.distribution.manifest.v2+json"})
    aws.client("ecr").put_image(repositoryName="aiuteur-backend", imageManifest=manifest, imageTag="latest")
    arguments, waiting = decide(install, aws)
    assert waiting is None
    assert overrides(arguments)["DesiredCount"] == "1"


def test_a_service_with_tasks_is_never_scaled_down_whatever_the_repository_holds(aws, install: Install):
    create_stack(aws, install.stack, "1")  # running, and its image since expired from an empty repository
    aws.client("ecr").create_repository(repositoryName="aiuteur-backend")
    arguments, waiting = decide(install, aws)
    assert waiting is None
    assert overrides(arguments)["DesiredCount"] == "1"


def test_samconfigs_network_is_kept(aws, install: Install):
    named = replace(install, overrides={**install.overrides, "VpcId": "vpc-0abc", "SubnetIds": "subnet-1,subnet-2"})
    given = overrides(decide(named, aws)[0])
    assert (given["VpcId"], given["SubnetIds"]) == ("vpc-0abc", "subnet-1,subnet-2")


def test_a_deployer_only_install_needs_no_network_and_no_image(aws, install: Install):
    deployer = replace(install, overrides={**install.overrides, "DeployerOnly": "true"})
    arguments, waiting = decide(deployer, aws)
    assert waiting is None
    assert overrides(arguments) == deployer.overrides


def test_without_a_default_vpc_the_user_is_told_what_to_set(aws, install: Install):
    ec2 = aws.client("ec2")
    [vpc] = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
    for subnet in ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [vpc["VpcId"]]}])["Subnets"]:
        ec2.delete_subnet(SubnetId=subnet["SubnetId"])
    ec2.delete_vpc(VpcId=vpc["VpcId"])
    with pytest.raises(InstallError, match=r"no default VPC: add VpcId=\.\.\. and SubnetIds=.*samconfig\.toml"):
        install.network(ec2=ec2)


def test_make_deploy_runs_it():
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL")}
    ran = subprocess.run(
        ["make", "-n", "-s", "-C", str(REPO), "deploy"], capture_output=True, text=True, timeout=60, check=True, env=env
    )
    last = ran.stdout.strip().splitlines()[-1]
    assert "bin/python -m pushdeploy_cli.install " in last and last.endswith(" samconfig.toml")
