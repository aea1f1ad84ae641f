"""Every public SQL function, through every backend, with real responses validated by the models."""

import uuid

import pytest

from annotate_ext import (
    Annotation,
    AnonymousNextAnnotation,
    FeatureNotSupported,
    NextAnnotation,
    NextUrl,
    RecordType,
    UrlType,
)

from testsupport import SESSION_ID, Batch, Client

pytestmark = pytest.mark.anyio


async def test_next_url_for_annotation_lists_the_batch_in_order(client: Client, batch: Batch) -> None:
    rows = await client.next_url_for_annotation(7, batch_id=batch.id, max_urls=5)
    assert all(isinstance(row, NextUrl) for row in rows)
    # The URL with a user vote comes first, then the others by id.
    assert [row.url_id for row in rows] == batch.url_ids
    assert rows[0].user_url_type_count == 1
    assert rows[2].url == f"https://pd.example.gov/{batch.id}/3/"
    skipped = await client.next_url_for_annotation(7, batch_id=batch.id, skip=1, max_urls=1)
    assert [row.url_id for row in skipped] == batch.url_ids[1:2]
    only = await client.next_url_for_annotation(7, batch_id=batch.id, url_id=batch.url_ids[2])
    assert [row.url_id for row in only] == batch.url_ids[2:]
    # The user who voted is not offered the URL again.
    mine = await client.next_url_for_annotation(900, batch_id=batch.id)
    assert [row.url_id for row in mine] == batch.url_ids[1:2]


async def test_next_annotation_is_the_whole_body(client: Client, batch: Batch) -> None:
    body = await client.next_annotation(7, batch_id=batch.id)
    assert isinstance(body, NextAnnotation)
    annotation = body.next_annotation
    assert annotation is not None
    assert annotation.url_info.url_id == batch.url_ids[0]
    assert annotation.url_info.url == f"https://pd.example.gov/{batch.id}/1"
    assert annotation.html_info.title == "Crime Statistics"
    assert annotation.batch_info is not None and annotation.batch_info.total_urls == 3
    assert annotation.url_type_suggestions[0].url_type is UrlType.DATA_SOURCE
    assert annotation.record_type_suggestions.suggestions[0].record_type is RecordType.STOPS
    agency = annotation.agency_suggestions.suggestions[0]
    assert (agency.display_name, agency.robo_confidence) == ("Police Department", 80)
    assert annotation.name_suggestions.suggestions[0].robo_count == 1
    skipped = await client.next_annotation(7, batch_id=batch.id, skip=1)
    assert skipped.next_annotation.url_info.url_id == batch.url_ids[1]
    nothing = await client.next_annotation(7, batch_id=batch.id, skip=3)
    assert nothing == NextAnnotation(next_annotation=None)
    assert (
        await client.next_annotation(7, url_id=batch.url_ids[2])
    ).next_annotation.url_info.url_id == batch.url_ids[2]


async def test_anonymous_selection(client: Client, batch: Batch) -> None:
    session = uuid.uuid4()
    rows = await client.next_url_for_anonymous_annotation(session, max_urls=2)
    assert len(rows) == 2 and not any(row.followed_by_user for row in rows)
    body = await client.next_anonymous_annotation(session)
    assert isinstance(body, AnonymousNextAnnotation)
    assert body.session_id == session
    assert body.next_annotation is not None and body.next_annotation.batch_info is None
    # The seeded session has a vote on the batch's first URL: it is not offered that one.
    offered = await client.next_url_for_anonymous_annotation(SESSION_ID, max_urls=1000)
    assert batch.url_ids[0] not in [row.url_id for row in offered]


async def test_annotation_for_url(client: Client, batch: Batch) -> None:
    annotation = await client.annotation_for_url(batch.url_ids[0], batch_id=batch.id)
    assert isinstance(annotation, Annotation)
    assert annotation.url_info.url_id == batch.url_ids[0]
    assert annotation.batch_info is not None
    assert await client.annotation_for_url(2_000_000_000) is None


async def test_operator_functions(client: Client, batch: Batch) -> None:
    steps = await client.refresh()
    assert {"step", "seconds", "rows"} <= steps[0].keys()
    assert await client.refresh(concurrently=False)
    assert await client.verify() == []
    assert await client.reconcile() == 0
    status = await client.status()
    assert status["attached"] is True and status["selection"] == "live"
    assert await client.reset_timings() is None
    await client.next_annotation(7, batch_id=batch.id)
    phases = {row["phase"] for row in await client.last_timings()}
    assert {"main_query", "total"} <= phases
    assert {"total"} <= {row["phase"] for row in await client.timing_stats()}
    assert {"phase", "le_seconds", "calls"} <= (await client.timing_histogram())[0].keys()
    assert (await client.call_stats())["calls"] >= 1
    await client.commit()


async def test_detach_and_attach(client: Client) -> None:
    assert await client.detach() is True
    assert (await client.status())["attached"] is False
    steps = await client.attach()
    assert [step["step"] for step in steps][:2] == ["indexes", "triggers"]
    assert (await client.status())["attached"] is True
    await client.commit()


async def test_scheduling_needs_pg_cron(client: Client) -> None:
    with pytest.raises(FeatureNotSupported, match="pg_cron"):
        await client.schedule_refresh("*/5 * * * *")
    await client.rollback()
    with pytest.raises(FeatureNotSupported, match="pg_cron"):
        await client.unschedule_refresh()
