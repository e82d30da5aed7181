"""The one time-zone rule (app.services.zones), the same for accounts, workspaces, slots and schedules."""

from zoneinfo import ZoneInfo

import pytest

from app.services import zones
from app.services.errors import ValidationFailed
from app.services.identity import accounts
from app.services.planning import timeslots
from app.services.tenancy import workspaces


@pytest.mark.parametrize("name", ["UTC", "Europe/Paris", "America/Argentina/ComodRivadavia", "Etc/GMT+5"])
def test_iana_names_are_time_zones(name):
    assert zones.valid_zone(name) == name
    assert zones.zone(name) == ZoneInfo(name)


@pytest.mark.parametrize("name, shown", [
    ("", "''"),
    (None, "''"),
    ("Mars/Olympus", "'Mars/Olympus'"),
    ("Europe/Paris\x00", "'Europe/Paris\\x00'"),
    ("Europe/" + "x" * 5000, repr(("Europe/" + "x" * 5000)[:zones.ZONE_MAX])),
    ("local", "'local'"),
    ("localtime", "'localtime'"),
    ("Factory", "'Factory'"),
    ("posix/UTC", "'posix/UTC'"),
    ("../../etc/passwd", "'../../etc/passwd'"),
    ("europe/paris", "'europe/paris'"),
    ("+02:00", "'+02:00'"),
    (" UTC", "' UTC'"),
])
def test_anything_else_is_refused_with_one_message_naming_the_field(name, shown):
    with pytest.raises(ValidationFailed) as err:
        zones.valid_zone(name, field="zone")
    assert err.value.field == "zone"
    assert err.value.message == f"zone: {shown} is not a time zone; use an IANA name such as Europe/Paris"


def test_a_long_name_is_shown_cut_short():
    with pytest.raises(ValidationFailed) as err:
        zones.zone("A" * 10_000)
    assert len(err.value.message) < 200


@pytest.mark.parametrize("check", [
    lambda name: accounts.clean_timezone(name),
    lambda name: workspaces.clean_timezone(name),
    lambda name: timeslots.zone(name),
])
def test_every_door_uses_the_one_rule(check):
    with pytest.raises(ValidationFailed) as err:
        check("Mars/Olympus")
    assert (err.value.field, err.value.message) == ("timezone", zones.message("Mars/Olympus"))
    check("Europe/Paris")


def test_typed_names_are_trimmed_where_a_person_types_them():
    assert accounts.clean_timezone(" Europe/Paris ") == "Europe/Paris"
    assert workspaces.clean_timezone("\tUTC\n") == "UTC"
    with pytest.raises(ValidationFailed):  # slot and schedule names are stored as given
        timeslots.zone(" Europe/Paris ")
