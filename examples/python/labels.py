"""What an annotator submits for one URL, and where it goes in the app's tables (SPEC 2.3)."""

from typing import Any
from uuid import UUID

from annotate_ext import RecordType, UrlType, translated_errors
from psycopg import AsyncConnection
from pydantic import BaseModel, ConfigDict


class Labels(BaseModel):
    """Any subset of the labels; agencies and locations may be several."""

    model_config = ConfigDict(extra="forbid")

    url_type: UrlType | None = None
    record_type: RecordType | None = None
    agency_ids: list[int] = []
    location_ids: list[int] = []
    name_suggestion_id: int | None = None

    def rows(self) -> list[tuple[str, Any]]:
        """(label, value) pairs to insert, one per row; enum labels as the app's strings."""
        rows: list[tuple[str, Any]] = []
        if self.url_type is not None:
            rows.append(("url_type", self.url_type.value))
        if self.record_type is not None:
            rows.append(("record_type", self.record_type.value))
        if self.name_suggestion_id is not None:
            rows.append(("name_suggestion_id", self.name_suggestion_id))
        rows += [("agency_id", agency) for agency in self.agency_ids]
        rows += [("location_id", location) for location in self.location_ids]
        return rows


# One statement per label, for users and for anonymous sessions: %(who)s is the user id or
# the session id.
USER = {
    "url_type": "INSERT INTO public.annotation__url_type__user (url_id, user_id, type) "
    "VALUES (%(url_id)s, %(who)s, %(value)s)",
    "record_type": "INSERT INTO public.annotation__record_type__user (url_id, user_id, record_type) "
    "VALUES (%(url_id)s, %(who)s, %(value)s)",
    "agency_id": "INSERT INTO public.annotation__agency__user (url_id, user_id, agency_id) "
    "VALUES (%(url_id)s, %(who)s, %(value)s)",
    "location_id": "INSERT INTO public.annotation__location__user (url_id, user_id, location_id) "
    "VALUES (%(url_id)s, %(who)s, %(value)s)",
    "name_suggestion_id": "INSERT INTO public.annotation__name__user__endorsements (user_id, suggestion_id) "
    "VALUES (%(who)s, %(value)s)",
}
ANONYMOUS = {
    "url_type": "INSERT INTO public.annotation__url_type__anon (url_id, session_id, url_type) "
    "VALUES (%(url_id)s, %(who)s, %(value)s)",
    "record_type": "INSERT INTO public.annotation__record_type__anon (url_id, session_id, record_type) "
    "VALUES (%(url_id)s, %(who)s, %(value)s)",
    "agency_id": "INSERT INTO public.annotation__agency__anon (url_id, session_id, agency_id) "
    "VALUES (%(url_id)s, %(who)s, %(value)s)",
    "location_id": "INSERT INTO public.annotation__location__anon (url_id, session_id, location_id) "
    "VALUES (%(url_id)s, %(who)s, %(value)s)",
    "name_suggestion_id": "INSERT INTO public.annotation__name__anon__endorsements "
    "(session_id, suggestion_id) VALUES (%(who)s, %(value)s)",
}


async def store(
    conn: AsyncConnection[Any], statements: dict[str, str], url_id: int, who: int | UUID, labels: Labels
) -> None:
    """Insert the labels in one transaction. Annotating a URL ends the annotator's lease on it."""
    with translated_errors():
        async with conn.transaction():
            for label, value in labels.rows():
                await conn.execute(statements[label], {"url_id": url_id, "who": who, "value": value})
