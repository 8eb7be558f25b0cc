"""Every command, button action, form, timer kind and rhythm job the core answers — gathered
from what each domain package declares. No logic lives here."""
from __future__ import annotations

from workflows.acceptance.routes import ROUTES as ACCEPTANCE
from workflows.archive.routes import ROUTES as ARCHIVE
from workflows.changes.routes import ROUTES as CHANGES
from workflows.feedback.routes import ROUTES as FEEDBACK
from workflows.issues.routes import ROUTES as ISSUES
from workflows.kernel.routes import gather
from workflows.meetings.routes import ROUTES as MEETINGS
from workflows.memo.routes import ROUTES as MEMO
from workflows.panel.routes import ROUTES as PANEL
from workflows.resources.routes import ROUTES as RESOURCES
from workflows.progress.routes import ROUTES as PROGRESS
from workflows.receipts.routes import ROUTES as RECEIPTS
from workflows.requests.routes import ROUTES as REQUESTS
from workflows.risks.routes import ROUTES as RISKS
from workflows.tasks.routes import ROUTES as TASKS

ROUTES = gather(REQUESTS, TASKS, PROGRESS, ISSUES, CHANGES, FEEDBACK, ACCEPTANCE, ARCHIVE, RECEIPTS, RISKS,
                MEETINGS, MEMO, RESOURCES, PANEL)
COMMANDS, ACTIONS, FORMS, TIMERS, JOBS = ROUTES.commands, ROUTES.actions, ROUTES.forms, ROUTES.timers, ROUTES.jobs
