"""A database of the tests' own: the app's schema (tests/fixtures/app_schema.sql), a little
data, and annotate_ext; dropped at the end. The cluster is the one the libpq environment
variables name (PGHOST, PGPORT, PGUSER); annotate_ext must be installed in it. Every test
that changes the queue works in a batch of URLs of its own (`batch`)."""

import os
from collections.abc import AsyncIterator, Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import create_engine
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine
from sqlalchemy.orm import Session

from testsupport import APP_SCHEMA, SESSION_ID, Batch, Client, conninfo, sqlalchemy_url

SEED = """
INSERT INTO public.us_states (state_iso, state_name) VALUES ('PA', 'Pennsylvania');
INSERT INTO public.counties (fips, name, state_id) VALUES ('42101', 'Philadelphia County', 1);
INSERT INTO public.localities (name, county_id) VALUES ('Philadelphia', 1);
INSERT INTO public.agencies (name, jurisdiction_type)
VALUES ('Police Department', 'local'), ('Sheriff', 'county');
INSERT INTO public.anonymous_sessions (id) VALUES ('{session}');
INSERT INTO public.tasks (task_type, task_status) VALUES ('Agency Identification', 'complete');
"""

# What the first URL of every batch carries: content, a name and a robot's agency, a user's
# url type vote and an anonymous record type vote.
FIRST_URL = [
    "INSERT INTO public.url_html_content (url_id, content_type, content) "
    "VALUES (%(url)s, 'Title', 'Crime Statistics')",
    "INSERT INTO public.annotation__name__suggestions (url_id, suggestion, source) "
    "VALUES (%(url)s, 'Records Portal', 'HTML Metadata Title')",
    """WITH s AS (INSERT INTO public.annotation__agency__auto__subtasks (task_id, url_id, type)
                  VALUES (1, %(url)s, 'homepage_match') RETURNING id)
       INSERT INTO public.annotation__agency__auto__suggestions (subtask_id, agency_id, confidence)
       SELECT id, 1, 80 FROM s""",
    "INSERT INTO public.annotation__url_type__user (url_id, user_id, type) "
    "VALUES (%(url)s, 900, 'data source')",
    "INSERT INTO public.annotation__record_type__anon (url_id, record_type, session_id) "
    "VALUES (%(url)s, 'Stops', %(session)s)",
]


@pytest.fixture(scope="session")
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def database() -> Iterator[str]:
    """The name of a fresh app database with annotate_ext, dropped afterwards."""
    name = f"annotate_client_tests_{os.getpid()}"
    with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f"DROP DATABASE IF EXISTS {name}")
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(conninfo(name), autocommit=True) as conn:
            conn.execute(APP_SCHEMA.read_text())
            conn.execute(SEED.format(session=SESSION_ID))
            conn.execute("CREATE EXTENSION annotate_ext")
        yield name
    finally:
        with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def admin(database: str) -> Iterator[psycopg.Connection[Any]]:
    """An autocommit superuser connection to the test database, for setup and for watching."""
    with psycopg.connect(conninfo(database), autocommit=True) as conn:
        yield conn


@pytest.fixture
def batch(admin: psycopg.Connection[Any]) -> Batch:
    """A new batch of three new URLs; the first has content, votes and suggestions."""
    batch_id = admin.execute(
        "INSERT INTO public.batches (strategy, status) VALUES ('manual', 'ready to label') RETURNING id"
    ).fetchone()[0]
    url_ids = [
        row[0]
        for row in admin.execute(
            "INSERT INTO public.urls (url, source, scheme, trailing_slash) "
            "SELECT 'pd.example.gov/' || %s || '/' || i, 'collector', 'https', i = 3 "
            "FROM generate_series(1, 3) i RETURNING id",
            (batch_id,),
        ).fetchall()
    ]
    admin.execute(
        "INSERT INTO public.link_batches__urls (batch_id, url_id) SELECT %s, unnest(%s::int[])",
        (batch_id, url_ids),
    )
    for statement in FIRST_URL:
        admin.execute(statement, {"url": url_ids[0], "session": SESSION_ID})
    return Batch(batch_id, url_ids)


# Every kind of connection the functions take: psycopg's own, and SQLAlchemy's sessions and
# connections over each dialect.
BACKENDS = [
    "psycopg",
    "psycopg async",
    "sqlalchemy Session, psycopg",
    "sqlalchemy Connection, psycopg",
    "sqlalchemy AsyncSession, asyncpg",
    "sqlalchemy AsyncSession, psycopg",
    "sqlalchemy AsyncConnection, asyncpg",
]


@pytest.fixture(params=BACKENDS)
async def client(request: pytest.FixtureRequest, database: str) -> AsyncIterator[Client]:
    """Each backend in turn, on a connection that is in a transaction until committed."""
    backend: str = request.param
    if backend == "psycopg":
        with psycopg.connect(conninfo(database)) as conn:
            yield Client(conn, is_async=False)
    elif backend == "psycopg async":
        async with await psycopg.AsyncConnection.connect(conninfo(database)) as aconn:
            yield Client(aconn, is_async=True)
    elif "Async" not in backend:
        engine = create_engine(sqlalchemy_url("psycopg", database))
        with Session(engine) if "Session" in backend else engine.connect() as conn:
            yield Client(conn, is_async=False)
        engine.dispose()
    else:
        async_engine = create_async_engine(sqlalchemy_url(backend.rsplit(", ", 1)[1], database))
        async with AsyncSession(async_engine) if "Session" in backend else async_engine.connect() as aconn:
            yield Client(aconn, is_async=True)
        await async_engine.dispose()
