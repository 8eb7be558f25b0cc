"""How the core's ids travel through a Feishu card callback and back (pure; render and inbound
both use it): a button's callback value is `{"a": action id, "v": the core's value}`, a form's
submit `{"f": form id, "v": its hidden context}`."""
from __future__ import annotations

ACTION_KEY, FORM_KEY, VALUE_KEY = "a", "f", "v"
