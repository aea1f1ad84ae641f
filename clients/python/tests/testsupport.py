"""What the client's tests share: where the app's schema is, connection strings, and `Client`,
which makes one test body cover every backend."""

import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import URL, text

import annotate_ext
import annotate_ext.aio

APP_SCHEMA = Path(__file__).resolve().parents[3] / "tests" / "fixtures" / "app_schema.sql"
SESSION_ID = uuid.UUID("5b4e1c2a-0000-4000-8000-000000000001")


def conninfo(dbname: str) -> str:
    return psycopg.conninfo.make_conninfo(dbname=dbname)


@dataclass(frozen=True)
class Batch:
    id: int
    url_ids: list[int]


def sqlalchemy_url(driver: str, database: str) -> URL:
    query = {
        key: os.environ[var] for key, var in (("host", "PGHOST"), ("port", "PGPORT")) if var in os.environ
    }
    return URL.create(
        f"postgresql+{driver}", username=os.environ.get("PGUSER"), database=database, query=query
    )


class Client:
    """annotate_ext's functions bound to one connection of one backend, all awaitable, so that
    one test body covers blocking and async code alike."""

    def __init__(self, conn: Any, is_async: bool):
        self.conn = conn
        self.is_async = is_async
        self.module = annotate_ext.aio if is_async else annotate_ext

    def __getattr__(self, name: str) -> Any:
        function = getattr(self.module, name)

        async def call(*args: Any, **kwargs: Any) -> Any:
            result = function(self.conn, *args, **kwargs)
            return await result if self.is_async else result

        return call

    async def _method(self, name: str, *args: Any) -> Any:
        result = getattr(self.conn, name)(*args)
        return await result if self.is_async else result

    async def commit(self) -> None:
        await self._method("commit")

    async def rollback(self) -> None:
        await self._method("rollback")

    async def execute(self, sql: str) -> None:
        """Run the app's own statement, its errors translated as the app would."""
        statement = sql if isinstance(self.conn, (psycopg.Connection, psycopg.AsyncConnection)) else text(sql)
        with annotate_ext.translated_errors():
            await self._method("execute", statement)
