"""Directory sync (optional): DingTalk's address book → an org file (`collab-bot org sync dingtalk`).

Read from the contact API on `DINGTALK_OAPI_URL` (the address book has no /v1.0 equivalent for
department managers): departments from the root (id 1) down (`topapi/v2/department/listsub`),
each department's managers (`topapi/v2/department/get` → `dept_manager_userid_list`) and members
(`topapi/v2/user/list`, cursor-paged). A department's head is its first manager, its VP the first
manager of its parent below the root; liaisons come from the override file. People are keyed by
their staff id (`userid`, the id DingTalk's robot messages carry), with `unionid` kept as a note.
Reading is I/O; `org_document` is pure. Permissions: 通讯录只读 (qyapi_get_department_list,
qyapi_get_member).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import yaml

from adapters.dingtalk.api import DingTalkApiError
from adapters.dingtalk.settings import DingTalkSettings
from adapters.org_file import merge

ROOT = 1
PAGE = 100


@dataclass
class Directory:
    corp_id: str
    departments: list[dict[str, Any]] = field(default_factory=list)  # department/get results
    members: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # dept id → users


class ContactApi:
    def __init__(self, *, settings: DingTalkSettings, client: httpx.AsyncClient | None = None) -> None:
        self._settings = settings
        self._client = client or httpx.AsyncClient(base_url=settings.oapi_url.rstrip("/"),
                                                   timeout=settings.request_timeout_seconds)
        self._token = ""

    async def aclose(self) -> None:
        await self._client.aclose()

    async def _checked(self, response: httpx.Response, where: str) -> dict[str, Any]:
        try:
            body = response.json()
        except ValueError:
            body = None
        if not isinstance(body, dict) or response.status_code >= 400 or body.get("errcode") not in (0, None):
            raise DingTalkApiError(f"{where}: HTTP {response.status_code} {body}",
                                   retryable=response.status_code >= 500)
        return body

    async def token(self) -> str:
        if not self._token:
            response = await self._client.get("/gettoken", params={
                "appkey": self._settings.client_id, "appsecret": self._settings.client_secret})
            self._token = str((await self._checked(response, "gettoken")).get("access_token") or "")
        return self._token

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        response = await self._client.post(path, params={"access_token": await self.token()}, json=body)
        return (await self._checked(response, path)).get("result")


async def read_directory(api: ContactApi, *, corp_id: str) -> Directory:
    directory = Directory(corp_id=corp_id)
    queue, seen = [ROOT], {ROOT}
    while queue:
        parent = queue.pop(0)
        for child in await api.post("/topapi/v2/department/listsub", {"dept_id": parent}) or []:
            dept_id = int(child["dept_id"])
            if dept_id not in seen:
                seen.add(dept_id)
                queue.append(dept_id)
    for dept_id in sorted(seen - {ROOT}):
        directory.departments.append(await api.post("/topapi/v2/department/get", {"dept_id": dept_id}))
    for dept_id in sorted(seen):
        users, cursor = [], 0
        while True:
            page = await api.post("/topapi/v2/user/list", {"dept_id": dept_id, "cursor": cursor,
                                                            "size": PAGE}) or {}
            users += page.get("list") or []
            if not page.get("has_more"):
                break
            cursor = int(page.get("next_cursor") or 0)
        directory.members[dept_id] = users
    return directory


def _names(departments: list[dict[str, Any]]) -> dict[int, str]:
    by_id = {int(d["dept_id"]): d for d in departments}
    plain = [str(d.get("name") or "") for d in departments]
    names = {}
    for dept in departments:
        name = str(dept.get("name") or dept["dept_id"])
        parent = by_id.get(int(dept.get("parent_id") or 0))
        if plain.count(name) > 1 and parent is not None:
            name = f"{parent.get('name')}/{name}"
        names[int(dept["dept_id"])] = name
    return names


def org_document(directory: Directory) -> dict[str, Any]:
    """The org file (as a dict) for a directory: people keyed by their staff id."""
    names = _names(directory.departments)
    by_id = {int(d["dept_id"]): d for d in directory.departments}
    people: dict[str, dict[str, Any]] = {}
    for dept_id, users in directory.members.items():
        for user in users:
            userid = str(user.get("userid") or "")
            if not userid:
                continue
            person = people.setdefault(userid, {"id": userid, "name": str(user.get("name") or userid),
                                                "identities": {"dingtalk": userid}})
            if dept_id in names and "department" not in person:
                person["department"] = names[dept_id]
            if user.get("org_email") or user.get("email"):
                person.setdefault("email", user.get("org_email") or user.get("email"))

    def manager(dept: dict[str, Any] | None) -> str | None:
        managers = [str(m) for m in (dept or {}).get("dept_manager_userid_list") or []]
        return next((m for m in managers if m in people), None)

    departments = [{"name": names[dept_id], "head": manager(dept),
                    "vp": manager(by_id.get(int(dept.get("parent_id") or 0)))}
                   for dept_id, dept in by_id.items()]
    return {"workspace": {"platform": "dingtalk", "id": directory.corp_id, "name": "",
                          "locale": "zh-CN", "timezone": "Asia/Shanghai", "country": "CN"},
            "departments": departments, "people": list(people.values())}


async def sync_to_file(*, settings: DingTalkSettings, out: Path, corp_id: str,
                       override: Path | None = None, api: ContactApi | None = None) -> dict[str, Any]:
    api = api or ContactApi(settings=settings)
    try:
        directory = await read_directory(api, corp_id=corp_id)
    finally:
        await api.aclose()
    base = yaml.safe_load(override.read_text(encoding="utf-8")) if override else None
    document = merge(org_document(directory), base, platform="dingtalk")
    out.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return document
