"""`collab-bot org sync dingtalk`: the address book (respx) → an org file — departments from the
root down, heads from department managers, VPs from the parent's manager, people by staff id,
paged member lists — and the org file laid over it wins."""
from __future__ import annotations

import json

import httpx
import respx
import yaml

from adapters.dingtalk.directory import ContactApi, org_document, read_directory, sync_to_file
from adapters.dingtalk.settings import DingTalkSettings
from workflows.org import parse_org

OAPI = "http://oapi.test"
SETTINGS = DingTalkSettings(client_id="k", client_secret="s", robot_code="r", oapi_url=OAPI)
SUBS = {1: [{"dept_id": 10, "name": "产品技术中心", "parent_id": 1},
            {"dept_id": 20, "name": "产品部", "parent_id": 1}],
        10: [{"dept_id": 11, "name": "技术部", "parent_id": 10}], 11: [], 20: []}
DEPTS = {10: {"dept_id": 10, "name": "产品技术中心", "parent_id": 1, "dept_manager_userid_list": ["zhao"]},
         11: {"dept_id": 11, "name": "技术部", "parent_id": 10, "dept_manager_userid_list": ["li", "x"]},
         20: {"dept_id": 20, "name": "产品部", "parent_id": 1, "dept_manager_userid_list": ["wang"]}}
USERS = {1: [], 10: [{"userid": "zhao", "name": "赵总", "unionid": "u-zhao"}],
         11: [{"userid": "li", "name": "李强", "org_email": "li@acme.example"},
              {"userid": "zheng", "name": "郑凯"}],
         20: [{"userid": "wang", "name": "王芳"}, {"userid": "zhou", "name": "周婷"}]}


def mock_address_book(mock: respx.MockRouter) -> None:
    mock.get(f"{OAPI}/gettoken").mock(return_value=httpx.Response(
        200, json={"errcode": 0, "access_token": "tok", "expires_in": 7200}))

    def listsub(request):
        return httpx.Response(200, json={"errcode": 0, "result": SUBS[json.loads(request.content)["dept_id"]]})

    def get(request):
        return httpx.Response(200, json={"errcode": 0, "result": DEPTS[json.loads(request.content)["dept_id"]]})

    def users(request):
        body = json.loads(request.content)
        members = USERS[body["dept_id"]]
        page = members[body["cursor"]:body["cursor"] + 1]  # one per page: the cursor is followed
        more = body["cursor"] + 1 < len(members)
        return httpx.Response(200, json={"errcode": 0, "result": {
            "list": page, "has_more": more, "next_cursor": body["cursor"] + 1}})

    mock.post(f"{OAPI}/topapi/v2/department/listsub").mock(side_effect=listsub)
    mock.post(f"{OAPI}/topapi/v2/department/get").mock(side_effect=get)
    mock.post(f"{OAPI}/topapi/v2/user/list").mock(side_effect=users)


async def test_the_address_book_becomes_an_importable_org_file():
    with respx.mock() as mock:
        mock_address_book(mock)
        directory = await read_directory(ContactApi(settings=SETTINGS), corp_id="dingcorp")
    doc = org_document(directory)
    depts = {d["name"]: d for d in doc["departments"]}
    assert depts["技术部"] == {"name": "技术部", "head": "li", "vp": "zhao"}
    assert depts["产品部"]["head"] == "wang" and depts["产品部"]["vp"] is None
    people = {p["id"]: p for p in doc["people"]}
    assert people["zheng"] == {"id": "zheng", "name": "郑凯", "identities": {"dingtalk": "zheng"},
                               "department": "技术部"}
    assert people["li"]["email"] == "li@acme.example" and "zhou" in people
    parse_org(doc)  # the importer accepts it


async def test_the_override_file_wins(tmp_path):
    override = tmp_path / "org.yaml"
    override.write_text(yaml.safe_dump({"workspace": {"name": "Acme", "locale": "en"},
                                        "departments": [{"name": "产品部", "liaison": "zhou"}]},
                                       allow_unicode=True), encoding="utf-8")
    out = tmp_path / "synced.yaml"
    with respx.mock() as mock:
        mock_address_book(mock)
        doc = await sync_to_file(settings=SETTINGS, out=out, corp_id="dingcorp", override=override)
    assert doc["workspace"]["platform"] == "dingtalk" and doc["workspace"]["locale"] == "en"
    assert {d["name"]: d for d in doc["departments"]}["产品部"]["liaison"] == "zhou"
    assert yaml.safe_load(out.read_text(encoding="utf-8")) == doc
