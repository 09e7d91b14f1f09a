"""Configuration, read from the environment and an optional `.env` file.

Every setting has a development default so that `espace serve --demo` works on a fresh clone;
production (`ENVIRONMENT=prod`) refuses to start without an explicit `SECRET_KEY`.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    redis_url: str | None = None
    cors_origins: list[str] = []
    metrics_enabled: bool = False
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
