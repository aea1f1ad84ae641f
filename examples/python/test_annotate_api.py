"""The example backend against a real database: the throwaway cluster of scripts/cluster
(PGHOST/PGPORT from `scripts/cluster env`), with the app fixture and annotate_ext."""

import os

import psycopg
import pytest
from fastapi.testclient import TestClient

from annotate_api import create_app
from response_shape import Response

DB = "annotate_python_example"


def dsn(dbname):
    return f"host={os.environ['PGHOST']} port={os.environ['PGPORT']} user={os.environ.get('PGUSER', 'postgres')} dbname={dbname}"


@pytest.fixture(scope="module")
def database():
    with psycopg.connect(dsn("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {DB}")
        admin.execute(f"CREATE DATABASE {DB} TEMPLATE annotate_fixture")
    with psycopg.connect(dsn(DB), autocommit=True) as conn:
        conn.execute("CREATE EXTENSION annotate_ext")
        conn.execute("INSERT INTO public.us_states (state_iso, state_name) VALUES ('PA', 'Pennsylvania')")
        conn.execute("INSERT INTO public.agencies (id, name, jurisdiction_type) VALUES (1, 'Police', 'local')")
        conn.execute("INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label')")
        conn.execute(
            "INSERT INTO public.urls (id, url, source, scheme) "
            "SELECT i, 'pd.example.gov/page/' || i, 'collector', 'https' FROM generate_series(1, 3) i"
        )
        conn.execute("INSERT INTO public.link_batches__urls (batch_id, url_id) SELECT 1, id FROM public.urls")
        conn.execute(
            "INSERT INTO public.annotation__name__suggestions (url_id, suggestion, source) "
            "VALUES (1, 'Records Portal', 'HTML Metadata Title')"
        )
    yield dsn(DB)
    with psycopg.connect(dsn("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE {DB} WITH (FORCE)")


def test_get_returns_the_spec_shape(database):
    client = TestClient(create_app(database))
    body = client.get("/annotate/all", headers={"X-User-Id": "7"}, params={"batch_id": 1}).json()
    parsed = Response.model_validate(body)
    assert parsed.next_annotation.url_info.url_id == 1
    assert parsed.next_annotation.url_info.url == "https://pd.example.gov/page/1"
    assert parsed.next_annotation.batch_info.total_urls == 3
    assert parsed.next_annotation.name_suggestions.suggestions[0].robo_count == 1


def test_post_stores_labels_and_answers_with_the_next_url(database):
    client = TestClient(create_app(database))
    labels = {"url_type": "data source", "record_type": "Stops", "agency_id": 1, "location_id": 1, "batch_id": 1}
    body = client.post("/annotate/all/1", headers={"X-User-Id": "8"}, json=labels).json()
    parsed = Response.model_validate(body)
    assert parsed.next_annotation.url_info.url_id == 2
    assert parsed.next_annotation.batch_info.count_annotated == 1
    # Another user now sees URL 1 first (it has a vote) with the suggestions just made.
    other = Response.model_validate(client.get("/annotate/all", headers={"X-User-Id": "9"}).json())
    assert other.next_annotation.url_info.url_id == 1
    assert other.next_annotation.url_type_suggestions[0].url_type == "data source"
    assert other.next_annotation.agency_suggestions.suggestions[0].display_name == "Police"


def test_claims_keep_two_annotators_apart(database):
    client = TestClient(create_app(database, claim_for="10 minutes"))
    first = Response.model_validate(client.get("/annotate/all", headers={"X-User-Id": "20"}).json())
    second = Response.model_validate(client.get("/annotate/all", headers={"X-User-Id": "21"}).json())
    again = Response.model_validate(client.get("/annotate/all", headers={"X-User-Id": "20"}).json())
    assert first.next_annotation.url_info.url_id != second.next_annotation.url_info.url_id
    assert again.next_annotation.url_info.url_id == first.next_annotation.url_info.url_id


def test_an_empty_queue_is_null(database):
    client = TestClient(create_app(database))
    body = client.get("/annotate/all", headers={"X-User-Id": "7"}, params={"batch_id": 999}).json()
    assert body == {"next_annotation": None}
    assert Response.model_validate(body).next_annotation is None
