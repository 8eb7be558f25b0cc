"""What the archive domain answers: `archive`/`归档` and `archive_file`/`档案` (R22: get the
archive, or add a note to it), `lesson`/`复盘` (R23), and the board page's note form."""
from __future__ import annotations

from workflows.archive import service
from workflows.kernel.routes import Routes

ROUTES = Routes(commands={
    "archive": lambda ctx, c: service.archive(ctx, number=c.ref, force="force" in c.words),
    "lesson": lambda ctx, c: service.add_lesson(ctx, number=c.ref, text=c.text),
    "archive_file": lambda ctx, c: service.archive_file(ctx, number=c.ref,
                                                        note=str(c.fields.get("notes") or c.text or "")),
}, forms={
    "archive.note": lambda ctx, f, v: service.add_note(ctx, request_id=v.id("r"), text=str(f.get("note") or "")),
})
