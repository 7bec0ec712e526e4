"""Where the loopback OAuth server used to live; it is now in :mod:`kenar_api_client.testing`.

Kept so that existing imports keep working.  ``HttpAnswer`` is
:class:`kenar_api_client.testing.Answer`.
"""

from kenar_api_client.testing._core import FORM_CONTENT_TYPE, Answer, RecordedRequest
from kenar_api_client.testing._oauth import (
    AUTHORIZE_PATH,
    CODE_LIFETIME,
    REFRESH_LIFETIME,
    TOKEN_PATH,
    Grant,
    HttpAnswer,
    OAuthProvider,
    OAuthServer,
)

__all__ = [
    "AUTHORIZE_PATH",
    "CODE_LIFETIME",
    "FORM_CONTENT_TYPE",
    "REFRESH_LIFETIME",
    "TOKEN_PATH",
    "Answer",
    "Grant",
    "HttpAnswer",
    "OAuthProvider",
    "OAuthServer",
    "RecordedRequest",
]
