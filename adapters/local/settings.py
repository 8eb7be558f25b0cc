"""The embedded local platform's settings (`LOCAL_PLATFORM`, `LOCAL_WORKSPACE`)."""
from __future__ import annotations

from pydantic_settings import BaseSettings, SettingsConfigDict


class LocalSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOCAL_", env_file=".env", extra="ignore")

    platform: bool = False  # serve the embedded platform's API (the demo turns it on)
    workspace: str = "demo"
    locale: str = "zh-CN"  # R27: the language before the workspace row is known

    @property
    def configured(self) -> bool:
        return self.platform
