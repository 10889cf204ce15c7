"""Where backups are kept: a local directory (BACKUP_DIR) or an S3 bucket (BACKUP_S3_BUCKET,
any S3-compatible store), behind one small interface.

A store holds pairs: `<name>.dump` (pg_dump's custom format) and `<name>.dump.json` (its
manifest). The manifest is stored first and the dump last, and only dumps are listed: a
dump that is listed is complete and has its manifest. Locally the dump is written under a
hidden temporary name in the same directory and renamed (atomic on one file system); an S3
object appears only once its upload has completed (a multipart upload too), so no
temporary key is needed there.
"""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import boto3
from botocore.exceptions import ClientError

from coworking_app.services.ops.retention import DUMP_SUFFIX, MANIFEST_SUFFIX, parse_dump_name

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class BackupConfig:
    """What backups need to know, from the settings (tests pass their own)."""

    database_url: str
    backup_dir: Path
    media_root: Path
    s3_bucket: str = ""
    s3_endpoint_url: str = ""
    s3_prefix: str = "cospace/"
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    pg_bin_dir: str = ""
    timeout_seconds: int = 3 * 3600

    @classmethod
    def from_settings(cls, settings) -> "BackupConfig":
        return cls(
            database_url=settings.database_url, backup_dir=Path(settings.backup_dir),
            media_root=Path(settings.media_root), s3_bucket=settings.backup_s3_bucket,
            s3_endpoint_url=settings.backup_s3_endpoint_url, s3_prefix=settings.backup_s3_prefix,
            s3_region=settings.backup_s3_region, s3_access_key_id=settings.backup_s3_access_key_id,
            s3_secret_access_key=settings.backup_s3_secret_access_key,
            pg_bin_dir=settings.backup_pg_bin_dir, timeout_seconds=settings.backup_timeout_seconds)

    @property
    def uses_s3(self) -> bool:
        return bool(self.s3_bucket)

    @property
    def prefix(self) -> str:
        """The bucket's prefix, "" or ending in one slash."""
        prefix = self.s3_prefix.strip("/")
        return f"{prefix}/" if prefix else ""


class BackupStore(Protocol):
    def put(self, local: Path, name: str) -> str:
        """Stores the file as `name` (moving it when local); the path or key stored at."""
        ...

    def names(self) -> list[str]:
        """File names of the complete dumps, oldest first."""
        ...

    def delete(self, name: str) -> None:
        """Deletes a dump and its manifest."""
        ...

    def fetch(self, ref: str, into: Path) -> Path | None:
        """A dump named by its path/key (or bare name) as a local file (downloaded into
        `into` when remote), its manifest beside it when there is one; None when missing."""
        ...


class LocalBackupStore:
    def __init__(self, directory: Path) -> None:
        self.directory = Path(directory)

    def temp_path(self, name: str) -> Path:
        """Where to write a file before it is stored: hidden, in the same directory."""
        self.directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=f".tmp-{name}.")
        os.close(fd)
        return Path(tmp)

    def put(self, local: Path, name: str) -> str:
        target = self.directory / name
        if Path(local).parent.resolve() == self.directory.resolve():
            os.replace(local, target)
        else:
            tmp = self.temp_path(name)
            shutil.copyfile(local, tmp)
            os.replace(tmp, target)
        return str(target)

    def names(self) -> list[str]:
        if not self.directory.is_dir():
            return []
        found = [p.name for p in self.directory.iterdir()
                 if p.is_file() and parse_dump_name(p.name)]
        return sorted(found, key=lambda n: (parse_dump_name(n).taken_at, n))

    def delete(self, name: str) -> None:
        (self.directory / name).unlink(missing_ok=True)
        (self.directory / (name + MANIFEST_SUFFIX)).unlink(missing_ok=True)

    def fetch(self, ref: str, into: Path) -> Path | None:
        for candidate in (Path(ref), self.directory / ref):
            if candidate.is_file():
                return candidate
        return None


class S3BackupStore:
    def __init__(self, config: BackupConfig) -> None:
        self.bucket = config.s3_bucket
        self.prefix = f"{config.prefix}db/"
        self.client = s3_client(config)

    def key(self, name: str) -> str:
        return self.prefix + name

    def put(self, local: Path, name: str) -> str:
        key = self.key(name)
        content_type = "application/json" if name.endswith(MANIFEST_SUFFIX) else "application/octet-stream"
        self.client.upload_file(str(local), self.bucket, key, ExtraArgs={"ContentType": content_type})
        return key

    def names(self) -> list[str]:
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                name = item["Key"][len(self.prefix):]
                if "/" not in name and parse_dump_name(name):
                    found.append(name)
        return sorted(found, key=lambda n: (parse_dump_name(n).taken_at, n))

    def delete(self, name: str) -> None:
        self.client.delete_objects(Bucket=self.bucket, Delete={"Objects": [
            {"Key": self.key(name)}, {"Key": self.key(name + MANIFEST_SUFFIX)}], "Quiet": True})

    def fetch(self, ref: str, into: Path) -> Path | None:
        key = ref if ref.startswith(self.prefix) else self.key(ref.rsplit("/", 1)[-1])
        name = key.rsplit("/", 1)[-1] or "backup"
        local = Path(into) / name
        try:
            self.client.download_file(self.bucket, key, str(local))
        except ClientError as exc:
            if _missing(exc):
                return None
            raise
        if key.endswith(DUMP_SUFFIX):
            try:
                self.client.download_file(self.bucket, key + MANIFEST_SUFFIX, str(local) + MANIFEST_SUFFIX)
            except ClientError as exc:
                if not _missing(exc):
                    raise
        return local


def _missing(exc: ClientError) -> bool:
    return str(exc.response.get("Error", {}).get("Code")) in ("404", "NoSuchKey", "NotFound")


def s3_client(config: BackupConfig):
    """boto3's S3 client for the backup bucket: the BACKUP_S3_* keys when given, else
    boto3's own lookup (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, a profile, an instance role)."""
    return boto3.client(
        "s3", endpoint_url=config.s3_endpoint_url or None, region_name=config.s3_region or None,
        aws_access_key_id=config.s3_access_key_id or None,
        aws_secret_access_key=config.s3_secret_access_key or None)


def backup_store(config: BackupConfig) -> BackupStore:
    return S3BackupStore(config) if config.uses_s3 else LocalBackupStore(config.backup_dir)
