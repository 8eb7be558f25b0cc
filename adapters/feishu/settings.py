"""Feishu/Lark settings (`FEISHU_*` variables, `.env`): credentials, domain and transport.

`configured` is what the composition root checks before building the adapter, so a deployment
without Feishu never imports anything Feishu-specific (lark-oapi costs seconds to import).
"""
from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict

FEISHU_DOMAIN = "https://open.feishu.cn"
LARK_DOMAIN = "https://open.larksuite.com"


class FeishuSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="FEISHU_", env_file=".env", extra="ignore")

    app_id: str = ""
    app_secret: str = ""
    # Event subscription security (developer console → 事件与回调 → 加密策略): with an Encrypt Key
    # Feishu encrypts bodies and signs every request; the Verification Token is checked always.
    encrypt_key: str = ""
    verification_token: str = ""
    domain: str = FEISHU_DOMAIN  # Lark: https://open.larksuite.com; tests: a local fake
    mode: Literal["http", "ws"] = "http"  # HTTP callback URL, or the long connection (长连接)
    vp_urgent: Literal["app", "sms", "phone"] = "app"  # R14 buzz kind for the VP escalation step
    locale: str = "zh-CN"  # language of the adapter's own toasts (R27: Feishu defaults to zh-CN)
    replay_window_seconds: int = 300  # signed requests older (or newer) than this → 401
    request_timeout_seconds: float = 10.0  # Open API calls (token, send, patch, urgent)

    @property
    def configured(self) -> bool:
        return bool(self.app_id and self.app_secret)

    @property
    def webhook_secured(self) -> bool:
        """An HTTP callback URL is only served when Feishu's requests can be authenticated."""
        return bool(self.encrypt_key or self.verification_token)

    @property
    def base_url(self) -> str:
        return self.domain.rstrip("/")
