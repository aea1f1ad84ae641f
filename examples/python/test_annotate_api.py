"""The example backend over HTTP (TestClient), against its own database (conftest.py)."""

from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from annotate_ext import AnonymousNextAnnotation, NextAnnotation, UrlType
from fastapi.testclient import TestClient

import annotate_api
from annotate_api import create_app, libpq_conninfo


@pytest.fixture(scope="module")
def client(database: str) -> Iterator[TestClient]:
    with TestClient(create_app(database)) as client:
        yield client


def user(user_id: int) -> dict[str, str]:
    return {"X-User-Id": str(user_id)}


def next_url(response: Any) -> int | None:
    assert response.status_code == 200, response.text
    body = NextAnnotation.model_validate(response.json())
    return body.next_annotation and body.next_annotation.url_info.url_id


def test_get_returns_the_spec_shape(client: TestClient) -> None:
    response = client.get("/annotate/all", headers=user(7), params={"batch_id": 1})
    body = NextAnnotation.model_validate(response.json())
    assert body.next_annotation.url_info.url_id == 1
    assert body.next_annotation.url_info.url == "https://pd.example.gov/page/1"
    assert body.next_annotation.batch_info.total_urls == 3
    assert body.next_annotation.name_suggestions.suggestions[0].robo_count == 1
    assert next_url(client.get("/annotate/all", headers=user(7), params={"batch_id": 1, "skip": 1})) == 2
    assert next_url(client.get("/annotate/all", headers=user(7), params={"url_id": 3})) == 3


def test_post_stores_labels_and_answers_with_the_next_url(client: TestClient) -> None:
    labels = {
        "url_type": "data source",
        "record_type": "Stops",
        "agency_ids": [1],
        "location_ids": [1],
        "name_suggestion_id": 1,
    }
    response = client.post("/annotate/all/1", headers=user(8), params={"batch_id": 1}, json=labels)
    body = NextAnnotation.model_validate(response.json())
    assert body.next_annotation.url_info.url_id == 2
    assert body.next_annotation.batch_info.count_annotated == 1
    # Another user now sees URL 1 first (it has a vote) with the suggestions just made.
    other = NextAnnotation.model_validate(client.get("/annotate/all", headers=user(9)).json())
    assert other.next_annotation.url_info.url_id == 1
    assert other.next_annotation.url_type_suggestions[0].url_type is UrlType.DATA_SOURCE
    assert other.next_annotation.agency_suggestions.suggestions[0].display_name == "Police"
    assert other.next_annotation.name_suggestions.suggestions[0].user_count == 1


def test_the_same_label_twice_is_409(client: TestClient) -> None:
    assert client.post("/annotate/all/2", headers=user(10), json={"url_type": "meta url"}).status_code == 200
    response = client.post("/annotate/all/2", headers=user(10), json={"url_type": "meta url"})
    assert response.status_code == 409
    assert "duplicate key" in response.json()["detail"]


@pytest.mark.parametrize(
    ("url_id", "labels", "status", "says"),
    [
        (999999, {"url_type": "meta url"}, 404, 'Key (url_id)=(999999) is not present in table "urls"'),
        (3, {"agency_ids": [999]}, 404, 'Key (agency_id)=(999) is not present in table "agencies"'),
        (3, {"url_type": "no such type"}, 422, "url_type"),  # refused before the database
        (3, {"colour": "red"}, 422, "colour"),
    ],
)
def test_unknown_references_404_malformed_labels_422(
    client: TestClient, url_id: int, labels: dict[str, Any], status: int, says: str
) -> None:
    response = client.post(f"/annotate/all/{url_id}", headers=user(11), json=labels)
    assert response.status_code == status, response.text
    assert says in str(response.json()["detail"])


@pytest.mark.parametrize(
    ("params", "says"),
    [({"skip": -1}, "skip"), ({"claim_seconds": 0}, "claim_for"), ({"claim_seconds": 10**6}, "claim_for")],
)
def test_bad_arguments_are_400(client: TestClient, params: dict[str, int], says: str) -> None:
    response = client.get("/annotate/all", headers=user(7), params=params)
    assert response.status_code == 400
    assert says in response.json()["detail"]


def test_claims_keep_two_annotators_apart(client: TestClient) -> None:
    claim = {"batch_id": 1, "claim_seconds": 600}
    first = next_url(client.get("/annotate/all", headers=user(20), params=claim))
    second = next_url(client.get("/annotate/all", headers=user(21), params=claim))
    assert first != second
    assert next_url(client.get("/annotate/all", headers=user(20), params=claim)) == first
    assert client.delete(f"/annotate/all/{first}/claim", headers=user(20)).json() == {"released": True}
    assert client.delete(f"/annotate/all/{first}/claim", headers=user(20)).json() == {"released": False}
    assert next_url(client.get("/annotate/all", headers=user(22), params=claim)) == first
    for user_id, url_id in ((21, second), (22, first)):
        assert client.delete(f"/annotate/all/{url_id}/claim", headers=user(user_id)).json() == {
            "released": True
        }


def test_anonymous_visitor(client: TestClient) -> None:
    response = client.get("/annotate/anonymous", params={"claim_seconds": 60})
    assert response.status_code == 200, response.text
    body = AnonymousNextAnnotation.model_validate(response.json())
    session, url_id = str(body.session_id), body.next_annotation.url_info.url_id
    labelled = client.post(
        f"/annotate/anonymous/{url_id}", params={"session_id": session}, json={"url_type": "meta url"}
    )
    after = AnonymousNextAnnotation.model_validate(labelled.json())
    assert str(after.session_id) == session
    assert after.next_annotation.url_info.url_id != url_id
    again = client.get("/annotate/anonymous", params={"session_id": session, "claim_seconds": 60})
    claimed = AnonymousNextAnnotation.model_validate(again.json()).next_annotation.url_info.url_id
    assert claimed != url_id
    # The URL claimed, not the one the POST answered with: a claim passes over a URL the
    # background fold holds at that moment, so the two may differ.
    released = client.delete(f"/annotate/anonymous/{claimed}/claim", params={"session_id": session})
    assert released.json() == {"released": True}


def test_an_empty_queue_is_null(client: TestClient) -> None:
    response = client.get("/annotate/all", headers=user(7), params={"batch_id": 999})
    assert response.json() == {"next_annotation": None}


def test_openapi_shows_the_models(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    for path, method, model in [
        ("/annotate/all", "get", "NextAnnotation"),
        ("/annotate/all/{url_id}", "post", "NextAnnotation"),
        ("/annotate/all/{url_id}/claim", "delete", "Released"),
        ("/annotate/anonymous", "get", "AnonymousNextAnnotation"),
        ("/annotate/anonymous/{url_id}", "post", "AnonymousNextAnnotation"),
        ("/annotate/anonymous/{url_id}/claim", "delete", "Released"),
    ]:
        responses = schema["paths"][path][method]["responses"]
        assert responses["200"]["content"]["application/json"]["schema"] == {
            "$ref": f"#/components/schemas/{model}"
        }
        assert {"400", "404", "409", "422", "503"} <= responses.keys()
    components = schema["components"]["schemas"]
    assert components["UrlType"]["enum"] == [t.value for t in UrlType]
    assert "Annotation" in components and "Suggestion" in components


def test_not_attached_is_503(client: TestClient, admin: psycopg.Connection[Any]) -> None:
    admin.execute("SELECT annotate.detach()")
    try:
        response = client.get("/annotate/all", headers=user(7))
        assert response.status_code == 503
        assert response.json() == {"detail": "NotAttached"}
    finally:
        admin.execute("SELECT * FROM annotate.attach()")


def test_statement_timeout_is_503(database: str) -> None:
    with TestClient(create_app(database + " options='-c statement_timeout=200'")) as client:
        with psycopg.connect(database) as locker:
            locker.execute("LOCK TABLE public.urls IN ACCESS EXCLUSIVE MODE")
            response = client.get("/annotate/all", headers=user(7))
        assert response.status_code == 503
        assert response.json() == {"detail": "QueryCanceled"}
        assert response.headers["Retry-After"] == "1"


def test_the_module_app_reads_database_url(database: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("POOL_MAX_SIZE", "2")
    with TestClient(annotate_api.app) as client:
        pool = annotate_api.app.state.pool
        assert pool.max_size == 2 and not pool.closed
        assert next_url(client.get("/annotate/all", headers=user(30), params={"batch_id": 1})) is not None
    assert pool.closed  # the lifespan closed it


def test_database_url_forms() -> None:
    assert libpq_conninfo("postgresql+asyncpg://app@db/annotate") == "postgresql://app@db/annotate"
    assert libpq_conninfo("postgresql://app@db/annotate") == "postgresql://app@db/annotate"
    assert libpq_conninfo("dbname=annotate") == "dbname=annotate"
