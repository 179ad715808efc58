"""Item 9 (tracking side): tracking pages are not cached, and contact details typed
into publicly shown free text are masked."""

import pytest

from core.masking import mask_contacts
from revisions.services import revision_quote_send, revision_status_change
from tracking.selectors import public_name

from .factories import make_rental, make_revision


@pytest.mark.parametrize(
    "text,masked",
    [
        ("Appelez-moi au +221 77 123 45 67", "Appelez-moi au +221 77 *** ** 67"),
        ("écrire à jean.dupont@example.com.", "écrire à j***@e***.com."),
        ("tel: 77 123 45 67 merci", "tel: 77 *** ** 67 merci"),
        ("+221771234567", "+22177*****67"),
        ("0612345678 (Maroc)", "06******78 (Maroc)"),
        ("(+212) 6 12 34 56 78", "(+212) 6 1* ** ** 78"),
        ("joignable au 77.123.45.67", "joignable au 77.***.**.67"),
        ("a.b+tag@mail.example.co.uk", "a***@m***.uk"),
    ],
)
def test_emails_and_phones_are_masked(text, masked):
    assert mask_contacts(text) == masked


@pytest.mark.parametrize(
    "text",
    [
        "Toyota Corolla 2020",
        "45000 km au compteur",
        "Corolla 2020 145000 km",
        "devis de 95 000 FCFA",
        "15 000 000 FCFA",
        "1 500 000 F",
        "payé 15000000 €",
        "panne le 12/05/2024",
        "rendez-vous 2024-05-12",
        "le 12.05.2024 à 8h30",
        "pneus 205/55 R16",
        "",
    ],
)
def test_years_mileages_amounts_and_dates_stay_readable(text):
    assert mask_contacts(text) == text


def test_a_contact_typed_as_a_name_is_masked():
    assert public_name("awa@example.com") == "a***@e***.com"
    assert public_name("Awa Sarr") == "Awa S."


pytestmark = pytest.mark.django_db


def _revision_with_contacts_everywhere():
    revision = make_revision(
        problem_description="Bruit moteur depuis 2020, 45000 km. Rappelez-moi au +221 77 999 88 66 "
        "ou awa.ndiaye@gmail.com. Budget 95 000 FCFA.",
    )
    revision_quote_send(
        revision=revision,
        diagnostic="Client joint au 77 999 88 66\u00a0: courroie usée",
        amount=95000,
        notify=False,
    )
    revision_status_change(revision=revision, to_status="annule", note="Pas de réponse au 77 999 88 66")
    return revision


LEAKS = ["999 88", "9998866", "awa.ndiaye", "gmail"]


def test_contacts_in_free_text_are_masked_on_the_public_page(client):
    revision = _revision_with_contacts_everywhere()
    html = client.get(f"/tracking/{revision.tracking.number}/").content.decode()
    for leak in LEAKS:
        assert leak not in html, leak
    assert "+221 77 *** ** 66" in html and "a***@g***.com" in html
    # Everything else stays as typed.
    assert "depuis 2020, 45000 km" in html and "95 000 FCFA" in html
    assert "Client joint au 77 *** ** 66\u00a0: courroie usée" in html
    assert "Pas de réponse au 77 *** ** 66" in html


def test_contacts_in_free_text_are_masked_in_the_json(client):
    revision = _revision_with_contacts_everywhere()
    response = client.get(f"/api/tracking/{revision.tracking.number}")
    for leak in LEAKS:
        assert leak not in response.content.decode(), leak
    body = response.json()
    problem = body["details"]["problem"]
    assert problem.startswith("Bruit moteur depuis 2020, 45000 km. Rappelez-moi au +221 77 *** ** 66")
    assert body["history"][-1]["note"] == "Pas de réponse au 77 *** ** 66"


def test_contacts_in_a_pickup_place_are_masked(client):
    rental = make_rental(pickup_place="Hôtel Teranga, appeler 77 123 45 67")
    body = client.get(f"/api/tracking/{rental.tracking.number}").json()
    assert body["details"]["pickup_place"] == "Hôtel Teranga, appeler 77 *** ** 67"
    html = client.get(f"/tracking/{rental.tracking.number}/").content.decode()
    assert "77 *** ** 67" in html and "123 45" not in html


def test_the_customer_still_gets_the_unmasked_text_in_staff_views(staff_client):
    revision = _revision_with_contacts_everywhere()
    html = staff_client.get(f"/admin/revisions/revision/{revision.pk}/change/").content.decode()
    assert "+221 77 999 88 66" in html


@pytest.mark.parametrize("path", ["/tracking/{number}/", "/tracking/{number}/confirmation/", "/api/tracking/{number}"])
def test_tracking_pages_and_json_are_never_cached(client, path):
    number = make_revision().tracking.number
    response = client.get(path.format(number=number))
    assert response.status_code == 200
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert {"private", "no-store"} <= directives
    assert "public" not in directives


@pytest.mark.parametrize("path", ["/tracking/LOC-0000-0000/", "/api/tracking/LOC-0000-0000", "/tracking/?number=x"])
def test_not_found_answers_are_not_cached_either(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert {"private", "no-store"} <= {d.strip() for d in response["Cache-Control"].split(",")}


def test_the_quick_check_never_skips_text_that_has_something_to_mask():
    """mask_contacts() returns text without "@" and without 8 digits in a row (separators
    allowed) as it is: on any text, it answers what the full masking would."""
    import random

    from core.masking import _mask

    pieces = ["7", "0", "12", "345", "+", "00", " ", "\u00a0", "\u202f", ".", "-", "(", ")", "/", "km", "F", "@"]
    pieces += ["a", "é", "x.fr"]
    rng = random.Random(8)
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 30))) for _ in range(20_000)]
    texts += ["77 123 45 67", "7712345", "771 234 5", "12/05/2024 à 10h", "a@b", "tel:+221-77-123-45-67"]
    masked = 0
    for text in texts:
        assert mask_contacts(text) == _mask(text), text
        masked += _mask(text) != text
    assert 500 < masked < len(texts) - 500  # both kinds of text, many of each
