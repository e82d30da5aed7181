"""How the app's Prometheus numbers reach CloudWatch: an ADOT collector beside each web container.

The collector scrapes /api/metrics over the task's loopback with METRICS_TOKEN and writes the series
named below to CloudWatch through the embedded metric format (a log group the collector writes to;
CloudWatch turns its lines into metrics in the Quillcast namespace). The numbers are database- and
Redis-wide, so every web task reports the same value: alarms and scaling read their Maximum.
"""

import json

from aws_cdk import Fn

METRICS_NAMESPACE = "Quillcast"
UNDIMENSIONED = [
    "quillcast_targets_overdue",
    "quillcast_targets_oldest_overdue_seconds",
    "quillcast_published_last_hour",
]


def adot_config(port: int, log_group: str) -> str:
    config = {
        "receivers": {"prometheus": {"config": {"scrape_configs": [{
            "job_name": "quillcast",
            "scrape_interval": "30s",
            "metrics_path": "/api/metrics",
            # Expanded by the collector from the container's secret, never written anywhere. The `!`
            # keeps CloudFormation's Fn::Sub (below) from reading it as one of its own variables.
            "authorization": {"type": "Bearer", "credentials": "${!env:METRICS_TOKEN}"},
            "static_configs": [{"targets": [f"127.0.0.1:{port}"]}],
        }]}}},
        "processors": {"batch/metrics": {"timeout": "30s"}},
        "exporters": {"awsemf": {
            "namespace": METRICS_NAMESPACE,
            "log_group_name": log_group,
            "dimension_rollup_option": "NoDimensionRollup",
            "metric_declarations": [
                {"dimensions": [["queue"]], "metric_name_selectors": ["^quillcast_queue_depth$"]},
                {"dimensions": [[]], "metric_name_selectors": [f"^{m}$" for m in UNDIMENSIONED]},
            ],
        }},
        "service": {"pipelines": {"metrics": {
            "receivers": ["prometheus"], "processors": ["batch/metrics"], "exporters": ["awsemf"]}}},
    }
    return Fn.sub(json.dumps(config))
