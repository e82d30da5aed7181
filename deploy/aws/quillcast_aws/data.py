"""PostgreSQL (RDS Multi-AZ behind RDS Proxy), Redis (ElastiCache) and their credentials, and AWS Backup."""

from aws_cdk import Aws, Duration, Fn, RemovalPolicy, SecretValue
from aws_cdk import aws_backup as backup
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_elasticache as elasticache
from aws_cdk import aws_events as events
from aws_cdk import aws_kms as kms
from aws_cdk import aws_rds as rds
from aws_cdk import aws_secretsmanager as sm
from constructs import Construct

DB_NAME = "quillcast"
OWNER_USER = "quillcast_owner"
# The login web, worker and beat use (DATABASE_APP_URL). RDS Proxy can only let in users it holds a
# secret for, so this login is made by hand once (docs/OPERATIONS.md), not derived by `quillcast migrate`.
APP_USER = "quillcast_login"


def _login_secret(scope: Construct, cid: str, user: str, description: str, key: kms.IKey) -> sm.Secret:
    # Without punctuation the password can stand in a URL unescaped: the app reads whole URLs.
    return sm.Secret(
        scope, cid, description=description, encryption_key=key,
        generate_secret_string=sm.SecretStringGenerator(
            secret_string_template=f'{{"username": "{user}"}}', generate_string_key="password",
            exclude_punctuation=True, password_length=40),
    )


class Data(Construct):
    """The stateful parts. Everything here is retained when the stack is deleted."""

    def __init__(self, scope: Construct, cid: str, *, vpc: ec2.IVpc, key: kms.IKey,
                 backup_copy_region: str, backup_copy_vault: str) -> None:
        super().__init__(scope, cid)
        data_subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)

        # --- PostgreSQL ---
        self.owner_secret = _login_secret(self, "OwnerSecret", OWNER_USER,
                                          "Quillcast database owner: migrations only (the migrate task)", key)
        self.app_secret = _login_secret(
            self, "AppLoginSecret", APP_USER,
            "Quillcast database app login (web, worker, beat) through RDS Proxy", key)
        self.db_sg = ec2.SecurityGroup(self, "DbSg", vpc=vpc, description="PostgreSQL and its proxy",
                                       allow_all_outbound=False)
        self.db = rds.DatabaseInstance(
            self, "Postgres",
            engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16_9),
            instance_type=ec2.InstanceType.of(ec2.InstanceClass.T4G, ec2.InstanceSize.MEDIUM),
            vpc=vpc, vpc_subnets=data_subnets, security_groups=[self.db_sg],
            credentials=rds.Credentials.from_secret(self.owner_secret),
            database_name=DB_NAME,
            multi_az=True,
            storage_encrypted=True, storage_encryption_key=key,
            allocated_storage=50, max_allocated_storage=500,
            # Automated backups with point-in-time recovery for 14 days (the issue asks for >= 7).
            backup_retention=Duration.days(14),
            deletion_protection=True,
            removal_policy=RemovalPolicy.SNAPSHOT,
            iam_authentication=True,
            auto_minor_version_upgrade=True,
            enable_performance_insights=True, performance_insight_encryption_key=key,
            cloudwatch_logs_exports=["postgresql", "upgrade"],
            monitoring_interval=Duration.seconds(60),
            copy_tags_to_snapshot=True,
            parameter_group=rds.ParameterGroup(
                self, "Params",
                engine=rds.DatabaseInstanceEngine.postgres(version=rds.PostgresEngineVersion.VER_16_9),
                parameters={"rds.force_ssl": "1", "log_min_duration_statement": "1000"}),
        )
        # The proxy pools connections for many web and worker tasks. Clients authenticate with the
        # login's password (from its secret) over TLS; the proxy reaches the database with the same
        # secrets. The app sets its role per connection (SET ROLE), which pins a client to a database
        # connection: the proxy still caps and reuses connections across task restarts and failovers.
        self.proxy = self.db.add_proxy(
            # Only the app login: the owner (migrate) connects to the instance itself.
            "Proxy", secrets=[self.app_secret], vpc=vpc, vpc_subnets=data_subnets,
            security_groups=[self.db_sg], require_tls=True, iam_auth=False,
            debug_logging=False, idle_client_timeout=Duration.minutes(30),
        )
        self.db_sg.add_ingress_rule(self.db_sg, ec2.Port.tcp(5432), "proxy to database")
        self.db_sg.add_egress_rule(self.db_sg, ec2.Port.tcp(5432), "proxy to database")

        # --- Redis ---
        self.redis_secret = sm.Secret(
            self, "RedisAuth", description="ElastiCache AUTH token for Quillcast", encryption_key=key,
            generate_secret_string=sm.SecretStringGenerator(
                # A template, not a password: the generated token is added under "token".
                secret_string_template="{}", generate_string_key="token",  # noqa: S106
                exclude_punctuation=True, password_length=64))
        self.redis_sg = ec2.SecurityGroup(self, "RedisSg", vpc=vpc, description="Redis",
                                          allow_all_outbound=False)
        subnets = elasticache.CfnSubnetGroup(
            self, "RedisSubnets", description="Quillcast Redis",
            subnet_ids=vpc.select_subnets(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED).subnet_ids)
        self.redis = elasticache.CfnReplicationGroup(
            self, "Redis",
            replication_group_description="Quillcast broker, UI state and caches",
            engine="redis", engine_version="7.1", cache_node_type="cache.t4g.small",
            num_cache_clusters=2, multi_az_enabled=True, automatic_failover_enabled=True,
            transit_encryption_enabled=True, transit_encryption_mode="required",
            at_rest_encryption_enabled=True, kms_key_id=key.key_id,
            auth_token=self.redis_secret.secret_value_from_json("token").unsafe_unwrap(),
            cache_subnet_group_name=subnets.ref, security_group_ids=[self.redis_sg.security_group_id],
            snapshot_retention_limit=3, auto_minor_version_upgrade=True, port=6379,
        )
        self.redis.apply_removal_policy(RemovalPolicy.RETAIN)

        # --- URLs: the app reads DATABASE_URL / DATABASE_APP_URL / REDIS_URL as whole URLs ---
        # Each is a secret composed by CloudFormation from dynamic references, so no password ever
        # stands in the template. They are resolved at deploy time: after changing a password, deploy
        # again (docs/OPERATIONS.md).
        def url_secret(cid: str, description: str, url: str) -> sm.Secret:
            return sm.Secret(self, cid, description=description, encryption_key=key,
                             secret_string_value=SecretValue.unsafe_plain_text(url))

        def pw(secret: sm.ISecret) -> str:
            return secret.secret_value_from_json("password").unsafe_unwrap()

        self.owner_url = url_secret(
            "OwnerUrl", "DATABASE_URL of the migrate task (owner, straight to the instance)",
            Fn.join("", [f"postgresql://{OWNER_USER}:", pw(self.owner_secret), "@",
                         self.db.db_instance_endpoint_address, f":5432/{DB_NAME}?sslmode=require"]))
        self.app_url = url_secret(
            "AppUrl", "DATABASE_APP_URL (and DATABASE_URL) of web, worker and beat, through RDS Proxy",
            Fn.join("", [f"postgresql://{APP_USER}:", pw(self.app_secret), "@", self.proxy.endpoint,
                         f":5432/{DB_NAME}?sslmode=require"]))
        # Celery refuses a rediss:// URL without ssl_cert_reqs; db 0 is the broker, 1 UI state, 2 caches.
        self.redis_url = url_secret(
            "RedisUrl", "REDIS_URL (TLS, AUTH token)",
            Fn.join("", ["rediss://:", self.redis_secret.secret_value_from_json("token").unsafe_unwrap(),
                         "@", self.redis.attr_primary_end_point_address, ":",
                         self.redis.attr_primary_end_point_port, "/0?ssl_cert_reqs=required"]))

        # --- AWS Backup: daily snapshots, copied to a second region ---
        vault = backup.BackupVault(self, "Vault", encryption_key=key, removal_policy=RemovalPolicy.RETAIN)
        copy_vault_arn = Fn.join(":", ["arn", Aws.PARTITION, "backup", backup_copy_region, Aws.ACCOUNT_ID,
                                       "backup-vault", backup_copy_vault])
        plan = backup.BackupPlan(self, "Plan", backup_vault=vault)
        plan.add_rule(backup.BackupPlanRule(
            rule_name="DailyWithCopy",
            schedule_expression=events.Schedule.cron(hour="4", minute="30"),
            delete_after=Duration.days(35),
            copy_actions=[backup.BackupPlanCopyActionProps(
                destination_backup_vault=backup.BackupVault.from_backup_vault_arn(
                    self, "CopyVault", copy_vault_arn),
                delete_after=Duration.days(35))],
        ))
        plan.add_selection("Database", resources=[backup.BackupResource.from_rds_database_instance(self.db)])
