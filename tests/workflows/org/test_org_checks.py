"""Issue 14: an org file that would break the workspace is refused before anything is written,
every problem named with its line."""
from __future__ import annotations

import pytest

from workflows.org import OrgError
from workflows.org.file import load_org_text

GOOD = """\
workspace: {platform: local, id: acme, locale: zh-CN, timezone: Asia/Shanghai, country: CN}
departments:
  - {name: 市场部, head: liu, liaison: chen}
  - {name: 技术部, head: li}
people:
  - {id: liu, name: 刘敏, department: 市场部}
  - {id: chen, name: 陈静, department: 市场部}
  - {id: li, name: 李强, department: 技术部, identities: {slack: U1}}
"""


def refused(text: str) -> list[str]:
    with pytest.raises(OrgError) as caught:
        load_org_text(text)
    return caught.value.problems


def test_a_good_file_passes():
    spec = load_org_text(GOOD)
    assert [p.id for p in spec.people] == ["liu", "chen", "li"]


@pytest.mark.parametrize("old, new, expected", [
    ("country: CN", "country: XX", "line 1 (workspace.country)"),
    ("timezone: Asia/Shanghai", "timezone: Mars/Olympus", "line 1 (workspace.timezone)"),
    ("locale: zh-CN", "locale: fr", "line 1 (workspace.locale)"),
    ("platform: local", "platform: teams", "line 1 (workspace.platform)"),
    ("  - {name: 技术部, head: li}", "  - {name: 技术部}", "line 4 (departments[1].head): department 技术部 has no head"),
    ("  - {name: 技术部, head: li}", "  - {name: 市场部, head: li}", "line 4 (departments[1]): department '市场部' is listed twice"),
    ("  - {id: chen, name: 陈静", "  - {id: liu, name: 陈静", "line 7 (people[1]): person 'liu' is listed twice"),
    ("  - {id: chen, name: 陈静, department: 市场部}", "  - {id: chen, name: 陈静, department: 市场部, identities: {slack: U1}}",
     "line 8 (people[2].identities.slack): person li: slack id 'U1' already belongs to chen"),
    ("department: 技术部,", "department: 法务部,", "line 8 (people[2].department): person li: department '法务部' is not defined"),
    ("head: liu,", "head: nobody,", "line 3 (departments[0].head): department 市场部: head 'nobody' is not among people"),
])
def test_each_broken_value_is_named_with_its_line(old, new, expected):
    assert old in GOOD
    found = refused(GOOD.replace(old, new, 1))
    assert any(expected in p for p in found), found


def test_policy_values_are_checked_before_they_can_fail_every_event():
    text = GOOD.replace("country: CN}", "country: CN,\n  settings: {policy: {title_max: many, hurry: 1}}}")
    found = refused(text)
    assert any(p.startswith("line 2 (workspace.settings.policy.title_max)") for p in found), found
    assert any("workspace.settings.policy.hurry" in p and "unknown policy setting" in p for p in found), found
    bad_pattern = GOOD.replace("country: CN}", "country: CN, settings: {policy: {number_pattern: 'XT-{month}'}}}")
    assert any("number_pattern" in p for p in refused(bad_pattern))


def test_every_problem_is_listed_at_once():
    text = GOOD.replace("country: CN", "country: XX").replace("  - {name: 技术部, head: li}", "  - {name: 技术部}")
    assert len(refused(text)) == 2


def test_malformed_yaml_is_one_line_with_its_position():
    found = refused(GOOD.replace("  - {id: chen, name: 陈静, department: 市场部}", "  - {id: chen, name: [陈静"))
    assert len(found) == 1 and found[0].startswith("line ") and "malformed YAML" in found[0]


def test_a_misspelt_field_is_refused_not_ignored():
    found = refused(GOOD.replace("head: liu,", "haed: liu, head: liu,"))
    assert any("line 3 (departments[0].haed)" in p for p in found), found
