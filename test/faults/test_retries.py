"""The retry loop against a misbehaving loopback server.

Every test counts the requests the server saw: a retry that should not
happen shows up as one request too many.  Waiting is recorded by the
``sleeps`` fixture instead of done, except in the one test that checks a
real ``Retry-After`` wait.
"""

from __future__ import annotations

import datetime
import email.utils
import logging
import random
import time
from typing import Any, Callable, Dict, List

import pytest
import urllib3
from fault_helpers import sdk_error

from kenar_api_client.api.chat_api_api import ChatAPIApi
from kenar_api_client.api.finder_api import FinderApi
from kenar_api_client.api.payment_api import PaymentApi
from kenar_api_client.api.post_api import PostApi
from kenar_api_client.api_client import ApiClient
from kenar_api_client.configuration import Configuration
from kenar_api_client.exceptions import (
    ApiConnectionError,
    ApiException,
    ApiProtocolError,
    ApiReadTimeoutError,
    ServiceException,
    TooManyRequestsException,
)
from kenar_api_client.models.chat_api_conversation_send_message_body import ChatAPIConversationSendMessageBody
from kenar_api_client.models.payment_publish_user_post_body import PaymentPublishUserPostBody
from kenar_api_client.models.payment_renew_post_body import PaymentRenewPostBody
from kenar_api_client.models.payment_reorder_post_body import PaymentReorderPostBody
from kenar_api_client.models.post_edit_post_body import PostEditPostBody
from kenar_api_client.models.post_post_general_data import PostPostGeneralData
from kenar_api_client.models.post_submit_user_post_request import PostSubmitUserPostRequest
from kenar_api_client.retry import RetryPolicy
from kenar_api_client.testing import MockKenarServer

GET_POST = "finder_get_post"
SEND_MESSAGE = "chat_api_conversation_send_message"


def send_message(chat: ChatAPIApi) -> Any:
    return chat.chat_api_conversation_send_message("conv-1", ChatAPIConversationSendMessageBody(message="hello"))


def use_policy(client: ApiClient, sleeps: List[float], **settings: Any) -> None:
    client.configuration.retries = RetryPolicy(sleep=sleeps.append, **settings)


# ---------------------------------------------------------------- 5xx


@pytest.mark.parametrize("status", [502, 503, 504])
def test_get_is_retried_after_a_gateway_error_and_succeeds(server: MockKenarServer, finder: FinderApi, sleeps, status):
    server.respond(GET_POST, status=status)

    post = finder.finder_get_post("tok")

    assert post.token == "sample-token"
    assert len(server.requests_for(GET_POST)) == 2
    assert sleeps == [0.5]


@pytest.mark.parametrize("status", [502, 503, 504])
def test_post_is_not_retried_after_a_gateway_error(server: MockKenarServer, chat: ChatAPIApi, sleeps, status):
    server.respond(SEND_MESSAGE, status=status)  # a second request would get a 200

    with pytest.raises(ServiceException) as caught:
        send_message(chat)

    error = sdk_error(caught.value, ServiceException)
    assert error.status == status
    assert error.attempts == 1
    assert len(server.requests) == 1
    assert sleeps == []


def test_500_is_not_retried_even_for_get(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, status=500)

    with pytest.raises(ServiceException) as caught:
        finder.finder_get_post("tok")

    assert sdk_error(caught.value, ServiceException).status == 500
    assert len(server.requests) == 1
    assert sleeps == []


def test_put_and_delete_are_retried(server: MockKenarServer, post: PostApi, sleeps):
    server.respond("post_edit_post", status=503)
    server.respond("post_delete_user_post", status=503)

    post.post_edit_post("tok", PostEditPostBody(title="t", description="d"))
    post.post_delete_user_post("tok")

    assert len(server.requests_for("post_edit_post")) == 2
    assert len(server.requests_for("post_delete_user_post")) == 2
    # the same request is sent again, body and all
    first, second = server.requests_for("post_edit_post")
    assert first.body == second.body and first.path == second.path


def test_status_error_after_the_last_attempt_says_how_many(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, status=503, times=10)

    with pytest.raises(ServiceException) as caught:
        finder.finder_get_post("tok")

    error = sdk_error(caught.value, ServiceException)
    assert error.attempts == 3
    assert "Attempts: 3" in str(error)
    assert len(server.requests) == 3
    assert sleeps == [0.5, 1.0]


# ---------------------------------------------------------------- 429 and Retry-After


def test_429_retry_after_is_waited_for_between_the_attempts(server: MockKenarServer):
    # the injected clock moves only when the retry loop sleeps: no real waiting
    now = [1000.0]
    waits = []

    def sleep(seconds: float) -> None:
        waits.append((seconds, len(server.requests_for(GET_POST))))
        now[0] += seconds

    config = server.configuration()
    config.retries = RetryPolicy(jitter=False, sleep=sleep, clock=lambda: now[0])
    server.respond(GET_POST, status=429, headers={"Retry-After": "1"})

    with ApiClient(config) as client:
        FinderApi(client).finder_get_post("tok")

    assert waits == [(1.0, 1)]  # one wait of Retry-After's second, after the first attempt and before the second
    assert len(server.requests_for(GET_POST)) == 2
    assert now[0] == 1001.0
    assert RetryPolicy().sleep is time.sleep and RetryPolicy().clock is time.monotonic  # by default, real time


def test_429_retry_after_seconds_is_honoured_for_post_too(server: MockKenarServer, chat: ChatAPIApi, sleeps):
    server.respond(SEND_MESSAGE, status=429, headers={"Retry-After": "1"})

    send_message(chat)

    # the server refused the first one without acting: re-sending cannot duplicate the message
    assert len(server.requests) == 2
    assert sleeps == [1.0]


def test_429_without_retry_after_uses_the_backoff(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, status=429)

    finder.finder_get_post("tok")

    assert len(server.requests) == 2
    assert sleeps == [0.5]


def test_429_retry_after_http_date(server: MockKenarServer, finder: FinderApi, sleeps):
    when = datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=6)
    server.respond(GET_POST, status=429, headers={"Retry-After": email.utils.format_datetime(when, usegmt=True)})

    finder.finder_get_post("tok")

    assert len(server.requests) == 2
    assert len(sleeps) == 1
    assert 4.0 <= sleeps[0] <= 6.0  # the date has one-second resolution


def test_429_retry_after_date_in_the_past_means_now(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, status=429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"})

    finder.finder_get_post("tok")

    assert len(server.requests) == 2
    assert sleeps == [0.0]


def test_429_retry_after_over_the_cap_is_not_waited_for(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, status=429, headers={"Retry-After": "120"})  # default cap: 60 s

    with pytest.raises(TooManyRequestsException) as caught:
        finder.finder_get_post("tok")

    error = sdk_error(caught.value, TooManyRequestsException)
    assert isinstance(error, ApiException)
    assert error.status == 429
    assert error.retry_after == 120.0
    assert error.attempts == 1
    assert len(server.requests) == 1
    assert sleeps == []


def test_429_retry_after_over_a_configured_cap(server: MockKenarServer, finder: FinderApi, client, sleeps):
    use_policy(client, sleeps, retry_after_max=0.5)
    server.respond(GET_POST, status=429, headers={"Retry-After": "1"})

    with pytest.raises(TooManyRequestsException) as caught:
        finder.finder_get_post("tok")

    assert caught.value.retry_after == 1.0
    assert len(server.requests) == 1
    assert sleeps == []


def test_429_retry_after_beyond_the_total_delay_is_not_waited_for(server: MockKenarServer, finder, client, sleeps):
    use_policy(client, sleeps, max_total_delay=10.0)
    server.respond(GET_POST, status=429, headers={"Retry-After": "30"})

    with pytest.raises(TooManyRequestsException) as caught:
        finder.finder_get_post("tok")

    assert caught.value.retry_after == 30.0
    assert len(server.requests) == 1
    assert sleeps == []


def test_429_on_every_attempt(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, status=429, headers={"Retry-After": "2"}, times=10)

    with pytest.raises(TooManyRequestsException) as caught:
        finder.finder_get_post("tok")

    error = sdk_error(caught.value, TooManyRequestsException)
    assert error.attempts == 3
    assert error.retry_after == 2.0
    assert "Attempts: 3" in str(error)
    assert len(server.requests) == 3
    assert sleeps == [2.0, 2.0]


def test_unreadable_retry_after_falls_back_to_the_backoff(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, status=429, headers={"Retry-After": "soon"})
    server.respond(GET_POST, status=429, headers={"Retry-After": "-5"})

    finder.finder_get_post("tok")

    assert len(server.requests) == 3
    assert sleeps == [0.5, 1.0]


def test_retry_after_on_a_503_is_honoured_too(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, status=503, headers={"Retry-After": "3"})

    finder.finder_get_post("tok")

    assert sleeps == [3.0]


def test_retry_after_can_be_ignored(server: MockKenarServer, finder: FinderApi, client, sleeps):
    use_policy(client, sleeps, jitter=False, respect_retry_after=False)
    server.respond(GET_POST, status=429, headers={"Retry-After": "7"})

    finder.finder_get_post("tok")

    assert sleeps == [0.5]


# ---------------------------------------------------------------- broken connections


def test_reset_before_the_answer_get_is_retried(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, fault="reset")

    assert finder.finder_get_post("tok").token == "sample-token"
    assert len(server.requests) == 2
    assert sleeps == [0.5]


@pytest.mark.parametrize("fault", ["reset", "close"])
def test_reset_before_the_answer_post_is_not_retried(server: MockKenarServer, chat: ChatAPIApi, sleeps, fault):
    server.respond(SEND_MESSAGE, fault=fault)

    with pytest.raises(ApiProtocolError) as caught:
        send_message(chat)

    error = sdk_error(caught.value, ApiProtocolError)
    assert error.method == "POST"
    assert error.url.endswith("/v2/open-platform/conversations/conv-1/messages")
    assert error.attempts == 1
    assert len(server.requests) == 1  # the server got it: it may have sent the message
    assert sleeps == []


def test_reset_on_every_attempt_says_how_many(server: MockKenarServer, finder: FinderApi, sleeps):
    server.respond(GET_POST, fault="reset", times=10)

    with pytest.raises(ApiProtocolError) as caught:
        finder.finder_get_post("tok")

    error = sdk_error(caught.value, ApiProtocolError)
    assert error.attempts == 3
    assert "after 3 attempts" in str(error)
    assert len(server.requests) == 3


def refused_client(port: int, sleeps: List[float], **settings: Any) -> ApiClient:
    config = Configuration(host=f"http://127.0.0.1:{port}")
    config.api_key["APIKey"] = "key"
    config.access_token = "token"
    config.retries = RetryPolicy(sleep=sleeps.append, jitter=False, **settings)
    return ApiClient(config)


def test_connection_refused_get_is_retried_then_fails(closed_port: int, sleeps):
    with refused_client(closed_port, sleeps) as client:
        with pytest.raises(ApiConnectionError) as caught:
            FinderApi(client).finder_get_post("tok")

    error = sdk_error(caught.value, ApiConnectionError)
    assert error.attempts == 3
    assert sleeps == [0.5, 1.0]
    text = str(error)
    assert "after 3 attempts" in text
    assert f"GET http://127.0.0.1:{closed_port}/v1/open-platform/finder/post/tok" in text
    assert isinstance(error.__cause__, urllib3.exceptions.HTTPError)  # kept for debugging, not raised


def test_connection_refused_post_is_retried_too(closed_port: int, sleeps):
    # nothing reached the server, so sending again cannot repeat anything
    with refused_client(closed_port, sleeps) as client:
        with pytest.raises(ApiConnectionError) as caught:
            send_message(ChatAPIApi(client))

    assert sdk_error(caught.value, ApiConnectionError).attempts == 3
    assert sleeps == [0.5, 1.0]


# ---------------------------------------------------------------- idempotency ids


def _reorder(api: PaymentApi, ident: Any) -> Any:
    return api.payment_reorder_post("post-tok", PaymentReorderPostBody(id=ident))


def _renew(api: PaymentApi, ident: Any) -> Any:
    return api.payment_renew_post("post-tok", PaymentRenewPostBody(id=ident))


def _publish(api: PaymentApi, ident: Any) -> Any:
    return api.payment_publish_user_post("post-tok", PaymentPublishUserPostBody(id=ident))


PAYMENT_CALLS: Dict[str, Callable[[PaymentApi, Any], Any]] = {
    "payment_reorder_post": _reorder,
    "payment_renew_post": _renew,
    "payment_publish_user_post": _publish,
}


@pytest.mark.parametrize("name", sorted(PAYMENT_CALLS))
def test_payment_post_with_an_id_is_retried_after_503(server: MockKenarServer, payment: PaymentApi, sleeps, name):
    server.respond(name, status=503)

    PAYMENT_CALLS[name](payment, "txn-42")

    seen = server.requests_for(name)
    assert len(seen) == 2
    assert [r.json["id"] for r in seen] == ["txn-42", "txn-42"]  # the same id: Divar refuses the duplicate


@pytest.mark.parametrize("name", sorted(PAYMENT_CALLS))
@pytest.mark.parametrize("ident", [None, ""])
def test_payment_post_without_an_id_is_not_retried(server: MockKenarServer, payment: PaymentApi, sleeps, name, ident):
    server.respond(name, status=503)

    with pytest.raises(ServiceException) as caught:
        PAYMENT_CALLS[name](payment, ident)

    sdk_error(caught.value, ServiceException)
    assert len(server.requests) == 1
    assert sleeps == []


def test_payment_post_with_an_id_is_retried_after_a_reset(server: MockKenarServer, payment: PaymentApi, sleeps):
    server.respond("payment_reorder_post", fault="reset")

    _reorder(payment, "txn-1")

    assert len(server.requests) == 2


def test_payment_post_read_timeout_retried_only_with_an_id(server: MockKenarServer, payment, client, sleeps):
    client.configuration.timeout = 0.2
    server.respond("payment_renew_post", fault="hang")

    _renew(payment, "txn-7")
    assert len(server.requests) == 2

    server.reset()
    server.respond("payment_renew_post", fault="hang")
    with pytest.raises(ApiReadTimeoutError) as caught:
        _renew(payment, None)
    assert sdk_error(caught.value, ApiReadTimeoutError).attempts == 1
    assert len(server.requests) == 1


def _user_post(**extra: Any) -> PostSubmitUserPostRequest:
    general = PostPostGeneralData(
        category_slug="light",
        chat_enabled=True,
        city="tehran",
        description="d",
        hide_phone=False,
        images=[],
        location_type="LOCATION_TYPE_EXACT",
        title="t",
    )
    return PostSubmitUserPostRequest(category_fields={}, general_data=general, **extra)


@pytest.mark.parametrize("extra", [{}, {"id": "client-chosen"}])
def test_submit_user_post_is_never_retried(server: MockKenarServer, post: PostApi, sleeps, extra):
    # postSubmitUserPostRequest has no `id` field in this spec: nothing makes a resend safe,
    # not even an unknown `id` passed through as an extra field
    server.respond("post_submit_user_post", status=503)

    with pytest.raises(ServiceException):
        post.post_submit_user_post(_user_post(**extra))

    assert len(server.requests) == 1
    assert sleeps == []


def test_other_posts_with_an_id_field_are_not_retried(server: MockKenarServer, payment: PaymentApi, sleeps):
    # only the operations the table marks carry an idempotency id; an extra `id` elsewhere means nothing
    server.respond("payment_commit_wallet_transaction", status=503)

    with pytest.raises(ServiceException):
        payment.payment_commit_wallet_transaction({"token": "wallet-tok", "id": "x"})

    assert len(server.requests) == 1


# ---------------------------------------------------------------- limits: attempts and total delay


def test_max_attempts_is_honoured(server: MockKenarServer, finder: FinderApi, client, sleeps):
    use_policy(client, sleeps, jitter=False, max_attempts=5)
    server.respond(GET_POST, status=503, times=10)

    with pytest.raises(ServiceException) as caught:
        finder.finder_get_post("tok")

    assert caught.value.attempts == 5
    assert len(server.requests) == 5
    assert sleeps == [0.5, 1.0, 2.0, 4.0]


def test_max_total_delay_is_honoured(server: MockKenarServer, finder: FinderApi, client, sleeps):
    use_policy(client, sleeps, jitter=False, max_attempts=10, max_total_delay=1.0)
    server.respond(GET_POST, status=503, times=10)

    with pytest.raises(ServiceException) as caught:
        finder.finder_get_post("tok")

    # 0.5 s waited; the next wait (1.0 s) would bring the total to 1.5 s
    assert caught.value.attempts == 2
    assert len(server.requests) == 2
    assert sleeps == [0.5]


def test_max_total_delay_counts_elapsed_time_by_the_policy_clock(server: MockKenarServer, finder: FinderApi, client):
    ticks = iter(range(0, 1000, 7))  # every reading of the clock is 7 s later than the last
    client.configuration.retries = RetryPolicy(
        sleep=lambda seconds: None,
        clock=lambda: float(next(ticks)),
        jitter=False,
        max_attempts=10,
        max_total_delay=10.0,
    )
    server.respond(GET_POST, status=503, times=10)

    with pytest.raises(ServiceException) as caught:
        finder.finder_get_post("tok")

    # the first retry starts at 7 s (+0.5 s wait); at 14 s the 10 s budget is spent
    assert caught.value.attempts == 2
    assert len(server.requests) == 2


def test_max_total_delay_is_honoured_for_transport_errors(closed_port: int, sleeps):
    with refused_client(closed_port, sleeps, max_attempts=10, max_total_delay=2.0) as client:
        with pytest.raises(ApiConnectionError) as caught:
            FinderApi(client).finder_get_post("tok")

    assert caught.value.attempts == 3
    assert sleeps == [0.5, 1.0]


# Retry-After: 0 makes these run without waiting even with the real time.sleep
@pytest.mark.parametrize(
    ("setting", "requests"),
    [
        (0, 1),
        (1, 2),
        (4, 5),
        (False, 1),
        (RetryPolicy.none(), 1),
        (urllib3.Retry(total=0), 1),
        (urllib3.Retry(total=2, backoff_factor=0), 3),
        (urllib3.Retry(total=None, connect=1, read=3, status=2), 4),
    ],
    ids=["int-0", "int-1", "int-4", "False", "none", "urllib3-0", "urllib3-2", "urllib3-per-kind"],
)
def test_the_retries_setting(server: MockKenarServer, setting: Any, requests: int):
    config = server.configuration()
    config.retries = setting
    server.respond(GET_POST, status=429, headers={"Retry-After": "0"}, times=10)

    with ApiClient(config) as client:
        with pytest.raises(TooManyRequestsException) as caught:
            FinderApi(client).finder_get_post("tok")

    assert caught.value.attempts == requests
    assert len(server.requests) == requests


def test_retries_default_to_a_safe_policy_not_off():
    config = Configuration()
    policy = ApiClient(config).retry_policy
    assert config.retries is None
    assert policy == RetryPolicy()
    assert policy.max_attempts > 1
    assert 0 < policy.max_total_delay < float("inf")


def test_the_policy_follows_configuration_changes(server: MockKenarServer, finder: FinderApi, client, sleeps):
    server.respond(GET_POST, status=503, times=10)
    client.configuration.retries = RetryPolicy.none()

    with pytest.raises(ServiceException):
        finder.finder_get_post("tok")
    assert len(server.requests) == 1

    use_policy(client, sleeps, jitter=False, max_attempts=2)
    with pytest.raises(ServiceException):
        finder.finder_get_post("tok")
    assert len(server.requests) == 3


def test_retries_setting_of_the_wrong_type_is_refused(client: ApiClient):
    client.configuration.retries = "3"
    with pytest.raises(TypeError, match="retries"):
        client.retry_policy  # noqa: B018


# ---------------------------------------------------------------- backoff and jitter


def test_backoff_grows_and_is_capped_without_jitter():
    policy = RetryPolicy(jitter=False, backoff_initial=0.5, backoff_multiplier=2.0, backoff_max=3.0)
    assert [policy.backoff(n) for n in range(1, 6)] == [0.5, 1.0, 2.0, 3.0, 3.0]


def test_jitter_stays_within_half_to_full_backoff():
    low = RetryPolicy(random=lambda: 0.0)
    high = RetryPolicy(random=lambda: 1.0)
    for n in range(1, 8):
        full = min(8.0, 0.5 * 2 ** (n - 1))
        assert low.backoff(n) == pytest.approx(full / 2)
        assert high.backoff(n) == pytest.approx(full)


def test_jittered_waits_of_the_loop(server: MockKenarServer, finder: FinderApi, client, sleeps):
    use_policy(client, sleeps, max_attempts=6, backoff_max=3.0, random=random.Random(7).random)
    server.respond(GET_POST, status=503, times=10)

    with pytest.raises(ServiceException):
        finder.finder_get_post("tok")

    assert len(server.requests) == 6
    ceilings = [0.5, 1.0, 2.0, 3.0, 3.0]
    assert len(sleeps) == len(ceilings)
    for waited, ceiling in zip(sleeps, ceilings):
        assert ceiling / 2 <= waited <= ceiling
    assert len(set(sleeps)) == len(sleeps)  # jitter: not the same fraction every time
    assert sleeps[0] < sleeps[1] < sleeps[2]  # the ranges do not overlap until the cap


def test_backoff_uses_the_policy_random(server: MockKenarServer, finder: FinderApi, client, sleeps):
    use_policy(client, sleeps, random=lambda: 0.0)
    server.respond(GET_POST, status=503, times=10)

    with pytest.raises(ServiceException):
        finder.finder_get_post("tok")

    assert sleeps == [0.25, 0.5]


# ---------------------------------------------------------------- logging


def test_each_retry_is_logged_at_debug_with_the_reason(server: MockKenarServer, finder, sleeps, caplog):
    caplog.set_level(logging.DEBUG, logger="kenar_api_client")
    server.respond(GET_POST, status=503)
    server.respond(GET_POST, fault="reset")

    finder.finder_get_post("tok")

    retries = [r for r in caplog.records if r.name == "kenar_api_client" and r.getMessage().startswith("retry")]
    assert len(retries) == 2
    assert all(r.levelno == logging.DEBUG for r in retries)
    first, second = (r.getMessage() for r in retries)
    assert first.startswith("retry 1 of GET http://127.0.0.1:")
    assert "/v1/open-platform/finder/post/tok in 0.50s" in first
    assert first.endswith("status 503")
    assert second.startswith("retry 2 of GET") and "in 1.00s" in second
    assert "connection broken" in second
    assert len(server.requests) == 3


def test_no_retry_no_retry_log(server: MockKenarServer, chat: ChatAPIApi, sleeps, caplog):
    caplog.set_level(logging.DEBUG, logger="kenar_api_client")
    server.respond(SEND_MESSAGE, status=503)

    with pytest.raises(ServiceException):
        send_message(chat)

    assert not [r for r in caplog.records if r.getMessage().startswith("retry")]
