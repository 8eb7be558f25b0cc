"""Slack user id ↔ email, for mapping Slack users onto the org's people.

Slack has no departments, so the org file is the source (R25 authorisation reads it); a person is
found either by the org file's `identities: {slack: U…}` or, when the org only gives emails, by
the email Slack holds for the user (`users.info`, needs `users:read.email`) or the user Slack
holds for an email (`users.lookupByEmail`). Both directions are cached for the process' life:
emails rarely change and each lookup is a Web API call (Tier 3/4).
"""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from workflows.events import Tenant

log = logging.getLogger(__name__)
FAILURES = (SlackApiError, aiohttp.ClientError, asyncio.TimeoutError)


def slack_error(exc: Exception) -> str:
    """Slack's `error` code of a failed call, whatever the response body was."""
    data = getattr(getattr(exc, "response", None), "data", None)
    if isinstance(data, dict) and data.get("error"):
        return str(data["error"])
    status = getattr(getattr(exc, "response", None), "status_code", None)
    return f"http_{status}" if status else type(exc).__name__


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
            except FAILURES as exc:
                log.warning("slack: users.info %s failed: %s", user, slack_error(exc))
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
            except FAILURES as exc:
                if slack_error(exc) != "users_not_found":
                    log.warning("slack: users.lookupByEmail failed: %s", slack_error(exc))
                    return ""
                self._user[key] = ""
            else:
                user = str((response.get("user") or {}).get("id") or "")
                self._user[key] = user
                if user:
                    self._email[user] = email.strip()
        return self._user[key]


class Linker:
    """Maps Slack users onto the org's people through the core's `link_identity`:
    lazily, when the core answers that an actor is unknown (`Reply.unknown_actor`), and eagerly
    at start for the people the org file gives only an email for (so DMs reach them)."""

    RETRY_AFTER = 600.0  # s: a stranger is not looked up again on every click

    def __init__(self, *, people: People, core: Any) -> None:
        self.people, self.core = people, core
        self._strangers: dict[str, float] = {}  # user id → monotonic time to try again

    async def link_actor(self, tenant: Tenant, user: str) -> bool:
        """True when the user is now linked, so the event is worth handing in again."""
        if self._strangers.get(user, 0.0) > time.monotonic():
            return False
        email = await self.people.email_of(user)
        linked = False
        if email:
            try:
                linked = await self.core.link_identity(tenant=tenant, external_id=user,
                                                       email=email)
            except Exception:  # noqa: BLE001 — the reply stays "unknown user"; logged
                log.exception("slack: linking %s failed", user)
        if not linked:
            self._strangers[user] = time.monotonic() + self.RETRY_AFTER
        return linked

    async def sync(self, tenant: Tenant) -> int:
        """Look up every unlinked email of the org (`users.lookupByEmail`); the number linked."""
        linked = 0
        for email in await self.core.unlinked_emails(tenant=tenant):
            user = await self.people.user_by_email(email)
            if user and await self.core.link_identity(tenant=tenant, external_id=user,
                                                      email=email):
                linked += 1
        return linked
