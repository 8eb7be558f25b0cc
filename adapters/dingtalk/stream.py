"""Stream mode (no public URL) through the official `dingtalk-stream` SDK, in a thread of its own.

dingtalk-stream 0.24.3 (the newest release; 0.24.4b1 is a beta) cannot share our event loop:
`open_connection()` is a blocking `requests.post` with no timeout, `start()` swallows the first
cancel (it sleeps 10 s and reconnects) and there is no `stop()`. So, as with Feishu's long
connection, the SDK gets its own thread and loop: a stalled gateway stalls only that thread,
never the HTTP server. `open_connection` is overridden (a public method) to add a timeout and
to use `DINGTALK_API_URL`. Each frame's handler hands the payload to our loop with
`run_coroutine_threadsafe` and waits: the SDK acks after our handler returns, so a frame is acked
only after the core committed it. A handler that raises sends no ack, so DingTalk pushes the frame
again — that is how a database outage (`Unavailable`) is answered.
"""
from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any, Awaitable, Callable

from adapters.dingtalk.settings import DingTalkSettings

log = logging.getLogger(__name__)

MESSAGE_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
OPEN_TIMEOUT = 10.0  # seconds for connections/open (the SDK has none)

# (topic, frame headers' messageId, data) → (status, response) for the ack
Process = Callable[[str, str, Any], Awaitable[tuple[int, Any]]]


class StreamConnection:
    def __init__(self, *, settings: DingTalkSettings, process: Process,
                 loop: asyncio.AbstractEventLoop) -> None:
        self._settings = settings
        self._process = process
        self._loop = loop  # ours: where the core runs
        self._thread: threading.Thread | None = None
        self._ws_loop: asyncio.AbstractEventLoop | None = None
        self._stopping = False
        self.client: Any = None
        self.started = threading.Event()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="dingtalk-stream", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        ws_loop = asyncio.new_event_loop()
        asyncio.set_event_loop(ws_loop)
        self._ws_loop = ws_loop
        try:
            self.client = _make_client(self._settings, self._forward)
            self.started.set()
            if not self._stopping:
                ws_loop.run_until_complete(self.client.start())
        except RuntimeError as exc:  # stop() stopped the loop under start()
            if not self._stopping:
                log.exception("DingTalk stream stopped: %s", exc)
        except Exception:
            log.exception("DingTalk stream failed")
        finally:
            self.started.set()
            _close_loop(ws_loop)

    async def _forward(self, topic: str, frame_id: str, data: Any) -> tuple[int, Any]:
        """On the stream thread: run `process` on our loop and wait for its answer."""
        future = asyncio.run_coroutine_threadsafe(self._process(topic, frame_id, data), self._loop)
        # past the timeout the frame goes unacked and DingTalk pushes it again; if the core
        # commits meanwhile, the second push is a duplicate (processed_event)
        return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)),
                                      self._settings.ack_timeout_seconds)

    async def stop(self) -> None:
        self._stopping = True
        ws_loop = self._ws_loop
        if ws_loop is not None and ws_loop.is_running():
            ws_loop.call_soon_threadsafe(ws_loop.stop)
        if self._thread is not None:
            await asyncio.to_thread(self._thread.join, 5.0)


def _make_client(settings: DingTalkSettings, forward: Callable[..., Awaitable[tuple[int, Any]]]) -> Any:
    """The SDK client with our handlers (imported here, on the stream thread)."""
    import dingtalk_stream
    import requests
    from dingtalk_stream import CallbackHandler, CallbackMessage

    class Handler(CallbackHandler):
        def __init__(self, topic: str) -> None:
            super().__init__()
            self.topic = topic

        async def process(self, message: CallbackMessage) -> tuple[int, Any]:
            # raising here means no ack: DingTalk pushes the frame again
            return await forward(self.topic, message.headers.message_id or "", message.data)

    class Client(dingtalk_stream.DingTalkStreamClient):
        def open_connection(self) -> Any:
            """The SDK's, with a timeout and our API URL (it has neither)."""
            topics = [{"type": "CALLBACK", "topic": t} for t in self.callback_handler_map]
            body = {"clientId": self.credential.client_id, "clientSecret": self.credential.client_secret,
                    "subscriptions": topics, "ua": "collab-bot/dingtalk-stream", "localIp": ""}
            try:
                response = requests.post(f"{settings.base_url}/v1.0/gateway/connections/open",
                                         json=body, timeout=OPEN_TIMEOUT,
                                         headers={"Accept": "application/json"})
                response.raise_for_status()
                return response.json()
            except Exception as exc:  # noqa: BLE001 — the SDK retries after 10 s
                log.warning("DingTalk stream: connections/open failed: %s", exc)
                return None

    client = Client(dingtalk_stream.Credential(settings.client_id, settings.client_secret),
                    logger=logging.getLogger("dingtalk_stream"))
    client.register_callback_handler(MESSAGE_TOPIC, Handler(MESSAGE_TOPIC))
    client.register_callback_handler(CARD_TOPIC, Handler(CARD_TOPIC))
    return client


def _close_loop(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left; the SDK swallows a first cancel, so cancel until it is done."""
    try:
        for _ in range(5):
            tasks = [t for t in asyncio.all_tasks(loop) if not t.done()]
            if not tasks:
                break
            for task in tasks:
                task.cancel()
            loop.run_until_complete(asyncio.wait(tasks, timeout=0.5))
    except RuntimeError:
        pass
    finally:
        loop.close()

