"""The golden Block Kit files (what the renderer's output is compared with) are valid Block Kit
by slack_sdk's own models: every block parses and passes `validate_json()` (lengths, counts,
required fields), and a modal passes `View(**m).validate_json()`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

GOLDEN = Path(__file__).parent / "payloads" / "golden"
FILES = sorted(GOLDEN.glob("*.json"))


def test_there_are_golden_files():
    assert {p.stem for p in FILES} >= {"raci_card", "request_form_modal"}


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.stem)
def test_every_golden_block_is_valid_block_kit(path):
    message = json.loads(path.read_text(encoding="utf-8"))
    blocks = message["blocks"]
    assert blocks
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()
        assert block.to_dict()["type"] == raw["type"]


@pytest.mark.parametrize("path", [p for p in FILES if json.loads(p.read_text())
                                  .get("type") == "modal"], ids=lambda p: p.stem)
def test_every_golden_modal_is_a_valid_view(path):
    View(**json.loads(path.read_text(encoding="utf-8"))).validate_json()
