"""The one settings object. Everything reads configuration from `get_settings()`."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from cryptography.fernet import Fernet
from pydantic import Field, PrivateAttr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from app.core import keys

ROOT = Path(__file__).resolve().parents[2]
# The SECRET_KEY default of versions before the key file: public, so refused as a key (app.core.rekey
# still opens values it encrypted, once, to re-encrypt them).
LEGACY_DEFAULT_SECRET_KEY = "dev-secret-not-for-production-use-only"  # noqa: S105 - refused, not used
PLACEHOLDER_SECRETS = {"changethis", "change-me", "changeme", "secret", LEGACY_DEFAULT_SECRET_KEY}
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
GENERATE_SECRET = "python -c 'import secrets; print(secrets.token_urlsafe(48))'"  # noqa: S105 - a command


def with_redis_db(url: str, db: int) -> str:
    """The same Redis server at another db number (Celery, Reflex state and caches stay apart)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{db}", parts.query, parts.fragment))


def redis_db_of(url: str) -> int:
    path = urlsplit(url).path.strip("/")
    return int(path) if path.isdigit() else 0


def parse_media_storage_url(url: str | None) -> tuple[str, str] | None:
    """(bucket, prefix) of `s3://bucket/prefix`; None for unset (the local directory)."""
    if not url or not url.strip():
        return None
    parts = urlsplit(url.strip())
    bucket, prefix = parts.netloc, parts.path.strip("/")
    if parts.scheme != "s3" or not BUCKET_NAME.fullmatch(bucket) or parts.query or parts.fragment:
        raise ValueError(f"MEDIA_STORAGE_URL {url!r} is not an S3 location: write s3://<bucket>/<prefix> (a "
                         "bucket name of 3-63 lower-case letters, digits, dots and hyphens), or unset it to "
                         "keep media in DATA_DIR/media")
    return bucket, prefix


def sqlalchemy_url(url: str) -> str:
    """Accept the usual `postgresql://` / `postgres://` spellings; SQLAlchemy needs the driver named."""
    for prefix in ("postgresql+psycopg://", "postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=ROOT / ".env", env_file_encoding="utf-8", extra="ignore")

    environment: Literal["development", "test", "production"] = "development"
    # Unset means "start the embedded server under data_dir" (the `make run` default).
    database_url: str | None = None
    # The app's own login (web, worker, beat) where roles are made by hand (Supabase, RDS): a role granted
    # quillcast_app. Unset: `quillcast migrate` makes one and derives its password from SECRET_KEY.
    database_app_url: str | None = None
    redis_url: str | None = None
    # Signs access tokens, cookies and links. Unset (outside production): generated once and kept in
    # <DATA_DIR>/secrets.env together with ENCRYPTION_KEYS; see app/core/keys.py.
    secret_key: str = ""
    # Fernet keys, comma-separated, newest first. Unset: from the key file when SECRET_KEY is unset too,
    # else derived from SECRET_KEY.
    encryption_keys: str | None = None
    data_dir: Path = ROOT / "data"
    # Loopback unless told otherwise: 0.0.0.0 exposes the UI and API to the network (containers need it).
    web_host: str = Field(default="127.0.0.1", min_length=1)
    web_port: int = Field(default=3000, ge=1, le=65535)
    public_url: str | None = None
    embedded_redis_port: int = Field(default=6390, ge=1, le=65535)
    log_level: str = "INFO"
    log_json: bool = True
    # Celery worker sizing; the publish queue is the latency-critical one.
    worker_concurrency: int = Field(default=4, ge=1, le=256)
    dispatcher_interval_seconds: float = Field(default=1.0, gt=0, le=60)
    dispatcher_batch_size: int = Field(default=500, ge=1, le=10_000)
    # AI assist through any OpenAI-compatible chat-completions endpoint (OpenAI, Ollama, vLLM, ...).
    ai_base_url: str | None = None  # e.g. https://api.openai.com/v1 or http://127.0.0.1:11434/v1
    ai_model: str | None = None
    ai_api_key: str | None = None
    ai_timeout_seconds: float = Field(default=30, gt=0, le=300)
    # LinkedIn Posts API version (YYYYMM). LinkedIn supports each for a year; channels warn 60 days before.
    linkedin_api_version: str = Field(default="202609", pattern=r"^\d{6}$")
    # Publishing engine. "module:function" that returns a connector for (channel, credentials).
    connector_resolver: str = "app.connectors.registry:connector_for"
    # A lease outlives the publish task's time limit, so a slow but live worker is never reconciled.
    publish_lease_seconds: float = Field(default=90.0, gt=0, le=3600)
    publish_max_attempts: int = Field(default=5, ge=1, le=50)
    publish_backoff_base_seconds: float = Field(default=30.0, ge=0, le=3600)
    publish_backoff_cap_seconds: float = Field(default=3600.0, ge=0, le=86_400)
    # Outgoing event webhooks: each POST waits this long; 5xx, 429 and timeouts retry with backoff.
    webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=60)
    webhook_max_attempts: int = Field(default=8, ge=1, le=50)
    webhook_backoff_base_seconds: float = Field(default=30.0, ge=0, le=3600)
    webhook_backoff_cap_seconds: float = Field(default=3600.0, ge=0, le=86_400)
    reconcile_interval_seconds: float = Field(default=15.0, gt=0, le=3600)
    # A `queued` target older than this was probably lost by the broker (worker killed): re-enqueue it.
    queued_stuck_seconds: float = Field(default=120.0, gt=0, le=86_400)
    # Circuit breaker per network: this many transient failures within the window open it for a while.
    breaker_failure_threshold: int = Field(default=5, ge=1, le=1000)
    breaker_window_seconds: float = Field(default=60.0, gt=0, le=3600)
    breaker_open_seconds: float = Field(default=60.0, gt=0, le=3600)
    # Backups (`quillcast backup`, and daily at 03:17 UTC by beat unless BACKUP_DAILY=false).
    backup_dir: Path | None = None  # default: <DATA_DIR>/backups
    backup_keep: int = Field(default=7, ge=1, le=3650)
    backup_daily: bool = True
    # Uploaded media (app/core/storage.py). Unset: <DATA_DIR>/media on this machine, which web and worker
    # must then share. `s3://bucket/prefix`: an S3 bucket that every process reaches; credentials and region
    # come from the standard AWS variables or the task's IAM role, never from here.
    media_storage_url: str | None = None
    # An S3-compatible server instead of AWS S3 (MinIO, Ceph, R2), e.g. http://minio:9000.
    media_s3_endpoint_url: str | None = None

    # --- accounts (identity) ---
    # Outgoing mail. No SMTP_HOST: mail stays in the outbox with status "held" (admins read it there).
    smtp_host: str | None = None
    smtp_port: int = Field(default=587, ge=1, le=65535)
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = True
    smtp_timeout_seconds: float = Field(default=20, gt=0, le=120)
    mail_from: str = "Quillcast <no-reply@quillcast.localhost>"
    # Server-side sessions: idle and absolute lifetimes.
    session_idle_minutes: int = Field(default=30, ge=1, le=60 * 24 * 30)
    session_absolute_hours: int = Field(default=12, ge=1, le=24 * 90)
    # Abuse limits (the `limits` library's notation; moving windows in Redis). Defaults are at least as
    # strict as Supabase Auth's (30 sign-ins / sign-ups / verifications per 5 minutes per IP).
    rate_signin_ip: str = "30/5 minutes"
    # Failed sign-ins (services/identity/signin_throttle.py): per account and address, and per account from
    # addresses it never signed in from. Keep the latter's window at a minute or less: it is the longest
    # an attacker's failures elsewhere can hold up the owner at a new address.
    rate_signin_pair: str = "10/15 minutes"
    rate_signin_account: str = "5/minute"
    rate_signup_ip: str = "30/5 minutes"
    rate_reset_ip: str = "30/5 minutes"
    rate_reset_account: str = "3/hour"
    rate_verify_ip: str = "30/5 minutes"
    rate_totp_ip: str = "30/5 minutes"
    rate_totp_account: str = "10/5 minutes"
    # Channel endpoints (a Bluesky PDS, Matrix homeserver, Mastodon instance, webhook URL) on private or
    # loopback addresses: refused in production unless set, so channels cannot probe the internal network.
    allow_private_endpoints: bool | None = None
    # X (Twitter) OAuth 2.0 app: connecting X channels needs one (developer.x.com). Secret only for
    # confidential clients; a public client uses PKCE alone.
    x_client_id: str | None = None
    x_client_secret: str | None = None

    # --- API security (app/api/security.py) ---
    # Browser origins allowed to call the API with credentials, comma-separated ("" = same origin only).
    cors_origins: str = ""
    # Requests per minute per API caller (key, token or IP) on /api; 0 turns the limit off.
    api_rate_limit_per_minute: int = Field(default=300, ge=0, le=1_000_000)
    # Prometheus scrapes /api/metrics with `Authorization: Bearer <METRICS_TOKEN>`. Unset: open outside
    # production, and off (404) in production.
    metrics_token: str | None = None

    # --- Supabase Auth (optional): with these set, Supabase-issued access tokens are accepted ---
    supabase_url: str | None = None
    supabase_anon_key: str | None = None
    # The project's JWT secret (HS256, legacy); unset: keys come from <url>/auth/v1/.well-known/jwks.json.
    supabase_jwt_secret: str | None = None

    # --- Social login through OpenID Connect (Authlib). Presets: google, github ---
    # Client credentials per provider; a provider is offered when its client id is set.
    oidc_google_client_id: str | None = None
    oidc_google_client_secret: str | None = None
    oidc_github_client_id: str | None = None
    oidc_github_client_secret: str | None = None
    # Any other OpenID Connect provider: a name, its issuer (discovery at
    # <issuer>/.well-known/openid-configuration) and client credentials.
    oidc_custom_name: str | None = None
    oidc_custom_issuer: str | None = None
    oidc_custom_client_id: str | None = None
    oidc_custom_client_secret: str | None = None

    _key_file: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _check_media_storage(self) -> Settings:
        parse_media_storage_url(self.media_storage_url)  # a malformed location stops every process at start
        if self.media_s3_endpoint_url and not self.media_s3_endpoint_url.startswith(("http://", "https://")):
            raise ValueError(f"MEDIA_S3_ENDPOINT_URL {self.media_s3_endpoint_url!r} is not a URL: write "
                             "http(s)://host:port, or unset it for AWS S3")
        return self

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.environment != "production":
            return self
        if self.secret_key.strip() in PLACEHOLDER_SECRETS or len(self.secret_key.strip()) < 32:
            raise ValueError(
                "SECRET_KEY is missing or a placeholder: set SECRET_KEY to at least 32 random "
                f"characters, e.g. the output of `{GENERATE_SECRET}`"
            )
        if not self.database_url:
            raise ValueError("DATABASE_URL is not set: production needs an external PostgreSQL")
        if not self.redis_url:
            raise ValueError("REDIS_URL is not set: production needs an external Redis")
        return self

    @model_validator(mode="after")
    def _resolve_keys(self) -> Settings:
        """No key that works is written in the source: a placeholder is refused everywhere, and an unset
        SECRET_KEY (outside production) means the generated keys in <DATA_DIR>/secrets.env."""
        self.secret_key = self.secret_key.strip()
        if self.secret_key in PLACEHOLDER_SECRETS:
            raise ValueError(
                "SECRET_KEY is a published placeholder, so anyone could sign tokens with it: delete the "
                f"SECRET_KEY line (Quillcast then keeps generated keys in {keys.key_file(self.data_dir)}) "
                f"or set at least 32 random characters, e.g. the output of `{GENERATE_SECRET}`"
            )
        if not self.secret_key:
            try:
                stored = keys.load_or_create(self.data_dir)
            except keys.KeyFileError as exc:
                raise ValueError(str(exc)) from exc
            self.secret_key = stored["SECRET_KEY"]
            self.encryption_keys = self.encryption_keys or stored["ENCRYPTION_KEYS"]
            self._key_file = keys.key_file(self.data_dir)
        for key in self.encryption_key_list:
            try:
                Fernet(key)
            except ValueError:
                raise ValueError(
                    "ENCRYPTION_KEYS holds a value that is not a Fernet key (32 url-safe base64 bytes): "
                    "make one with `python -c 'from cryptography.fernet import Fernet; "
                    "print(Fernet.generate_key().decode())'`"
                ) from None
        return self

    @property
    def encryption_key_list(self) -> list[str]:
        """Fernet keys, newest first: ENCRYPTION_KEYS, else the one derived from SECRET_KEY."""
        listed = [k.strip() for k in (self.encryption_keys or "").split(",") if k.strip()]
        return listed or [keys.derived_fernet_key(self.secret_key)]

    @property
    def key_file_used(self) -> Path | None:
        """The generated key file these settings took SECRET_KEY from, if any."""
        return self._key_file

    # --- derived values: one place decides how the Redis server is shared ---
    @property
    def sqlalchemy_database_url(self) -> str:
        if not self.database_url:
            raise RuntimeError("DATABASE_URL is not set (the runner sets it for embedded PostgreSQL)")
        return sqlalchemy_url(self.database_url)

    def _redis(self) -> str:
        if not self.redis_url:
            raise RuntimeError("REDIS_URL is not set (the runner sets it for embedded Redis)")
        return self.redis_url

    @property
    def broker_url(self) -> str:
        return self._redis()

    @property
    def state_redis_url(self) -> str:
        """Reflex UI state: the next db number after the broker's."""
        url = self._redis()
        return with_redis_db(url, redis_db_of(url) + 1)

    @property
    def cache_redis_url(self) -> str:
        """Caches, sessions, rate limits and circuit breakers."""
        url = self._redis()
        return with_redis_db(url, redis_db_of(url) + 2)

    @property
    def backups_path(self) -> Path:
        return self.backup_dir or self.data_dir / "backups"

    @property
    def private_endpoints_allowed(self) -> bool:
        if self.allow_private_endpoints is None:
            return self.environment != "production"
        return self.allow_private_endpoints

    @property
    def url(self) -> str:
        return self.public_url or f"http://127.0.0.1:{self.web_port}"

    @property
    def cors_origin_list(self) -> list[str]:
        return [o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip()]


@lru_cache
def get_settings() -> Settings:
    return Settings()
