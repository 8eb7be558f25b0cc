"""DingTalk settings (`DINGTALK_*`, `.env`): the app's credentials, robot, card template and
transport. Importing this never imports the `dingtalk_stream` SDK."""
from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class DingTalkSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DINGTALK_", env_file=".env", extra="ignore")

    client_id: str = ""  # the app's AppKey / Client ID (开发者后台 → 凭证与基础信息)
    client_secret: str = ""  # AppSecret / Client Secret: tokens, Stream, HTTP signatures
    robot_code: str = ""  # the robot's code (usually equal to the Client ID)
    card_template_id: str = ""  # the imported generic card template (docs/dingtalk.md)
    mode: Literal["stream", "http"] = "stream"  # Stream (no public URL) or HTTP outgoing
    api_url: str = "https://api.dingtalk.com"  # tests point it at a local fake
    oapi_url: str = "https://oapi.dingtalk.com"  # the address book (org sync dingtalk) only
    locale: str = "zh-CN"  # R27: DingTalk's default language
    request_timeout_seconds: float = 10.0  # every OpenAPI call (token, send, update, DING)
    ack_timeout_seconds: float = 5.0  # a Stream frame waits this long for the core's answer
    monthly_quota: int = 10000  # standard edition: OpenAPI calls per org per month (0: no quota)
    # warn the workspace admins (a DM each, once per level and month) at these percents of it
    quota_warn_at: tuple[int, ...] = (80, 95)
    # this process's calls are added to the month's shared count at most this often (seconds)
    quota_flush_seconds: float = 5.0

    @property
    def configured(self) -> bool:
        return bool(self.client_id and self.client_secret and self.robot_code)

    @property
    def base_url(self) -> str:
        return self.api_url.rstrip("/")
