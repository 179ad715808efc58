"""The whole revision journey in a real browser: request, quote, tracking, acceptance
through the signed link of the quote e-mail and the confirmation step."""

import re

import pytest
from django.core import mail
from django.urls import reverse
from playwright.sync_api import expect

from tests.factories import REVISION_FORM

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER = {k: v for k, v in REVISION_FORM.items() if v}
NUMBER_RE = r"REV-\d{4}-[0-9A-Z]{4}-[0-9A-Z]{4}"
STAFF_USERNAME, STAFF_PASSWORD = "atelier", "pw-atelier-Journey-42"
PHONE_VIEWPORT = {"width": 390, "height": 844}


def test_revision_journey(new_context, django_user_model, tmp_path):
    customer = new_context()
    page = customer.new_page()

    # 1. The customer asks for a revision.
    page.goto("/revisions/")
    for field, value in CUSTOMER.items():
        page.locator(f"#id_{field}").fill(value)
    page.get_by_role("button", name="Envoyer ma demande").click()

    expect(page).to_have_url(re.compile(rf"/tracking/{NUMBER_RE}/confirmation/$"))
    expect(page.get_by_text("Conservez-le précieusement")).to_be_visible()
    number_el = page.get_by_test_id("tracking-number")
    expect(number_el).to_be_visible()
    expect(number_el).to_have_text(re.compile(rf"^\s*{NUMBER_RE}\s*$"))
    number = number_el.inner_text().strip()
    assert number in page.url

    # 2. The number went out by e-mail (Celery runs eagerly, locmem backend).
    created = [m for m in mail.outbox if number in m.subject]
    assert len(created) == 1, [m.subject for m in mail.outbox]
    assert created[0].to == [CUSTOMER["client_email"]]
    assert number in created[0].body

    # 3. The workshop validates the diagnostic and sends the quote from the admin.
    django_user_model.objects.create_superuser(STAFF_USERNAME, "atelier@example.com", STAFF_PASSWORD)
    staff = new_context()
    admin = staff.new_page()
    admin_index, changelist = reverse("admin:index"), reverse("admin:revisions_revision_changelist")
    admin.goto(admin_index)
    expect(admin).to_have_url(re.compile(re.escape(reverse("admin:login"))))
    admin.locator("#id_username").fill(STAFF_USERNAME)
    admin.locator("#id_password").fill(STAFF_PASSWORD)
    admin.locator("#login-form [type=submit]").click()
    expect(admin).to_have_url(re.compile(rf"{re.escape(admin_index)}$"))

    admin.goto(changelist)
    row = admin.locator("#result_list tbody tr", has_text=number)
    expect(row).to_have_count(1)
    row.get_by_role("link", name="Valider le devis").click()
    expect(admin).to_have_url(re.compile(rf"{re.escape(changelist)}\d+/devis/$"))
    expect(admin.locator("h1")).to_contain_text(number)

    admin.locator("#id_amount").fill("150000")
    admin.locator("#id_interventions").fill("Remplacement du kit d'embrayage\nPurge du circuit hydraulique")
    admin.locator("#id_parts").fill("Kit d'embrayage Valeo\nLiquide DOT 4")
    submit = admin.get_by_role("button", name="Valider et communiquer au client")
    submit.click()
    expect(admin.locator(".errornote")).to_be_visible()
    diagnostic_row = admin.locator(".form-row", has=admin.locator("#id_diagnostic"))
    expect(diagnostic_row.locator(".errorlist")).to_contain_text("obligatoire")

    admin.locator("#id_diagnostic").fill("Disque d'embrayage usé, butée bruyante.")
    expect(admin.locator("#id_amount")).to_have_value("150000")
    expect(admin.locator("#id_notify")).to_be_checked()
    submit.click()
    expect(admin).to_have_url(re.compile(rf"{re.escape(changelist)}$"))
    expect(admin.locator(".messagelist")).to_contain_text("Devis envoyé au client.")
    expect(admin.locator("#result_list tbody tr", has_text=number)).to_contain_text("Devis envoyé")

    quote_mails = [m for m in mail.outbox if m.subject.startswith(f"Votre devis {number}")]
    assert len(quote_mails) == 1, [m.subject for m in mail.outbox]

    # 4. The customer looks the number up, typed sloppily, and accepts the quote.
    page.goto("/tracking/")
    page.locator("#tracking-number").fill(number.lower().replace("-", " "))
    page.get_by_role("button", name="Rechercher").click()
    expect(page).to_have_url(re.compile(rf"/tracking/{re.escape(number)}/$"))
    expect(page.get_by_test_id("status")).to_have_text("Devis envoyé")
    expect(page.get_by_test_id("quote")).to_contain_text("150")
    plate = page.get_by_test_id("plate")
    expect(plate).to_be_visible()
    assert plate.inner_text().strip() != CUSTOMER["vehicle_plate"]
    assert "9876" not in plate.inner_text()

    text = page.locator("body").inner_text()
    phone_digits = re.sub(r"\D", "", CUSTOMER["client_phone"])
    for secret in (CUSTOMER["client_email"], CUSTOMER["client_name"], CUSTOMER["client_phone"], phone_digits):
        assert secret not in text, f"{secret!r} is shown on the public tracking page"
    assert CUSTOMER["client_email"] not in page.content()

    # The number alone shows the quote; answering it needs the link from the quote's e-mail.
    expect(page.get_by_test_id("quote-link-hint")).to_contain_text("ouvrez le lien reçu par e-mail ou SMS")
    expect(page.get_by_role("button", name="Renvoyer le lien")).to_be_visible()
    expect(page.get_by_role("button", name="Accepter le devis")).to_have_count(0)
    link = re.search(r"https?://\S+\?devis=\S+", quote_mails[0].body).group(0)
    page.goto(re.sub(r"^https?://[^/]+", "", link))  # SITE_URL is not the live server's address

    page.get_by_role("button", name="Accepter le devis").click()
    confirm = page.get_by_test_id("quote-confirm")
    expect(confirm).to_contain_text("Vous acceptez le devis de 150\u202f000\u00a0FCFA pour votre Peugeot 308.")
    expect(page.get_by_test_id("status")).to_have_text("Devis envoyé")  # nothing recorded yet
    confirm.get_by_role("button", name="Confirmer l'acceptation").click()
    expect(page).to_have_url(re.compile(rf"/tracking/{re.escape(number)}/$"))
    expect(page.get_by_test_id("status")).to_have_text("Devis accepté")
    expect(page.get_by_text("Vous avez accepté ce devis.")).to_be_visible()
    expect(page.get_by_role("button", name="Accepter le devis")).to_have_count(0)
    history = page.locator(".timeline li")
    expect(history).to_have_count(3)
    expect(history.last).to_contain_text("Devis accepté")
    expect(history.last).to_contain_text("Devis accepté par le client.")

    # 5. The final page on a phone.
    page.set_viewport_size(PHONE_VIEWPORT)
    expect(page.get_by_test_id("status")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"], "horizontal scroll"
    screenshot = tmp_path / "tracking-accepted-phone.png"
    page.screenshot(path=str(screenshot), full_page=True)
    assert screenshot.exists() and screenshot.stat().st_size > 0

    assert customer.server_errors == []
    assert staff.server_errors == []
