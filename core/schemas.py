"""Value types every JSON API's schemas and query parameters use for numbers and dates.

Python integers and datetimes reach further than PostgreSQL columns do: an `int` has no
upper bound (a `bigint` stops at 2**63 - 1), and a `datetime` accepts UTC offsets up to
±23:59 and dates that leave years 1–9999 once converted to UTC. Unchecked, such a value
passes pydantic and fails in the database (a 500). These types refuse it at the door
(422 with the field named), so an endpoint cannot forget the check.

Strings need no type of their own: the platform's JSON parser (`core.api`) refuses text
the database cannot store (NUL characters) in every body, query string and path. An
e-mail address has one, because Django's validator accepts addresses longer than the
column (EmailField, 254 characters) that stores them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated

from annotated_types import Ge, Le
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from pydantic import AfterValidator, Field, StringConstraints

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

# Any integer field or parameter: fits a PostgreSQL bigint. Narrow it with Field(ge=, le=)
# where the domain knows better (a count, a number of days).
Int64 = Annotated[int, Ge(INT64_MIN), Le(INT64_MAX)]

# Pagination: the page number is bounded so that the OFFSET (page - 1) * page_size always
# fits a bigint, whatever page size up to PAGE_SIZE_MAX the client asks for.
PAGE_SIZE_MAX = 200
PageSize = Annotated[int, Ge(1), Le(PAGE_SIZE_MAX)]
Page = Annotated[int, Ge(1), Le(INT64_MAX // PAGE_SIZE_MAX)]

# PostgreSQL refuses a UTC offset of 16 hours or more ("time zone displacement out of
# range"); real time zones stay within ±14 hours.
MAX_UTC_OFFSET = timedelta(hours=15, minutes=59, seconds=59)


def _storable_datetime(value: datetime) -> datetime:
    if timezone.is_naive(value):
        # What Django does with a naive value saved to a DateTimeField (minus its warning).
        value = timezone.make_aware(value)
    offset = value.utcoffset()
    if offset is not None and abs(offset) > MAX_UTC_OFFSET:
        raise ValueError("UTC offset must be between -15:59 and +15:59")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        raise ValueError("date is out of range (years 1 to 9999 in UTC)") from None


# A date and time the database can store: aware, in UTC. A value without offset is read
# in the platform's time zone (TIME_ZONE), as Django reads it.
UtcDatetime = Annotated[datetime, AfterValidator(_storable_datetime)]


EMAIL_MAX_LENGTH = 254  # Django's EmailField, where every e-mail address ends up


def _valid_email(value: str) -> str:
    try:
        validate_email(value)
    except DjangoValidationError:
        raise ValueError("invalid e-mail address") from None
    return value


# An e-mail address as Django's EmailField stores it (surrounding spaces removed).
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, max_length=EMAIL_MAX_LENGTH),
    AfterValidator(_valid_email),
    Field(json_schema_extra={"format": "email"}),
]
