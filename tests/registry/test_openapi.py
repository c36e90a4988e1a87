"""The OpenAPI document is served and complete: every API route is in it, with its request
body schema, its success response and the error responses it can give."""

from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from zicht.web import api
from zicht.web.app import create_app

PUBLIC = {("GET", "/api/v1/codes")}


def test_openapi_lists_every_route_with_its_responses(registry):
    app = create_app(registry)
    doc = TestClient(app).get("/api/v1/openapi.json")
    assert doc.status_code == 200
    spec = doc.json()
    routes = {(m, r.path) for r in api.router.routes if isinstance(r, APIRoute)
              for m in r.methods}
    assert len(routes) >= 15
    documented = {(m.upper(), path) for path, ops in spec["paths"].items() for m in ops}
    assert routes == documented
    for path, ops in spec["paths"].items():
        for method, op in ops.items():
            responses = set(op["responses"])
            assert any(code.startswith("2") for code in responses), (method, path)
            if (method.upper(), path) not in PUBLIC:
                assert {"401", "403"} <= responses, (method, path, responses)
            if method in ("post", "put", "patch"):
                assert "requestBody" in op and "422" in responses, (method, path)
            assert op.get("summary"), (method, path)
    # the report schema names the code lists it accepts
    report = spec["components"]["schemas"]["ReportIn"]["properties"]
    assert "POL" in report["reporter_category"]["description"]
    assert "SEX" in report["exploitation_forms"]["description"]
    assert spec["info"]["title"] and spec["info"]["version"]
