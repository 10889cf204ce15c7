"""A fake S3 (moto's server) on a free port of 127.0.0.1 for the real boto3 client: photo
storage and backups are tested against it (no internet, no AWS)."""

from __future__ import annotations

import contextlib
import socket
from typing import Iterator

import boto3
from moto.server import ThreadedMotoServer


@contextlib.contextmanager
def fake_s3(bucket: str) -> Iterator[tuple[object, str]]:
    """Yields (a boto3 client, the endpoint URL) with `bucket` created; access key and
    secret are both "test"."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    endpoint = f"http://127.0.0.1:{port}"
    try:
        client = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                              aws_access_key_id="test", aws_secret_access_key="test")
        client.create_bucket(Bucket=bucket)
        yield client, endpoint
    finally:
        server.stop()
