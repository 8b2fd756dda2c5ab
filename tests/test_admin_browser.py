"""The admin in a real browser: a staff user of one organisation logs in, opens a customer and
sees the consent picture, then the big lists. `SAVE_PAGE_SCREENSHOTS=1` writes docs/admin/."""

from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command

from customers.models import Customer
from pages.tests.test_browser import browser, click_and_wait, screenshot  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("browser"),
]

SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "admin"


@pytest.fixture
def staff_browser(browser, live_server):  # noqa: F811
    from selenium.webdriver.common.by import By

    call_command("seed_demo", stdout=StringIO())
    browser.set_window_size(1280, 900)
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}/admin/login/")
    browser.find_element(By.NAME, "username").send_keys("demo-admin")
    browser.find_element(By.NAME, "password").send_keys("demo-password-1")
    click_and_wait(browser, "input[type=submit]")
    yield browser
    browser.set_window_size(420, 900)


def test_staff_see_why_a_customer_may_or_may_not_be_mailed(staff_browser, live_server):
    from selenium.webdriver.common.by import By

    customer = Customer.objects.live().filter(email__isnull=False).order_by("pk").first()
    staff_browser.get(f"{live_server.url}/admin/customers/customer/{customer.pk}/change/")
    summary = staff_browser.find_element(By.ID, "consent-summary")
    assert "may we send marketing now?" in summary.text.lower()
    assert "Consent now" in summary.text
    assert staff_browser.find_element(By.ID, "recent-ledger").is_displayed()
    screenshot(staff_browser, "customer", SCREENSHOTS)


@pytest.mark.parametrize(
    "name, path",
    [
        ("customers", "customers/customer/"),
        ("ledger", "customers/consentevent/"),
        ("opt-ins", "preferences/preferenceoptin/"),
        ("suppressions", "subscriptions/suppression/"),
    ],
)
def test_staff_open_the_big_lists_with_csv_export(staff_browser, live_server, name, path):
    from selenium.webdriver.common.by import By

    staff_browser.get(f"{live_server.url}/admin/{path}")
    assert staff_browser.find_element(By.ID, "result_list").is_displayed()
    assert staff_browser.find_element(By.CSS_SELECTOR, 'a[href^="export.csv"]').is_displayed()
    screenshot(staff_browser, name, SCREENSHOTS)
