"""The WAF in front of the load balancer, and the app's own secrets (keys, metrics token)."""

from aws_cdk import CfnCustomResource, Duration
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_secretsmanager as sm
from aws_cdk import aws_wafv2 as wafv2
from constructs import Construct

MANAGED_RULE_GROUPS = [
    "AWSManagedRulesCommonRuleSet",
    "AWSManagedRulesSQLiRuleSet",
    "AWSManagedRulesKnownBadInputsRuleSet",
]
# Requests per IP per 5 minutes. The app limits API callers itself (API_RATE_LIMIT_PER_MINUTE, 300/min);
# this is the coarse outer fence against floods, above what one busy office behind one NAT sends.
RATE_LIMIT_PER_5_MIN = 3000


def _visibility(name: str) -> wafv2.CfnWebACL.VisibilityConfigProperty:
    return wafv2.CfnWebACL.VisibilityConfigProperty(
        cloud_watch_metrics_enabled=True, metric_name=name, sampled_requests_enabled=True)


def _managed(name: str, priority: int) -> wafv2.CfnWebACL.RuleProperty:
    return wafv2.CfnWebACL.RuleProperty(
        name=name, priority=priority,
        statement=wafv2.CfnWebACL.StatementProperty(
            managed_rule_group_statement=wafv2.CfnWebACL.ManagedRuleGroupStatementProperty(
                vendor_name="AWS", name=name)),
        override_action=wafv2.CfnWebACL.OverrideActionProperty(none={}),
        visibility_config=_visibility(name))


def web_acl(scope: Construct, alb_arn: str, *, bot_control: bool) -> wafv2.CfnWebACL:
    rules = [_managed(name, i) for i, name in enumerate(MANAGED_RULE_GROUPS)]
    rules.append(wafv2.CfnWebACL.RuleProperty(
        name="RatePerIp", priority=len(rules),
        statement=wafv2.CfnWebACL.StatementProperty(
            rate_based_statement=wafv2.CfnWebACL.RateBasedStatementProperty(
                limit=RATE_LIMIT_PER_5_MIN, aggregate_key_type="IP")),
        action=wafv2.CfnWebACL.RuleActionProperty(block={}),
        visibility_config=_visibility("RatePerIp")))
    if bot_control:
        # Off by default: Bot Control is billed per request, and the app's API is meant for scripts.
        rules.append(_managed("AWSManagedRulesBotControlRuleSet", len(rules)))
    acl = wafv2.CfnWebACL(
        scope, "WebAcl", scope="REGIONAL", default_action=wafv2.CfnWebACL.DefaultActionProperty(allow={}),
        visibility_config=_visibility("quillcast"), rules=rules)
    wafv2.CfnWebACLAssociation(scope, "WebAclAlb", resource_arn=alb_arn, web_acl_arn=acl.attr_arn)
    return acl


# A Fernet key is 32 random bytes in url-safe base64 with its padding; Secrets Manager's generator cannot
# make one, so a small function writes the first key into the secret when the stack is created. Later
# keys are added by a person (docs/OPERATIONS.md: rotation), never by the stack, which leaves the value
# alone on updates and deletes.
_FERNET_CODE = """
import base64, os, boto3, cfnresponse
def handler(event, context):
    try:
        if event["RequestType"] == "Create":
            key = base64.urlsafe_b64encode(os.urandom(32)).decode()
            boto3.client("secretsmanager").put_secret_value(
                SecretId=event["ResourceProperties"]["SecretId"], SecretString=key)
        cfnresponse.send(event, context, cfnresponse.SUCCESS, {})
    except Exception as exc:
        cfnresponse.send(event, context, cfnresponse.FAILED, {"Error": str(exc)[:200]})
"""


class AppSecrets(Construct):
    def __init__(self, scope: Construct, cid: str, *, key: kms.IKey) -> None:
        super().__init__(scope, cid)
        self.secret_key = sm.Secret(
            self, "SecretKey", encryption_key=key,
            description="Quillcast SECRET_KEY (signs tokens and links)",
            generate_secret_string=sm.SecretStringGenerator(exclude_punctuation=True, password_length=64))
        self.encryption_keys = sm.Secret(
            self, "EncryptionKeys", encryption_key=key,
            description="Quillcast ENCRYPTION_KEYS: Fernet keys, comma-separated, newest first",
            generate_secret_string=sm.SecretStringGenerator(exclude_punctuation=True, password_length=44))
        self.metrics_token = sm.Secret(
            self, "MetricsToken", encryption_key=key,
            description="Quillcast METRICS_TOKEN (the metrics sidecar scrapes with it)",
            generate_secret_string=sm.SecretStringGenerator(exclude_punctuation=True, password_length=48))

        fn = lambda_.Function(
            self, "FernetKeyFn", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
            code=lambda_.Code.from_inline(_FERNET_CODE), timeout=Duration.seconds(30),
            reserved_concurrent_executions=1)
        # CDK adds a DependsOn on the role beside the GetAtt that already orders them: harmless.
        fn.node.default_child.add_metadata(  # type: ignore[union-attr]
            "cfn-lint", {"config": {"ignore_checks": ["W3005"]}})
        fn.node.default_child.add_metadata("checkov", {"skip": [  # type: ignore[union-attr]
            {"id": "CKV_AWS_116", "comment": "runs once, at create, inside CloudFormation, which reports its "
                                             "failure: a dead-letter queue would hold nothing to retry"},
            {"id": "CKV_AWS_117", "comment": "talks only to Secrets Manager and CloudFormation's response "
                                             "URL; in the VPC it would need NAT or endpoints for nothing"}]})
        fn.add_to_role_policy(iam.PolicyStatement(
            actions=["secretsmanager:PutSecretValue"], resources=[self.encryption_keys.secret_arn]))
        # The secret is encrypted with the stack's key: writing it asks KMS for a data key.
        key.grant(fn, "kms:GenerateDataKey", "kms:Encrypt")
        self.first_key = CfnCustomResource(self, "FirstFernetKey", service_token=fn.function_arn)
        self.first_key.add_property_override("SecretId", self.encryption_keys.secret_arn)
