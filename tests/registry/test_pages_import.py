"""The import page: a file uploaded through the form is imported, or every error is listed."""

import re

from fastapi.testclient import TestClient

from zicht.web.app import create_app

from .conftest import PASSWORD


def _csrf(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def test_upload_through_the_page(world):
    client = TestClient(create_app(world.registry), follow_redirects=False)
    client.post("/login", data={"username": "rep_a", "password": PASSWORD,
                                "csrf_token": _csrf(client.get("/login").text)})
    csrf = _csrf(client.get("/import").text)
    bad = client.post("/import", data={"csrf_token": csrf}, files={
        "file": ("a.csv", b"received_date,sex,given_name\n2025-01-01,Q,Ana\nbad,F,Eva\n")})
    assert bad.status_code == 422
    cells = re.findall(r'<td class="utrecht-table__cell">([^<]*)</td>', bad.text)
    assert cells[0::3] == ["1", "2"] and cells[1::3] == ["sex", "received_date"]
    good = client.post("/import", data={"csrf_token": csrf}, files={
        "file": ("a.csv", b"received_date,sex,source_ref,voornaam\n2025-01-01,F,PG-1,Ana\n")})
    assert good.status_code == 200 and "Import voltooid" in good.text
    assert world.registry.list_reports(world.actor("rep_a")).total == 1
