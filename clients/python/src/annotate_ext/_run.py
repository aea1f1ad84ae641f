"""Running a query on a psycopg or SQLAlchemy connection, blocking or async."""

import functools
import inspect
import sys
import typing
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, Concatenate, ParamSpec, TypeVar, Union

from typing_extensions import TypeIs

from ._statement import Query, Row
from .errors import translated_errors

if TYPE_CHECKING:
    import psycopg
    from psycopg.rows import BaseRowFactory, DictRow
    from sqlalchemy import Result
    from sqlalchemy.engine import Connection as SAConnection
    from sqlalchemy.ext.asyncio import AsyncConnection as SAAsyncConnection
    from sqlalchemy.ext.asyncio import AsyncSession
    from sqlalchemy.orm import Session

Connection = Union["psycopg.Connection[Any]", "Session", "SAConnection"]
AsyncConnection = Union["psycopg.AsyncConnection[Any]", "AsyncSession", "SAAsyncConnection"]

P = ParamSpec("P")
T = TypeVar("T")


def _psycopg() -> Any:
    # A psycopg connection implies that psycopg is imported: nothing is imported here.
    return sys.modules.get("psycopg")


def _is_psycopg(conn: Connection) -> TypeIs["psycopg.Connection[Any]"]:
    psycopg = _psycopg()
    return psycopg is not None and isinstance(conn, psycopg.Connection)


def _is_psycopg_async(conn: AsyncConnection) -> TypeIs["psycopg.AsyncConnection[Any]"]:
    psycopg = _psycopg()
    return psycopg is not None and isinstance(conn, psycopg.AsyncConnection)


def _dict_rows() -> "BaseRowFactory[DictRow]":
    from psycopg.rows import dict_row

    return dict_row


def _mappings(result: "Result[Any]") -> list[Row]:
    return [dict(row) for row in result.mappings()]


def execute(conn: Connection, query: Query[T]) -> T:
    with translated_errors():
        if _is_psycopg(conn):
            with conn.cursor(row_factory=_dict_rows()) as cur:
                cur.execute(query.statement.psycopg, query.params)
                rows = cur.fetchall()
        else:
            rows = _mappings(conn.execute(query.statement.sqlalchemy, query.params))
    return query.read(rows)


async def execute_async(conn: AsyncConnection, query: Query[T]) -> T:
    with translated_errors():
        if _is_psycopg_async(conn):
            async with conn.cursor(row_factory=_dict_rows()) as cur:
                await cur.execute(query.statement.psycopg, query.params)
                rows = await cur.fetchall()
        else:
            rows = _mappings(await conn.execute(query.statement.sqlalchemy, query.params))
    return query.read(rows)


def _with_connection(build: Callable[..., Any], run: Callable[..., Any], annotation: object) -> None:
    """Give `run` the builder's name and docstring, and its signature with `conn` in front
    and the query's result as the return type (for help() and editors)."""
    functools.update_wrapper(run, build)
    signature = inspect.signature(build)
    conn = inspect.Parameter("conn", inspect.Parameter.POSITIONAL_ONLY, annotation=annotation)
    run.__signature__ = signature.replace(  # type: ignore[attr-defined]
        parameters=[conn, *signature.parameters.values()],
        return_annotation=typing.get_args(signature.return_annotation)[0],
    )


def blocking(build: Callable[P, Query[T]]) -> Callable[Concatenate[Connection, P], T]:
    """The builder as a function that runs its query on a blocking connection."""

    def run(conn: Connection, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return execute(conn, build(*args, **kwargs))

    _with_connection(build, run, Connection)
    return run


def asynchronous(build: Callable[P, Query[T]]) -> Callable[Concatenate[AsyncConnection, P], Awaitable[T]]:
    """The builder as a coroutine function that runs its query on an async connection."""

    async def run(conn: AsyncConnection, /, *args: P.args, **kwargs: P.kwargs) -> T:
        return await execute_async(conn, build(*args, **kwargs))

    _with_connection(build, run, AsyncConnection)
    return run
