"""`/协作 看板` · `/collab board` on `serve`: a personal board link, answered privately."""
from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from workflows.board.links import sign
from workflows.kernel.context import Ctx
from workflows.events import Reply


def board_url(*, base_url: str, token: str, number: str = "") -> str:
    path = f"/board/r/{quote(number)}" if number else "/board"
    return f"{base_url.rstrip('/')}{path}?t={token}"


def board_link(ctx: Ctx, *, base_url: str, secret: str, ttl: timedelta = timedelta(hours=24),
               number: str = "") -> Reply:
    """A link bound to the actor and the workspace, valid for `ttl`; without a secret or a base
    URL configured, a clear answer instead (the operator has to set them)."""
    if ctx.actor is None:
        return Reply(ok=False, text=ctx.t("error.unknown_user", user=""))
    if not secret or not base_url:
        return Reply(ok=False, text=ctx.t("board.link_unconfigured"))
    token = sign(secret=secret, workspace_id=ctx.workspace.id, person_key=ctx.actor.key, now=ctx.now, ttl=ttl)
    expires = ctx.local_text(ctx.now + ttl)
    return Reply(text=ctx.t("board.link", url=board_url(base_url=base_url, token=token, number=number),
                            expires=expires))
