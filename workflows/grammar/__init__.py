"""The command language (R27): typed text and submitted forms in, canonical values out. The
grammar owns the only vocabulary (`vocabulary`); services receive parsed values."""
from __future__ import annotations

from workflows.grammar.commands import VERBS, command_text, error_text, parse, usage
from workflows.grammar.forms import read_form
from workflows.grammar.types import Command, CommandError

__all__ = ["Command", "CommandError", "VERBS", "command_text", "error_text", "parse", "read_form", "usage"]
