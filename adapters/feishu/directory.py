"""Directory sync (optional, off by default): Feishu's contact directory → an org file.

`collab-bot org sync feishu` reads the departments, their leaders and their members, and writes
the org YAML that `collab-bot org import` reads (workflows/org.py), so department heads and VPs
need not be typed by hand:
- each department's head is its leader (`leader_user_id`);
- its VP (分管副总) is the leader of its parent department, when it has one below the root;
- liaisons (接口人) are not in the directory: they come from the override file.
The org file stays the override: `merge()` lays an existing file over what was read (its
workspace settings, any head/liaison/VP it names, its people) — so a sync never undoes a
decision somebody wrote down. Reading is I/O; `org_document` and `merge` are pure.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from adapters.feishu.api import FeishuApi
from adapters.feishu.settings import FeishuSettings
from adapters.org_file import merge as merge_org

ROOT = "0"
_IDS = {"department_id_type": "open_department_id", "user_id_type": "open_id"}


@dataclass
class Directory:
    tenant_key: str
    tenant_name: str = ""
    departments: list[dict[str, Any]] = field(default_factory=list)  # contact v3 Department
    members: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # dept id → users
    others: list[dict[str, Any]] = field(default_factory=list)  # leaders found nowhere else


async def read_directory(api: FeishuApi, *, tenant_key: str = "") -> Directory:
    if not tenant_key:
        tenant = ((await api.call("GET", "/open-apis/tenant/v2/tenant/query")).get("data") or {}).get(
            "tenant") or {}
        tenant_key, name = str(tenant.get("tenant_key") or ""), str(tenant.get("name") or "")
    else:
        name = ""
    departments = await api.get_pages(f"/open-apis/contact/v3/departments/{ROOT}/children",
                                      params={**_IDS, "fetch_child": "true"})
    directory = Directory(tenant_key=tenant_key, tenant_name=name, departments=departments)
    for dept_id in [ROOT] + [str(d.get("open_department_id")) for d in departments]:
        directory.members[dept_id] = await api.get_pages(
            "/open-apis/contact/v3/users/find_by_department", params={**_IDS, "department_id": dept_id})
    known = {u.get("open_id") for users in directory.members.values() for u in users}
    for leader in {str(d.get("leader_user_id") or "") for d in departments} - known - {""}:
        data = (await api.call("GET", f"/open-apis/contact/v3/users/{leader}",
                               params={"user_id_type": "open_id"})).get("data") or {}
        directory.others.append(data.get("user") or {"open_id": leader, "name": leader})
    return directory


def _names(departments: list[dict[str, Any]]) -> dict[str, str]:
    """open_department_id → a unique name ("父部门/设计部" where two share a name)."""
    by_id = {str(d.get("open_department_id")): d for d in departments}
    plain = [str(d.get("name") or "") for d in departments]
    names = {}
    for dept in departments:
        name = str(dept.get("name") or dept.get("open_department_id"))
        parent = by_id.get(str(dept.get("parent_department_id")))
        if plain.count(name) > 1 and parent is not None:
            name = f"{parent.get('name')}/{name}"
        names[str(dept.get("open_department_id"))] = name
    return names


def org_document(directory: Directory) -> dict[str, Any]:
    """The org file (as a dict) for a directory: people keyed by their open_id."""
    names = _names(directory.departments)
    by_id = {str(d.get("open_department_id")): d for d in directory.departments}
    people: dict[str, dict[str, Any]] = {}
    for dept_id, users in directory.members.items():
        for user in users:
            open_id = str(user.get("open_id") or "")
            if not open_id or (user.get("status") or {}).get("is_resigned"):
                continue
            person = people.setdefault(open_id, {
                "id": open_id, "name": str(user.get("name") or open_id),
                "identities": {"feishu": open_id}})
            if dept_id in names and "department" not in person:
                person["department"] = names[dept_id]
            if user.get("email") or user.get("enterprise_email"):
                person.setdefault("email", user.get("enterprise_email") or user.get("email"))
    for user in directory.others:
        open_id = str(user.get("open_id") or "")
        people.setdefault(open_id, {"id": open_id, "name": str(user.get("name") or open_id),
                                    "identities": {"feishu": open_id}})
    departments = []
    for dept_id, dept in by_id.items():
        head = str(dept.get("leader_user_id") or "") or None
        parent = by_id.get(str(dept.get("parent_department_id")))
        vp = str(parent.get("leader_user_id") or "") or None if parent else None
        departments.append({"name": names[dept_id], "head": head if head in people else None,
                            "vp": vp if vp in people else None})
    return {"workspace": {"platform": "feishu", "id": directory.tenant_key,
                          "name": directory.tenant_name, "locale": "zh-CN",
                          "timezone": "Asia/Shanghai", "country": "CN"},
            "departments": departments, "people": list(people.values())}


def merge(synced: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    """The org file wins (adapters/org_file.py)."""
    return merge_org(synced, override, platform="feishu")


async def sync_to_file(*, settings: FeishuSettings, out: Path, override: Path | None = None,
                       tenant_key: str = "", api: FeishuApi | None = None) -> dict[str, Any]:
    """Read the directory, lay `override` over it, write `out`; the document is returned."""
    api = api or FeishuApi(settings=settings)
    try:
        directory = await read_directory(api, tenant_key=tenant_key)
    finally:
        await api.aclose()
    base = yaml.safe_load(override.read_text(encoding="utf-8")) if override else None
    document = merge(org_document(directory), base)
    out.write_text(yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return document
