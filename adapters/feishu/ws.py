"""The long connection (长连接) through lark-oapi's `ws.Client`, in a thread of its own.

lark-oapi 1.7.5's `ws.Client.start()` blocks forever on a module-level event loop captured when
`lark_oapi.ws.client` is first imported — so it cannot run inside our loop. This thread makes a
loop of its own, points the SDK at it, imports lark-oapi there (the ~4.5 s import never blocks
the server) and runs the client. Each event is handed to our loop with
`run_coroutine_threadsafe` and the thread waits for the answer: the SDK acknowledges a frame only
after our handler returns, so an event is acked after the core committed it, and a card click
gets its toast and updated card back through the same frame.
"""
from __future__ import annotations

import asyncio
import json
import logging
import threading
from typing import Any, Awaitable, Callable

from adapters.feishu.settings import FeishuSettings

log = logging.getLogger(__name__)

Process = Callable[[dict[str, Any]], Awaitable[dict[str, Any]]]
ANSWER_TIMEOUT = 2.8  # Feishu waits 3 s for a card callback


class LongConnection:
    def __init__(self, *, settings: FeishuSettings, process: Process,
                 loop: asyncio.AbstractEventLoop, timeout: float = ANSWER_TIMEOUT) -> None:
        self._settings = settings
        self._process = process
        self._loop = loop  # ours: where the core runs
        self._timeout = timeout
        self._thread: threading.Thread | None = None
        self._ws_loop: asyncio.AbstractEventLoop | None = None
        self._client: Any = None
        self._stopping = False
        self.started = threading.Event()  # set once the SDK client exists (tests, health)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="feishu-long-connection", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        ws_loop = asyncio.new_event_loop()
        asyncio.set_event_loop(ws_loop)
        try:
            import lark_oapi as lark
            from lark_oapi.ws import client as ws_client

            ws_client.loop = ws_loop  # the SDK's module-level loop: make it this thread's
            handler = (lark.EventDispatcherHandler.builder("", "")
                       .register_p2_im_message_receive_v1(self._on_message)
                       .register_p2_card_action_trigger(self._on_card_action)
                       .build())
            self._client = lark.ws.Client(
                self._settings.app_id, self._settings.app_secret, event_handler=handler,
                domain=self._settings.base_url, log_level=lark.LogLevel.WARNING)
            self._ws_loop = ws_loop
            self.started.set()
            if not self._stopping:
                self._client.start()
        except RuntimeError as exc:  # our stop() stopped the loop under start()
            if not self._stopping:
                log.exception("Feishu long connection stopped: %s", exc)
        except Exception:
            log.exception("Feishu long connection failed")
        finally:
            self.started.set()
            _close_loop(ws_loop)

    # --- SDK callbacks (on the connection thread) ----------------------------------------

    def _forward(self, data: Any) -> dict[str, Any]:
        from lark_oapi.core.json import JSON

        payload = json.loads(JSON.marshal(data))  # the SDK model back to Feishu's JSON
        future = asyncio.run_coroutine_threadsafe(self._process(payload), self._loop)
        return future.result(timeout=self._timeout)

    def _on_message(self, data: Any) -> None:
        self._forward(data)  # raising makes the SDK answer 500: Feishu delivers it again

    def _on_card_action(self, data: Any) -> Any:
        from lark_oapi.event.callback.model.p2_card_action_trigger import P2CardActionTriggerResponse

        return P2CardActionTriggerResponse(self._forward(data))

    # --- shutdown --------------------------------------------------------------------------

    async def stop(self) -> None:
        self._stopping = True
        if self._ws_loop is not None and self._client is not None and self._ws_loop.is_running():
            self._ws_loop.call_soon_threadsafe(self._shutdown)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)

    def _shutdown(self) -> None:
        """On the connection thread: no reconnect, close the socket, end `start()`."""
        assert self._ws_loop is not None
        self._client._auto_reconnect = False  # lark-oapi 1.7.5 has no public stop()
        task = self._ws_loop.create_task(self._client._disconnect())
        task.add_done_callback(lambda _: self._ws_loop.stop() if self._ws_loop else None)


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    try:
        tasks = asyncio.all_tasks(loop)
        for task in tasks:
            task.cancel()
        loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
    except RuntimeError:
        pass
    finally:
        loop.close()
