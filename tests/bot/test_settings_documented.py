"""Every setting is in `.env.example` with a comment (the README's promise to operators)."""
from __future__ import annotations

import re
from pathlib import Path

from adapters.dingtalk.settings import DingTalkSettings
from adapters.feishu.settings import FeishuSettings
from adapters.local.settings import LocalSettings
from adapters.slack.settings import SlackSettings
from bot.settings import Settings
from bot.time_settings import TimeSettings

EXAMPLE = (Path(__file__).resolve().parents[2] / ".env.example").read_text(encoding="utf-8")


def env_name(model: type, field: str) -> str:
    prefix = model.model_config.get("env_prefix", "") or ""
    return (prefix + field).upper()


def test_every_setting_is_in_env_example_after_a_comment():
    lines = EXAMPLE.splitlines()
    missing = []
    for model in (Settings, TimeSettings, SlackSettings, FeishuSettings, DingTalkSettings,
                  LocalSettings):
        for field in model.model_fields:
            name = env_name(model, field)
            at = next((i for i, line in enumerate(lines) if re.match(rf"#?\s*{name}=", line)), None)
            if at is None or not any(lines[j].startswith("#") for j in range(max(0, at - 6), at + 1)):
                missing.append(name)
    assert missing == []
