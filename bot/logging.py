"""Structured logs: one JSON object per line, via the standard `logging` module.

Extra fields passed as `log.info("…", extra={"outbox_id": 7})` become keys of the object, so a
log pipeline can filter on them without parsing prose.
"""
from __future__ import annotations

import json
import logging
import sys
from datetime import datetime, timezone
from typing import Any

_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.fromtimestamp(record.created, timezone.utc).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info:
            entry["exc"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(level: str | int = "INFO", *, json_lines: bool = True) -> None:
    """Root handler to stderr; JSON lines unless `json_lines` is False (a terminal demo)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if json_lines else
                         logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # APScheduler says "Running job … executed successfully" twice a second: it only drives our
    # sweeps, whose own logs say what happened — its chatter is for warnings and errors only;
    # httpx logs every request it makes (DingTalk's and Feishu's API calls), which the delivery
    # worker's "outbox sent" already says with the row it was for
    for noisy in ("apscheduler", "apscheduler.scheduler", "apscheduler.executors.default", "httpx"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
