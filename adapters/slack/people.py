"""Slack user id ↔ email, for mapping Slack users onto the org's people.

Slack has no departments, so the org file is the source (R25 authorisation reads it); a person is
found either by the org file's `identities: {slack: U…}` or, when the org only gives emails, by
the email Slack holds for the user (`users.info`, needs `users:read.email`) or the user Slack
holds for an email (`users.lookupByEmail`). Both directions are cached for the process' life:
emails rarely change and each lookup is a Web API call (Tier 3/4).
"""
from __future__ import annotations

import logging
from typing import Any

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

log = logging.getLogger(__name__)


class People:
    def __init__(self, client: AsyncWebClient) -> None:
        self._client = client
        self._email: dict[str, str] = {}  # user id → email ("" = none known)
        self._user: dict[str, str] = {}  # lower-case email → user id ("" = no such user)

    async def email_of(self, user: str) -> str:
        """The email of a Slack user ("" when Slack has none or will not say)."""
        if user not in self._email:
            email = ""
            try:
                response = await self._client.users_info(user=user)
                profile: dict[str, Any] = (response.get("user") or {}).get("profile") or {}
                email = str(profile.get("email") or "")
            except SlackApiError as exc:
                log.warning("slack: users.info %s failed: %s", user, exc.response.get("error"))
                return ""  # not cached: a missing scope or a hiccup may be fixed later
            self._email[user] = email
            if email:
                self._user[email.lower()] = user
        return self._email[user]

    async def user_by_email(self, email: str) -> str:
        """The Slack user id of an email ("" when the workspace has no such user)."""
        key = email.strip().lower()
        if key not in self._user:
            try:
                response = await self._client.users_lookupByEmail(email=email.strip())
            except SlackApiError as exc:
                if exc.response.get("error") != "users_not_found":
                    log.warning("slack: users.lookupByEmail failed: %s", exc.response.get("error"))
                    return ""
                self._user[key] = ""
            else:
                user = str((response.get("user") or {}).get("id") or "")
                self._user[key] = user
                if user:
                    self._email[user] = email.strip()
        return self._user[key]
