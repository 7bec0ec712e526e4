"""Retry-After: only the forms of RFC 9110 are read, and what is exposed is clamped.

``delay-seconds = 1*DIGIT`` (ASCII digits only) or an HTTP-date
(IMF-fixdate, or the obsolete RFC 850 and asctime forms).  Anything else is
ignored (the backoff is used); a wait longer than a day reads as a day.
"""

from __future__ import annotations

import calendar
from typing import Optional

import pytest

from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.exceptions import RETRY_AFTER_MAX, TooManyRequestsException, parse_retry_after
from kenar_api_client.testing import MockKenarServer

NOW = float(calendar.timegm((2026, 12, 2, 10, 0, 0)))  # Wed, 02 Dec 2026 10:00:00 GMT

READ = [
    ("0", 0.0),
    ("7", 7.0),
    (" 12\t", 12.0),
    ("007", 7.0),
    ("86400", 86400.0),
    ("86401", RETRY_AFTER_MAX),
    ("99999999999999999999999999999", RETRY_AFTER_MAX),
    ("Wed, 02 Dec 2026 10:00:30 GMT", 30.0),
    ("Wednesday, 02-Dec-26 10:01:00 GMT", 60.0),
    ("Wed Dec  2 10:00:05 2026", 5.0),
    ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # in the past: now
    ("Fri, 31 Dec 9999 23:59:59 GMT", RETRY_AFTER_MAX),
]

REFUSED = [
    "inf",
    "Infinity",
    "-inf",
    "nan",
    "NaN",
    "1e309",
    "1e3",
    "1_0",
    "١٢",
    "１２",
    "²",
    "-5",
    "+5",
    "5.5",
    "0x10",
    "",
    "   ",
    "soon",
    "Wed, 02 Dec 2026 10:00:30",
    "Wed, 31 Feb 2026 10:00:00 GMT",
    "Wed, 02 Dec 2026 25:00:00 GMT",
    "02 Dec 2026 10:00:30 GMT",
    "Wed, 2 Dec 2026 10:00:30 GMT",
    "wed, 02 dec 2026 10:00:30 gmt",
    "Wed, 02 Dec 2026 10:00:30 UTC",
    "12 13",
]


@pytest.mark.parametrize("value,expected", READ)
def test_rfc_9110_forms_are_read_and_clamped(value: str, expected: float):
    assert parse_retry_after(value, now=NOW) == expected


@pytest.mark.parametrize("value", REFUSED)
def test_other_forms_are_ignored(value: str):
    assert parse_retry_after(value, now=NOW) is None


def test_none_is_none():
    assert parse_retry_after(None) is None


@pytest.mark.parametrize(
    "header,exposed",
    [("inf", None), ("1e309", None), ("1_0", None), ("Fri, 31 Dec 9999 23:59:59 GMT", RETRY_AFTER_MAX)],
)
def test_what_the_exception_exposes(
    server: MockKenarServer, finder: FinderApi, sleeps, header: str, exposed: Optional[float]
):
    server.respond("finder_get_post", status=429, headers={"Retry-After": header}, times=3)
    with pytest.raises(TooManyRequestsException) as caught:
        finder.finder_get_post("tok")
    assert caught.value.retry_after == exposed
    if exposed is None:  # unreadable: the backoff is used, and every attempt is made
        assert sleeps == [0.5, 1.0] and caught.value.attempts == 3
    else:  # a day is over every cap: raised at once, not waited for
        assert sleeps == [] and caught.value.attempts == 1
