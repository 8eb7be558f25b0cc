"""What the archive domain answers: `archive`/`归档` (R22) and `lesson`/`复盘` (R23)."""
from __future__ import annotations

from workflows.archive import service
from workflows.kernel.routes import Routes

ROUTES = Routes(commands={
    "archive": lambda ctx, c: service.archive(ctx, number=c.ref, force="force" in c.words),
    "lesson": lambda ctx, c: service.add_lesson(ctx, number=c.ref, text=c.text),
})
