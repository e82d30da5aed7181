"""A real S3 endpoint on loopback (moto's server mode: HTTP, signatures, buckets and objects), and the
environment that points Quillcast's media store at a bucket on it."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from tests.support import free_port

REGION = "us-east-1"


class MotoS3:
    def __init__(self) -> None:
        from moto.server import ThreadedMotoServer

        self.port = free_port()
        self._server = ThreadedMotoServer(ip_address="127.0.0.1", port=self.port, verbose=False)
        # Made up per run: moto takes any key, and nothing secret may be written in the source.
        self.credentials = {"AWS_ACCESS_KEY_ID": "AKIA" + secrets.token_hex(8).upper(),
                            "AWS_SECRET_ACCESS_KEY": secrets.token_urlsafe(30)}

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> MotoS3:
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def env(self, bucket: str, prefix: str = "media") -> dict[str, str]:
        """What an operator sets for web and worker to keep media in `bucket`."""
        location = f"s3://{bucket}/{prefix}" if prefix else f"s3://{bucket}"
        return {"MEDIA_STORAGE_URL": location, "MEDIA_S3_ENDPOINT_URL": self.url,
                "AWS_DEFAULT_REGION": REGION, **self.credentials}

    def client(self) -> Any:
        """A client of the test's own, to look into the bucket the way an operator would."""
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name=REGION,
                            aws_access_key_id=self.credentials["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=self.credentials["AWS_SECRET_ACCESS_KEY"])

    def make_bucket(self) -> str:
        name = f"quillcast-media-{secrets.token_hex(4)}"
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        listed = self.client().list_objects_v2(Bucket=bucket).get("Contents", [])
        return sorted(o["Key"] for o in listed)


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """These settings for the test process (web's side), the old ones back afterwards."""
    from app.core.config import get_settings

    saved = {k: os.environ.get(k) for k in values}
    os.environ.update(values)
    get_settings.cache_clear()
    try:
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        get_settings.cache_clear()
