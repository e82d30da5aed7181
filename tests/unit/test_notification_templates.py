"""Notice templates end with a "Stop these e-mails" link; security templates never show one, and the
kinds cover every notice template."""

import pytest

from app.services.messaging import email, notifications
from tests.unit.test_email_templates import SAMPLES

LINK = "http://q/unsubscribe?token=abc.def"


@pytest.mark.parametrize("template", sorted(notifications.TEMPLATE_KINDS))
def test_a_notice_names_its_kind_and_links_to_stop_it(template):
    label = notifications.KINDS[notifications.TEMPLATE_KINDS[template]].label
    _s, text, html = email.render(template, {"to": "a@b.test", **SAMPLES[template],
                                             "unsubscribe_link": LINK, "notice": label})
    assert text.rstrip().endswith(f"Stop these e-mails: {LINK}")
    assert f'"{label}" is on in your account\'s notifications' in text
    assert f'<a href="{LINK}"' in html and f"&ldquo;{label}&rdquo;" in html


@pytest.mark.parametrize("template", email.TEMPLATES)
def test_without_a_link_no_template_offers_to_stop_anything(template):
    _s, text, html = email.render(template, {"to": "a@b.test", **SAMPLES[template]})
    assert "Stop these e-mails" not in text and "Stop these e-mails" not in html


def test_every_notice_template_exists_and_security_mails_are_no_notice():
    assert set(notifications.TEMPLATE_KINDS) <= set(email.TEMPLATES)
    assert set(notifications.TEMPLATE_KINDS.values()) == set(notifications.KINDS)
    for security in ("verification", "reset", "new_sign_in", "two_factor_changed", "invitation"):
        assert notifications.kind_of_template(security) is None
