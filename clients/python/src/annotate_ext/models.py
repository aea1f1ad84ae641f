"""The values annotate_ext returns, as pydantic models.

`NextAnnotation` is the response body of `annotate.next_annotation` (SPEC section 4),
`AnonymousNextAnnotation` adds the anonymous session, and `NextUrl` is one row of
`annotate.next_url_for_annotation`. The models refuse unknown keys and coerce nothing, so a
body validates only if it has exactly the documented shape.
"""

from enum import Enum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field


class UrlType(str, Enum):
    """The app's `url_type` enum, labels in the app's order."""

    DATA_SOURCE = "data source"
    META_URL = "meta url"
    NOT_RELEVANT = "not relevant"
    INDIVIDUAL_RECORD = "individual record"
    NOT_FOUND = "not found"
    BROKEN_PAGE = "broken page"


class RecordType(str, Enum):
    """The app's `record_type` enum, labels in the app's order."""

    ACCIDENT_REPORTS = "Accident Reports"
    ARREST_RECORDS = "Arrest Records"
    CALLS_FOR_SERVICE = "Calls for Service"
    CAR_GPS = "Car GPS"
    CITATIONS = "Citations"
    DISPATCH_LOGS = "Dispatch Logs"
    DISPATCH_RECORDINGS = "Dispatch Recordings"
    FIELD_CONTACTS = "Field Contacts"
    INCIDENT_REPORTS = "Incident Reports"
    MISC_POLICE_ACTIVITY = "Misc Police Activity"
    OFFICER_INVOLVED_SHOOTINGS = "Officer Involved Shootings"
    STOPS = "Stops"
    SURVEYS = "Surveys"
    USE_OF_FORCE_REPORTS = "Use of Force Reports"
    VEHICLE_PURSUITS = "Vehicle Pursuits"
    COMPLAINTS_AND_MISCONDUCT = "Complaints & Misconduct"
    DAILY_ACTIVITY_LOGS = "Daily Activity Logs"
    TRAINING_AND_HIRING_INFO = "Training & Hiring Info"
    PERSONNEL_RECORDS = "Personnel Records"
    ANNUAL_AND_MONTHLY_REPORTS = "Annual & Monthly Reports"
    BUDGETS_AND_FINANCES = "Budgets & Finances"
    GEOGRAPHIC = "Geographic"
    LIST_OF_DATA_SOURCES = "List of Data Sources"
    POLICIES_AND_CONTRACTS = "Policies & Contracts"
    CRIME_MAPS_AND_REPORTS = "Crime Maps & Reports"
    CRIME_STATISTICS = "Crime Statistics"
    MEDIA_BULLETINS = "Media Bulletins"
    RECORDS_REQUEST_INFO = "Records Request Info"
    RESOURCES = "Resources"
    SEX_OFFENDER_REGISTRY = "Sex Offender Registry"
    WANTED_PERSONS = "Wanted Persons"
    BOOKING_REPORTS = "Booking Reports"
    COURT_CASES = "Court Cases"
    INCARCERATION_RECORDS = "Incarceration Records"
    OTHER = "Other"


class Model(BaseModel):
    """Exactly the documented keys, values of exactly the documented types."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


# Labels and ids arrive as JSON strings: accepted, when valid, from dicts as well as from JSON.
UrlTypeLabel = Annotated[UrlType, Field(strict=False)]
RecordTypeLabel = Annotated[RecordType, Field(strict=False)]
SessionId = Annotated[UUID, Field(strict=False)]


class UrlInfo(Model):
    url_id: int
    url: str


class HtmlInfo(Model):
    """The URL's HTML content by type; defaults (empty, -1) where the app has none."""

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


class BatchInfo(Model):
    """Progress of the batch asked for: URLs with at least one user agency annotation."""

    count_annotated: int
    total_urls: int
    count_not_annotated: int


class Suggestion(Model):
    """An agency or location suggested by users, anonymous visitors or robots."""

    id: int
    display_name: str
    user_count: int
    robo_confidence: int = Field(ge=0, le=100)


class Suggestions(Model):
    suggestions: list[Suggestion]
    not_found_count: int


class UrlTypeSuggestion(Model):
    url_type: UrlTypeLabel
    endorsement_count: int


class RecordTypeSuggestion(Model):
    record_type: RecordTypeLabel
    user_count: int
    robo_confidence: int


class RecordTypeSuggestions(Model):
    suggestions: list[RecordTypeSuggestion]


class NameSuggestion(Model):
    id: int
    display_name: str
    user_count: int
    robo_count: int


class NameSuggestions(Model):
    suggestions: list[NameSuggestion]


class Annotation(Model):
    """Everything needed to show one URL to an annotator."""

    url_info: UrlInfo
    html_info: HtmlInfo
    batch_info: BatchInfo | None
    agency_suggestions: Suggestions
    location_suggestions: Suggestions
    url_type_suggestions: list[UrlTypeSuggestion]
    record_type_suggestions: RecordTypeSuggestions
    name_suggestions: NameSuggestions


class NextAnnotation(Model):
    """The response body for a user; `next_annotation` is None when nothing is left."""

    next_annotation: Annotation | None


class AnonymousNextAnnotation(NextAnnotation):
    """The response body for an anonymous session."""

    session_id: SessionId


class NextUrl(Model):
    """One eligible URL, with the keys it was ranked by (SPEC section 3.2)."""

    url_id: int
    url: str
    followed_by_user: bool
    followed_by_any_user: bool
    is_manual: bool
    user_url_type_count: int
    anon_url_type_count: int
    auto_url_type_count: int
