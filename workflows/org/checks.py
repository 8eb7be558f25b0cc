"""Every check an org file must pass before anything is imported: a value that imported fine
and then failed every event of the workspace (a country, a zone, a policy value), a department
no one can approve for (no head), and anything "last one wins" would silently drop (a person or
department listed twice, two people sharing one platform id). Pure: a spec in, problems out."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from workflows.calendar import CalendarConfigError, calendar_from_settings
from workflows.i18n import LOCALES
from workflows.policy import Policy

if TYPE_CHECKING:
    from workflows.org.model import OrgSpec

Loc = tuple[str | int, ...]
Problem = tuple[Loc, str]


def _workspace(spec: "OrgSpec", platforms: tuple[str, ...]) -> list[Problem]:
    ws, found = spec.workspace, []
    if ws.platform not in platforms:
        found.append((("workspace", "platform"), f"unknown platform '{ws.platform}' (one of {', '.join(platforms)})"))
    if ws.locale.split("-")[0].lower() not in {x.split("-")[0].lower() for x in LOCALES}:
        found.append((("workspace", "locale"), f"unsupported locale '{ws.locale}' (one of {', '.join(LOCALES)})"))
    try:
        calendar_from_settings(country=ws.country, tz=ws.timezone, settings=ws.settings)
    except CalendarConfigError as exc:
        loc: Loc = {"calendar.error.country": ("workspace", "country"),
                    "calendar.error.timezone": ("workspace", "timezone")}.get(exc.key, ("workspace", "settings", "calendar"))
        found.append((loc, str(exc)))
    except (TypeError, ValueError, OSError) as exc:
        found.append((("workspace", "settings", "calendar"), f"invalid calendar settings: {exc}"))
    return found + _policy(ws.settings)


def _policy(settings: dict[str, Any]) -> list[Problem]:
    policy = settings.get("policy") or {}
    where: Loc = ("workspace", "settings", "policy")
    if not isinstance(policy, dict):
        return [(where, "policy must be a mapping of SPEC numbers")]
    found: list[Problem] = [((*where, key), f"unknown policy setting (known: {', '.join(Policy.model_fields)})")
                            for key in policy if key not in Policy.model_fields]
    try:
        made = Policy(**policy)
        made.number_pattern.format(year=2026, seq=1)
    except ValidationError as exc:
        found += [((*where, *e["loc"]), e["msg"]) for e in exc.errors()]
    except (KeyError, IndexError, ValueError) as exc:
        found.append(((*where, "number_pattern"), f"must use only {{year}} and {{seq}}: {exc}"))
    return found


def _duplicates(names: list[str], loc: str, noun: str, *, fold: bool = False) -> list[Problem]:
    seen: dict[str, int] = {}
    found = []
    for i, name in enumerate(names):
        k = name.strip().lower() if fold else name
        if k in seen:
            found.append(((loc, i), f"{noun} '{name}' is listed twice (first at {loc}[{seen[k]}])"))
        else:
            seen[k] = i
    return found


def problems(spec: "OrgSpec", *, platforms: tuple[str, ...]) -> list[Problem]:
    """Every problem of the file, in file order within each section."""
    found = _workspace(spec, platforms)
    found += _duplicates([d.name for d in spec.departments], "departments", "department", fold=True)
    found += _duplicates([p.id for p in spec.people], "people", "person")
    keys = {p.id for p in spec.people}
    names = {d.name for d in spec.departments}
    for i, d in enumerate(spec.departments):
        if not d.head:
            found.append((("departments", i, "head"), f"department {d.name} has no head: its requests could never be approved"))
        for role in ("head", "liaison", "vp"):
            who = getattr(d, role)
            if who and who not in keys:
                found.append((("departments", i, role), f"department {d.name}: {role} '{who}' is not among people"))
    owner: dict[tuple[str, str], str] = {}
    for i, p in enumerate(spec.people):
        if p.department and p.department not in names:
            found.append((("people", i, "department"), f"person {p.id}: department '{p.department}' is not defined"))
        for platform, external in p.identities.items():
            other = owner.setdefault((platform, external), p.id)
            if other != p.id:
                found.append((("people", i, "identities", platform),
                              f"person {p.id}: {platform} id '{external}' already belongs to {other}"))
    return found
