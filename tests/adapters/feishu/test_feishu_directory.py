"""Directory sync: Feishu's contact directory (a fake, over HTTP, paginated) → the org file that
`org import` reads — heads from department leaders, VPs from the parent's leader, the org file
as the override — and the result imported into the real core."""
from __future__ import annotations

import pytest
import yaml

from adapters.feishu.directory import sync_to_file
from feishu_fakes import FakeFeishu, settings
from workflows.clock import SystemClock
from workflows.core import Core
from workflows.events import Tenant
from workflows.org import parse_org

DEPARTMENTS = [
    {"name": "产品技术中心", "open_department_id": "od-center", "parent_department_id": "0",
     "leader_user_id": "ou_zhao"},
    {"name": "技术部", "open_department_id": "od-tech", "parent_department_id": "od-center",
     "leader_user_id": "ou_li"},
    {"name": "设计部", "open_department_id": "od-design", "parent_department_id": "od-center",
     "leader_user_id": "ou_huang"},
    {"name": "产品部", "open_department_id": "od-product", "parent_department_id": "0",
     "leader_user_id": "ou_wang"},
]
MEMBERS = {
    "0": [{"open_id": "ou_ceo", "name": "钱总"}],
    "od-center": [],
    "od-tech": [{"open_id": "ou_li", "name": "李强", "email": "li@example.com"},
                {"open_id": "ou_wu", "name": "吴磊"},
                {"open_id": "ou_gone", "name": "离职者", "status": {"is_resigned": True}}],
    "od-design": [{"open_id": "ou_huang", "name": "黄蕾"}, {"open_id": "ou_lin", "name": "林琳"}],
    "od-product": [{"open_id": "ou_wang", "name": "王芳"}, {"open_id": "ou_sun", "name": "孙浩"}],
}


@pytest.fixture
async def fake():
    server = await FakeFeishu().start()

    def children(call):  # two pages, as Feishu paginates
        if call.query.get("page_token") == "p2":
            return {"code": 0, "data": {"items": DEPARTMENTS[2:], "has_more": False}}
        return {"code": 0, "data": {"items": DEPARTMENTS[:2], "has_more": True, "page_token": "p2"}}

    server.answers.update({
        "/open-apis/tenant/v2/tenant/query": {"code": 0, "data": {"tenant": {
            "tenant_key": "2ca1d211f64f6438", "name": "示例公司"}}},
        "/open-apis/contact/v3/departments/0/children": children,
        "/open-apis/contact/v3/users/find_by_department": lambda call: {
            "code": 0, "data": {"items": MEMBERS[call.query["department_id"]], "has_more": False}},
        "/open-apis/contact/v3/users/ou_zhao": {"code": 0, "data": {"user": {
            "open_id": "ou_zhao", "name": "赵总"}}},
    })
    yield server
    await server.stop()


async def test_sync_writes_an_org_file_with_heads_and_vps(fake, tmp_path):
    out = tmp_path / "org.yaml"
    await sync_to_file(settings=settings(fake.url), out=out)
    org = parse_org(yaml.safe_load(out.read_text(encoding="utf-8")))  # what `org import` reads
    assert (org.workspace.platform, org.workspace.id) == ("feishu", "2ca1d211f64f6438")
    depts = {d.name: (d.head, d.vp) for d in org.departments}
    assert depts["技术部"] == ("ou_li", "ou_zhao") and depts["设计部"] == ("ou_huang", "ou_zhao")
    assert depts["产品部"] == ("ou_wang", None)  # under the root: no VP in the directory
    people = {p.id: p for p in org.people}
    assert people["ou_zhao"].name == "赵总" and people["ou_zhao"].department is None
    assert people["ou_li"].department == "技术部" and people["ou_li"].email == "li@example.com"
    assert people["ou_li"].identities == {"feishu": "ou_li"}
    assert "ou_gone" not in people
    assert len(fake.find("GET", "/departments/0/children")) == 2  # both pages read


async def test_the_org_file_overrides_the_directory(fake, tmp_path):
    override = tmp_path / "override.yaml"
    override.write_text(yaml.safe_dump({
        "workspace": {"name": "我们公司", "settings": {"policy": {"urgent_ack_hours": 1}}},
        "departments": [{"name": "产品部", "liaison": "ou_sun", "vp": "ou_zhao"}],
        "people": [{"id": "ou_sun", "name": "孙浩（产品接口人）", "department": "产品部",
                    "identities": {"feishu": "ou_sun"}}]}, allow_unicode=True), encoding="utf-8")
    out = tmp_path / "org.yaml"
    await sync_to_file(settings=settings(fake.url), out=out, override=override)
    org = parse_org(yaml.safe_load(out.read_text(encoding="utf-8")))
    product = next(d for d in org.departments if d.name == "产品部")
    assert (product.head, product.liaison, product.vp) == ("ou_wang", "ou_sun", "ou_zhao")
    assert org.workspace.name == "我们公司" and org.workspace.settings["policy"]["urgent_ack_hours"] == 1
    assert next(p for p in org.people if p.id == "ou_sun").name == "孙浩（产品接口人）"


async def test_a_synced_org_imports_into_the_core(fake, tmp_path, db):
    out = tmp_path / "org.yaml"
    await sync_to_file(settings=settings(fake.url), out=out)
    core = Core(db=db, clock=SystemClock())
    await core.import_org(parse_org(yaml.safe_load(out.read_text(encoding="utf-8"))))
    snapshot = await core.org_snapshot(tenant=Tenant("feishu", "2ca1d211f64f6438"))
    tech = next(d for d in snapshot["departments"] if d["name"] == "技术部")
    assert (tech["head"], tech["vp"], sorted(tech["members"])) == ("ou_li", "ou_zhao", ["ou_li", "ou_wu"])
