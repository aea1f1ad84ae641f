"""GET /annotate/all and POST /annotate/all/{url_id}, served by annotate_ext.

The selection and the whole response body come from one call, `annotate.next_annotation`;
the POST writes the labels in one transaction and answers with the next URL the same way.
The user id stands in for the app's login token (here an `X-User-Id` header).
"""

from typing import Optional

import psycopg
from fastapi import FastAPI, Header
from pydantic import BaseModel

NEXT = "SELECT annotate.next_annotation(user_id => %s, batch_id => %s, url_id => %s, claim_for => %s)"


class Labels(BaseModel):
    """What an annotator submits for one URL (any subset)."""

    url_type: Optional[str] = None
    record_type: Optional[str] = None
    agency_id: Optional[int] = None
    location_id: Optional[int] = None
    batch_id: Optional[int] = None


def create_app(dsn: str, claim_for: Optional[str] = None) -> FastAPI:
    app = FastAPI()

    def next_annotation(conn, user_id: int, batch_id: Optional[int], url_id: Optional[int] = None):
        return conn.execute(NEXT, (user_id, batch_id, url_id, claim_for)).fetchone()[0]

    @app.get("/annotate/all")
    def get_next(x_user_id: int = Header(), batch_id: Optional[int] = None, anno_url_id: Optional[int] = None):
        with psycopg.connect(dsn, autocommit=True) as conn:
            return next_annotation(conn, x_user_id, batch_id, anno_url_id)

    @app.post("/annotate/all/{url_id}")
    def post_labels(url_id: int, labels: Labels, x_user_id: int = Header()):
        with psycopg.connect(dsn) as conn:
            with conn.transaction():
                if labels.url_type is not None:
                    conn.execute(
                        "INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES (%s, %s, %s)",
                        (url_id, x_user_id, labels.url_type),
                    )
                if labels.record_type is not None:
                    conn.execute(
                        "INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) "
                        "VALUES (%s, %s, %s)",
                        (url_id, x_user_id, labels.record_type),
                    )
                if labels.agency_id is not None:
                    conn.execute(
                        "INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (%s, %s, %s)",
                        (labels.agency_id, url_id, x_user_id),
                    )
                if labels.location_id is not None:
                    conn.execute(
                        "INSERT INTO public.annotation__location__user (url_id, user_id, location_id) "
                        "VALUES (%s, %s, %s)",
                        (url_id, x_user_id, labels.location_id),
                    )
            with conn.transaction():
                return next_annotation(conn, x_user_id, labels.batch_id)

    return app
