"""DESIGN: imports flow bot → adapters → workflows → storage; the core never imports a platform SDK."""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SDKS = ("slack_bolt", "slack_sdk", "lark_oapi", "dingtalk_stream", "alibabacloud")
RULES = {"workflows": SDKS + ("bot", "adapters"), "storage": SDKS + ("bot", "adapters", "workflows"),
         "adapters": ("bot",)}


def imports(path: Path) -> set[str]:
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_imports_flow_one_way_and_the_core_imports_no_platform_sdk():
    offences = []
    for folder, banned in RULES.items():
        for path in (ROOT / folder).rglob("*.py"):
            bad = imports(path) & set(banned)
            if bad:
                offences.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offences == []


def test_workflows_never_read_the_wall_clock():
    text = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "workflows").rglob("*.py")
                     if p.name != "clock.py")
    for call in ("datetime.now(", "datetime.utcnow(", "date.today(", "time.time("):
        assert call not in text


def test_starting_without_platform_settings_imports_no_platform_sdk():
    """lark_oapi alone costs ~4.5 s to import: only a configured platform may pay it."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "FEISHU_", "DINGTALK_"))}
    code = ("import sys; from bot.app import build; from bot.settings import Settings; "
            "build(Settings(database_url='sqlite:///:memory:', local_platform=True)); "
            "print(sorted(m for m in ('lark_oapi', 'slack_bolt', 'slack_sdk', 'dingtalk_stream') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


DOMAINS = ("requests", "tasks", "progress", "issues", "changes", "feedback", "acceptance", "archive")


def _workflow_imports(path: Path) -> set[str]:
    """`workflows.<package>` names a module imports."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("workflows."):
            found.add(node.module.split(".")[1])
    return found


def test_the_kernel_and_the_grammar_know_no_domain():
    """Shared plumbing serves the domains; it never reaches into one."""
    offences = [f"{p.relative_to(ROOT)} imports {sorted(_workflow_imports(p) & set(DOMAINS))}"
                for package in ("kernel", "grammar") for p in (ROOT / "workflows" / package).rglob("*.py")
                if _workflow_imports(p) & set(DOMAINS)]
    assert offences == []


def test_the_router_only_gathers_and_nothing_registers_by_side_effect():
    router = ast.parse((ROOT / "workflows" / "router.py").read_text(encoding="utf-8"))
    assert not [n for n in ast.walk(router) if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))]
    for package in DOMAINS:
        assert (ROOT / "workflows" / package / "routes.py").exists(), package
    side_effect = [p for p in (ROOT / "workflows").rglob("*.py")
                   if "# noqa: F401" in p.read_text(encoding="utf-8")]
    assert side_effect == []


def test_no_module_is_over_400_lines():
    generated = ROOT / "storage" / "migrations" / "versions"  # Alembic's, checked against the models
    long = [f"{p.relative_to(ROOT)}: {n}" for folder in ("bot", "adapters", "workflows", "storage")
            for p in (ROOT / folder).rglob("*.py") if generated not in p.parents
            and (n := len(p.read_text(encoding="utf-8").splitlines())) > 400]
    assert long == []
