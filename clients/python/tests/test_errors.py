"""Real server errors, through every backend, as the exception classes of their SQLSTATE."""

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import psycopg
import pytest

from annotate_ext import (
    AnnotateError,
    ForeignKeyViolation,
    IntegrityViolation,
    InvalidArgument,
    InvalidInput,
    NotAttached,
    PermissionDenied,
    QueryCanceled,
    ReadOnly,
    TransactionRollback,
    UniqueViolation,
    attach,
    detach,
    next_annotation,
)
from annotate_ext.errors import error_class

from testsupport import Batch, Client, conninfo

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def roles(database: str) -> Iterator[tuple[str, str]]:
    """A role with no grants at all, and one with USAGE on schema annotate (an app role)."""
    nobody, app = f"annotate_nobody_{os.getpid()}", f"annotate_app_{os.getpid()}"
    with psycopg.connect(conninfo(database), autocommit=True) as admin:
        admin.execute(f"CREATE ROLE {nobody}")
        admin.execute(f"CREATE ROLE {app}")
        admin.execute(f"GRANT USAGE ON SCHEMA annotate TO {app}")
        admin.execute(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {app}")
        yield nobody, app
        admin.execute(f"DROP OWNED BY {nobody}, {app}")
        admin.execute(f"DROP ROLE {nobody}, {app}")


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda c: c.next_url_for_annotation(7, max_urls=0), "max_urls"),
        (lambda c: c.next_annotation(7, skip=-1), "skip"),
        (lambda c: c.next_annotation(None), "user_id"),
        (
            lambda c: c.next_url_for_anonymous_annotation(uuid.uuid4(), claim_for=timedelta(minutes=-1)),
            "claim_for",
        ),
        (lambda c: c.next_anonymous_annotation(uuid.uuid4(), claim_for=timedelta(days=30)), "claim_for"),
        (lambda c: c.release_claim(1), "user_id and session_id"),
    ],
)
async def test_bad_arguments_are_invalid_argument(client: Client, call: Any, argument: str) -> None:
    with pytest.raises(InvalidArgument, match=argument) as raised:
        await call(client)
    assert raised.value.sqlstate == "22023"
    assert raised.value.message.startswith("annotate.")
    assert raised.value.__cause__ is not None  # the driver's own exception


async def test_leasing_in_a_read_only_transaction(client: Client) -> None:
    await client.execute("SET TRANSACTION READ ONLY")
    assert await client.next_annotation(7)  # reading is fine
    with pytest.raises(ReadOnly) as raised:
        await client.next_annotation(7, claim_for=timedelta(minutes=1))
    assert raised.value.sqlstate == "25006"
    await client.rollback()


async def test_permission_denied(client: Client, roles: tuple[str, str]) -> None:
    nobody, app = roles
    await client.execute(f"SET LOCAL ROLE {nobody}")
    with pytest.raises(PermissionDenied, match="schema annotate"):
        await client.next_annotation(7)
    await client.rollback()
    await client.execute(f"SET LOCAL ROLE {app}")
    assert await client.next_annotation(7)
    with pytest.raises(PermissionDenied, match="refresh"):
        await client.refresh()
    await client.rollback()


async def test_not_attached(client: Client, admin: psycopg.Connection[Any]) -> None:
    detach(admin)
    try:
        with pytest.raises(NotAttached) as raised:
            await client.next_url_for_annotation(7)
        assert raised.value.sqlstate == "55000"
        assert "annotate.attach()" in raised.value.hint
    finally:
        await client.rollback()
        attach(admin)


def test_installed_before_the_app_tables() -> None:
    name = f"annotate_client_empty_{os.getpid()}"
    with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}")
    try:
        with psycopg.connect(conninfo(name), autocommit=True) as conn:
            conn.execute("SET client_min_messages = error")  # its WARNING names the missing tables
            conn.execute("CREATE EXTENSION annotate_ext")
            with pytest.raises(NotAttached, match="not attached"):
                next_annotation(conn, 7)
    finally:
        with psycopg.connect(conninfo("postgres"), autocommit=True) as admin:
            admin.execute(f"DROP DATABASE {name} WITH (FORCE)")


async def test_statement_timeout(client: Client, database: str) -> None:
    with psycopg.connect(conninfo(database)) as locker:
        locker.execute("LOCK TABLE public.urls IN ACCESS EXCLUSIVE MODE")
        await client.execute("SET LOCAL statement_timeout = '200ms'")
        with pytest.raises(QueryCanceled) as raised:
            await client.next_annotation(7)
        assert raised.value.sqlstate == "57014"
        await client.rollback()


@pytest.mark.parametrize(
    ("values", "error", "sqlstate"),
    [
        ("({url}, 900, 'data source')", UniqueViolation, "23505"),
        ("(2000000000, 901, 'data source')", ForeignKeyViolation, "23503"),
        ("({url}, 902, 'no such type')", InvalidInput, "22P02"),
    ],
)
async def test_app_writes_through_translated_errors(
    client: Client, batch: Batch, values: str, error: type[AnnotateError], sqlstate: str
) -> None:
    insert = "INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES "
    with pytest.raises(error) as raised:
        await client.execute(insert + values.format(url=batch.url_ids[0]))
    assert raised.value.sqlstate == sqlstate
    await client.rollback()


@pytest.mark.parametrize(
    ("sqlstate", "error"),
    [
        ("22023", InvalidArgument),
        ("23505", UniqueViolation),
        ("23514", IntegrityViolation),  # by class: any other constraint
        ("40P01", TransactionRollback),
        ("40001", TransactionRollback),
        ("XX000", AnnotateError),
    ],
)
def test_error_class_by_sqlstate(sqlstate: str, error: type[AnnotateError]) -> None:
    assert error_class(sqlstate) is error
