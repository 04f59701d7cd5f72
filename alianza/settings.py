"""One Settings object, read from ``ALIANZA_*`` environment variables.

Tests and commands build their own ``Settings(...)`` instead of patching globals.
"""

from __future__ import annotations

from pathlib import Path

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
    port: int = 8000
    # Lifetime of an API token issued to a user, in days.
    token_ttl_days: int = 30
    # Largest request body the API accepts, in bytes (imports included).
    max_body_bytes: int = 50 * 1024 * 1024
    # Default review period of a record, in years (INTERPOL and Europol use five).
    review_years: int = 5
    # Days after the review date before an unrenewed record is deleted.
    review_grace_days: int = 30
    # A signed audit checkpoint is written after this many new entries (and on demand).
    checkpoint_every: int = 100
    # Records per database batch during imports.
    import_batch: int = 2000
    # Hit/no-hit queries a single peer may make per second, and at once (burst).
    peer_query_rate: float = 50.0
    peer_query_burst: int = 100
    # Record versions per sync page (each page is applied and committed on its own).
    sync_page: int = 1000
    # Seconds to wait for a peer's answer before giving up on it.
    peer_timeout: float = 30.0
    # Console language: "es" (default) or "en".
    language: str = "es"

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
