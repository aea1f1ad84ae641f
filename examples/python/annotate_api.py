"""The app's annotation endpoints served by annotate_ext: FastAPI, psycopg 3, a connection pool.

Run it from this directory against a database with the app's tables and annotate_ext:

    DATABASE_URL=postgresql:///annotate_demo uvicorn annotate_api:app

Configuration comes from the environment: DATABASE_URL (a libpq URI or key=value string; a
SQLAlchemy-style `postgresql+psycopg://` works too; unset, the PG* variables apply) and
POOL_MAX_SIZE (default 10). The user id stands in for the app's login token (header
`X-User-Id`); anonymous visitors carry a session id, made on their first request.

Every selection is one call of the extension (`annotate_ext.aio`), which answers with the whole
response body. Pooled connections are in autocommit, so a lease taken with `claim_seconds`
exists as soon as the call returns; label writes run in one transaction of their own.
"""

import logging
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Annotated, Any
from uuid import UUID, uuid4

import annotate_ext.aio as annotate
from annotate_ext import (
    AnnotateError,
    AnonymousNextAnnotation,
    ForeignKeyViolation,
    InvalidArgument,
    InvalidInput,
    NextAnnotation,
    NotAttached,
    QueryCanceled,
    ReadOnly,
    TransactionRollback,
    UniqueViolation,
)
from fastapi import Depends, FastAPI, Header, Query, Request
from fastapi.responses import JSONResponse
from psycopg import AsyncConnection
from psycopg_pool import AsyncConnectionPool
from pydantic import BaseModel

from labels import ANONYMOUS, USER, Labels, store

log = logging.getLogger(__name__)


class Released(BaseModel):
    released: bool


class Problem(BaseModel):
    detail: str


# Database errors as HTTP: the client's mistakes are 4xx (a label naming a URL, agency,
# location or session that does not exist is 404; 422 stays FastAPI's, for malformed
# requests), a busy or unready database or a transaction to retry 503.
HTTP_STATUS: dict[type[AnnotateError], int] = {
    InvalidArgument: 400,
    InvalidInput: 400,
    ForeignKeyViolation: 404,
    UniqueViolation: 409,
    QueryCanceled: 503,
    NotAttached: 503,
    ReadOnly: 503,
    TransactionRollback: 503,
}
ERRORS: dict[int | str, dict[str, Any]] = {
    status: {"model": Problem} for status in sorted(set(HTTP_STATUS.values()))
}

UserId = Annotated[
    int, Header(alias="X-User-Id", description="the annotator (stands in for the login token)")
]
BatchId = Annotated[int | None, Query(description="only URLs of this batch; fills batch_info")]
Skip = Annotated[int, Query(description="skip this many eligible URLs")]
ClaimSeconds = Annotated[int | None, Query(description="lease the URL to the caller for this many seconds")]


def libpq_conninfo(url: str) -> str:
    """A libpq connection string from DATABASE_URL, which may carry a SQLAlchemy driver name."""
    return re.sub(r"^postgres(ql)?\+\w+://", "postgresql://", url)


def claim(seconds: int | None) -> timedelta | None:
    return None if seconds is None else timedelta(seconds=seconds)


async def connection(request: Request) -> AsyncIterator[AsyncConnection[Any]]:
    async with request.app.state.pool.connection() as conn:
        yield conn


Conn = Annotated[AsyncConnection[Any], Depends(connection)]


def create_app(database_url: str | None = None) -> FastAPI:
    """The app; the pool opens at startup on `database_url`, else on DATABASE_URL."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        conninfo = libpq_conninfo(
            database_url if database_url is not None else os.environ.get("DATABASE_URL", "")
        )
        max_size = int(os.environ.get("POOL_MAX_SIZE", "10"))
        async with AsyncConnectionPool(
            conninfo, min_size=min(4, max_size), max_size=max_size, kwargs={"autocommit": True}, open=False
        ) as pool:
            app.state.pool = pool
            yield

    app = FastAPI(title="annotate_ext example", lifespan=lifespan)

    @app.exception_handler(AnnotateError)
    async def database_error(request: Request, exc: AnnotateError) -> JSONResponse:
        status = next((code for cls, code in HTTP_STATUS.items() if isinstance(exc, cls)), 500)
        if status >= 500:  # the server's business: logged, and only its kind told to the client
            log.error("%s %s: %s", exc.sqlstate, type(exc).__name__, exc.message)
            retry = {"Retry-After": "1"} if status == 503 else None
            return JSONResponse({"detail": type(exc).__name__}, status_code=status, headers=retry)
        detail = f"{exc.message}: {exc.detail}" if exc.detail else exc.message
        return JSONResponse({"detail": detail}, status_code=status)

    @app.get("/annotate/all", response_model=NextAnnotation, responses=ERRORS)
    async def next_for_user(
        conn: Conn,
        user_id: UserId,
        batch_id: BatchId = None,
        url_id: Annotated[int | None, Query(description="only this URL, if eligible")] = None,
        skip: Skip = 0,
        claim_seconds: ClaimSeconds = None,
    ) -> NextAnnotation:
        """The next URL for the user to annotate, with everything needed to show it."""
        return await annotate.next_annotation(
            conn, user_id, batch_id=batch_id, url_id=url_id, skip=skip, claim_for=claim(claim_seconds)
        )

    @app.post("/annotate/all/{url_id}", response_model=NextAnnotation, responses=ERRORS)
    async def label_for_user(
        conn: Conn,
        url_id: int,
        labels: Labels,
        user_id: UserId,
        batch_id: BatchId = None,
        claim_seconds: ClaimSeconds = None,
    ) -> NextAnnotation:
        """Stores the user's labels for the URL, then answers with the next URL."""
        await store(conn, USER, url_id, user_id, labels)
        return await annotate.next_annotation(
            conn, user_id, batch_id=batch_id, claim_for=claim(claim_seconds)
        )

    @app.delete("/annotate/all/{url_id}/claim", response_model=Released, responses=ERRORS)
    async def release_for_user(conn: Conn, url_id: int, user_id: UserId) -> Released:
        """Gives up the user's lease on the URL before it runs out."""
        return Released(released=await annotate.release_claim(conn, url_id, user_id=user_id))

    @app.get("/annotate/anonymous", response_model=AnonymousNextAnnotation, responses=ERRORS)
    async def next_for_anonymous(
        conn: Conn,
        session_id: Annotated[
            UUID | None, Query(description="the visitor's session; a new one if absent")
        ] = None,
        skip: Skip = 0,
        claim_seconds: ClaimSeconds = None,
    ) -> AnonymousNextAnnotation:
        """The next URL for an anonymous visitor; the response carries the session id to send back."""
        if session_id is None:
            session_id = uuid4()
            await conn.execute("INSERT INTO public.anonymous_sessions (id) VALUES (%s)", (session_id,))
        return await annotate.next_anonymous_annotation(
            conn, session_id, skip=skip, claim_for=claim(claim_seconds)
        )

    @app.post("/annotate/anonymous/{url_id}", response_model=AnonymousNextAnnotation, responses=ERRORS)
    async def label_for_anonymous(
        conn: Conn, url_id: int, labels: Labels, session_id: UUID, claim_seconds: ClaimSeconds = None
    ) -> AnonymousNextAnnotation:
        """Stores an anonymous visitor's labels for the URL, then answers with the next URL."""
        await store(conn, ANONYMOUS, url_id, session_id, labels)
        return await annotate.next_anonymous_annotation(conn, session_id, claim_for=claim(claim_seconds))

    @app.delete("/annotate/anonymous/{url_id}/claim", response_model=Released, responses=ERRORS)
    async def release_for_anonymous(conn: Conn, url_id: int, session_id: UUID) -> Released:
        """Gives up an anonymous visitor's lease on the URL."""
        return Released(released=await annotate.release_claim(conn, url_id, session_id=session_id))

    return app


app = create_app()
