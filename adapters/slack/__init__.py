"""Slack: slack-bolt behind `POST /slack/events` or Socket Mode, Block Kit cards and modals.

Importing this package does not import slack_bolt: `settings` is light, `adapter` is loaded only
when Slack is configured (see docs/slack.md for the wiring in bot/app.py).
"""
