"""Quillcast on AWS: web, worker and beat on ECS Fargate from the one image, behind an ALB with WAF,
on RDS PostgreSQL (through RDS Proxy) and ElastiCache Redis. docs/OPERATIONS.md says how to run it.

Releases: web goes blue-green through CodeDeploy (it takes traffic: the new tasks are tried on the test
listener and the old ones stay until the new ones are healthy, and an alarm rolls back). Worker and beat
take no traffic, so a rolling deployment with the ECS circuit breaker and rollback is enough; beat runs
stopped-then-started (max 100 %, min 0 %) because two beats would tick twice.
"""

from aws_cdk import Aws, CfnCondition, CfnOutput, CfnParameter, Duration, Fn, RemovalPolicy, Stack, Token
from aws_cdk import aws_certificatemanager as acm
from aws_cdk import aws_cloudwatch as cw
from aws_cdk import aws_cloudwatch_actions as cw_actions
from aws_cdk import aws_codedeploy as codedeploy
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecs as ecs
from aws_cdk import aws_elasticloadbalancingv2 as elbv2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3
from aws_cdk import aws_sns as sns
from constructs import Construct

from quillcast_aws.data import Data
from quillcast_aws.edge import AppSecrets, web_acl
from quillcast_aws.metrics import METRICS_NAMESPACE, adot_config

WEB_PORT = 3000
HEALTH_PATH = "/api/health"  # liveness: the load balancer's check
READY_PATH = "/api/ready"  # readiness (database, Redis, broker, worker, media): people, `quillcast check`
TEST_LISTENER_PORT = 8443
METRICS_LOG_GROUP = "/quillcast/metrics"


def lint_ignore(construct: Construct, *checks: str) -> None:
    """Tell cfn-lint about a finding accepted on purpose, on the resource itself."""
    child = construct.node.default_child
    child.add_metadata("cfn-lint", {"config": {"ignore_checks": list(checks)}})  # type: ignore[union-attr]


def checkov_skip(construct: Construct, check: str, reason: str) -> None:
    """A checkov finding accepted on purpose, with the reason, where the resource is made."""
    construct.node.default_child.add_metadata(  # type: ignore[union-attr]
        "checkov", {"skip": [{"id": check, "comment": reason}]})


class QuillcastStack(Stack):
    def __init__(self, scope: Construct, cid: str, **kwargs: object) -> None:
        super().__init__(scope, cid, **kwargs)  # type: ignore[arg-type]
        image_uri = CfnParameter(
            self, "ImageUri", description="The Quillcast image (docker build of the repo's Dockerfile), "
            "e.g. <account>.dkr.ecr.<region>.amazonaws.com/quillcast:<git sha>").value_as_string
        # Web's own: CloudFormation cannot change the task definition of a service that CodeDeploy deploys,
        # so this is only the first web image; later web releases go through CodeDeploy
        # (docs/OPERATIONS.md) and this parameter stays as it was.
        web_image_uri = CfnParameter(
            self, "WebImageUri", description="The image web starts with on the first deploy (then CodeDeploy)"
        ).value_as_string
        cert_arn = CfnParameter(self, "CertificateArn",
                                description="ACM certificate for the HTTPS listener").value_as_string
        public_url = CfnParameter(self, "PublicUrl", description="https://... where people reach Quillcast"
                                  ).value_as_string
        copy_region = CfnParameter(self, "BackupCopyRegion", default="eu-central-1",
                                   description="Second region that receives copies of the database backups"
                                   ).value_as_string
        copy_vault = CfnParameter(self, "BackupCopyVaultName", default="quillcast-copy",
                                  description="Backup vault in BackupCopyRegion (made beforehand)"
                                  ).value_as_string
        agent_image = CfnParameter(
            self, "MetricsAgentImage",
            default="public.ecr.aws/aws-observability/aws-otel-collector:v0.43.3",
            description="ADOT collector image: scrapes /api/metrics and writes CloudWatch metrics"
        ).value_as_string
        # "no" on the first deploy: the services would fail (and the stack roll back) until the migrate
        # task has made the schema and the app login exists (docs/OPERATIONS.md, first deploy).
        run_services = CfnParameter(self, "RunServices", allowed_values=["yes", "no"], default="no",
                                    description="Start web, worker and beat (after the first migrate)")
        running = CfnCondition(self, "Running", expression=Fn.condition_equals(run_services.value_as_string,
                                                                               "yes"))

        def when_running(count: int) -> int:
            return Token.as_number(Fn.condition_if(running.logical_id, count, 0))

        # A context flag, not a parameter: it changes the web ACL's list of rules.
        bot_control = str(self.node.try_get_context("bot_control")).lower() == "true"

        key = kms.Key(self, "Key", enable_key_rotation=True, description="Quillcast data at rest",
                      removal_policy=RemovalPolicy.RETAIN)
        # Services that use the key on their own behalf: CloudWatch Logs for the log groups, and CloudWatch
        # alarms publishing to the encrypted SNS topic (without this their notifications are dropped).
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal(f"logs.{Aws.REGION}.amazonaws.com")],
            actions=["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                     "kms:Describe*"],
            resources=["*"]))
        key.add_to_resource_policy(iam.PolicyStatement(
            principals=[iam.ServicePrincipal("cloudwatch.amazonaws.com")],
            actions=["kms:Decrypt", "kms:GenerateDataKey*"], resources=["*"]))

        vpc = ec2.Vpc(
            self, "Vpc", max_azs=2, nat_gateways=2,
            subnet_configuration=[
                ec2.SubnetConfiguration(name="public", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=24),
                ec2.SubnetConfiguration(name="app", subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS,
                                        cidr_mask=22),
                ec2.SubnetConfiguration(name="data", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                                        cidr_mask=24),
            ])
        flow_logs = logs.LogGroup(self, "FlowLogs", retention=logs.RetentionDays.THREE_MONTHS,
                                  encryption_key=key,
                                  removal_policy=RemovalPolicy.RETAIN)
        vpc.add_flow_log("FlowLog", destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_logs))

        data = Data(self, "Data", vpc=vpc, key=key, backup_copy_region=copy_region,
                    backup_copy_vault=copy_vault)
        app_secrets = AppSecrets(self, "AppSecrets", key=key)

        media = s3.Bucket(
            self, "Media", encryption=s3.BucketEncryption.KMS, encryption_key=key, bucket_key_enabled=True,
            versioned=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL, enforce_ssl=True,
            removal_policy=RemovalPolicy.RETAIN,
            lifecycle_rules=[s3.LifecycleRule(noncurrent_version_expiration=Duration.days(30))])
        checkov_skip(media, "CKV_AWS_18", "every upload is in the app's audit log with its member; "
                     "S3 access logs would need a second bucket, which would need its own logs")

        alarm_topic = sns.Topic(self, "Alarms", display_name="Quillcast alarms", master_key=key)

        cluster = ecs.Cluster(self, "Cluster", vpc=vpc, container_insights_v2=ecs.ContainerInsights.ENABLED)
        image = ecs.ContainerImage.from_registry(image_uri)
        web_image = ecs.ContainerImage.from_registry(web_image_uri)
        app_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS)

        env = {
            "ENVIRONMENT": "production", "WEB_HOST": "0.0.0.0", "WEB_PORT": str(WEB_PORT),  # noqa: S104
            "PUBLIC_URL": public_url, "LOG_JSON": "true",
            # RDS keeps point-in-time recovery and AWS Backup copies it; pg_dump files on a task's
            # ephemeral disk would vanish with the task.
            "BACKUP_DAILY": "false",
        }
        app_url = ecs.Secret.from_secrets_manager(data.app_url)
        common_secrets = {
            "SECRET_KEY": ecs.Secret.from_secrets_manager(app_secrets.secret_key),
            "ENCRYPTION_KEYS": ecs.Secret.from_secrets_manager(app_secrets.encryption_keys),
            "REDIS_URL": ecs.Secret.from_secrets_manager(data.redis_url),
            "DATABASE_APP_URL": app_url,
            # The app requires DATABASE_URL in production; web, worker and beat get the app login
            # there too, so the owner's password reaches only the migrate task.
            "DATABASE_URL": app_url,
        }
        app_sg = ec2.SecurityGroup(self, "AppSg", vpc=vpc, description="Quillcast tasks")
        data.db_sg.add_ingress_rule(app_sg, ec2.Port.tcp(5432), "tasks to proxy and database")
        data.redis_sg.add_ingress_rule(app_sg, ec2.Port.tcp(6379), "tasks to Redis")

        # Web writes uploaded media and the worker reads it when it publishes: both use the bucket
        # (MEDIA_STORAGE_URL), so the tasks share no disk. What else lives in DATA_DIR needs none either:
        # SECRET_KEY/ENCRYPTION_KEYS come from Secrets Manager (no key file), BACKUP_DAILY is off (RDS
        # keeps the backups), and beat's schedule file is beat's own (losing it on a restart only makes
        # a periodic job run once early). So DATA_DIR is each task's ephemeral disk, and there is no EFS.
        # Region and credentials come from the task (AWS_REGION, the task role), never from here.
        media_env = {"MEDIA_STORAGE_URL": f"s3://{media.bucket_name}/media", "AWS_REGION": Aws.REGION}

        def task(name: str, command: list[str], cpu: int, memory: int, secrets: dict[str, ecs.Secret],
                 port: int | None = None, uses_media: bool = False,
                 image: ecs.ContainerImage = image,
                 stop_timeout: Duration | None = None) -> ecs.FargateTaskDefinition:
            td = ecs.FargateTaskDefinition(self, f"{name}Task", cpu=cpu, memory_limit_mib=memory,
                                           runtime_platform=ecs.RuntimePlatform(
                                               cpu_architecture=ecs.CpuArchitecture.X86_64,
                                               operating_system_family=ecs.OperatingSystemFamily.LINUX))
            group = logs.LogGroup(self, f"{name}Logs", log_group_name=f"/quillcast/{name.lower()}",
                                  retention=logs.RetentionDays.THREE_MONTHS, encryption_key=key,
                                  removal_policy=RemovalPolicy.RETAIN)
            td.add_container(
                name.lower(), image=image, command=command,
                environment={**env, **media_env} if uses_media else env, secrets=secrets,
                essential=True, readonly_root_filesystem=False,
                # The app writes one JSON object per line (structlog): no multi-line pattern needed.
                logging=ecs.LogDrivers.aws_logs(stream_prefix=name.lower(), log_group=group),
                port_mappings=[ecs.PortMapping(container_port=port)] if port else None,
                stop_timeout=stop_timeout,
            )
            # The image may live in ECR; GetAuthorizationToken has no resource to narrow to.
            td.add_to_execution_role_policy(iam.PolicyStatement(
                actions=["ecr:GetAuthorizationToken", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"],
                resources=["*"]))
            return td

        web_td = task("Web", ["quillcast", "web"], 1024, 2048,
                      {**common_secrets,
                       "METRICS_TOKEN": ecs.Secret.from_secrets_manager(app_secrets.metrics_token)},
                      port=WEB_PORT, uses_media=True, image=web_image)
        # Warm shutdown: on SIGTERM a worker finishes the publishes it holds (each at most 120 s, the task
        # time limit) and hands unstarted ones back; ECS's default 30 s before SIGKILL would cut some short.
        # 120 s is Fargate's maximum.
        worker_td = task("Worker", ["quillcast", "worker"], 1024, 2048, common_secrets, uses_media=True,
                         stop_timeout=Duration.seconds(120))
        beat_td = task("Beat", ["quillcast", "beat"], 256, 512, common_secrets)
        migrate_td = task("Migrate", ["quillcast", "migrate"], 512, 1024, {
            **common_secrets, "DATABASE_URL": ecs.Secret.from_secrets_manager(data.owner_url)})

        # The metrics sidecar: scrapes the web container's /api/metrics (Prometheus text) every 30 s and
        # writes the chosen series as CloudWatch metrics (embedded metric format) for alarms and scaling.
        metrics_logs = logs.LogGroup(self, "MetricsLogs", log_group_name=METRICS_LOG_GROUP,
                                     retention=logs.RetentionDays.ONE_MONTH, encryption_key=key,
                                     removal_policy=RemovalPolicy.RETAIN)
        web_td.add_container(
            "metrics", image=ecs.ContainerImage.from_registry(agent_image), essential=False,
            cpu=64, memory_reservation_mib=128,
            environment={"AOT_CONFIG_CONTENT": adot_config(WEB_PORT, METRICS_LOG_GROUP)},
            secrets={"METRICS_TOKEN": ecs.Secret.from_secrets_manager(app_secrets.metrics_token)},
            logging=ecs.LogDrivers.aws_logs(stream_prefix="metrics", log_group=metrics_logs))
        # The collector's config goes through Fn::Sub only to keep its ${...} literal (see metrics.py).
        lint_ignore(web_td, "W1020")
        metrics_logs.grant_write(web_td.task_role)
        web_td.add_to_task_role_policy(iam.PolicyStatement(
            actions=["cloudwatch:PutMetricData"], resources=["*"],
            conditions={"StringEquals": {"cloudwatch:namespace": METRICS_NAMESPACE}}))

        # Least privilege: web and worker read and write media; beat only gets its secrets (granted
        # above to the execution role, which fetches them at start; the task role holds nothing).
        for td in (web_td, worker_td):
            media.grant_read_write(td.task_role)

        # --- load balancer ---
        alb_sg = ec2.SecurityGroup(self, "AlbSg", vpc=vpc, description="Quillcast load balancer",
                                   allow_all_outbound=False)
        alb_sg.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(443), "HTTPS")
        alb_sg.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(80), "HTTP, redirected to HTTPS")
        alb_sg.add_egress_rule(app_sg, ec2.Port.tcp(WEB_PORT), "to web tasks")
        app_sg.add_ingress_rule(alb_sg, ec2.Port.tcp(WEB_PORT), "from the load balancer")
        alb = elbv2.ApplicationLoadBalancer(self, "Alb", vpc=vpc, internet_facing=True, security_group=alb_sg,
                                            drop_invalid_header_fields=True, deletion_protection=True)
        alb.add_redirect(source_port=80, target_port=443)
        checkov_skip(alb_sg, "CKV_AWS_260", "port 80 only answers a redirect to HTTPS (add_redirect)")
        checkov_skip(alb, "CKV_AWS_91", "not yet: ALB access logs need an S3 bucket with SSE-S3; WAF sampled "
                     "requests and the app's JSON request logs cover it meanwhile (docs/OPERATIONS.md)")
        certificate = acm.Certificate.from_certificate_arn(self, "Cert", cert_arn)

        def target_group(cid: str) -> elbv2.ApplicationTargetGroup:
            return elbv2.ApplicationTargetGroup(
                self, cid, vpc=vpc, port=WEB_PORT, protocol=elbv2.ApplicationProtocol.HTTP,
                target_type=elbv2.TargetType.IP, deregistration_delay=Duration.seconds(30),
                # The UI keeps a websocket to one task: stickiness keeps a person on it between
                # reconnects (Reflex state is in Redis, so a move is safe, only slower).
                stickiness_cookie_duration=Duration.hours(1),
                health_check=elbv2.HealthCheck(path=HEALTH_PATH, healthy_http_codes="200",
                                               interval=Duration.seconds(15), healthy_threshold_count=2,
                                               unhealthy_threshold_count=3))

        blue, green = target_group("WebBlue"), target_group("WebGreen")
        https = alb.add_listener("Https", port=443, certificates=[certificate],
                                 ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS, default_target_groups=[blue])
        alb_sg.add_ingress_rule(ec2.Peer.any_ipv4(), ec2.Port.tcp(TEST_LISTENER_PORT),
                                "CodeDeploy test listener (the new version before the switch)")
        test = alb.add_listener("Test", port=TEST_LISTENER_PORT, certificates=[certificate],
                                ssl_policy=elbv2.SslPolicy.RECOMMENDED_TLS, default_target_groups=[green])
        web_acl(self, alb.load_balancer_arn, bot_control=bot_control)

        # --- services ---
        def service(cid: str, td: ecs.FargateTaskDefinition, count: int, **kw: object) -> ecs.FargateService:
            svc = ecs.FargateService(self, cid, cluster=cluster, task_definition=td, desired_count=count,
                                     vpc_subnets=app_subnets, security_groups=[app_sg],
                                     assign_public_ip=False, enable_execute_command=False,
                                     **kw)  # type: ignore[arg-type]
            # No task starts before ENCRYPTION_KEYS holds a real Fernet key. On the services, not the task
            # definitions: the key's policy names the execution roles, so those cannot wait for the key.
            svc.node.add_dependency(app_secrets.first_key)
            return svc

        web = service("WebService", web_td, when_running(2),
                      deployment_controller=ecs.DeploymentController(type=ecs.DeploymentControllerType.CODE_DEPLOY),
                      health_check_grace_period=Duration.seconds(120))
        web.attach_to_application_target_group(blue)
        worker = service("WorkerService", worker_td, when_running(2),
                         circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
                         min_healthy_percent=100, max_healthy_percent=200)
        service("BeatService", beat_td, when_running(1),
                circuit_breaker=ecs.DeploymentCircuitBreaker(enable=True, rollback=True),
                min_healthy_percent=0, max_healthy_percent=100)

        # --- auto scaling ---
        web_scaling = web.auto_scale_task_count(min_capacity=when_running(2), max_capacity=when_running(10))
        web_scaling.scale_on_cpu_utilization("Cpu", target_utilization_percent=60)
        # One request-count policy per target group: CodeDeploy moves production traffic between them at
        # each release. The idle group's metric has no data, so its policy neither adds nor removes tasks.
        for name, group in (("Blue", blue), ("Green", green)):
            web_scaling.scale_on_request_count(f"Requests{name}", requests_per_target=500, target_group=group)
        # Worker: step scaling on the publish queue's depth, the CloudWatch metric the sidecar writes
        # from quillcast_queue_depth{queue="publish"} (a backlog is what makes posts late, not CPU).
        queue_depth = cw.Metric(namespace=METRICS_NAMESPACE, metric_name="quillcast_queue_depth",
                                dimensions_map={"queue": "publish"}, statistic="Maximum",
                                period=Duration.minutes(1))
        worker_scaling = worker.auto_scale_task_count(min_capacity=when_running(2),
                                                      max_capacity=when_running(20))
        worker_scaling.scale_on_metric("QueueDepth", metric=queue_depth, scaling_steps=[
            {"upper": 10, "change": -1}, {"lower": 100, "change": +2}, {"lower": 1000, "change": +5}],
            cooldown=Duration.minutes(3))

        # --- alarms ---
        def alarm(cid: str, description: str, metric: cw.IMetric, threshold: float, periods: int,
                  missing: cw.TreatMissingData = cw.TreatMissingData.NOT_BREACHING) -> cw.Alarm:
            a = cw.Alarm(self, cid, alarm_description=description, metric=metric, threshold=threshold,
                         evaluation_periods=periods,
                         comparison_operator=cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
                         treat_missing_data=missing)
            a.add_alarm_action(cw_actions.SnsAction(alarm_topic))
            return a

        alarm("Overdue", "Posts are overdue: a worker or beat is down or stuck (docs/OPERATIONS.md)",
              cw.Metric(namespace=METRICS_NAMESPACE, metric_name="quillcast_targets_overdue",
                        statistic="Maximum", period=Duration.minutes(1)), 0, 3,
              # No data means the sidecar or web is down: that is an alarm too.
              missing=cw.TreatMissingData.BREACHING)
        alarm("QueueDepthHigh", "The publish queue keeps growing: workers cannot keep up",
              queue_depth, 1000, 10)
        alb_metrics = alb.metrics
        five_xx_rate = cw.MathExpression(
            expression="100 * (elb + target) / MAX([requests, 1])",
            using_metrics={"elb": alb_metrics.http_code_elb(elbv2.HttpCodeElb.ELB_5XX_COUNT),
                           "target": alb_metrics.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT),
                           "requests": alb_metrics.request_count()},
            period=Duration.minutes(1), label="5xx %")
        alarm("Alb5xxRate", "More than 5 % of requests answered 5xx", five_xx_rate, 5, 5)
        # The alarms CodeDeploy watches during a web release: any of them rolls it back.
        green_5xx = alarm("Green5xx", "The new web version answers 5xx",
                          green.metrics.http_code_target(elbv2.HttpCodeTarget.TARGET_5XX_COUNT,
                                                         period=Duration.minutes(1)), 10, 2)
        green_unhealthy = alarm("GreenUnhealthy", "New web tasks fail their health check",
                                green.metrics.unhealthy_host_count(period=Duration.minutes(1)), 0, 2)

        codedeploy.EcsDeploymentGroup(
            self, "WebDeployment", service=web,
            deployment_config=codedeploy.EcsDeploymentConfig.ALL_AT_ONCE,
            blue_green_deployment_config=codedeploy.EcsBlueGreenDeploymentConfig(
                blue_target_group=blue, green_target_group=green, listener=https, test_listener=test,
                termination_wait_time=Duration.minutes(15)),
            alarms=[green_5xx, green_unhealthy],
            auto_rollback=codedeploy.AutoRollbackConfig(failed_deployment=True, deployment_in_alarm=True,
                                                        stopped_deployment=True))

        CfnOutput(self, "LoadBalancerDns", value=alb.load_balancer_dns_name)
        CfnOutput(self, "ClusterName", value=cluster.cluster_name)
        CfnOutput(self, "MigrateTaskDefinition", value=migrate_td.task_definition_arn)
        CfnOutput(self, "MigrateSubnets", value=Fn.join(",", vpc.select_subnets(
            subnet_type=ec2.SubnetType.PRIVATE_WITH_EGRESS).subnet_ids))
        CfnOutput(self, "AppSecurityGroup", value=app_sg.security_group_id)
        CfnOutput(self, "MediaBucket", value=media.bucket_name)
        CfnOutput(self, "AlarmTopic", value=alarm_topic.topic_arn)
        CfnOutput(self, "AppLoginSecret", value=data.app_secret.secret_arn)
        CfnOutput(self, "OwnerSecret", value=data.owner_secret.secret_arn)
        CfnOutput(self, "EncryptionKeysSecret", value=app_secrets.encryption_keys.secret_arn)
        CfnOutput(self, "ReadinessPath", value=READY_PATH)
