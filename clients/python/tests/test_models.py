"""The models: the app's enum labels, and the exact shape of SPEC section 4."""

import copy
from typing import Any

import psycopg
import pytest
from pydantic import ValidationError

from annotate_ext import AnonymousNextAnnotation, NextAnnotation, NextUrl, RecordType, UrlType

SPEC_EXAMPLE = {
    "next_annotation": {
        "url_info": {"url_id": 42, "url": "https://example.com/page"},
        "html_info": {
            "index": -1,
            "url": "",
            "url_path": "",
            "title": "",
            "description": "",
            "http_response": -1,
            "h1": "",
            "h2": "",
            "h3": "",
            "h4": "",
            "h5": "",
            "h6": "",
            "div": "",
        },
        "batch_info": {"count_annotated": 3, "total_urls": 10, "count_not_annotated": 7},
        "agency_suggestions": {
            "suggestions": [{"id": 3, "display_name": "Police", "user_count": 2, "robo_confidence": 50}],
            "not_found_count": 0,
        },
        "location_suggestions": {"suggestions": [], "not_found_count": 1},
        "url_type_suggestions": [{"url_type": "data source", "endorsement_count": 2}],
        "record_type_suggestions": {
            "suggestions": [{"record_type": "Stops", "user_count": 1, "robo_confidence": 0}]
        },
        "name_suggestions": {
            "suggestions": [{"id": 7, "display_name": "Records", "user_count": 1, "robo_count": 1}]
        },
    }
}


@pytest.mark.parametrize(("enum", "pg_type"), [(UrlType, "url_type"), (RecordType, "record_type")])
def test_enums_are_the_apps_labels_in_order(admin: psycopg.Connection[Any], enum: Any, pg_type: str) -> None:
    labels = admin.execute(f"SELECT enum_range(NULL::public.{pg_type})::text[]").fetchone()[0]
    assert [member.value for member in enum] == labels


def test_the_spec_example_validates() -> None:
    body = NextAnnotation.model_validate(SPEC_EXAMPLE)
    assert body.next_annotation.record_type_suggestions.suggestions[0].record_type is RecordType.STOPS
    assert NextAnnotation.model_validate_json(body.model_dump_json()) == body
    assert NextAnnotation.model_validate({"next_annotation": None}).next_annotation is None


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b["next_annotation"].update(extra=1),
        lambda b: b["next_annotation"]["url_info"].update(url_id="42"),
        lambda b: b["next_annotation"]["url_type_suggestions"][0].update(url_type="datasource"),
        lambda b: b["next_annotation"]["agency_suggestions"]["suggestions"][0].update(robo_confidence=101),
        lambda b: b["next_annotation"].pop("html_info"),
    ],
)
def test_any_other_shape_is_refused(damage: Any) -> None:
    body = copy.deepcopy(SPEC_EXAMPLE)
    damage(body)
    with pytest.raises(ValidationError):
        NextAnnotation.model_validate(body)


def test_anonymous_body_needs_its_session() -> None:
    with pytest.raises(ValidationError):
        AnonymousNextAnnotation.model_validate({"next_annotation": None})
    body = AnonymousNextAnnotation.model_validate_json(
        '{"next_annotation": null, "session_id": "5b4e1c2a-0000-4000-8000-000000000001"}'
    )
    assert str(body.session_id) == "5b4e1c2a-0000-4000-8000-000000000001"


def test_next_url_row() -> None:
    row = {
        "url_id": 1,
        "url": "https://a",
        "followed_by_user": False,
        "followed_by_any_user": True,
        "is_manual": False,
        "user_url_type_count": 2,
        "anon_url_type_count": 0,
        "auto_url_type_count": 1,
    }
    assert NextUrl.model_validate(row).followed_by_any_user is True
    with pytest.raises(ValidationError):
        NextUrl.model_validate({**row, "is_manual": "no"})
