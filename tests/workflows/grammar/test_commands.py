"""The command grammar: Chinese and English words give the same command (R27)."""
from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflows.grammar.commands import VERB_ALIASES, VERBS, Command, CommandError, parse

REF = "XT-2026-001"

# (English, Chinese, expected) — each verb in both languages.
BOTH_LANGUAGES = [
    ("new", "新建", Command(verb="new")),
    ("list", "列表", Command(verb="list")),
    ("list all", "列表 全部", Command(verb="list", words=["all"])),
    (f"show {REF}", f"查看 {REF}", Command(verb="show", ref=REF)),
    (f"assign {REF}", f"分工 {REF}", Command(verb="assign", ref=REF)),
    (f"daily {REF} #2 today: login page\ntomorrow: sign-up\nrisk: none",
     f"日报 {REF}＃2 今日进展：login page\n明日计划：sign-up\n风险：none",
     Command(verb="daily", ref=REF, sub=2,
             fields={"today": "login page", "tomorrow": "sign-up", "risk": "none"})),
    (f"issue {REF} urgent API down", f"问题 {REF} 紧急 API down",
     Command(verb="issue", ref=REF, words=["urgent"], text="API down",
             fields={"desc": "API down", "urgent": True})),
    (f"ack {REF}#2 on it", f"响应 {REF}#2 on it",
     Command(verb="ack", ref=REF, sub=2, text="on it")),
    (f"resolve {REF}#2 solution: restarted", f"解决 {REF}#2 解决方案: restarted",
     Command(verb="resolve", ref=REF, sub=2, fields={"solution": "restarted"})),
    (f"status {REF}#1 in progress", f"状态 {REF}#1 进行中",
     Command(verb="status", ref=REF, sub=1, words=["in_progress"])),
    (f"status {REF}#1 not started risk: low", f"状态 {REF}#1 未开始 风险: 低",
     Command(verb="status", ref=REF, sub=1, words=["not_started"], fields={"risk": "low"})),
    (f"status {REF}#1 done", f"状态 {REF}#1 已完成",
     Command(verb="status", ref=REF, sub=1, words=["done"])),
    (f"status {REF}#1 delayed", f"状态 {REF}#1 延期",
     Command(verb="status", ref=REF, sub=1, words=["delayed"])),
    ("board", "看板", Command(verb="board")),
    (f"board {REF}", f"看板 {REF}", Command(verb="board", ref=REF)),
    (f"change {REF}\nreason: API redesign\nimpact: +5 days\ndue: 8/20\nscope: drop page 2\n"
     "tasks: 1=8/20, 2=8/25",
     f"变更 {REF}\n变更原因: API redesign\n影响: +5 days\n新截止: 8/20\n范围: drop page 2\n"
     "任务截止: 1=8/20，2=8/25",
     Command(verb="change", ref=REF, fields={
         "reason": "API redesign", "impact": "+5 days", "due": "8/20", "scope": "drop page 2",
         "tasks": {1: "8/20", 2: "8/25"}})),
    (f"deliver {REF}\ndeliverables: page; visuals\nchecks: loads ≤2s=yes; 100%=✗",
     f"交付 {REF}\n交付物: page; visuals\n自检清单: loads ≤2s=是；100%=否",
     Command(verb="deliver", ref=REF, fields={
         "deliverables": "page; visuals", "checks": [("loads ≤2s", True, ""), ("100%", False, "")]})),
    (f"accept {REF} pass", f"验收 {REF} 通过", Command(verb="accept", ref=REF, words=["pass"])),
    (f"accept {REF} fail notes: slow", f"验收 {REF} 不通过 验收意见: slow",
     Command(verb="accept", ref=REF, words=["fail"], fields={"notes": "slow"})),
    (f"accept {REF} rework rework_due: 8/25", f"验收 {REF} 返工 返工截止: 8/25",
     Command(verb="accept", ref=REF, words=["rework"], fields={"rework_due": "8/25"})),
    (f"feedback {REF} plan page 3 is wrong", f"反馈 {REF} 方案 page 3 is wrong",
     Command(verb="feedback", ref=REF, words=["plan"], text="page 3 is wrong")),
    (f"reply {REF}#3 fixed", f"答复 {REF}#3 fixed",
     Command(verb="reply", ref=REF, sub=3, text="fixed")),
    (f"revise {REF} v2 uploaded", f"修订 {REF} v2 uploaded",
     Command(verb="revise", ref=REF, text="v2 uploaded")),
    (f"dispute {REF} who owns QA", f"争议 {REF} who owns QA",
     Command(verb="dispute", ref=REF, text="who owns QA", fields={"desc": "who owns QA"})),
    (f"lesson {REF} freeze specs early", f"复盘 {REF} freeze specs early",
     Command(verb="lesson", ref=REF, text="freeze specs early")),
    (f"archive {REF}", f"归档 {REF}", Command(verb="archive", ref=REF)),
    (f"archive file {REF}", f"档案 {REF}", Command(verb="archive_file", ref=REF)),  # R22
    (f"archive-file {REF} notes: plan a week earlier", f"归档文件{REF} 备注: plan a week earlier",
     Command(verb="archive_file", ref=REF, fields={"notes": "plan a week earlier"})),
    (f"receive {REF}", f"确认接收 {REF}", Command(verb="receive", ref=REF)),  # R28
    (f"risk {REF}", f"风险 {REF}", Command(verb="risk", ref=REF)),  # R32
    (f"action {REF}", f"行动项 {REF}", Command(verb="action", ref=REF)),  # R31
    (f"kickoff {REF}", f"启动会 {REF}", Command(verb="kickoff", ref=REF)),  # R29
    (f"memo {REF}", f"备忘录 {REF}", Command(verb="memo", ref=REF)),  # R30
    (f"resources {REF}", f"资源 {REF}", Command(verb="resources", ref=REF)),  # R33
    (f"huddle {REF}#2", f"碰头会 {REF}#2", Command(verb="huddle", ref=REF, sub=2)),  # R36
    (f"panel {REF} unanimous", f"验收小组 {REF} 全部通过", Command(verb="panel", ref=REF, words=["unanimous"])),  # R35
    (f"vote {REF} pass", f"投票 {REF} 通过", Command(verb="vote", ref=REF, words=["pass"])),
    (f"minutes {REF} decisions: go", f"纪要 {REF} 决定: go", Command(verb="minutes", ref=REF, text="", fields={"decisions": ["go"]})),
    (f"cancel {REF} reason: budget cut", f"取消 {REF} 原因: budget cut",
     Command(verb="cancel", ref=REF, fields={"reason": "budget cut"})),
    ("help", "帮助", Command(verb="help")),
    ("help daily", "帮助 日报", Command(verb="help", words=["daily"])),
]


@pytest.mark.parametrize("english, chinese, expected", BOTH_LANGUAGES)
def test_every_verb_in_both_languages(english: str, chinese: str, expected: Command) -> None:
    assert parse(english) == expected
    assert parse(chinese) == expected
    assert parse(f"/collab {english}") == expected
    assert parse(f"/协作 {chinese}") == expected


def test_every_verb_and_alias_is_covered() -> None:
    covered = {c.verb for _, _, c in BOTH_LANGUAGES}
    assert covered == set(VERBS)
    assert VERB_ALIASES["new"] == ("新建", "发起")
    assert parse("发起").verb == "new"


def test_the_guidelines_filing_example() -> None:
    """R1: a request with all its parts, typed as the guidelines' 需求单 reads."""
    command = parse(
        "/协作 新建\n"
        "名称：新品X推广页\n"
        "背景与目标：提升新品X转化率\n"
        "协作部门：技术部、设计部\n"
        "截止：8月15日\n"
        "交付标准：页面加载≤2秒，完成率100%\n"
        "时间节点：需求确认 7/20；开发完成 8/10；正式上线 8/15\n"
        "具体协作内容：技术部=开发页面；设计部：视觉稿\n"
        "接口人：技术部=李强；设计部=王芳")
    assert command.verb == "new" and command.ref is None
    assert command.fields == {
        "title": "新品X推广页",
        "goal": "提升新品X转化率",
        "depts": ["技术部", "设计部"],
        "due": "8月15日",
        "standard": "页面加载≤2秒，完成率100%",
        "milestones": [("需求确认", "7/20"), ("开发完成", "8/10"), ("正式上线", "8/15")],
        "content": {"技术部": "开发页面", "设计部": "视觉稿"},
        "contacts": {"技术部": "李强", "设计部": "王芳"},
    }


def test_filing_in_english_with_items_on_their_own_lines() -> None:
    command = parse(
        "new Landing page\n"
        "goal: lift conversion\n"
        "depts: Tech / Design , Marketing\n"
        "milestones:\n  requirements 7/20\n  launch 2026-08-15\n"
        "content:\nTech: build the page\nDesign: visuals\n"
        "contacts: Tech=Li, Design=Wang")
    assert command.text == "Landing page"
    assert "title" not in command.fields  # free text is no field: the caller may prefill a form
    assert command.fields["depts"] == ["Tech", "Design", "Marketing"]
    assert command.fields["milestones"] == [("requirements", "7/20"), ("launch", "2026-08-15")]
    assert command.fields["content"] == {"Tech": "build the page", "Design": "visuals"}
    assert command.fields["contacts"] == {"Tech": "Li", "Design": "Wang"}


def test_milestones_without_a_space_before_the_date() -> None:
    command = parse("新建\n时间节点: 需求确认7/20、开发完成8月10日; 上线 下周五")
    assert command.fields["milestones"] == [
        ("需求确认", "7/20"), ("开发完成", "8月10日"), ("上线", "下周五")]


def test_assign_with_the_guidelines_task_line() -> None:
    """R5: one lead (R), an owner, dates, supporting departments and A/C/I."""
    command = parse(
        f"分工 {REF}\n"
        "任务: 页面开发 | 负责: 技术部 | 负责人: 李强 | 截止: 8/10 | 开始: 7/21 | 配合: 设计部 "
        "| 标准: 页面加载≤2秒 | A: 产品部 | C: 设计部、市场部 | I: 市场部\n"
        "task: Visuals | lead: Design | owner: Wang | due: 8/5 | support: Tech, Product")
    assert command.ref == REF
    assert command.tasks == [
        {"task": "页面开发", "lead": "技术部", "owner": "李强", "due": "8/10", "start": "7/21",
         "support": ["设计部"], "standard": "页面加载≤2秒", "accountable": "产品部",
         "consulted": ["设计部", "市场部"], "informed": ["市场部"]},
        {"task": "Visuals", "lead": "Design", "owner": "Wang", "due": "8/5",
         "support": ["Tech", "Product"], "consulted": [], "informed": []},
    ]


def test_assign_tasks_on_one_line_and_parts_on_several() -> None:
    """Slack slash commands are one line; long tasks wrap over lines."""
    one_line = parse(f"assign {REF} task: A lead: Tech owner: Li due: 8/10 "
                     "task: B R: Design owner: Wang due: 8/11")
    assert [(t["task"], t["lead"]) for t in one_line.tasks] == [("A", "Tech"), ("B", "Design")]
    wrapped = parse(f"分工 {REF}\n任务：页面开发\n主导：技术部\n负责人：李强\n截止：8月10日")
    assert wrapped.tasks[0]["lead"] == "技术部" and wrapped.tasks[0]["due"] == "8月10日"


def test_assign_without_tasks_leaves_the_form_to_the_caller() -> None:
    assert parse(f"assign {REF}").tasks == []


def test_daily_free_text_is_todays_progress() -> None:
    command = parse(f"日报 {REF} 完成登录页开发")
    assert command.fields == {"today": "完成登录页开发"}
    assert command.sub is None


def test_one_line_fields_for_slack() -> None:
    command = parse(f"daily {REF}#1 today: login page, tomorrow: sign-up; risk: none")
    assert command.fields == {"today": "login page", "tomorrow": "sign-up", "risk": "none"}


def test_issue_fields() -> None:
    command = parse(
        f"问题 {REF}\n问题描述: 登录接口超时\n严重程度: 高\n紧急: 是\n责任部门: 技术部\n"
        "涉及部门: 技术部，运维部\n负责人: 李强\n影响范围: 全部用户\n建议方案: 扩容\n"
        "解决时限: 明天 10:00")
    assert command.fields == {
        "desc": "登录接口超时", "severity": "high", "urgent": True, "dept": "技术部",
        "depts": ["技术部", "运维部"], "owner": "李强", "scope": "全部用户",
        "suggestion": "扩容", "deadline": "明天 10:00"}
    english = parse(f"issue {REF} desc: timeout severity: Low urgent: no deadline: 2h")
    assert english.fields == {"desc": "timeout", "severity": "low", "urgent": False,
                              "deadline": "2h"}


def test_free_text_with_a_colon_is_not_a_field() -> None:
    """A colon in prose is not a typo'd field unless the message uses fields."""
    command = parse(f"问题 {REF} 注意：登录页白屏\n原因：CDN 故障")
    assert command.fields["desc"] == "注意：登录页白屏\n原因：CDN 故障"
    assert parse(f"feedback {REF} Note: page 3 is wrong").text == "Note: page 3 is wrong"
    assert parse(f"ack {REF}#1 see https://example.com/x").text == "see https://example.com/x"


def test_forgiving_about_case_width_and_spacing() -> None:
    expected = Command(verb="status", ref=REF, sub=1, words=["in_progress"],
                       fields={"risk": "high"})
    assert parse("  STATUS   xt-2026-001 # 1   In  Progress\n\nRISK ： 高 ") == expected
    assert parse("／协作　状态　ＸＴ－２０２６－００１＃１　进行中　风险：高") == expected
    assert parse(f"/collab status {REF}#1 in_progress risk: high") == expected
    assert parse(f"查看{REF}") == Command(verb="show", ref=REF)
    assert parse("show xlx-2024-015").ref == "XLX-2024-015"


def test_filing_without_fields_leaves_the_form_to_the_caller() -> None:
    assert parse("新建 新品X推广") == Command(verb="new", text="新品X推广")
    assert parse("/collab new") == Command(verb="new")


def test_deliverables_are_text_and_the_default_for_free_text() -> None:
    assert parse(f"交付 {REF} 推广页已上线").fields == {"deliverables": "推广页已上线"}


def test_empty_text_is_help() -> None:
    assert parse("") == Command(verb="help")
    assert parse("/collab ") == Command(verb="help")


MALFORMED = [
    ("frobnicate XT-2026-001", "command.unknown_verb", None, {"verb": "frobnicate"}),
    ("帮助 飞", "command.unknown_verb", "help", {"verb": "飞"}),
    ("show", "command.missing_ref", "show", {}),
    ("查看 全部", "command.bad_ref", "show", {"value": "全部"}),
    ("daily XT-2026-001# today", "command.bad_ref", "daily", {"value": "XT-2026-001#"}),
    ("ack XT-2026-001 ok", "command.missing_seq", "ack", {"ref": REF}),
    ("状态 XT-2026-001", "command.missing_seq", "status", {"ref": REF}),
    ("status XT-2026-001#1", "command.missing_status", "status", {"ref": REF}),
    ("status XT-2026-001#1 risk: extreme", "command.bad_value", "status",
     {"field": "risk", "value": "extreme"}),
    ("新建\n名称: X\n预算: 5万", "command.unknown_field", "new", {"field": "预算"}),
    ("new\nbudget: 5", "command.unknown_field", "new", {"field": "budget"}),
    ("daily XT-2026-001 today: a\nmood: good", "command.unknown_field", "daily",
     {"field": "mood"}),
    ("日报 XT-2026-001 今日: a\n截止: 8/1", "command.unknown_field", "daily", {"field": "截止"}),
    ("daily XT-2026-001 today: a\ntoday: b", "command.duplicate_field", "daily",
     {"field": "today"}),
    ("新建\n截止: 尽快", "command.bad_date", "new", {"field": "due", "value": "尽快"}),
    ("issue XT-2026-001 deadline: soon", "command.bad_date", "issue",
     {"field": "deadline", "value": "soon"}),
    ("accept XT-2026-001 rework rework_due: 8/32", "command.bad_date", "accept",
     {"field": "rework_due", "value": "8/32"}),
    ("change XT-2026-001 tasks: 1=someday", "command.bad_date", "change",
     {"field": "tasks", "value": "someday"}),
    ("change XT-2026-001 tasks: first=8/1", "command.bad_item", "change",
     {"field": "tasks", "item": "first=8/1"}),
    ("问题 XT-2026-001 严重程度: 特别高", "command.bad_value", "issue",
     {"field": "severity", "value": "特别高"}),
    ("issue XT-2026-001 urgent: maybe", "command.bad_value", "issue",
     {"field": "urgent", "value": "maybe"}),
    ("新建\n时间节点: 需求确认; 上线 8/15", "command.bad_item", "new",
     {"field": "milestones", "item": "需求确认"}),
    ("新建\n具体协作内容: 技术部开发页面", "command.bad_item", "new",
     {"field": "content", "item": "技术部开发页面"}),
    ("deliver XT-2026-001 checks: fast=maybe", "command.bad_item", "deliver",
     {"field": "checks", "item": "fast=maybe"}),
    ("分工 XT-2026-001\n任务: 页面开发 | 负责: 技术部 | 截止: 8/10", "command.bad_task_line",
     "assign", {"n": 1, "missing": ["owner"]}),
    ("assign XT-2026-001\ntask: a | lead: T | owner: L | due: 8/1\ntask: b",
     "command.bad_task_line", "assign", {"n": 2, "missing": ["lead", "owner", "due"]}),
    ("assign XT-2026-001\ntask: a | lead: T | owner: L | due: 8/1 | budget: 5",
     "command.unknown_task_key", "assign", {"n": 1, "key": "budget"}),
    ("assign XT-2026-001\ntask: a | lead: T | owner: L | due: 8/1 | asap",
     "command.bad_task_part", "assign", {"n": 1, "part": "asap"}),
    ("assign XT-2026-001\ntask: a | lead: T | owner: L | due: 8/1 | due: 8/2",
     "command.duplicate_field", "assign", {"field": "due"}),
    ("分工 XT-2026-001\n任务: a | 负责: 技术部、设计部 | 负责人: L | 截止: 8/1",
     "command.single_lead", "assign", {"n": 1, "value": "技术部、设计部"}),
    ("分工 XT-2026-001\n任务: a | 负责: 技术部 | 负责人: L | 截止: 八月", "command.bad_date",
     "assign", {"field": "due", "value": "八月"}),
    ("cancel XT-2026-001", "command.missing_reason", "cancel", {"ref": REF}),
    ("取消 XT-2026-001 原因:", "command.missing_reason", "cancel", {"ref": REF}),
    ("feedback XT-2026-001 plan", "command.missing_text", "feedback", {"ref": REF}),
    ("resolve XT-2026-001#1", "command.missing_text", "resolve", {"ref": REF}),
    ("复盘 XT-2026-001", "command.missing_text", "lesson", {"ref": REF}),
]


@pytest.mark.parametrize("text, key, verb, params", MALFORMED)
def test_malformed_input_names_the_error_and_the_verb(text: str, key: str, verb: str | None,
                                                      params: dict) -> None:
    with pytest.raises(CommandError) as info:
        parse(text)
    assert (info.value.key, info.value.verb, info.value.params) == (key, verb, params)


ERROR_KEYS = {key for _, key, _, _ in MALFORMED}

words = st.sampled_from(sorted({a for v, aliases in VERB_ALIASES.items() for a in (v, *aliases)}
                               | {"/collab", "/协作", REF, f"{REF}#1", "#", "＃", ":", "：",
                                  "task:", "任务:", "|", "due:", "截止:", "紧急", "in progress",
                                  "checks:", "时间节点:", "8/15", "=", "\n", "；", "、"}))
command_like = st.lists(st.one_of(words, st.text(max_size=8)), max_size=12).map(" ".join)


@given(text=st.one_of(st.text(max_size=60), command_like))
def test_parse_only_ever_raises_command_error(text: str) -> None:
    try:
        command = parse(text)
    except CommandError as err:
        assert err.key in ERROR_KEYS
        assert err.verb is None or err.verb in VERBS
        return
    assert command.verb in VERBS


@given(ref=st.from_regex(r"[A-Z]{1,4}-20[0-9]{2}-[0-9]{3}", fullmatch=True),
       seq=st.integers(1, 999), body=st.text(alphabet="abc 页面开发。", min_size=1, max_size=20))
def test_both_languages_give_the_same_command(ref: str, seq: int, body: str) -> None:
    if not body.strip():
        return
    for verb, aliases in VERB_ALIASES.items():
        results = []
        for word in (verb, *aliases):
            try:
                results.append(parse(f"{word} {ref.lower()}#{seq} {body}"))
            except CommandError as err:
                results.append((err.key, err.params, err.verb))
        assert all(r == results[0] for r in results), verb
