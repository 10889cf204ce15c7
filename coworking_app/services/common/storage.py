"""File storage behind a small interface: the local directory (MEDIA_ROOT, served by the app
at MEDIA_URL) by default, any S3-compatible store (MinIO, AWS) when S3_BUCKET is set."""

from __future__ import annotations

import os
import tempfile
from typing import Protocol

from coworking_app.services.common.media import media_path, media_url
from coworking_app.settings import get_settings


class Storage(Protocol):
    def save(self, key: str, data: bytes) -> None: ...
    def delete(self, key: str) -> None: ...
    def url(self, key: str) -> str: ...
    def exists(self, key: str) -> bool: ...


class LocalStorage:
    def save(self, key: str, data: bytes) -> None:
        path = media_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write then rename, so a reader never sees half a file.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise

    def delete(self, key: str) -> None:
        media_path(key).unlink(missing_ok=True)

    def exists(self, key: str) -> bool:
        return media_path(key).is_file()

    def url(self, key: str) -> str:
        return media_url(key)


class S3Storage:
    def __init__(self, settings) -> None:
        import boto3

        self.bucket = settings.s3_bucket
        self.client = boto3.client(
            "s3", endpoint_url=settings.s3_endpoint_url or None, region_name=settings.s3_region,
            aws_access_key_id=settings.s3_access_key or None,
            aws_secret_access_key=settings.s3_secret_key or None,
        )
        self.base_url = public_base_url(settings)

    def save(self, key: str, data: bytes) -> None:
        content_type = "image/jpeg" if key.endswith(".jpg") else "application/octet-stream"
        self.client.put_object(Bucket=self.bucket, Key=key, Body=data, ContentType=content_type,
                               CacheControl="public, max-age=31536000, immutable")

    def delete(self, key: str) -> None:
        self.client.delete_object(Bucket=self.bucket, Key=key)

    def exists(self, key: str) -> bool:
        from botocore.exceptions import ClientError

        try:
            self.client.head_object(Bucket=self.bucket, Key=key)
        except ClientError:
            return False
        return True

    def url(self, key: str) -> str:
        return f"{self.base_url}/{key}"


def public_base_url(settings) -> str:
    """Where browsers load stored files from (the page CSP allows its origin for images)."""
    if not settings.s3_bucket:
        return settings.media_url.rstrip("/")
    base = settings.s3_public_url or (
        f"{settings.s3_endpoint_url.rstrip('/')}/{settings.s3_bucket}" if settings.s3_endpoint_url
        else f"https://{settings.s3_bucket}.s3.{settings.s3_region}.amazonaws.com")
    return base.rstrip("/")


_s3: dict[tuple, S3Storage] = {}


def get_storage() -> Storage:
    settings = get_settings()
    if not settings.s3_bucket:
        return LocalStorage()
    config = (settings.s3_bucket, settings.s3_endpoint_url, settings.s3_region,
              settings.s3_access_key, settings.s3_public_url)
    if config not in _s3:  # one client per configuration (boto3 clients are thread-safe)
        _s3[config] = S3Storage(settings)
    return _s3[config]
