"""Every table, importable from one place (Alembic's metadata and the repositories use this)."""
from storage.tables.org import Department, Person, PersonIdentity, Workspace
from storage.tables.collaboration import (
    Acceptance,
    CollaborationRequest,
    Confirmation,
    Delivery,
    Issue,
    PlanChange,
    ProgressPost,
    Task,
    WeeklyReport,
)
from storage.tables.reliability import (
    AuditEvent,
    JobRun,
    MessageRef,
    OutboxMessage,
    ProcessedEvent,
    Timer,
)

__all__ = [
    "Acceptance", "AuditEvent", "CollaborationRequest", "Confirmation", "Delivery", "Department",
    "Issue", "JobRun", "MessageRef", "OutboxMessage", "Person", "PersonIdentity", "PlanChange",
    "ProcessedEvent", "ProgressPost", "Task", "Timer", "WeeklyReport", "Workspace",
]
