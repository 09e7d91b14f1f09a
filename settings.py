"""Configuration, read from the environment and an optional `.env` file.

Every setting has a development default so that `espace serve --demo` works on a fresh clone;
production (`ENVIRONMENT=prod`) refuses to start without an explicit `SECRET_KEY`.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from ipaddress import ip_network
from pathlib import Path
from typing import Annotated, Literal

from pydantic import SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

PROJECT_DIR = Path(__file__).resolve().parent
VAR_DIR = PROJECT_DIR / "var"


def _dev_secret_key(var_dir: Path) -> str:
    """Generate a secret key once and keep it under `var/` so dev tokens survive restarts."""
    path = var_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    var_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key)
    path.chmod(0o600)
    return key


class Settings(BaseSettings):
    """Espace settings. Names are the environment variables (case-insensitive)."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    environment: Literal["dev", "prod"] = "dev"
    database_url: str = f"sqlite://{VAR_DIR / 'espace.sqlite3'}"
    secret_key: str = ""
    public_url: str = "http://127.0.0.1:8000"
    mail_dir: Path = VAR_DIR / "mail"
    mail_from: str = "Espace <no-reply@espace.example>"
    smtp_host: str | None = None
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    documents_dir: Path = VAR_DIR / "documents"
    # Where document bytes live (infra/storage): unset or file:///path is a local folder
    # (DOCUMENTS_DIR when unset); s3://bucket/prefix an S3-compatible bucket, with
    # DOCUMENTS_DIR holding only the uploads being checked.
    documents_url: str | None = None
    # Downloads answer a redirect to a short-lived presigned URL of the store (S3 only),
    # after the policy check, instead of streaming the bytes through the application.
    documents_redirect: bool = False
    s3_endpoint_url: str | None = None  # unset: AWS S3 itself
    s3_region: str | None = None
    s3_addressing_style: Literal["auto", "path", "virtual"] = "auto"
    aws_access_key_id: str | None = None  # unset: botocore's usual credential chain
    aws_secret_access_key: SecretStr | None = None
    redis_url: str | None = None
    cors_origins: list[str] = []
    metrics_enabled: bool = False
    # `GET /metrics` wants `Authorization: Bearer <METRICS_TOKEN>`; without a token it only
    # answers clients on the loopback interface.
    metrics_token: str | None = None
    # Proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For, X-Forwarded-Proto and
    # X-Request-ID are believed. Empty: the peer's own address is the client address.
    trusted_proxies: Annotated[list[str], NoDecode] = []
    # argon2 hashes and verifications running at once per process (~64 MiB each), and how
    # long a request waits for one of them before answering RATE_LIMITED (retry in 1 s).
    password_hash_concurrency: int = 2
    password_slot_wait_seconds: float = 5.0
    session_lifetime_hours: int = 24 * 14
    session_idle_minutes: int = 60 * 24
    log_level: str = "INFO"
    # Booking requests waiting for validation that one account may have placed online, and
    # the seats they hold (nobody hoards a session's seats); lower while unverified.
    booking_max_pending_requests: int = 20
    booking_max_pending_seats: int = 100
    booking_max_pending_requests_unverified: int = 3
    booking_max_pending_seats_unverified: int = 10
    # Mails a customer's action sends to an address other than their own, per recipient
    # and hour (cancellation and postponement notices, invitations, e-mail change links).
    mails_to_others_per_recipient_per_hour: int = 5
    # The pieces of `performance/` (performance/README.md says what each buys); each can be
    # switched off without editing code, e.g. to tell whether it is behind a problem.
    espace_standard_execution: bool = False  # graphql-core's own executor, not EspaceExecutor
    espace_operation_caches: bool = True  # parse and validate each query text once
    espace_sqlite_readers: bool = True  # SQLite reads on their own connections
    espace_tune_process: bool = True  # GIL switch interval and gc.freeze() at start-up

    @field_validator("trusted_proxies", mode="before")
    @classmethod
    def _split_proxies(cls, value: object) -> object:
        if isinstance(value, str):
            return [item.strip() for item in value.split(",") if item.strip()]
        return value

    @field_validator("trusted_proxies")
    @classmethod
    def _valid_networks(cls, value: list[str]) -> list[str]:
        for item in value:
            ip_network(item, strict=False)  # ValueError names the bad entry
        return value

    @field_validator("password_hash_concurrency")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("PASSWORD_HASH_CONCURRENCY must be at least 1")
        return value

    @model_validator(mode="after")
    def _secret_key_required_in_prod(self) -> Settings:
        if not self.secret_key:
            if self.environment == "prod":
                raise ValueError("SECRET_KEY must be set when ENVIRONMENT=prod")
            self.secret_key = _dev_secret_key(VAR_DIR)
        return self

    @property
    def is_dev(self) -> bool:
        return self.environment == "dev"


@lru_cache
def get_settings() -> Settings:
    """The process-wide settings (tests call `get_settings.cache_clear()` after changing env)."""
    return Settings()
