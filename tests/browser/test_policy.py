"""The Content Security Policy as a browser meets it: inline scripts are refused, the watch of
``conftest.Pages`` reports every refusal and JavaScript error, and the behaviours bound in
static/js/anju.js instead of inline handlers still work."""

import pytest

from .conftest import assert_fits_the_width, visit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_an_inline_handler_is_refused_and_the_watch_reports_it(pages):
    page = pages.open("desktop")
    response = visit(page, "/login/")
    assert "script-src 'self'" in response.headers["content-security-policy"]

    # A handler written into the page, as an injected script would be: it must not run.
    page.evaluate(
        """() => {
          const button = document.createElement('button');
          button.id = 'inline';
          button.setAttribute('onclick', "document.body.dataset.ran = 'yes'");
          document.body.append(button);
        }"""
    )
    page.locator("#inline").click()
    assert page.evaluate("document.body.dataset.ran") is None
    # An uncaught error in a script of the page.
    with page.expect_event("pageerror"):
        page.evaluate("setTimeout(() => { throw new Error('a broken page script'); })")

    problems = pages.unexpected_problems()
    assert [problem.kind for problem in problems] == ["csp", "error"], problems
    assert "inline event handler" in problems[0].text
    assert "a broken page script" in problems[1].text
    assert all(problem.url.endswith("/login/") for problem in problems)

    # Both were made on purpose here: allowed, so that this test passes.
    pages.allow(path="/login/", text="inline event handler", reason="caused above on purpose")
    pages.allow(path="/login/", text="a broken page script", reason="thrown above on purpose")
    assert pages.unexpected_problems() == []


def test_the_language_switcher_works_without_inline_scripts(pages, shoot):
    page = pages.open("phone")
    visit(page, "/login/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"

    # Bound by static/js/anju.js: choosing a language sends the form at once.
    with page.expect_navigation():
        page.locator("#language-select").select_option("en")

    assert page.url.endswith("/login/")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#language-select").input_value() == "en"
    assert_fits_the_width(page)
    shoot(page, "phone")
