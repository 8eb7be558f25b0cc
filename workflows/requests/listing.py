"""`/协作 列表 [全部] [页码]`: one page of requests at a time (20), with the way to the next page,
instead of one 2,000-line reply. The query reads only its page through the requests'
`(workspace_id, conversation, id)` index; rendering is a pure function of the page."""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable

from sqlalchemy import func
from sqlmodel import col, select

from storage.db import UnitOfWork
from storage.tables import CollaborationRequest
from workflows.i18n import Translate

PAGE_SIZE = 20


@dataclass(frozen=True)
class ListRow:
    number: str
    title: str
    state: str
    department_id: int


@dataclass(frozen=True)
class ListPage:
    rows: list[ListRow]
    page: int  # 1-based, clamped to the last page
    pages: int
    total: int
    all_chats: bool = False


def page_number(text: str) -> int:
    """The page asked for: the first number in the command's text (`列表 2`, `list page 3`)."""
    found = re.search(r"\d{1,6}", text or "")
    return max(1, int(found.group())) if found else 1


async def fetch_page(uow: UnitOfWork, *, workspace_id: str, conversation: str, page: int = 1,
                     all_chats: bool = False, size: int = PAGE_SIZE) -> ListPage:
    """Two statements: the count, then the page's rows in filing order."""
    where = [CollaborationRequest.workspace_id == workspace_id]
    if not all_chats:
        where.append(CollaborationRequest.conversation == conversation)
    total = int((await uow.execute(select(func.count()).select_from(CollaborationRequest).where(*where))).scalar_one())
    pages = max(1, -(-total // size))
    page = min(max(1, page), pages)
    result = await uow.execute(
        select(CollaborationRequest.number, CollaborationRequest.title, CollaborationRequest.state,
               CollaborationRequest.initiating_department_id)
        .where(*where).order_by(col(CollaborationRequest.id)).offset((page - 1) * size).limit(size))
    rows = [ListRow(number=n, title=t, state=s, department_id=d) for n, t, s, d in result.all()]
    return ListPage(rows=rows, page=page, pages=pages, total=total, all_chats=all_chats)


def render_page(page: ListPage, *, t: Translate, dept_name: Callable[[int], str]) -> str:
    """The reply's text: one line per request, then where this page is and the next one."""
    if not page.rows:
        return t("reply.list_empty")
    lines = [f"{r.number} · {r.title} · {t(f'state.{r.state}')} · {dept_name(r.department_id)}" for r in page.rows]
    if page.pages > 1:
        lines.append(t("reply.list_page", page=page.page, pages=page.pages, total=page.total))
        if page.page < page.pages:
            key = "reply.list_next_all" if page.all_chats else "reply.list_next"
            lines.append(t(key, page=page.page + 1))
    return "\n".join(lines)
