"""The S3 (or S3-compatible: MinIO, R2, Ceph) media store, through boto3.

Objects are named `<prefix>/<key>`; the key is what the database keeps. Every botocore failure becomes a
`StorageError` naming what to fix, so readiness, `quillcast check` and the upload's error can say it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, Any

from app.core.storage import MAX_READ_BYTES, StorageError, StorageMissing, cached, clean_key

# Quick to give up on a dead endpoint: an upload waits for this, and readiness must answer in seconds.
_CONNECT_TIMEOUT = 3
_READ_TIMEOUT = 30
_PERMISSIONS = "s3:ListBucket, s3:GetObject, s3:PutObject and s3:DeleteObject"


def _client(endpoint_url: str | None, quick: bool) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=_CONNECT_TIMEOUT if not quick else 2,
        read_timeout=_READ_TIMEOUT if not quick else 5,
        retries={"max_attempts": 1 if quick else 3, "mode": "standard"},
        # S3-compatible servers on an address of their own want the bucket in the path.
        s3={"addressing_style": "path"} if endpoint_url else {},
    )
    region = os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    return boto3.session.Session().client("s3", endpoint_url=endpoint_url, region_name=region, config=config)


class S3Store:
    def __init__(self, bucket: str, prefix: str, endpoint_url: str | None) -> None:
        self.bucket, self.prefix, self.endpoint_url = bucket, prefix.strip("/"), endpoint_url

    def _client(self, quick: bool = False) -> Any:
        return cached(("s3", self.endpoint_url, quick), lambda: _client(self.endpoint_url, quick))

    def _name(self, key: str) -> str:
        return f"{self.prefix}/{clean_key(key)}" if self.prefix else clean_key(key)

    def _where(self) -> str:
        return self.endpoint_url or "AWS S3"

    @contextmanager
    def _errors(self, what: str, key: str | None = None) -> Iterator[None]:
        from botocore.exceptions import (
            BotoCoreError,
            ClientError,
            EndpointConnectionError,
            NoCredentialsError,
            NoRegionError,
        )

        try:
            yield
        except ClientError as exc:
            err = exc.response.get("Error", {})
            code = str(err.get("Code", ""))
            status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
            if code in ("NoSuchKey", "NotFound") or (code == "404" and key is not None):
                raise StorageMissing(f"{key} is not in the bucket {self.bucket}") from exc
            if code in ("NoSuchBucket", "404"):
                raise StorageError(f"the bucket {self.bucket} does not exist at {self._where()}: create it, "
                                   "or fix MEDIA_STORAGE_URL") from exc
            if code in ("InvalidAccessKeyId", "SignatureDoesNotMatch", "ExpiredToken", "InvalidToken"):
                raise StorageError(f"{self._where()} refused the AWS credentials ({code}): check "
                                   "AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY or the task role") from exc
            if code in ("AccessDenied", "403", "AllAccessDisabled") or status == 403:
                raise StorageError(f"access to the bucket {self.bucket} was refused while trying to {what}: "
                                   f"the credentials need {_PERMISSIONS} on it") from exc
            message = str(err.get("Message") or "")[:200]
            raise StorageError(f"S3 refused to {what} ({code or status}{': ' + message if message else ''})"
                               ) from exc
        except NoCredentialsError as exc:
            raise StorageError("no AWS credentials found: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, "
                               "or run with an IAM role") from exc
        except NoRegionError as exc:
            raise StorageError("no AWS region is set: set AWS_REGION") from exc
        except EndpointConnectionError as exc:
            raise StorageError(f"the S3 endpoint {self._where()} did not answer: check MEDIA_S3_ENDPOINT_URL "
                               "and the network") from exc
        except BotoCoreError as exc:
            raise StorageError(f"S3 at {self._where()} failed to {what}: {type(exc).__name__}: "
                               f"{str(exc)[:200]}") from exc

    def ref(self, key: str) -> str:
        return clean_key(key)

    def put(self, key: str, data: bytes | IO[bytes], content_type: str) -> str:
        name = self._name(key)
        with self._errors("store an object", key):
            if isinstance(data, bytes):
                self._client().put_object(Bucket=self.bucket, Key=name, Body=data, ContentType=content_type)
            else:  # a stream goes up in parts (multipart above 8 MB), never whole in memory
                self._client().upload_fileobj(data, self.bucket, name,
                                              ExtraArgs={"ContentType": content_type})
        return key

    def get(self, ref: str, max_bytes: int = MAX_READ_BYTES) -> bytes:
        with self._errors("read an object", ref):
            obj = self._client().get_object(Bucket=self.bucket, Key=self._name(ref))
            size = int(obj.get("ContentLength") or 0)
            if size > max_bytes:
                obj["Body"].close()
                raise StorageError(f"{ref} in the bucket {self.bucket} has {size:,} bytes, "
                                   f"over {max_bytes:,}")
            data: bytes = obj["Body"].read()
        return data

    def open(self, ref: str) -> IO[bytes]:
        with self._errors("read an object", ref):
            body: IO[bytes] = self._client().get_object(Bucket=self.bucket, Key=self._name(ref))["Body"]
        return body

    def exists(self, ref: str) -> bool:
        try:
            with self._errors("look up an object", ref):
                self._client().head_object(Bucket=self.bucket, Key=self._name(ref))
        except StorageMissing:
            return False
        return True

    def delete(self, ref: str) -> None:
        with self._errors("delete an object", ref):
            self._client().delete_object(Bucket=self.bucket, Key=self._name(ref))

    def check(self) -> str:
        with self._errors("reach the bucket"):
            self._client(quick=True).head_bucket(Bucket=self.bucket)
        return f"bucket {self.describe()} answers"

    def describe(self) -> str:
        where = f" at {self.endpoint_url}" if self.endpoint_url else ""
        return f"s3://{self.bucket}/{self.prefix}".rstrip("/") + where
