"""Reading an org file: YAML with every node's line kept, so each problem names its line, and
the file's hash, so an unchanged `ORG_FILE` is not imported again at every start."""
from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import yaml

from workflows.org.model import Complete, OrgError, OrgSpec, parse_org
from workflows.org.checks import Loc

_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the C parser: a 2,000-person file in ms


def _lines(node: yaml.Node, path: Loc, out: dict[Loc, int]) -> None:
    out.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if isinstance(key, yaml.ScalarNode):
                _lines(value, (*path, key.value), out)
                out[(*path, key.value)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _lines(item, (*path, i), out)


def load_org_text(text: str, *, complete: Complete | None = None) -> OrgSpec:
    """Parse and validate; OrgError lists every problem with its line. The lines come from a
    second pass over the text, taken only when there is a problem to place."""
    try:
        data: Any = yaml.load(text, Loader=_Loader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else "the file"
        problem = getattr(exc, "problem", None) or str(exc)
        raise OrgError([f"{where}: malformed YAML: {problem}"]) from None
    try:
        return parse_org(data, complete=complete)
    except OrgError:
        lines: dict[Loc, int] = {}
        node = yaml.compose(text, Loader=_Loader)
        if node is not None:
            _lines(node, (), lines)
        return parse_org(data, lines=lines, complete=complete)


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read_org_file(path: Path, *, complete: Complete | None = None) -> tuple[OrgSpec, str]:
    """(spec, hash). OSError and UnicodeDecodeError become an OrgError naming the file.
    `complete`: the workspace platform's additions (`adapters.registry.complete_org`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise OrgError([f"{path}: cannot read: {exc}"]) from None
    return load_org_text(text, complete=complete), digest(text)
