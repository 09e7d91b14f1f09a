"""A real S3-compatible server for the storage tests: moto's standalone server (installed
with the dev dependencies, nothing downloaded) on a free loopback port, in a thread of the
test process, so that subprocesses (`espace` commands, live servers) reach it too."""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

BUCKET = "espace-tests"
REGION = "eu-west-3"


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def settings(self, prefix: str | None = None) -> dict[str, str]:
        """The environment of an application using this server, under a fresh prefix."""
        return {
            "DOCUMENTS_URL": f"s3://{BUCKET}/{prefix or uuid.uuid4().hex[:12]}",
            "S3_ENDPOINT_URL": self.endpoint_url,
            "S3_REGION": REGION,
            "S3_ADDRESSING_STYLE": "path",
            "AWS_ACCESS_KEY_ID": "espace-test",
            "AWS_SECRET_ACCESS_KEY": "espace-test-secret",
        }


@contextlib.contextmanager
def running() -> Iterator[S3Server]:
    """Start the server and create the test bucket; stop it on leaving."""
    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # no line per request
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        s3 = S3Server(f"http://{host}:{port}")
        boto3.client(
            "s3",
            endpoint_url=s3.endpoint_url,
            region_name=REGION,
            aws_access_key_id="espace-test",
            aws_secret_access_key="espace-test-secret",
        ).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": REGION})
        yield s3
    finally:
        server.stop()
