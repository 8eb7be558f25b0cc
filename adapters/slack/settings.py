"""Slack settings from the environment (`.env`). Importing this module never imports slack_bolt,
so the composition root can ask `SlackSettings().configured` before loading the adapter."""
from __future__ import annotations

from typing import Literal

from pydantic import model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class SlackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SLACK_", env_file=".env", extra="ignore")

    bot_token: str = ""  # xoxb-… (OAuth & Permissions → Bot User OAuth Token)
    signing_secret: str = ""  # Basic Information → Signing Secret (HTTP mode)
    app_token: str = ""  # xapp-… with connections:write (Socket Mode)
    api_url: str = "https://slack.com/api/"  # tests point it at a local fake Web API
    mode: Literal["http", "socket"] | None = None  # default: socket when an app token is set
    locale: str = "en"  # R27: the language of the adapter's own words (Slack default en)
    command: str = "/collab"  # the slash command of the manifest

    @model_validator(mode="after")
    def _default_mode(self) -> "SlackSettings":
        if self.mode is None:
            self.mode = "socket" if self.app_token else "http"
        return self

    @property
    def configured(self) -> bool:
        """A bot token plus what the chosen transport needs to verify/receive requests."""
        if not self.bot_token:
            return False
        if self.mode == "socket":
            return bool(self.app_token)
        return bool(self.signing_secret)
