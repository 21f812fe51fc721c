"""template.yaml against the rest of the repo: the ASL's placeholders, the functions' code and
settings, the layer, and the targets document the Plan step reads."""

from __future__ import annotations

import importlib.util
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from pushdeploy_local.stack import Template

REPO = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")


def test_every_asl_placeholder_has_a_substitution_and_every_substitution_is_used(template, asl_path):
    placeholders = set(PLACEHOLDER.findall(asl_path.read_text()))
    substitutions = template.resources["DeployStateMachine"]["Properties"]["DefinitionSubstitutions"]
    assert placeholders, "the ASL uses no placeholder: the state machine would invoke nothing"
    assert sorted(placeholders - set(substitutions)) == [], "placeholders without a DefinitionSubstitutions entry"
    assert sorted(set(substitutions) - placeholders) == [], "DefinitionSubstitutions entries the ASL never uses"


def test_substitutions_are_the_step_functions_arns(template):
    substitutions = dict(template.resources["DeployStateMachine"]["Properties"]["DefinitionSubstitutions"])
    assert substitutions.pop("Partition") == {"Ref": "AWS::Partition"}
    # The Deploy Map writes its results to the stack's bucket.
    assert substitutions.pop("ResultsBucket") == {"Ref": "DeployResultsBucket"}
    assert template.resources["DeployResultsBucket"]["Type"] == "AWS::S3::Bucket"
    for key, value in substitutions.items():
        assert key.endswith("FunctionArn"), key
        function = key.removesuffix("Arn")
        assert value == {"Fn::GetAtt": [function, "Arn"]}
        assert template.resources[function]["Type"] == "AWS::Serverless::Function"


def test_asl_is_json(asl_path):
    definition = json.loads(asl_path.read_text())
    assert definition["StartAt"] in definition["States"]


def test_state_machine_settings(template):
    props = template.resources["DeployStateMachine"]["Properties"]
    assert props["Type"] == "STANDARD"
    assert props["DefinitionUri"] == "statemachine/deploy.asl.json"
    assert props["Tracing"] == {"Enabled": True}
    logging = props["Logging"]
    assert (logging["Level"], logging["IncludeExecutionData"]) == ("ERROR", False)
    assert logging["Destinations"] == [
        {"CloudWatchLogsLogGroup": {"LogGroupArn": {"Fn::GetAtt": ["StateMachineLogGroup", "Arn"]}}}
    ]


def test_functions_follow_the_layout(template):
    for name, props in template.functions().items():
        step = name.removesuffix("Function").lower()
        assert props["CodeUri"] == f"functions/{step}/", name
        assert props["Handler"] == "app.handler", name
        assert props["Runtime"] == "python3.12", name
        assert props["Layers"] == [{"Ref": "CoreLayer"}], name
        assert props["Architectures"] == ["arm64"], name
        assert props["Tracing"] == "Active", name
        variables = props["Environment"]["Variables"]
        assert variables["POWERTOOLS_SERVICE_NAME"] == "pushdeploy", name
        assert variables["LOG_LEVEL"] == {"Ref": "LogLevel"}, name


def test_layer_builds_the_core_package(template):
    layer = template.resources["CoreLayer"]
    assert layer["Type"] == "AWS::Serverless::LayerVersion"
    assert layer["Properties"]["ContentUri"] == "layers/core"
    assert layer["Properties"]["CompatibleRuntimes"] == ["python3.12"]
    assert layer["Metadata"]["BuildMethod"] == "makefile"  # layers/core/Makefile
    assert layer["Metadata"]["BuildArchitecture"] == "arm64"
    requirements = REPO / "layers" / "core" / "requirements.txt"
    pinned = {line.split("==")[0] for line in requirements.read_text().splitlines() if "==" in line}
    assert {"pydantic", "aws-lambda-powertools", "boto3"} <= pinned


def test_the_built_layer_carries_the_bytecode_of_every_module():
    # Lambda mounts the layer read-only: without .pyc files every cold start compiles every module.
    # `make test` builds it first (scripts/check-template.sh runs sam build into .aws-sam/build).
    site = REPO / ".aws-sam" / "build" / "CoreLayer" / "python"
    if not site.is_dir():
        pytest.skip("no sam build output: run `make template-checks` first")
    sources = sorted(site.rglob("*.py"))
    assert len(sources) > 500 and (site / "pushdeploy" / "verdict.py") in sources
    assert not [path for path in site.rglob("*.so") if "aarch64" not in path.name]  # Lambda's arm64 wheels
    for source in sources:
        compiled = source.parent / "__pycache__" / f"{source.stem}.cpython-312.pyc"
        header = compiled.read_bytes()[:8]
        # PEP 552: flags 1 = checked against a hash of the source, never the source's timestamp.
        assert int.from_bytes(header[4:8], "little") == 1, compiled


def _function_names() -> list[str]:
    from cfn_flip import load_yaml

    data = load_yaml((REPO / "template.yaml").read_text())
    return sorted(k for k, v in data["Resources"].items() if v["Type"] == "AWS::Serverless::Function")


@pytest.mark.parametrize("function", _function_names())
def test_handler_imports_with_the_template_environment(function, template, monkeypatch):
    # Given the function's code, the layer on sys.path and the environment the template gives it
    props = template.functions()[function]
    module_file, attribute = props["Handler"].rsplit(".", 1)
    path = REPO / props["CodeUri"] / f"{module_file}.py"
    if not path.is_file():
        pytest.skip(f"{path.relative_to(REPO)} is not written yet")
    for key, value in template.resolve(props["Environment"]["Variables"]).items():
        monkeypatch.setenv(key, str(value))
    # Outside Lambda: a region and fake credentials for any client made at import.
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.syspath_prepend(str(REPO / template.resources["CoreLayer"]["Properties"]["ContentUri"]))
    name = f"_template_handler_{function}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, name, module)

    # When it is imported (its settings are validated at import: cold start)
    spec.loader.exec_module(module)

    # Then it has the handler the template names
    assert callable(getattr(module, attribute, None)), f"{path.relative_to(REPO)} defines no {attribute}()"


def test_targets_parameter_is_a_valid_targets_document(template, monkeypatch):
    value = template.resolve(template.resources["TargetsParameter"]["Properties"]["Value"])
    document = json.loads(value)
    assert document == {
        "targets": [
            {
                "cluster": "aiuteur-cluster",
                "service": "aiuteur-backend-service",
                "container": "aiuteur-backend",
                "repository": "aiuteur-backend",
                "tags": ["*"],
            }
        ]
    }
    monkeypatch.syspath_prepend(str(REPO / "layers" / "core"))
    models = pytest.importorskip("pushdeploy.models", reason="the core package is not written yet")
    models.TargetsConfig.model_validate(document)


def test_targets_parameter_names_the_existing_service_when_deployer_only(template):
    existing = template.with_parameters(
        DeployerOnly="true", ClusterName="prod", ServiceName="api", ContainerName="web", RepositoryName="api"
    )
    assert not existing.condition("CreateBase")
    value = json.loads(existing.resolve(existing.resources["TargetsParameter"]["Properties"]["Value"]))
    assert value["targets"][0] | {"tags": None} == {
        "cluster": "prod",
        "service": "api",
        "container": "web",
        "repository": "api",
        "tags": None,
    }


def test_deployer_only_creates_no_base_resource(template):
    base = [name for name, r in template.resources.items() if r.get("Condition") in ("CreateBase", "HasCertificate")]
    deployer = [
        name for name, r in template.resources.items() if r.get("Condition") in (None, "CreatesTargetsParameter")
    ]
    assert {"Repository", "Cluster", "Service", "TaskDefinition", "LoadBalancer", "TaskRole"} <= set(base)
    assert {"DeployStateMachine", "EcrPushRule", "AlertTopic", "LockTable", "TargetsParameter"} <= set(deployer)
    existing = template.with_parameters(DeployerOnly="true")
    assert [name for name in template.resources if existing.exists(name) and name in base] == []
    with_network = template.with_parameters(VpcId="vpc-0123456789abcdef0", SubnetIds="subnet-0a,subnet-0b")
    assert all(with_network.exists(name) for name in base if name != "HttpsListener")


def test_function_environment_names_the_right_resources(template):
    env = {name: props["Environment"]["Variables"] for name, props in template.functions().items()}
    assert env["TriggerFunction"]["STATE_MACHINE_ARN"] == {"Ref": "DeployStateMachine"}
    assert env["PlanFunction"]["TARGETS_PARAMETER"] == {"Ref": "TargetsParameterName"}
    assert env["LockFunction"]["LOCK_TABLE"] == env["UnlockFunction"]["LOCK_TABLE"] == {"Ref": "LockTable"}
    assert env["NotifyFunction"]["ALERT_TOPIC_ARN"] == {"Ref": "AlertTopic"}
    assert env["NotifyFunction"]["NOTIFY_ON_SUCCESS"] == {"Ref": "NotifyOnSuccess"}
    assert template.resources["TargetsParameter"]["Properties"]["Name"] == {"Ref": "TargetsParameterName"}


def test_lock_table(template):
    props = template.resources["LockTable"]["Properties"]
    assert props["BillingMode"] == "PAY_PER_REQUEST"
    assert props["KeySchema"] == [{"AttributeName": "service", "KeyType": "HASH"}]
    assert props["AttributeDefinitions"] == [{"AttributeName": "service", "AttributeType": "S"}]
    assert props["TimeToLiveSpecification"] == {"AttributeName": "expires_at", "Enabled": True}
    assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}


def test_service_rolls_out_safely(template):
    service = template.resources["Service"]["Properties"]
    assert service["DeploymentController"] == {"Type": "ECS"}
    # The default stack (DeploymentStrategy=ROLLING): ECS's rolling update, the circuit breaker behind it.
    assert template.resolve(service["DeploymentConfiguration"]) == {
        "MinimumHealthyPercent": 100,
        "MaximumPercent": 200,
        "DeploymentCircuitBreaker": {"Enable": True, "Rollback": True},
    }
    assert service["HealthCheckGracePeriodSeconds"] == 60
    target_group = template.resources["TargetGroup"]["Properties"]
    assert {"Key": "deregistration_delay.timeout_seconds", "Value": "30"} in target_group["TargetGroupAttributes"]
    assert (target_group["HealthCheckIntervalSeconds"], target_group["HealthyThresholdCount"]) == (30, 2)
    assert target_group["UnhealthyThresholdCount"] == 3
    assert template.resolve({"Ref": "HealthCheckPath"}) == "/api/health"


def test_outputs(template):
    outputs = template.data["Outputs"]
    assert {"AlbUrl", "StateMachineArn", "AlertTopicArn", "ManualExecutionConsoleUrl"} <= set(outputs)
    url = template.resolve(outputs["ManualExecutionConsoleUrl"]["Value"])
    assert url.startswith(
        "https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/statemachines/view/"
    )
    assert url.endswith(":stateMachine:DeployStateMachine")  # CloudFormation names it (the template does not)
    assert outputs["LockTableName"]["Value"] == {"Ref": "LockTable"}  # `pushdeploy status` reads it


def test_repo_root_is_found():
    # The fixtures resolve paths from this file; a moved test directory would make them skip silently.
    assert (REPO / "template.yaml").is_file()
    assert Path(__file__).resolve().is_relative_to(REPO)


def test_template_model_resolves_conditions(template):
    assert template.condition("CreateBase") is False  # no VPC in the defaults: the rule asks for one
    networked = template.with_parameters(VpcId="vpc-0123456789abcdef0", SubnetIds="subnet-0a,subnet-0b")
    assert networked.condition("CreateBase") is True
    assert networked.condition("HasCertificate") is False
    assert networked.with_parameters(CertificateArn="arn:aws:acm:x").condition("HasCertificate") is True


def test_a_targets_parameter_that_exists_already_is_read_not_created(template):
    assert template.exists("TargetsParameter")
    existing = template.with_parameters(TargetsParameterExists="true")

    assert not existing.exists("TargetsParameter")
    # The functions and the CLI still find it by its name
    assert existing.resolve(existing.data["Outputs"]["TargetsParameterName"]["Value"]) == "/pushdeploy/targets"
    plan = existing.functions()["PlanFunction"]["Environment"]["Variables"]
    assert plan["TARGETS_PARAMETER"] == {"Ref": "TargetsParameterName"}


def test_what_the_stack_keeps_on_delete_goes_when_its_first_create_rolls_back(template):
    kept = [name for name, r in template.resources.items() if r.get("UpdateReplacePolicy") == "Retain"]

    assert sorted(kept) == sorted(
        ["Repository", "DatabaseUrlSecret", "GoogleCredentialsSecret", "GoogleAiApiKeySecret", "LangsmithApiKeySecret"]
    )
    # RetainExceptOnCreate: a failed first `sam deploy` leaves no repository or secret in the retry's way
    assert {template.resources[name]["DeletionPolicy"] for name in kept} == {"RetainExceptOnCreate"}


# Names the template builds from the stack's name or id, and the longest each type takes (CloudFormation's
# resource reference for each type; Step Functions' CreateStateMachine for a state machine's name).
NAME_LIMITS = {
    ("AWS::Serverless::StateMachine", "Name"): 80,
    ("AWS::Logs::LogGroup", "LogGroupName"): 512,
    ("AWS::CloudWatch::Dashboard", "DashboardName"): 255,
    ("AWS::Chatbot::SlackChannelConfiguration", "ConfigurationName"): 128,
    ("AWS::Chatbot::MicrosoftTeamsChannelConfiguration", "ConfigurationName"): 128,
}


def test_every_name_fits_its_type_under_the_longest_stack_name(template):
    # CloudFormation takes stack names of up to 128 characters.
    longest = Template(template.data, pseudo={**template.pseudo, "AWS::StackName": "s" * 128})
    checked = 0
    for logical_id, resource in longest.resources.items():
        for (kind, prop), limit in NAME_LIMITS.items():
            if resource["Type"] == kind and prop in resource.get("Properties", {}):
                name = longest.resolve(resource["Properties"][prop])
                assert 0 < len(name) <= limit, f"{logical_id}.{prop} is {len(name)} characters: {name}"
                checked += 1
    assert checked >= 5  # the log groups, the dashboard, both chat channels
    # The state machine is named by CloudFormation, within the limit whatever the stack's name
    assert "Name" not in template.resources["DeployStateMachine"]["Properties"]


def test_the_results_bucket_is_encrypted_private_and_expires_what_it_holds(template):
    bucket = template.resources["DeployResultsBucket"]["Properties"]

    (rule,) = bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    assert rule["ServerSideEncryptionByDefault"]["SSEAlgorithm"] in ("AES256", "aws:kms")
    assert set(bucket["PublicAccessBlockConfiguration"].values()) == {True}
    assert len(bucket["PublicAccessBlockConfiguration"]) == 4
    (expiry,) = bucket["LifecycleConfiguration"]["Rules"]
    assert expiry["Status"] == "Enabled" and 0 < expiry["ExpirationInDays"] <= 90


def _s3_statements(policies: list[Any]) -> list[dict[str, Any]]:
    """The statements of `policies` that grant an S3 action."""
    statements = [
        s for policy in policies if isinstance(policy, dict) and "Statement" in policy for s in policy["Statement"]
    ]
    return [s for s in statements if any(str(a).startswith("s3:") for a in _listed(s["Action"]))]


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def test_the_state_machine_may_write_its_results_there_and_read_the_plans_items_only(template):
    results, items = _s3_statements(template.resources["DeployStateMachine"]["Properties"]["Policies"])
    # The actions Step Functions' ResultWriter needs, on the objects under the ASL's prefix of the stack's bucket.
    assert sorted(results["Action"]) == sorted(
        ["s3:PutObject", "s3:GetObject", "s3:ListMultipartUploadParts", "s3:AbortMultipartUpload"]
    )
    assert results["Resource"] == {"Fn::Sub": "${DeployResultsBucket.Arn}/deploy/*"}
    # ItemReader's s3:GetObject, on the Plan's items only
    assert _listed(items["Action"]) == ["s3:GetObject"]
    assert items["Resource"] == {"Fn::Sub": "${DeployResultsBucket.Arn}/plan/*"}


def test_the_plan_may_write_its_items_there_only(template):
    function = template.resources["PlanFunction"]["Properties"]
    (items,) = _s3_statements(function["Policies"])

    assert _listed(items["Action"]) == ["s3:PutObject"]
    assert items["Resource"] == {"Fn::Sub": "${DeployResultsBucket.Arn}/plan/*"}
    assert function["Environment"]["Variables"]["ITEMS_BUCKET"] == {"Ref": "DeployResultsBucket"}
