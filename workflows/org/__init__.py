"""The org: departments (head, liaison, VP), people and their platform identities, from the org
file — validated whole before anything is written (`checks`), read with line numbers (`file`),
imported as a full replacement (`model`)."""
from __future__ import annotations

from workflows.org.model import (OrgDiff, OrgError, OrgImport, OrgSpec, PersonSpec, WorkspaceSpec, export_org,
                                 import_org, link_by_email, parse_org)

__all__ = ["OrgDiff", "OrgError", "OrgImport", "OrgSpec", "PersonSpec", "WorkspaceSpec", "export_org",
           "import_org", "link_by_email", "parse_org"]
