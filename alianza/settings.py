"""One Settings object, read from ``ALIANZA_*`` environment variables.

Tests and commands build their own ``Settings(...)`` instead of patching globals.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Configuration of one node."""

    model_config = SettingsConfigDict(env_prefix="ALIANZA_", extra="ignore")

    # Directory holding the node's SQLite file, its key pair and its exports.
    data_dir: Path = Field(default=Path("./nodo-alianza"))
    # SQLAlchemy URL; empty means the embedded SQLite file ``<data_dir>/alianza.db``.
    # Production: ``postgresql+psycopg://user@host:5432/dbname``.
    database_url: str = ""
    # Address the API listens on; loopback by default so nothing is exposed by accident.
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    # Lifetime of an API token issued to a user, in days.
    token_ttl_days: int = Field(default=30, ge=1, le=365)
    # Lifetime of a console session (its cookie and the token behind it), in hours.
    console_session_hours: int = Field(default=12, ge=1, le=24 * 30)
    # Largest request body the API accepts, in bytes (imports included).
    max_body_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    # Default review period of a record, in years (INTERPOL and Europol use five).
    review_years: int = Field(default=5, ge=1, le=50)
    # Days after the review date before an unrenewed record is deleted.
    review_grace_days: int = Field(default=30, ge=0, le=3650)
    # Seconds between two rounds of the served node's audit timer (sign the head, fold
    # refusal counts); 0 turns the timer off (tests that share one connection; cron).
    audit_timer_seconds: float = Field(default=60.0, ge=0)
    # The longest the head or a pending entry waits unsigned while the node serves.
    audit_max_age_seconds: int = Field(default=300, ge=10)
    # A signed audit checkpoint is written after this many new entries (and on demand).
    checkpoint_every: int = Field(default=100, ge=1, le=100_000)
    # Records per database batch during imports.
    import_batch: int = Field(default=2000, ge=1, le=100_000)
    # Hit/no-hit queries a single peer may make per second, and at once (burst).
    peer_query_rate: float = Field(default=50.0, gt=0)
    peer_query_burst: int = Field(default=100, ge=1)
    # Record versions per sync page (each page is applied and committed on its own).
    sync_page: int = Field(default=1000, ge=1, le=5000)
    # Who may learn by hit/no-hit that a record of each kind exists, when the record does
    # not say (``none`` or ``members``; a kind left out is ``none``). Police practice in
    # INTERPOL's and Prüm's notices: wanted persons, stolen documents and vehicles,
    # suspect containers and vessels are meant to be found by every partner, even when
    # their content stays with the owning agency; organisations (intelligence on
    # networks) and seizures (open cases) are not. Always widened to cover the scope.
    # ``ALIANZA_DISCOVERABLE='{"person": "none", ...}'``.
    discoverable: dict[str, Literal["none", "members"]] = Field(
        default_factory=lambda: {  # type: ignore[arg-type]
            "person": "members",
            "document": "members",
            "vehicle": "members",
            "container": "members",
            "vessel": "members",
            "organisation": "none",
            "seizure": "none",
        },
        max_length=20,
    )
    # Seconds to wait for a peer's answer before giving up on it.
    peer_timeout: float = Field(default=30.0, gt=0, le=600)

    @property
    def sqlalchemy_url(self) -> str:
        """The database URL this node uses."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'alianza.db').resolve()}"

    @property
    def key_path(self) -> Path:
        """Where the node's private Ed25519 key lives."""
        return self.data_dir / "keys" / "node_ed25519.pem"
