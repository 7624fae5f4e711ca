"""Runtime settings, read from the environment (prefix ``RUNWAY_``) and an optional ``.env`` file.

Only the composition root (``runway.bootstrap``) constructs ``Settings``; nothing reads them at
import time, so importing any module never touches the environment, the disk or the network.
"""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RUNWAY_", env_file=".env", extra="ignore")

    database_url: str = Field("sqlite:///runway.db", description="SQLAlchemy URL of the mirror database")
    stale_after_hours: float = Field(24.0, gt=0, description="Pattern 1 answers older than this are stale")
