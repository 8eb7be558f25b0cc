"""Every table, importable from one place (Alembic's metadata and the repositories use this)."""
from storage.tables.counter import Counter
from storage.tables.org import Department, Person, PersonIdentity, Workspace
from storage.tables.collaboration import (
    Acceptance,
    ArchiveDocument,
    CollaborationRequest,
    Confirmation,
    Delivery,
    Dispute,
    Feedback,
    Issue,
    PlanChange,
    ProgressPost,
    Task,
    WeeklyReport,
)
from storage.tables.local import LocalMessage, VirtualTime
from storage.tables.guidelines import ActionItem, Meeting, Memo, ResourceLine, Risk, Vote
from storage.tables.reliability import (
    AuditEvent,
    JobRun,
    MessageRef,
    OutboxChat,
    OutboxMessage,
    ProcessedEvent,
    Timer,
)

__all__ = [
    "Acceptance", "ActionItem", "Meeting", "Memo", "ResourceLine", "Risk", "Vote", "ArchiveDocument", "AuditEvent", "Dispute", "Feedback", "CollaborationRequest", "Confirmation", "Counter", "Delivery", "Department",
    "Issue", "JobRun", "LocalMessage", "MessageRef", "OutboxChat", "OutboxMessage", "Person", "PersonIdentity", "PlanChange",
    "ProcessedEvent", "ProgressPost", "Task", "Timer", "VirtualTime", "WeeklyReport", "Workspace",
]
