"""A platform over real TCP on 127.0.0.1 for crash tests: the adapter writes one line per
message (`pid id conversation text`) and waits for `ok <message id>`; the server records what
it acknowledged and can hold a message unanswered (a send in flight when a worker is killed)."""
from __future__ import annotations

import asyncio
import itertools
import os
import time
from dataclasses import dataclass, field

from adapters.base import DeliveryResult, Outbound


class LineAdapter:
    platform = "fake"
    rate_per_second = 0.0
    rate_per_chat = 0.0

    def __init__(self, port: int) -> None:
        self.port = port

    def routes(self) -> list:
        return []

    async def start(self) -> None:
        return None

    async def stop(self) -> None:
        return None

    async def deliver(self, message: Outbound) -> DeliveryResult:
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            text = str(message.payload.get("text", ""))
            writer.write(f"{os.getpid()} {message.id} {message.conversation} {text}\n".encode())
            await writer.drain()
            answer = (await reader.readline()).decode().split()
            return DeliveryResult(platform_message_id=answer[1])
        finally:
            writer.close()


@dataclass
class LineServer:
    hold: set[str] = field(default_factory=set)  # texts answered never
    acked: list[tuple[int, str, str]] = field(default_factory=list)  # (pid, conversation, text)
    seen: list[tuple[int, str, str]] = field(default_factory=list)
    acked_at: list[float] = field(default_factory=list)  # time.time() of each ack
    delay: float = 0.0  # seconds the platform takes to answer (so kills land mid-send)
    held: asyncio.Event = field(default_factory=asyncio.Event)
    port: int = 0
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _server: asyncio.AbstractServer | None = None

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()

    def by_chat(self) -> dict[str, list[str]]:
        chats: dict[str, list[str]] = {}
        for _pid, chat, text in self.acked:
            chats.setdefault(chat, []).append(text)
        return chats

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        line = (await reader.readline()).decode().rstrip("\n")
        pid, _id, chat, text = line.split(" ", 3)
        self.seen.append((int(pid), chat, text))
        if text in self.hold:
            self.hold.discard(text)
            self.held.set()
            await reader.read()  # until the sender's process dies
            return
        if self.delay:
            await asyncio.sleep(self.delay)
        self.acked.append((int(pid), chat, text))
        self.acked_at.append(time.time())
        writer.write(f"ok m{next(self._ids)}\n".encode())
        await writer.drain()
        writer.close()
