"""The one time-zone rule: what every door accepts as a person's, a workspace's or a time's zone.

A zone is an IANA name (Europe/Paris, America/New_York, UTC) exactly as the tz database spells it. The
host's own zone (`localtime`) and tzdata's placeholder (`Factory`) are refused: they name no place, and
`localtime` means something else on each machine. A name is at most ZONE_MAX characters (the longest
IANA name has 32), so a long or odd value is refused before any file lookup. Every refusal is the same
ValidationFailed, naming the field.
"""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, available_timezones

from app.services.errors import ValidationFailed

ZONE_MAX = 64
NOT_PLACES = frozenset({"localtime", "Factory"})
EXAMPLE = "Europe/Paris"


@lru_cache(maxsize=1)
def known_zones() -> frozenset[str]:
    """The IANA names this machine's tz database holds (read once: listing them walks the files)."""
    return frozenset(available_timezones()) - NOT_PLACES


def message(name: str, field: str = "timezone") -> str:
    """The refusal, the same wherever a zone is given."""
    return f"{field}: {name[:ZONE_MAX]!r} is not a time zone; use an IANA name such as {EXAMPLE}"


def valid_zone(name: str | None, field: str = "timezone") -> str:
    """`name` when it is an IANA time zone; else ValidationFailed on `field`.

    The name is taken as given (no spaces trimmed): it is stored and read back as is. A door that takes
    typed text trims it first."""
    value = name or ""
    if len(value) > ZONE_MAX or value not in known_zones():
        raise ValidationFailed(message(value, field), field=field)
    return value


def zone(name: str | None, field: str = "timezone") -> ZoneInfo:
    """The ZoneInfo of a valid name (see `valid_zone`)."""
    return ZoneInfo(valid_zone(name, field))
