"""A database of the example's tests' own, in the cluster that the libpq environment variables
name (PGHOST, PGPORT, PGUSER; annotate_ext installed there): the app's schema, three URLs in
batch 1, one agency, and annotate_ext. Dropped at the end."""

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest

APP_SCHEMA = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "app_schema.sql"
SEED = """
INSERT INTO public.us_states (state_iso, state_name) VALUES ('PA', 'Pennsylvania');
INSERT INTO public.agencies (name, jurisdiction_type) VALUES ('Police', 'local');
INSERT INTO public.batches (strategy, status) VALUES ('manual', 'ready to label');
INSERT INTO public.urls (url, source, scheme)
SELECT 'pd.example.gov/page/' || i, 'collector', 'https' FROM generate_series(1, 3) i;
INSERT INTO public.link_batches__urls (batch_id, url_id) SELECT 1, id FROM public.urls;
INSERT INTO public.annotation__name__suggestions (url_id, suggestion, source)
VALUES (1, 'Records Portal', 'HTML Metadata Title');
"""


def conninfo(dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(dbname=dbname)


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """The libpq connection string of a fresh app database with annotate_ext."""
    name = f"annotate_example_tests_{os.getpid()}"
    with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(conninfo(name), autocommit=True) as conn:
            conn.execute(APP_SCHEMA.read_text())
            conn.execute(SEED)
            conn.execute("CREATE EXTENSION annotate_ext")
        yield conninfo(name)
    finally:
        with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def admin(database: str) -> Iterator[psycopg.Connection[Any]]:
    with psycopg.connect(database, autocommit=True) as conn:
        yield conn
