"""The one settings object. Every name is part of the public contract (prefix ``TIPLINE_``)."""

from __future__ import annotations

import os
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# Values people paste from tutorials; in production they mean "not configured".
_PLACEHOLDERS = frozenset({"", "changeme", "change-me", "placeholder", "secret", "xxx", "todo"})


class Settings(BaseSettings):
    # Secrets may also come from files named like the variable (e.g. /run/secrets/
    # tipline_twilio_auth_token) in TIPLINE_SECRETS_DIR, so they stay out of images and env dumps.
    model_config = SettingsConfigDict(
        env_prefix="TIPLINE_", extra="ignore", secrets_dir=os.environ.get("TIPLINE_SECRETS_DIR")
    )

    env: Literal["development", "test", "production"] = "development"
    data_dir: Path = Path("./tipline-data")
    database_url: str | None = None
    redis_url: str | None = None
    keyring: Path | None = None
    public_base_url: str = "http://127.0.0.1:8000"

    twilio_account_sid: str | None = None
    twilio_auth_token: SecretStr | None = None
    twilio_from: str | None = None
    twilio_api_base_url: str | None = None

    rules_path: Path | None = None
    gazetteer_path: Path | None = None

    conversation_window_days: int = 30
    # Per sending number: generous enough for a reporter splitting a long account into texts.
    sms_rate_limit: int = 30
    sms_rate_window_seconds: float = 600
    # Acknowledgement deadlines by priority, in minutes (P4 has none).
    ack_minutes_p1: int = 15
    ack_minutes_p2: int = 120
    ack_minutes_p3: int = 24 * 60
    # A tip the rules route that repeats, within this many minutes, a tip whose case is open
    # (same named place and substances, nearly the same words) joins that case instead of
    # opening a second one; 0 turns joining off (the tips are still linked for the officers).
    duplicate_join_minutes: int = Field(default=30, ge=0, le=24 * 60)
    max_webhook_bytes: int = 64 * 1024
    # Intake stores webhooks arriving together in one transaction (group commit). On a busy line
    # (a batch stored within the last quarter second) it waits up to this long for a few more
    # before storing, so that a campaign's steady 50-100 texts a second are decided in batches
    # rather than one job per text; a quiet line never waits. 0 turns the wait off.
    intake_linger_ms: float = Field(default=50.0, ge=0, le=1000)
    outbox_relay_seconds: float = 5.0
    # Staff console sessions: idle and absolute lifetimes, sign-in delays and lock-out.
    console_session_idle_minutes: int = 30
    console_session_absolute_hours: int = 12
    console_sign_in_delay_after: int = 3
    console_lockout_after: int = 10
    console_lockout_minutes: int = 30
    # The duty officers' queue fetches its list again this often while open (0: never). A
    # refresh from a visible tab counts as activity for the idle limit, a hidden tab's does not.
    console_queue_refresh_seconds: float = 20.0
    # Channels. A tip is triaged at once; an SMS or WhatsApp text that follows the previous one
    # within this many seconds is a further part of the same message (split texts are common):
    # the whole is triaged again and its decision replaces the first, unless an officer acted.
    sms_bundle_seconds: float = 20.0
    # Photos and voice notes: larger downloads are refused with a reply to the reporter.
    media_max_bytes: int = 5 * 1024 * 1024
    # The citizen web form accepts one photo: its whole request may be this large.
    web_upload_max_bytes: int = 6 * 1024 * 1024
    web_form_token_minutes: int = 120
    # Follow-up with reference + receipt code: failures allowed per window, then refused.
    followup_window_minutes: int = 15
    followup_max_failures_per_reference: int = 5
    followup_max_failures_per_client: int = 20
    followup_failure_delay_seconds: float = 1.0
    # Past the per-reference limit: one attempt per delay (doubling up to the maximum), never a
    # lock, so whoever knows a reference cannot keep its owner out for long.
    followup_reference_delay_seconds: float = 30.0
    followup_reference_max_delay_seconds: float = 300.0
    followup_access_minutes: int = 30
    # Green number: French by text-to-speech; Bambara prompts are recorded audio files.
    hotline_voice: str = "Polly.Lea"
    hotline_record_max_seconds: int = 180
    # Largest voicemail kept: its own limit, not the photos' (a long message is larger than a
    # photo, and one that is too large stays at Twilio for an operator to retry, never lost).
    hotline_recording_max_bytes: int = 16 * 1024 * 1024
    hotline_bm_menu_audio_url: str | None = None
    hotline_bm_record_audio_url: str | None = None
    hotline_bm_reference_audio_url: str | None = None
    hotline_bm_repeat_audio_url: str | None = None
    # « L'Office peut vous écrire par SMS ; pour refuser, répondez STOP », recorded in Bambara.
    # Without it a Bambara caller is not told, and no officer's question goes to them by SMS.
    hotline_bm_texts_audio_url: str | None = None
    hotline_bm_goodbye_audio_url: str | None = None
    # WhatsApp replies come from this sender (default: "whatsapp:" + TIPLINE_TWILIO_FROM).
    twilio_whatsapp_from: str | None = None
    # First delay before a temporary Twilio failure is retried; it doubles on each try.
    twilio_retry_seconds: float = 30.0
    # Twilio's log is purged of the account's messages and calls older than this (every five
    # minutes), whatever intake's own deletes missed.
    twilio_purge_after_minutes: float = 10.0
    # Reliability. How often the API process replays its intake spool (what it kept
    # on disk while the database was down).
    spool_replay_seconds: float = 5.0
    # PostgreSQL, per process. Every wait is bounded, so that a server that stops answering
    # without closing its connections (a partition) is an outage within seconds and intake
    # spools, instead of webhooks hanging: opening a connection, each statement (client side),
    # and waiting for a free connection from the pool. A statement that may rightly take longer
    # (migrations) runs without the statement bound.
    database_connect_timeout_seconds: float = 1.5
    database_statement_timeout_seconds: float = 2.0
    database_pool_timeout_seconds: float = 2.0
    # Connections one process may hold: ``pool_size`` kept open, ``max_overflow`` more in a burst.
    # The defaults (10 + 10) let two API processes, two workers and the CLI share PostgreSQL's
    # default max_connections of 100; see the README's production section to size them.
    database_pool_size: int = 10
    database_max_overflow: int = 10
    # Retention, counted from the day a tip is closed (its case closed, or a duty officer closed
    # it): the reporter's number once all their tips are closed, then each tip's content.
    retention_identity_days: int = 90
    retention_content_days: int = 365
    log_format: Literal["json", "console"] = "json"
    log_level: str = "INFO"
    # The worker's own Prometheus endpoint (its jobs' metrics live in its process); 0 turns it
    # off. The API serves its metrics at /metrics.
    # On SIGTERM a worker lets its running jobs finish this long, then hands the rest back to
    # the queue: within a container runtime's grace period before SIGKILL (Docker: 10 s).
    worker_stop_seconds: float = 5.0
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: int = 9108
    # In production the API serves its metrics here, never on its public port; 0 turns it off.
    api_metrics_host: str = "127.0.0.1"
    api_metrics_port: int = 9107

    @property
    def in_production(self) -> bool:
        return self.env == "production"

    @model_validator(mode="after")
    def _refuse_placeholders_in_production(self) -> Settings:
        if self.env != "production":
            return self
        token = self.twilio_auth_token.get_secret_value() if self.twilio_auth_token else None
        if token is not None and token.strip().lower() in _PLACEHOLDERS:
            raise ValueError("TIPLINE_TWILIO_AUTH_TOKEN is a placeholder; set the real token")
        if self.twilio_account_sid is not None and not self.twilio_account_sid.startswith("AC"):
            raise ValueError("TIPLINE_TWILIO_ACCOUNT_SID must be an account SID (AC…)")
        if not self.public_base_url.startswith("https://"):
            raise ValueError("TIPLINE_PUBLIC_BASE_URL must be https:// in production")
        return self

    @cached_property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'tipline.db').resolve()}"

    @cached_property
    def resolved_keyring_path(self) -> Path:
        return self.keyring if self.keyring is not None else self.data_dir / "keyring.json"

    def ack_deadline_minutes(self, priority: str) -> int | None:
        return {
            "P1": self.ack_minutes_p1,
            "P2": self.ack_minutes_p2,
            "P3": self.ack_minutes_p3,
        }.get(priority)

    @property
    def twilio_configured(self) -> bool:
        return bool(self.twilio_account_sid and self.twilio_auth_token)

    @property
    def is_embedded(self) -> bool:
        """Embedded mode: SQLite file and in-process queue, nothing else to start."""
        return self.redis_url is None
