"""Leases taken with a timedelta: they exist once committed, and only then."""

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import psycopg
import pytest

import annotate_ext

from testsupport import Batch, Client, conninfo

pytestmark = pytest.mark.anyio

CLAIMANT, OTHER = 41, 42


@pytest.fixture
def first_for_other(database: str, batch: Batch) -> Callable[[], int]:
    """The URL another user would claim first (claimed in a transaction that is rolled back):
    leases bind only callers that claim; plain reads are exactly SPEC section 3."""

    def first() -> int:
        with psycopg.connect(conninfo(database)) as other:
            rows = annotate_ext.next_url_for_annotation(
                other, OTHER, batch_id=batch.id, claim_for=timedelta(minutes=1)
            )
            other.rollback()
        return rows[0].url_id

    return first


async def test_a_lease_exists_only_after_commit(
    client: Client, first_for_other: Callable[[], int], batch: Batch, admin: psycopg.Connection[Any]
) -> None:
    # The batch's writes folded first: a fold in flight holds the queue rows it folds, and a
    # leasing call passes over rows another transaction holds (README, Leases), so a claim made
    # while the folder folded the new batch found its rows taken (1 run in 10-25).
    admin.execute("SELECT annotate_internal.fold_now()")
    head = batch.url_ids[0]
    claimed = await client.next_url_for_annotation(
        CLAIMANT, batch_id=batch.id, claim_for=timedelta(minutes=10)
    )
    assert [row.url_id for row in claimed] == [head]
    await client.rollback()
    assert first_for_other() == head  # rolled back (as a session closed without commit): no lease

    body = await client.next_annotation(CLAIMANT, batch_id=batch.id, claim_for=timedelta(minutes=10))
    assert body.next_annotation.url_info.url_id == head
    await client.commit()
    assert first_for_other() == batch.url_ids[1]  # committed: others skip it
    again = await client.next_annotation(CLAIMANT, batch_id=batch.id, claim_for=timedelta(minutes=10))
    assert again.next_annotation.url_info.url_id == head  # the claimant keeps its URL

    assert await client.release_claim(head, user_id=CLAIMANT) is True
    await client.commit()
    assert first_for_other() == head
    assert await client.release_claim(head, user_id=CLAIMANT) is False


async def test_anonymous_leases(client: Client, admin: psycopg.Connection[Any]) -> None:
    session = uuid.uuid4()
    claimed = await client.next_anonymous_annotation(session, claim_for=timedelta(seconds=90))
    url_id = claimed.next_annotation.url_info.url_id
    await client.commit()
    with admin.transaction(force_rollback=True):
        other = annotate_ext.next_anonymous_annotation(admin, uuid.uuid4(), claim_for=timedelta(seconds=90))
    assert other.next_annotation.url_info.url_id != url_id
    assert await client.release_claim(url_id, session_id=session) is True
    await client.commit()


async def test_a_lease_ends_when_the_claimant_annotates(
    client: Client, first_for_other: Callable[[], int], batch: Batch
) -> None:
    head = batch.url_ids[0]
    await client.next_url_for_annotation(CLAIMANT, batch_id=batch.id, claim_for=timedelta(minutes=10))
    await client.commit()
    await client.execute(
        "INSERT INTO public.annotation__url_type__user (url_id, user_id, type) "
        f"VALUES ({head}, {CLAIMANT}, 'meta url')"
    )
    await client.commit()
    assert first_for_other() == head
