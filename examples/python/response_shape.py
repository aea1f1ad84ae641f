"""The response body of SPEC section 4 as pydantic models: extra keys are refused, so a
response validates only if it has exactly this shape."""

from typing import List, Optional

from pydantic import BaseModel, ConfigDict


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class UrlInfo(Strict):
    url_id: int
    url: str


class HtmlInfo(Strict):
    index: int
    url: str
    url_path: str
    title: str
    description: str
    http_response: int
    h1: str
    h2: str
    h3: str
    h4: str
    h5: str
    h6: str
    div: str


class BatchInfo(Strict):
    count_annotated: int
    total_urls: int
    count_not_annotated: int


class Suggestion(Strict):
    id: int
    display_name: str
    user_count: int
    robo_confidence: Optional[int]


class SuggestionList(Strict):
    suggestions: List[Suggestion]
    not_found_count: int


class UrlTypeSuggestion(Strict):
    url_type: str
    endorsement_count: int


class RecordTypeSuggestion(Strict):
    record_type: str
    user_count: int
    robo_confidence: int


class RecordTypeSuggestions(Strict):
    suggestions: List[RecordTypeSuggestion]


class NameSuggestion(Strict):
    id: int
    display_name: str
    user_count: int
    robo_count: int


class NameSuggestions(Strict):
    suggestions: List[NameSuggestion]


class Annotation(Strict):
    url_info: UrlInfo
    html_info: HtmlInfo
    batch_info: Optional[BatchInfo]
    agency_suggestions: SuggestionList
    location_suggestions: SuggestionList
    url_type_suggestions: List[UrlTypeSuggestion]
    record_type_suggestions: RecordTypeSuggestions
    name_suggestions: NameSuggestions


class Response(Strict):
    next_annotation: Optional[Annotation]
