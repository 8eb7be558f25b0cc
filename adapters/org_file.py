"""Directory syncs (Feishu, DingTalk) write an org file; an existing org file laid over the
synced one wins — its workspace fields, the roles it names, the people it lists — so a sync
never undoes a decision somebody wrote down (pure)."""
from __future__ import annotations

from typing import Any


def merge(synced: dict[str, Any], override: dict[str, Any] | None, *, platform: str) -> dict[str, Any]:
    if not override:
        return synced
    merged = {"workspace": {**synced["workspace"], **(override.get("workspace") or {}),
                            "platform": platform, "id": synced["workspace"]["id"]}}
    written = {d["name"]: d for d in override.get("departments") or []}
    departments = []
    for dept in synced["departments"]:
        mine = written.pop(dept["name"], {})
        departments.append({**dept, **{k: v for k, v in mine.items() if v is not None}})
    merged["departments"] = departments + list(written.values())
    people = {p["id"]: p for p in synced["people"]}
    for person in override.get("people") or []:
        people[person["id"]] = {**people.get(person["id"], {}), **person}
    merged["people"] = list(people.values())
    return merged
