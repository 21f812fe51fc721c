"""The transformed template created in moto, resource by resource, as CloudFormation creates a stack.

`build` walks the resources in dependency order (their Ref, Fn::GetAtt, Fn::Sub references and
DependsOn; the `Condition`s decide which exist), resolves each one's properties with the one evaluator
(`Template`, whose `known` grows with the physical values of what was created) and creates it through
boto3 with one small creator per resource type: CloudFormation property names become the API's
parameters. A type the local cloud does not create is in `NOT_CREATED`, with why.

Physical names are CloudFormation's: the name a resource's properties give it, otherwise
`{stack}-{logicalId}-{suffix}` with a suffix derived from the stack and logical id (CloudFormation's
is random; a derived one keeps runs reproducible).

moto's own CloudFormation (`create_stack`) is not used: it resolves the intrinsics itself, a second
evaluator beside `Template`, and creates only what its own resource models know.
"""

from __future__ import annotations

import base64
import copy
import functools
import hashlib
import io
import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from graphlib import TopologicalSorter
from typing import Any, Protocol

from pushdeploy_local.stack.evaluate import Template, references
from pushdeploy_local.stack.source import Artifacts

# Types the local cloud does not create, and why (every other type without a creator fails the build).
NOT_CREATED = {
    # A view for people: nothing the deployer or the local cloud does reads it.
    "AWS::CloudWatch::Dashboard": "a view for people; nothing reads it",
    # The handlers run in-process, and the layer's package is installed in the local cloud's environment.
    "AWS::Lambda::LayerVersion": "the layer's package is installed where the handlers run in-process",
}


class Clients(Protocol):
    def client(self, service: str) -> Any: ...


def physical_name(stack: str, logical_id: str, limit: int = 64) -> str:
    """CloudFormation's generated name, `{stack}-{logicalId}-{SUFFIX}`, with a suffix derived, not random.

    As CloudFormation does, the stack and logical id are shortened when the name would pass the
    type's limit; the suffix stays whole.
    """
    suffix = base64.b32encode(hashlib.sha256(f"{stack}/{logical_id}".encode()).digest()).decode()[:12]
    head = f"{stack}-{logical_id}"[: limit - len(suffix) - 1]
    return f"{head}-{suffix}"


@dataclass
class BuiltStack:
    """What `build` created: each resource's physical Ref and attributes, and its resolved properties.

    `evaluator` resolves anything of the template (an output, a property) to the physical values.
    """

    evaluator: Template
    artifacts: Artifacts
    stack: str
    created: dict[str, dict[str, Any]] = field(default_factory=dict)  # logical id -> {"Ref": ..., attr: ...}
    not_created: dict[str, str] = field(default_factory=dict)  # logical id -> why

    @property
    def resources(self) -> dict[str, Any]:
        return self.evaluator.resources

    def of_type(self, kind: str) -> list[str]:
        """The logical ids of the created resources of a type, in the template's order."""
        return [name for name in self.created if self.resources[name]["Type"] == kind]

    def ref(self, logical_id: str) -> Any:
        return self.created[logical_id]["Ref"]

    def attribute(self, logical_id: str, name: str) -> Any:
        return self.created[logical_id][name]

    def properties(self, logical_id: str) -> dict[str, Any]:
        """A resource's properties, resolved to the physical values."""
        resolved: dict[str, Any] = self.evaluator.resolve(self.resources[logical_id].get("Properties", {}))
        return resolved

    def output(self, name: str) -> Any:
        """A stack output's value (the names of template.yaml's Outputs: LockTableName, StateMachineArn, ...)."""
        return self.evaluator.resolve(self.evaluator.data["Outputs"][name]["Value"])

    def logical_id_of(self, attribute: str, value: Any) -> str:
        """The created resource whose `attribute` ("Ref", "Arn", ...) is `value`."""
        return next(name for name, known in self.created.items() if known.get(attribute) == value)

    # -- IAM: what runs as which role, and what that role may do ---------------------------------

    def role_of(self, logical_id: str) -> str:
        """The logical id of the role a function (Role) or state machine (RoleArn) runs as.

        `role_of("PlanFunction") == "PlanFunctionRole"`: the role the SAM transform made for it.
        """
        properties = self.properties(logical_id)
        return self.logical_id_of("Arn", properties.get("Role", properties.get("RoleArn")))

    def policies(self, role: str) -> list[dict[str, Any]]:
        """Every policy document of a role, resolved: its inline policies (its own, then those of the
        AWS::IAM::Policy resources that name it), then its managed policies'.

        A managed policy's document is AWS's (moto's copy of the AWS managed policies); the template
        names no customer managed policy.
        """
        properties = self.properties(role)
        inline = [policy["PolicyDocument"] for policy in properties.get("Policies", [])]
        inline += [
            self.properties(name)["PolicyDocument"]
            for name in self.of_type("AWS::IAM::Policy")
            if self.ref(role) in self.properties(name)["Roles"]
        ]
        managed = [aws_managed_policy(arn)["Document"] for arn in properties.get("ManagedPolicyArns", [])]
        return [*inline, *managed]


def build(
    document: dict[str, Any],
    artifacts: Artifacts,
    parameters: dict[str, Any],
    clients: Clients,
    *,
    pseudo: dict[str, str],
) -> BuiltStack:
    """Create every resource of the transformed `document` that exists for `parameters`, in dependency order."""
    stack = pseudo["AWS::StackName"]
    built = BuiltStack(Template(document, dict(parameters), dict(pseudo), {}), artifacts, stack)
    built.evaluator.known = built.created
    for logical_id in creation_order(built.evaluator):
        kind = built.resources[logical_id]["Type"]
        if kind in NOT_CREATED:
            built.not_created[logical_id] = NOT_CREATED[kind]
            continue
        creator = _CREATORS.get(kind)
        if creator is None:
            raise NotImplementedError(f"{logical_id}: the local cloud cannot create {kind} (add a creator or skip it)")
        built.created[logical_id] = creator(_Context(built, clients, logical_id), built.properties(logical_id))
    return built


def creation_order(template: Template) -> list[str]:
    """The resources that exist (their Condition holds), each after every resource it references."""
    existing = [name for name in template.resources if template.exists(name)]
    graph = TopologicalSorter[str]()
    for name in existing:
        resource = template.resources[name]
        depends = resource.get("DependsOn", [])
        needs = set(references(resource.get("Properties", {}))) | set(
            [depends] if isinstance(depends, str) else depends
        )
        graph.add(name, *sorted(n for n in needs if n in template.resources and template.exists(n)))
    order = {name: index for index, name in enumerate(existing)}
    graph.prepare()
    found: list[str] = []
    while graph.is_active():
        ready = sorted(graph.get_ready(), key=order.__getitem__)  # the template's order among equals
        found += ready
        graph.done(*ready)
    return found


# -- creators: one per resource type, from its resolved properties to the API -----------------------


@dataclass
class _Context:
    built: BuiltStack
    clients: Clients
    logical_id: str

    def client(self, service: str) -> Any:
        return self.clients.client(service)

    def name(self, given: Any, limit: int = 64) -> str:
        """The resource's name: the one its properties give, else CloudFormation's generated one."""
        return str(given) if given else physical_name(self.built.stack, self.logical_id, limit)

    @property
    def region(self) -> str:
        return self.built.evaluator.pseudo["AWS::Region"]

    @property
    def account(self) -> str:
        return self.built.evaluator.pseudo["AWS::AccountId"]


Creator = Callable[[_Context, dict[str, Any]], dict[str, Any]]


def _tags(tags: list[dict[str, str]] | None) -> list[dict[str, str]]:
    return [{"Key": t["Key"], "Value": t["Value"]} for t in tags or []]


def _ecr_repository(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    name = ctx.name(p.get("RepositoryName"))
    repository = ctx.client("ecr").create_repository(
        repositoryName=name,
        imageTagMutability=p.get("ImageTagMutability", "MUTABLE"),
        imageScanningConfiguration={"scanOnPush": p.get("ImageScanningConfiguration", {}).get("ScanOnPush", False)},
        encryptionConfiguration={
            "encryptionType": p.get("EncryptionConfiguration", {}).get("EncryptionType", "AES256")
        },
    )["repository"]
    return {"Ref": name, "Arn": repository["repositoryArn"], "RepositoryUri": repository["repositoryUri"]}


def _secret(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    # GenerateSecretString: a placeholder stands for the generated value (the user puts the real one).
    arn = ctx.client("secretsmanager").create_secret(
        Name=ctx.name(p.get("Name")),
        Description=p.get("Description", ""),
        SecretString=p.get("SecretString", "local-placeholder"),
    )["ARN"]
    return {"Ref": arn, "Id": arn}


def _role(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    iam = ctx.client("iam")
    name = ctx.name(p.get("RoleName"))
    role = iam.create_role(
        RoleName=name,
        Path=p.get("Path", "/"),
        AssumeRolePolicyDocument=json.dumps(p["AssumeRolePolicyDocument"]),
        Tags=_tags(p.get("Tags")),
    )["Role"]
    for policy in p.get("Policies", []):
        _put_role_policy(iam, name, policy)
    for arn in p.get("ManagedPolicyArns", []):
        _ensure_aws_managed_policy(arn, ctx.account)
        iam.attach_role_policy(RoleName=name, PolicyArn=arn)
    return {"Ref": name, "Arn": role["Arn"], "RoleId": role["RoleId"]}


def _policy(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    """An inline policy put into each role it names; its Ref is CloudFormation's generated id."""
    for role in p.get("Roles", []):
        _put_role_policy(ctx.client("iam"), role, p)
    return {"Ref": physical_name(ctx.built.stack, ctx.logical_id)}


def _put_role_policy(iam: Any, role: str, policy: dict[str, Any]) -> None:
    # A SAM `Statement` policy comes out without Version. IAM takes it (as 2008-10-17, which differs
    # from 2012-10-17 only in not expanding policy variables; these documents have none); moto
    # 5.2.5 requires 2012-10-17.
    document = {"Version": "2012-10-17", **policy["PolicyDocument"]}
    iam.put_role_policy(RoleName=role, PolicyName=policy["PolicyName"], PolicyDocument=json.dumps(document))


@functools.cache
def _aws_managed_policies() -> dict[str, dict[str, Any]]:
    """moto's copy of the AWS managed policies, by ARN, read once per process (~0.5 s)."""
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data: dict[str, dict[str, Any]] = json.loads(aws_managed_policies_data)
    return {f"arn:aws:iam::aws:policy{d['Path']}{name}": {"Name": name, **d} for name, d in data.items()}


def aws_managed_policy(arn: str) -> dict[str, Any]:
    """An AWS managed policy (Name, Path, Document, ...) by its ARN."""
    return _aws_managed_policies()[arn]


def _ensure_aws_managed_policy(arn: str, account: str) -> None:
    """Give moto's IAM the one AWS managed policy a role attaches.

    moto loads all ~1,600 only when told to (`iam.load_aws_managed_policies`), which costs every local
    cloud half a second; the roles here attach two.
    """
    from moto.iam.models import AWSManagedPolicy, iam_backends

    backend = iam_backends[account]["global"]
    if arn not in backend.managed_policies:
        policy = aws_managed_policy(arn)
        backend.managed_policies[arn] = AWSManagedPolicy.from_data(policy["Name"], account, "us-east-1", policy)


def _permissions(rules: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """AWS::EC2::SecurityGroup's Ingress/Egress rules as EC2's IpPermissions."""
    permissions = []
    for rule in rules:
        permission: dict[str, Any] = {"IpProtocol": str(rule["IpProtocol"])}
        if "FromPort" in rule:
            permission |= {"FromPort": int(rule["FromPort"]), "ToPort": int(rule["ToPort"])}
        if "CidrIp" in rule:
            permission["IpRanges"] = [{"CidrIp": rule["CidrIp"], "Description": rule.get("Description", "")}]
        group = rule.get("SourceSecurityGroupId") or rule.get("DestinationSecurityGroupId")
        if group:
            permission["UserIdGroupPairs"] = [{"GroupId": group, "Description": rule.get("Description", "")}]
        permissions.append(permission)
    return permissions


def _security_group(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    ec2 = ctx.client("ec2")
    group = ec2.create_security_group(
        GroupName=ctx.name(p.get("GroupName"), 255), Description=p["GroupDescription"], VpcId=p["VpcId"]
    )["GroupId"]
    if p.get("SecurityGroupIngress"):
        ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=_permissions(p["SecurityGroupIngress"]))
    if "SecurityGroupEgress" in p:  # as CloudFormation: the given egress rules replace the default allow-all
        ec2.revoke_security_group_egress(
            GroupId=group, IpPermissions=[{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}]
        )
        ec2.authorize_security_group_egress(GroupId=group, IpPermissions=_permissions(p["SecurityGroupEgress"]))
    return {"Ref": group, "GroupId": group, "VpcId": p["VpcId"]}


def _security_group_rule(direction: str) -> Creator:
    def create(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
        authorize = getattr(ctx.client("ec2"), f"authorize_security_group_{direction}")
        rules = authorize(GroupId=p["GroupId"], IpPermissions=_permissions([p]))["SecurityGroupRules"]
        return {"Ref": rules[0]["SecurityGroupRuleId"] if rules else ctx.logical_id}

    return create


def _load_balancer(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    elbv2 = ctx.client("elbv2")
    balancer = elbv2.create_load_balancer(
        Name=ctx.name(p.get("Name"), 32),
        Subnets=p["Subnets"],
        SecurityGroups=p.get("SecurityGroups", []),
        Scheme=p.get("Scheme", "internet-facing"),
        Type=p.get("Type", "application"),
    )["LoadBalancers"][0]
    arn = balancer["LoadBalancerArn"]
    if p.get("LoadBalancerAttributes"):
        elbv2.modify_load_balancer_attributes(LoadBalancerArn=arn, Attributes=p["LoadBalancerAttributes"])
    return {
        "Ref": arn,
        "DNSName": balancer["DNSName"],
        "LoadBalancerName": balancer["LoadBalancerName"],
        "LoadBalancerFullName": arn.split(":loadbalancer/", 1)[1],
        "CanonicalHostedZoneID": balancer.get("CanonicalHostedZoneId", ""),
    }


_TARGET_GROUP_NUMBERS = (
    "HealthCheckIntervalSeconds",
    "HealthCheckTimeoutSeconds",
    "HealthyThresholdCount",
    "UnhealthyThresholdCount",
)


def _target_group(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    elbv2 = ctx.client("elbv2")
    settings: dict[str, Any] = {
        key: p[key] for key in ("Protocol", "VpcId", "TargetType", "HealthCheckPath") if key in p
    }
    settings |= {key: int(p[key]) for key in (*_TARGET_GROUP_NUMBERS, "Port") if key in p}
    group = elbv2.create_target_group(Name=ctx.name(p.get("Name"), 32), **settings)["TargetGroups"][0]
    arn = group["TargetGroupArn"]
    if p.get("TargetGroupAttributes"):
        elbv2.modify_target_group_attributes(TargetGroupArn=arn, Attributes=p["TargetGroupAttributes"])
    return {
        "Ref": arn,
        "TargetGroupName": group["TargetGroupName"],
        "TargetGroupFullName": arn.split(":", 5)[5],
        "LoadBalancerArns": group.get("LoadBalancerArns", []),
    }


def _listener(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    settings = {key: p[key] for key in ("SslPolicy", "Certificates") if key in p}
    arn = ctx.client("elbv2").create_listener(
        LoadBalancerArn=p["LoadBalancerArn"],
        Protocol=p["Protocol"],
        Port=int(p["Port"]),
        DefaultActions=p["DefaultActions"],
        **settings,
    )["Listeners"][0]["ListenerArn"]
    return {"Ref": arn, "ListenerArn": arn}


def _listener_rule(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    """A listener rule (the blue/green service's production and test rules, whose forward weights ECS moves).
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-elasticloadbalancingv2-listenerrule.html"""
    actions = [
        {
            **action,
            "ForwardConfig": {
                "TargetGroups": [
                    {**group, "Weight": int(group["Weight"])} if "Weight" in group else group
                    for group in action["ForwardConfig"]["TargetGroups"]
                ]
            },
        }
        if "ForwardConfig" in action
        else action
        for action in p["Actions"]
    ]
    arn = ctx.client("elbv2").create_rule(
        ListenerArn=p["ListenerArn"], Priority=int(p["Priority"]), Conditions=p["Conditions"], Actions=actions
    )["Rules"][0]["RuleArn"]
    return {"Ref": arn, "RuleArn": arn}


def _camel(node: Any, *, keep: frozenset[str] = frozenset({"Options", "DockerLabels"})) -> Any:
    """CloudFormation's ECS property names as the ECS API's (`ContainerPort` -> `containerPort`).

    The keys inside `keep` (a log driver's options, say) are data, not property names, and stay as written.
    """
    if isinstance(node, list):
        return [_camel(item, keep=keep) for item in node]
    if not isinstance(node, dict):
        return node
    return {key[0].lower() + key[1:]: value if key in keep else _camel(value, keep=keep) for key, value in node.items()}


# The ECS API takes these as integers; a template gives them as a Number parameter's string.
_ECS_INTEGERS = {"containerPort", "hostPort", "interval", "timeout", "retries", "startPeriod", "cpu", "memory"}


def _integers(node: Any) -> Any:
    if isinstance(node, list):
        return [_integers(item) for item in node]
    if isinstance(node, dict):
        return {k: int(v) if k in _ECS_INTEGERS and isinstance(v, str) else _integers(v) for k, v in node.items()}
    return node


def _cluster(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    name = ctx.name(p.get("ClusterName"), 255)
    arn = ctx.client("ecs").create_cluster(
        clusterName=name,
        capacityProviders=p.get("CapacityProviders", []),
        defaultCapacityProviderStrategy=_camel(p.get("DefaultCapacityProviderStrategy", [])),
        settings=_camel(p.get("ClusterSettings", [])),
    )["cluster"]["clusterArn"]
    return {"Ref": name, "Arn": arn}


def _log_group(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    logs = ctx.client("logs")
    name = ctx.name(p.get("LogGroupName"), 512)
    logs.create_log_group(logGroupName=name)
    if "RetentionInDays" in p:
        logs.put_retention_policy(logGroupName=name, retentionInDays=int(p["RetentionInDays"]))
    return {"Ref": name, "Arn": f"arn:aws:logs:{ctx.region}:{ctx.account}:log-group:{name}:*"}


def _task_definition(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    # cpu and memory are strings in RegisterTaskDefinition (unlike a container's).
    settings = {key: value for key, value in _camel(p).items() if key not in ("cpu", "memory", "tags")}
    settings["containerDefinitions"] = _integers(settings["containerDefinitions"])
    for key in ("Cpu", "Memory"):
        if key in p:
            settings[key.lower()] = str(p[key])
    if p.get("Tags"):
        settings["tags"] = [{"key": t["Key"], "value": t["Value"]} for t in p["Tags"]]
    settings.setdefault("family", physical_name(ctx.built.stack, ctx.logical_id, 255))
    arn = ctx.client("ecs").register_task_definition(**settings)["taskDefinition"]["taskDefinitionArn"]
    return {"Ref": arn, "TaskDefinitionArn": arn}


def _service(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    name = ctx.name(p.get("ServiceName"), 255)
    settings = _integers(_camel({key: value for key, value in p.items() if key not in ("ServiceName", "Cluster")}))
    for key in ("desiredCount", "healthCheckGracePeriodSeconds"):
        if key in settings:
            settings[key] = int(settings[key])
    configuration = settings.get("deploymentConfiguration", {})
    for key in ("minimumHealthyPercent", "maximumPercent"):
        if key in configuration:
            configuration[key] = int(configuration[key])
    settings["networkConfiguration"] = {
        "awsvpcConfiguration": settings["networkConfiguration"].pop("awsvpcConfiguration")
    }
    service = ctx.client("ecs").create_service(cluster=p["Cluster"], serviceName=name, **settings)["service"]
    return {"Ref": service["serviceArn"], "Name": name, "ServiceArn": service["serviceArn"]}


def _kms_key(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    kms = ctx.client("kms")
    key = kms.create_key(Description=p.get("Description", ""), Policy=json.dumps(p["KeyPolicy"]))["KeyMetadata"]
    if p.get("EnableKeyRotation"):
        kms.enable_key_rotation(KeyId=key["KeyId"])
    return {"Ref": key["KeyId"], "Arn": key["Arn"], "KeyId": key["KeyId"]}


def _topic(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    attributes = {key: str(p[key]) for key in ("DisplayName", "KmsMasterKeyId") if key in p}
    name = ctx.name(p.get("TopicName"), 256)
    arn = ctx.client("sns").create_topic(Name=name, Attributes=attributes)["TopicArn"]
    return {"Ref": arn, "TopicArn": arn, "TopicName": name}


def _topic_policy(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    for topic in p["Topics"]:
        ctx.client("sns").set_topic_attributes(
            TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps(p["PolicyDocument"])
        )
    return {"Ref": ctx.logical_id}


def _subscription(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    arn = ctx.client("sns").subscribe(TopicArn=p["TopicArn"], Protocol=p["Protocol"], Endpoint=p["Endpoint"])
    return {"Ref": arn["SubscriptionArn"]}


def _bucket(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    """A bucket as CloudFormation makes it: a generated name is lowercase, at most 63 characters (a bucket
    name's limit); its encryption, public access block, ownership and lifecycle as the template sets them.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucket.html"""
    s3 = ctx.client("s3")
    name = str(p["BucketName"]) if p.get("BucketName") else physical_name(ctx.built.stack, ctx.logical_id, 63).lower()
    s3.create_bucket(Bucket=name)  # us-east-1: no LocationConstraint
    if "BucketEncryption" in p:
        # CloudFormation's ServerSideEncryptionByDefault is the API's ApplyServerSideEncryptionByDefault.
        rules = [
            {
                "ApplyServerSideEncryptionByDefault" if k == "ServerSideEncryptionByDefault" else k: v
                for k, v in r.items()
            }
            for r in p["BucketEncryption"]["ServerSideEncryptionConfiguration"]
        ]
        s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": rules})
    if "PublicAccessBlockConfiguration" in p:
        s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=p["PublicAccessBlockConfiguration"])
    if "OwnershipControls" in p:
        s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls=p["OwnershipControls"])
    if "LifecycleConfiguration" in p:
        rules = [_lifecycle_rule(rule) for rule in p["LifecycleConfiguration"]["Rules"]]
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": rules})
    return {"Ref": name, "Arn": f"arn:aws:s3:::{name}", "BucketName": name}


def _lifecycle_rule(rule: dict[str, Any]) -> dict[str, Any]:
    """CloudFormation's lifecycle rule (ExpirationInDays, a rule without a filter) as S3's API takes it."""
    api: dict[str, Any] = {"ID": rule["Id"], "Status": rule["Status"], "Filter": {"Prefix": rule.get("Prefix", "")}}
    if "ExpirationInDays" in rule:
        api["Expiration"] = {"Days": int(rule["ExpirationInDays"])}
    if "AbortIncompleteMultipartUpload" in rule:
        days = int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        api["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": days}
    return api


def _table(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    dynamodb = ctx.client("dynamodb")
    name = ctx.name(p.get("TableName"), 255)
    table = dynamodb.create_table(
        TableName=name,
        BillingMode=p.get("BillingMode", "PROVISIONED"),
        AttributeDefinitions=p["AttributeDefinitions"],
        KeySchema=p["KeySchema"],
    )["TableDescription"]
    if "TimeToLiveSpecification" in p:
        dynamodb.update_time_to_live(TableName=name, TimeToLiveSpecification=p["TimeToLiveSpecification"])
    if "PointInTimeRecoverySpecification" in p:
        dynamodb.update_continuous_backups(
            TableName=name, PointInTimeRecoverySpecification=p["PointInTimeRecoverySpecification"]
        )
    return {"Ref": name, "Arn": table["TableArn"]}


def _parameter(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    name = ctx.name(p.get("Name"), 2048)
    ctx.client("ssm").put_parameter(Name=name, Type=p["Type"], Value=p["Value"], Description=p.get("Description", ""))
    return {"Ref": name, "Type": p["Type"], "Value": p["Value"]}


def _queue(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    sqs = ctx.client("sqs")
    name = ctx.name(p.get("QueueName"), 80)
    attributes = {key: str(value) for key, value in p.items() if key not in ("QueueName", "Tags")}
    url = sqs.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    return {"Ref": url, "Arn": arn, "QueueName": name, "QueueUrl": url}


def _alarm(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    name = ctx.name(p.get("AlarmName"), 255)
    settings = {key: value for key, value in p.items() if key != "AlarmName"}
    for key in ("Period", "EvaluationPeriods"):
        settings[key] = int(settings[key])
    settings["Threshold"] = float(settings["Threshold"])
    ctx.client("cloudwatch").put_metric_alarm(AlarmName=name, **settings)
    return {"Ref": name, "Arn": f"arn:aws:cloudwatch:{ctx.region}:{ctx.account}:alarm:{name}"}


def _rule(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    events = ctx.client("events")
    name = ctx.name(p.get("Name"), 64)
    arn = events.put_rule(
        Name=name,
        EventPattern=json.dumps(p["EventPattern"]),
        State=p.get("State", "ENABLED"),
        Description=p.get("Description", ""),
    )["RuleArn"]
    if p.get("Targets"):
        events.put_targets(Rule=name, Targets=p["Targets"])
    return {"Ref": name, "Arn": arn}


def _permission(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    settings = {key: p[key] for key in ("SourceArn", "SourceAccount") if key in p}
    ctx.client("lambda").add_permission(
        FunctionName=p["FunctionName"],
        StatementId=ctx.logical_id,
        Action=p["Action"],
        Principal=p["Principal"],
        **settings,
    )
    return {"Ref": ctx.logical_id}


@functools.cache
def _placeholder_code() -> bytes:
    """The package Lambda stores: the local cloud runs the handler from its artifact path in-process."""
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("app.py", "# the local cloud runs the real handler in-process\n")
    return archive.getvalue()


def _function(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    name = ctx.name(p.get("FunctionName"), 64)
    given = ("Runtime", "Role", "Handler", "Description", "Environment", "Architectures", "TracingConfig")
    settings: dict[str, Any] = {key: p[key] for key in (*given, "DeadLetterConfig", "LoggingConfig") if key in p}
    settings |= {key: int(p[key]) for key in ("MemorySize", "Timeout") if key in p}
    if p.get("Tags"):
        settings["Tags"] = {t["Key"]: t["Value"] for t in p["Tags"]}
    code = {"ZipFile": _placeholder_code()}
    arn = ctx.client("lambda").create_function(FunctionName=name, Code=code, **settings)["FunctionArn"]
    return {"Ref": name, "Arn": arn}


def _state_machine(ctx: _Context, p: dict[str, Any]) -> dict[str, Any]:
    """The definition is the packaged ASL with each DefinitionSubstitutions `${key}` replaced by its value."""
    if "DefinitionString" in p:
        definition = p["DefinitionString"]
    else:
        definition = ctx.built.artifacts.of(ctx.logical_id).read_text()
    for key, value in p.get("DefinitionSubstitutions", {}).items():
        definition = definition.replace("${" + key + "}", str(value))
    name = ctx.name(p.get("StateMachineName"), 80)
    arn = ctx.client("stepfunctions").create_state_machine(
        name=name, definition=definition, roleArn=p["RoleArn"], type=p.get("StateMachineType", "STANDARD")
    )["stateMachineArn"]
    return {"Ref": arn, "Arn": arn, "Name": name}


_CREATORS: dict[str, Creator] = {
    "AWS::ECR::Repository": _ecr_repository,
    "AWS::SecretsManager::Secret": _secret,
    "AWS::IAM::Role": _role,
    "AWS::IAM::Policy": _policy,
    "AWS::EC2::SecurityGroup": _security_group,
    "AWS::EC2::SecurityGroupIngress": _security_group_rule("ingress"),
    "AWS::EC2::SecurityGroupEgress": _security_group_rule("egress"),
    "AWS::ElasticLoadBalancingV2::LoadBalancer": _load_balancer,
    "AWS::ElasticLoadBalancingV2::TargetGroup": _target_group,
    "AWS::ElasticLoadBalancingV2::Listener": _listener,
    "AWS::ElasticLoadBalancingV2::ListenerRule": _listener_rule,
    "AWS::ECS::Cluster": _cluster,
    "AWS::Logs::LogGroup": _log_group,
    "AWS::ECS::TaskDefinition": _task_definition,
    "AWS::ECS::Service": _service,
    "AWS::KMS::Key": _kms_key,
    "AWS::SNS::Topic": _topic,
    "AWS::SNS::TopicPolicy": _topic_policy,
    "AWS::SNS::Subscription": _subscription,
    "AWS::DynamoDB::Table": _table,
    "AWS::S3::Bucket": _bucket,
    "AWS::SSM::Parameter": _parameter,
    "AWS::SQS::Queue": _queue,
    "AWS::CloudWatch::Alarm": _alarm,
    "AWS::Events::Rule": _rule,
    "AWS::Lambda::Permission": _permission,
    "AWS::Lambda::Function": _function,
    "AWS::StepFunctions::StateMachine": _state_machine,
}


def copy_resource(document: dict[str, Any], logical_id: str, new_id: str) -> dict[str, Any]:
    """A copy of a resource under a new logical id (its properties to be changed by the caller)."""
    resource: dict[str, Any] = copy.deepcopy(document["Resources"][logical_id])
    document["Resources"][new_id] = resource
    return resource
