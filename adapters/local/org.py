"""What the local platform adds to an org file of its workspace: its user ids are the org's own
person keys (`sun`, `wang`), so a file for the demo names nobody's platform id — each person's
`identities.local` defaults to their key."""
from __future__ import annotations

from workflows.org import OrgSpec


def complete_org(spec: OrgSpec) -> OrgSpec:
    """The spec with every person's local user id filled in (a given one is kept)."""
    if spec.workspace.platform != "local":
        return spec
    people = [p if p.identities.get("local") else p.model_copy(update={"identities": {**p.identities, "local": p.id}})
              for p in spec.people]
    return spec.model_copy(update={"people": people})
