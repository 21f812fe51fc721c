"""What `make deploy` runs: `sam deploy` with samconfig.toml's parameters, the network the guide uses, and
no task until the service has an image.

- The network: samconfig's VpcId and SubnetIds if it names them, else the guide's, the account's default
  VPC and two of its default subnets (phase4-ecs-fargate-guide.md, "Networking"), found as the guide
  finds them (DescribeVpcs isDefault, DescribeSubnets default-for-az).
- No task until an image: the stack creates the ECR repository, so on a first install no image exists
  yet, and a service created with a task to run fails its first deployment and the stack's create with
  it. Until the repository holds the image the template's task definition names (`InitialImageTag`),
  the deploy runs with DesiredCount=0 and says what to do next; the `make deploy` after the push runs
  samconfig's DesiredCount. A stack whose service already has tasks keeps samconfig's DesiredCount
  whatever the repository holds; a deployer-only install (`DeployerOnly=true`) creates no service.

Every parameter is passed on the command line (`sam deploy` takes the given `--parameter-overrides` in
place of samconfig's, not merged with them), and nothing is written back to samconfig.toml.
"""

from __future__ import annotations

import os
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.exceptions import ClientError

GUIDE_SUBNETS = 2  # the guide's service runs in two default subnets (two Availability Zones)


class InstallError(Exception):
    """What stops a deploy before SAM runs, said so that the user knows what to set."""


@dataclass(frozen=True)
class Install:
    stack: str
    region: str
    overrides: dict[str, str]  # samconfig's parameter_overrides, by name

    @classmethod
    def from_samconfig(cls, path: Path) -> Install:
        config = tomllib.loads(path.read_text())["default"]
        overrides = config["deploy"]["parameters"]["parameter_overrides"]
        pairs = overrides if isinstance(overrides, list) else overrides.split()
        params = config["global"]["parameters"]
        return cls(params["stack_name"], params["region"], dict(pair.split("=", 1) for pair in pairs))

    @property
    def creates_service(self) -> bool:
        return self.overrides.get("DeployerOnly", "false") != "true"

    def network(self, *, ec2: Any) -> dict[str, str]:
        """VpcId and SubnetIds: samconfig's, else the default VPC's default subnets."""
        if not self.creates_service or (self.overrides.get("VpcId") and self.overrides.get("SubnetIds")):
            return {}
        vpcs = ec2.describe_vpcs(Filters=[{"Name": "isDefault", "Values": ["true"]}])["Vpcs"]
        if not vpcs:
            raise InstallError(
                f"{self.region} has no default VPC: add VpcId=... and SubnetIds=...,... (two subnets in two "
                "Availability Zones) to parameter_overrides in samconfig.toml"
            )
        vpc = vpcs[0]["VpcId"]
        subnets = ec2.describe_subnets(
            Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default-for-az", "Values": ["true"]}]
        )["Subnets"]
        chosen = sorted(subnets, key=lambda s: s["AvailabilityZone"])[:GUIDE_SUBNETS]
        if len(chosen) < GUIDE_SUBNETS:
            raise InstallError(f"the default VPC {vpc} has fewer than {GUIDE_SUBNETS} default subnets: name SubnetIds")
        return {"VpcId": vpc, "SubnetIds": ",".join(s["SubnetId"] for s in chosen)}

    def waiting_for_image(self, *, cloudformation: Any, ecr: Any) -> str | None:
        """Why the service must start with no task (None: it may run samconfig's DesiredCount)."""
        if not self.creates_service:
            return None
        repository, tag = self.overrides["RepositoryName"], self.overrides["InitialImageTag"]
        try:
            [stack] = cloudformation.describe_stacks(StackName=self.stack)["Stacks"]
        except ClientError as error:
            if "does not exist" not in error.response["Error"]["Message"]:
                raise
            return f"first install of the stack {self.stack}: its repository {repository} has no image yet"
        parameters = {p["ParameterKey"]: p.get("ParameterValue") for p in stack.get("Parameters", [])}
        if parameters.get("DesiredCount") != "0":
            return None  # a service with tasks is never scaled down here, image or not
        try:
            ecr.describe_images(repositoryName=repository, imageIds=[{"imageTag": tag}])
        except ClientError as error:
            if error.response["Error"]["Code"] not in ("ImageNotFoundException", "RepositoryNotFoundException"):
                raise
            return f"the repository {repository} has no image tagged {tag} yet"
        return None

    def sam_arguments(self, network: dict[str, str], waiting: str | None) -> list[str]:
        overrides = {**self.overrides, **network}
        if waiting:
            overrides["DesiredCount"] = "0"
        return ["deploy", "--parameter-overrides", *(f"{k}={v}" for k, v in overrides.items())]


def main(argv: list[str]) -> None:
    """`python -m pushdeploy_cli.install SAM SAMCONFIG`: runs SAM's deploy as the module says."""
    sam, samconfig = argv
    install = Install.from_samconfig(Path(samconfig))
    session = boto3.session.Session(region_name=install.region)
    try:
        network = install.network(ec2=session.client("ec2"))
        waiting = install.waiting_for_image(cloudformation=session.client("cloudformation"), ecr=session.client("ecr"))
    except InstallError as error:
        sys.exit(f"make deploy: {error}")
    if waiting:
        tag = install.overrides["InitialImageTag"]
        print(
            f"make deploy: {waiting}, so the service starts with no task (DesiredCount=0). Next: put the "
            f"secrets' values, push the image as <RepositoryUri>:{tag} (a stack output), then run "
            "`make deploy` again to start the service.",
            file=sys.stderr,
        )
    os.execv(sam, [sam, *install.sam_arguments(network, waiting)])


if __name__ == "__main__":
    main(sys.argv[1:])
