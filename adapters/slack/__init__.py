"""Slack: slack-bolt behind `POST /slack/events` or Socket Mode, Block Kit cards and modals.

Importing this package does not import slack_bolt: `settings` is light, `adapter` is loaded only
when Slack is configured (the registry calls `build`).
"""
from __future__ import annotations

from typing import Any


def load_settings() -> Any:
    from adapters.slack.settings import SlackSettings

    return SlackSettings()


def build(settings: Any, context: Any) -> Any:
    from adapters.slack.adapter import SlackAdapter

    return SlackAdapter(settings=settings, core=context.core)
