"""How long the Feishu adapter needs to answer a card click, against lark-oapi 1.7.5's own
dispatcher on the same signed, encrypted requests (both with a core that answers at once).

    /work/main/.venv/bin/python bench/feishu_ack.py [N]

Prints milliseconds per request and the ratio ours / lark-oapi, measured in one run.
"""
from __future__ import annotations

import asyncio
import sys
import time
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parents[1]), str(Path(__file__).resolve().parents[1] / "tests"), str(Path(__file__).resolve().parents[1] / "tests" / "adapters" / "feishu")]

import httpx  # noqa: E402
from starlette.applications import Starlette  # noqa: E402

from adapters.feishu.adapter import FeishuAdapter  # noqa: E402
from feishu_fakes import ENCRYPT_KEY, VERIFICATION_TOKEN, card_action, settings, signed  # noqa: E402
from workflows.cards import Card  # noqa: E402
from workflows.events import Reply  # noqa: E402

REPLY = Reply(text="已确认", card=Card(title="分工确认 2/3", tone="info", text="技术部已确认"))


class InstantCore:
    async def handle(self, event):
        return REPLY


def requests(n: int) -> list[tuple[bytes, dict[str, str]]]:
    return [signed(card_action({"a": "task.confirm", "v": {"task": 3}}, operator="ou_li",
                               event_id=f"bench-{i}")) for i in range(n)]


async def ours(batch: list[tuple[bytes, dict[str, str]]]) -> float:
    adapter = FeishuAdapter(settings=settings(), core=InstantCore())
    app = Starlette(routes=adapter.routes())
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://bot") as client:
        started = time.perf_counter()
        for body, headers in batch:
            response = await client.post("/feishu/events", content=body, headers=headers)
            assert response.status_code == 200 and response.json()["toast"]["type"] == "success"
        elapsed = time.perf_counter() - started
    await adapter.api.aclose()
    return elapsed


def theirs(batch: list[tuple[bytes, dict[str, str]]]) -> float:
    import lark_oapi as lark
    from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse

    from adapters.feishu.render import callback_response

    handler = lark.EventDispatcherHandler.builder(ENCRYPT_KEY, VERIFICATION_TOKEN).register_p2_card_action_trigger(
        lambda data: P2CardActionTriggerResponse(callback_response(REPLY))).build()
    started = time.perf_counter()
    for body, headers in batch:
        request = lark.RawRequest()
        request.uri, request.body, request.headers = "/feishu/events", body, headers
        assert handler.do(request).status_code == 200
    return time.perf_counter() - started


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    batch = requests(n)
    theirs(batch[:50])  # warm up (imports)
    asyncio.run(ours(batch[:50]))
    ours_s = asyncio.run(ours(batch))
    theirs_s = theirs(batch)
    print(f"{n} signed+encrypted card clicks")
    print(f"collab-bot adapter (ASGI route, verify+decrypt+parse+render): {ours_s / n * 1000:.3f} ms/request")
    print(f"lark-oapi EventDispatcherHandler.do (no HTTP, no replay check):  {theirs_s / n * 1000:.3f} ms/request")
    print(f"ratio ours / lark-oapi: {ours_s / theirs_s:.2f}")


if __name__ == "__main__":
    main()
