"""The shipped manifest grants what the adapter uses, and wires what it listens to."""
from __future__ import annotations

from pathlib import Path

import yaml

from adapters.slack.settings import SlackSettings

MANIFEST = Path(__file__).parents[3] / "adapters" / "slack" / "manifest.yml"
# every Web API method the adapter calls → the bot scope Slack requires for it
SCOPE_OF = {"chat.postMessage": "chat:write", "chat.update": "chat:write",
            "chat.postEphemeral": "chat:write", "conversations.open": "im:write",
            "users.info": "users:read", "users.lookupByEmail": "users:read.email",
            "views.open": "commands"}


def test_manifest_grants_every_scope_the_adapter_needs_and_the_command_it_answers():
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    scopes = set(manifest["oauth_config"]["scopes"]["bot"])
    assert set(SCOPE_OF.values()) | {"app_mentions:read"} <= scopes
    [command] = manifest["features"]["slash_commands"]
    assert command["command"] == SlackSettings(bot_token="x").command
    assert command["should_escape"] is True  # people arrive as <@U…>, not display names
    assert manifest["settings"]["event_subscriptions"]["bot_events"] == ["app_mention"]
    assert manifest["settings"]["interactivity"]["is_enabled"] is True
    assert manifest["settings"]["socket_mode_enabled"] is True
