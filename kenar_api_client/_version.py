"""The package version: the one place it is written.

``1.<SPECDATE>.<N>``: SPECDATE is the date (YYYYMMDD) of the Kenar OpenAPI spec
the SDK is generated from, N counts this SDK's releases on that spec.  The
leading 1 keeps every release above the official generated SDK's 0.x versions,
so pip never mistakes one package for the other.  ``pyproject.toml`` reads it
from here, and so does the User-Agent.
"""

__version__ = "1.20251202.0"
