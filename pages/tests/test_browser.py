"""The hosted pages in a real browser: Debian's headless Chromium driven by Selenium.

Runs against pytest-django's live server. Without Chromium and chromedriver the tests skip,
saying why, except under CI (env CI set), where a missing browser is a failure: `.ci/run`
installs both. `SAVE_PAGE_SCREENSHOTS=1` also writes the screenshots of docs/pages/.
"""

import base64
import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from customers import links
from customers.models import ConsentEvent
from customers.tests.factories import CustomerFactory, OrganisationFactory
from preferences.models import PreferenceOptIn
from preferences.tests.factories import CategoryFactory, PreferenceFactory, PreferenceOptInFactory
from subscriptions.models import Suppression

pytestmark = [
    pytest.mark.browser,
    # The live server runs in another thread: the data must be committed to be seen there.
    pytest.mark.django_db(transaction=True),
    # Under pytest-xdist (--dist loadgroup) one worker runs them all with one browser.
    pytest.mark.xdist_group("browser"),
]

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
SCREENSHOTS = Path(settings.BASE_DIR) / "docs" / "pages"
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--window-size=420,900",  # a phone-sized window: the pages must work there
]


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        reason = (
            "needs Debian's chromium and chromium-driver (apt-get install chromium chromium-driver)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"CI is set but the browser is missing: {reason}")
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    # A fresh profile per run (and per xdist worker): no cookies or state carried over.
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    # Naming the driver keeps Selenium Manager (which would download one) out of the way.
    driver = webdriver.Chrome(options=options, service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


@pytest.fixture
def open_page(browser, live_server):
    def open_(page, customer):
        token = links.sign_link_token(
            page, organisation_id=customer.organisation_id, customer_uuid=customer.uuid
        )
        browser.delete_all_cookies()
        browser.get(f"{live_server.url}/pages/{page}/{token}")
        return browser

    return open_


def screenshot(browser, name, folder=SCREENSHOTS):
    """<folder>/<name>.png (docs/pages/ by default) when SAVE_PAGE_SCREENSHOTS is set."""
    if not os.environ.get("SAVE_PAGE_SCREENSHOTS"):
        return
    size = browser.execute_cdp_cmd("Page.getLayoutMetrics", {})["cssContentSize"]
    clip = {"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1}
    shot = browser.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True, "clip": clip}
    )
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{name}.png").write_bytes(base64.b64decode(shot["data"]))


def click_and_wait(browser, selector):
    """Click what `selector` finds and wait until the next page has replaced this one."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.wait import WebDriverWait

    page = browser.find_element(By.TAG_NAME, "html")

    def replaced(_):
        try:
            page.is_enabled()
        except StaleElementReferenceException:
            return True
        except WebDriverException as exc:
            # Chromium may answer for an element of a page being replaced with this instead of
            # "stale element" (selenium's staleness_of only knows the latter).
            if "does not belong to the document" in str(exc):
                return True
            raise
        return False

    browser.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(browser, 30).until(replaced)
    WebDriverWait(browser, 30).until(
        lambda driver: driver.execute_script("return document.readyState") == "complete"
    )


def unlabelled_controls(browser):
    """Form controls without a label, and checkbox groups without a fieldset legend."""
    return browser.execute_script(
        """
        const problems = [];
        for (const el of document.querySelectorAll('input, select, textarea, button')) {
          if (el.type === 'hidden') continue;
          const named = el.tagName === 'BUTTON' ? el.textContent.trim()
            : (el.labels && el.labels.length && el.labels[0].textContent.trim())
              || el.getAttribute('aria-label');
          if (!named) problems.push(el.outerHTML);
          if (el.type === 'checkbox') {
            const fieldset = el.closest('fieldset');
            if (!fieldset || !fieldset.querySelector('legend')?.textContent.trim())
              problems.push('no legend: ' + el.outerHTML);
          }
        }
        if (!document.documentElement.lang) problems.push('no lang');
        return problems;
        """
    )


def low_contrast_texts(browser):
    """Texts whose colour against their background is below WCAG AA (4.5:1)."""
    return browser.execute_script(
        """
        const rgb = (c) => c.match(/[\\d.]+/g).map(Number);
        const lum = ([r, g, b]) => {
          const f = (v) => {
            v /= 255;
            return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
          };
          return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
        };
        const background = (el) => {
          for (; el; el = el.parentElement) {
            const c = rgb(getComputedStyle(el).backgroundColor);
            if (c.length < 4 || c[3] > 0) return c;
          }
          return [255, 255, 255];
        };
        const problems = [];
        for (const el of document.querySelectorAll('body *')) {
          const own = [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim());
          if (!own) continue;
          const [a, b] = [lum(rgb(getComputedStyle(el).color)), lum(background(el))];
          const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
          if (ratio < 4.5) problems.push(el.tagName + ' ' + ratio.toFixed(2));
        }
        return problems;
        """
    )


@pytest.fixture
def demo(db):
    organisation = OrganisationFactory(slug="shop", name="Northwind Outfitters")
    newsletters = CategoryFactory(organisation=organisation, public_name="Newsletters", order=0)
    offers = CategoryFactory(organisation=organisation, public_name="Offers", order=1)
    topics = [
        PreferenceFactory(category=newsletters, public_name="Weekly digest", order=0),
        PreferenceFactory(category=newsletters, public_name="Product updates", order=1),
        PreferenceFactory(category=offers, public_name="Discounts", order=0),
        PreferenceFactory(category=offers, public_name="Events near you", order=1),
    ]
    return organisation, topics


def make_customer(demo, locale, email):
    organisation, topics = demo
    customer = CustomerFactory(
        organisation=organisation, email=email, phone="+442071838750", locale=locale
    )
    for topic in topics[::2]:
        PreferenceOptInFactory(customer=customer, preference=topic, opted_in=True)
    return customer


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_person_unsubscribes_with_one_click_of_the_button(open_page, demo, language):
    from selenium.webdriver.common.by import By

    customer = make_customer(demo, language, f"ada.{language}@example.com")
    browser = open_page(links.UNSUBSCRIBE, customer)
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
    assert unlabelled_controls(browser) == []
    assert low_contrast_texts(browser) == []
    screenshot(browser, f"unsubscribe-{language}")
    assert not Suppression.objects.exists()  # opening the link changed nothing

    click_and_wait(browser, "form button[type=submit]")

    heading = browser.find_element(By.TAG_NAME, "h1").text
    assert heading == {"en": "You are unsubscribed", "de": "Sie sind abgemeldet"}[language]
    screenshot(browser, f"unsubscribed-{language}")
    assert Suppression.objects.get().reason == "Unsubscribed"
    assert ConsentEvent.objects.get().source == "hosted_page"
    click_and_wait(browser, "a[href*='/pages/preferences/']")
    assert browser.find_elements(By.CSS_SELECTOR, "input[name=topic]")


@pytest.mark.parametrize("language", ["en", "de"])
def test_a_person_unticks_a_topic_and_saves(open_page, demo, language):
    from selenium.webdriver.common.by import By

    _, topics = demo
    customer = make_customer(demo, language, f"grace.{language}@example.com")
    browser = open_page(links.PREFERENCE_CENTRE, customer)
    assert unlabelled_controls(browser) == []
    assert low_contrast_texts(browser) == []
    legends = [element.text for element in browser.find_elements(By.TAG_NAME, "legend")]
    assert legends[1:] == ["Newsletters", "Offers"]
    screenshot(browser, f"preferences-{language}")

    digest = browser.find_element(By.ID, f"topic-{topics[0].pk}")
    assert digest.is_selected()
    # Click the label, as a person would: it must toggle its checkbox.
    browser.find_element(By.CSS_SELECTOR, f"label[for=topic-{topics[0].pk}]").click()
    assert not digest.is_selected()
    click_and_wait(browser, "form button[type=submit]")

    status = browser.find_element(By.CSS_SELECTOR, "[role=status]").text
    assert {"en": "Your choices are saved.", "de": "Ihre Auswahl ist gespeichert."}[language] in (
        status
    )
    assert "?saved=1" in browser.current_url  # post/redirect/get: a reload posts nothing
    assert not browser.find_element(By.ID, f"topic-{topics[0].pk}").is_selected()
    assert browser.find_element(By.ID, f"topic-{topics[2].pk}").is_selected()
    assert not PreferenceOptIn.objects.get(customer=customer, preference=topics[0]).opted_in
    assert list(ConsentEvent.objects.values_list("kind", "target", "new_value", "source")) == [
        ("preference.opt_in", str(topics[0].pk), False, "hosted_page")
    ]
    screenshot(browser, f"preferences-saved-{language}")


def test_the_focus_is_visible_on_every_control(open_page, demo):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    customer = make_customer(demo, "en", "emmy@example.com")
    browser = open_page(links.PREFERENCE_CENTRE, customer)
    body = browser.find_element(By.TAG_NAME, "body")
    body.send_keys(Keys.TAB)
    seen = 0
    for _ in range(len(browser.find_elements(By.CSS_SELECTOR, "input:not([type=hidden]), button"))):
        focused = browser.switch_to.active_element
        outline = focused.value_of_css_property("outline-style")
        assert outline not in ("", "none"), focused.get_attribute("outerHTML")
        seen += 1
        focused.send_keys(Keys.TAB)
    assert seen >= 5
