"""What staff see in the admin of the tracked services: list columns that fit, one link
per destination above the change form, amounts written like "95 000 FCFA", aligned forms
with their errors, times in the site's time zone, and the dashboards on the admin home."""

import re
import uuid
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission

from accounts.models import StaffRefreshToken
from revisions.models import Revision
from revisions.services import revision_quote_send
from tracking.models import TrackingEvent

from .factories import RentalVehicleFactory, make_rental, make_revision

pytestmark = pytest.mark.django_db

FCFA_150000 = "150\u202f000\u00a0FCFA"


def columns(html: str) -> list[str]:
    """The list_display names of a changelist, in the order of its header."""
    head = html.split('<table id="result_list">', 1)[1].split("</thead>", 1)[0]
    return re.findall(r'class="[^"]*column-(\w+)', head)


def object_tools(html: str) -> str:
    return html.split('<ul class="object-tools">', 1)[1].split("</ul>", 1)[0]


def quote_url(revision) -> str:
    return f"/admin/revisions/revision/{revision.pk}/devis/"


# --- lists ----------------------------------------------------------------------------


def test_revision_list_shows_status_and_quote_button_right_after_the_number(staff_client):
    revision = make_revision(problem_description="Bruit anormal au niveau du moteur au démarrage, surtout à froid.")
    html = staff_client.get("/admin/revisions/revision/").content.decode()
    assert columns(html) == ["tracking_number", "status_column", "client", "problem", "price"]
    # The number stays on one line; the status cell holds the next action.
    assert f'<span class="nowrap">{revision.tracking.number}</span>' in html
    cell = html.split('class="field-status_column">', 1)[1].split("</td>", 1)[0]
    assert cell.startswith("Reçu<br>")
    assert f'href="{quote_url(revision)}">Valider le devis</a>' in cell
    # The problem is cut short, whole on hover.
    assert "Bruit anormal au niveau du moteur au dé…" in html
    assert 'title="Bruit anormal au niveau du moteur au démarrage, surtout à froid."' in html
    # The vehicle is under the customer's name.
    assert 'Jean-Marc Dupont<br><span class="quiet">Toyota Corolla (2020)</span>' in html


def test_revision_list_has_no_quote_button_once_the_work_is_done(staff_client):
    revision = make_revision()
    Revision.objects.filter(pk=revision.pk).update(status="termine")
    html = staff_client.get("/admin/revisions/revision/").content.decode()
    assert "Valider le devis" not in html.split('<table id="result_list">', 1)[1]


def test_revision_list_price_is_written_in_francs(staff_client):
    revision = make_revision()
    revision_quote_send(revision=revision, diagnostic="Usure", amount=Decimal("150000"), notify=False)
    html = staff_client.get("/admin/revisions/revision/").content.decode()
    assert f'<td class="field-price">{FCFA_150000}</td>' in html


def test_rental_list_shows_status_with_a_confirm_button_then_dates_and_amount(staff_client):
    rental = make_rental(vehicle=RentalVehicleFactory(daily_rate=Decimal("25000"), name="Toyota Yaris"), days=3)
    html = staff_client.get("/admin/rentals/rental/").content.decode()
    assert columns(html) == ["tracking_number", "status_column", "client", "period", "total"]
    confirm = f"/admin/rentals/rental/{rental.pk}/statut/?to_status=confirmee"
    assert f'href="{confirm}">Confirmer</a>' in html
    assert "75\u202f000\u00a0FCFA" in html
    assert rental.start_date.strftime("%d/%m/%Y") in html and "3 jours" in html
    assert 'Awa Sarr<br><span class="quiet">Toyota Yaris</span>' in html


def test_fleet_list_writes_the_daily_rate_in_francs(staff_client):
    RentalVehicleFactory(daily_rate=Decimal("25000.00"))
    html = staff_client.get("/admin/rentals/rentalvehicle/").content.decode()
    assert "25\u202f000\u00a0FCFA" in html and "25000" not in html


# --- change forms ---------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["revision", "rental"])
def test_change_form_links_once_to_the_public_page(staff_client, kind):
    obj = make_revision() if kind == "revision" else make_rental()
    url = (
        f"/admin/revisions/revision/{obj.pk}/change/"
        if kind == "revision"
        else f"/admin/rentals/rental/{obj.pk}/change/"
    )
    html = staff_client.get(url).content.decode()
    tools = object_tools(html)
    assert tools.count(f"/tracking/{obj.tracking.number}/") == 1
    assert "Voir le suivi public" in tools
    assert "viewsitelink" not in tools and "Voir sur le site" not in html


def test_change_form_tools_start_with_the_next_action(staff_client):
    revision = make_revision()
    tools = object_tools(staff_client.get(f"/admin/revisions/revision/{revision.pk}/change/").content.decode())
    assert tools.index("Valider le devis") < tools.index("Changer le statut") < tools.index("Voir le suivi public")


def test_revision_change_form_shows_the_quote_amount_in_francs(staff_client):
    revision = make_revision()
    revision_quote_send(revision=revision, diagnostic="Usure", amount=Decimal("150000"), notify=False)
    html = staff_client.get(f"/admin/revisions/revision/{revision.pk}/change/").content.decode()
    assert f'<div class="readonly">{FCFA_150000}</div>' in html
    assert "150000,00" not in html and "150000.00" not in html


def test_rental_change_form_shows_rate_and_total_in_francs(staff_client):
    rental = make_rental(vehicle=RentalVehicleFactory(daily_rate=Decimal("25000")), days=3)
    html = staff_client.get(f"/admin/rentals/rental/{rental.pk}/change/").content.decode()
    assert '<div class="readonly">25\u202f000\u00a0FCFA</div>' in html
    assert '<div class="readonly">75\u202f000\u00a0FCFA</div>' in html
    assert "25000,00" not in html and "75000,00" not in html


# --- quote form -----------------------------------------------------------------------


def _quote(amount, currency="XOF"):
    return {"diagnostic": "Courroie usée", "amount": amount, "currency": currency}


def test_quote_form_refuses_cents_in_francs_next_to_the_amount(staff_client):
    revision = make_revision()
    response = staff_client.post(quote_url(revision), _quote("150000.50"))
    assert response.status_code == 400
    html = response.content.decode()
    row = html.split('field-amount">', 1)[1].split("</fieldset>", 1)[0].split('<div class="form-row', 1)[0]
    assert "Pas de centimes en FCFA\u00a0: indiquez un montant entier, par exemple 150\u202f000\u00a0FCFA." in row
    assert Revision.objects.get(pk=revision.pk).quote_amount is None


@pytest.mark.parametrize(("amount", "currency"), [("150000", "XOF"), ("150000.00", "XOF"), ("99.50", "EUR")])
def test_quote_form_takes_whole_francs_and_cents_in_other_currencies(staff_client, amount, currency):
    revision = make_revision()
    response = staff_client.post(quote_url(revision), _quote(amount, currency))
    assert response.status_code == 302
    revision.refresh_from_db()
    assert (revision.quote_amount, revision.quote_currency) == (Decimal(amount), currency)


def test_quote_form_with_a_zero_amount_says_it_must_be_positive(staff_client):
    revision = make_revision()
    response = staff_client.post(quote_url(revision), _quote("0"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Le montant du devis doit être supérieur à zéro." in html and "0,01" not in html


def test_quote_form_is_laid_out_like_a_change_form(staff_client):
    revision = make_revision(mileage=132000)
    html = staff_client.get(quote_url(revision)).content.decode()
    assert "admin/css/forms.css" in html
    assert "132\u202f000&nbsp;km" in html
    assert 'class="vCheckboxLabel">Prévenir le client par e-mail et SMS</label>' in html
    # Errors sit in their field's row, the row marked for the admin's styles.
    empty = staff_client.post(quote_url(revision), {"currency": "XOF"}).content.decode()
    assert 'class="errornote"' in empty
    assert re.search(r'class="form-row errors required field-diagnostic">\s*<ul class="errorlist', empty)


def test_quote_form_shows_a_previous_franc_amount_without_decimals(staff_client):
    revision = make_revision()
    revision_quote_send(revision=revision, diagnostic="Usure", amount=Decimal("95000"), notify=False)
    html = staff_client.get(quote_url(revision)).content.decode()
    assert 'name="amount" value="95000"' in html


def test_status_form_is_aligned_and_says_the_change_goes_by_email(staff_client):
    revision = make_revision()
    html = staff_client.get(f"/admin/revisions/revision/{revision.pk}/statut/").content.decode()
    assert "admin/css/forms.css" in html
    assert 'class="vCheckboxLabel">Prévenir le client par e-mail</label>' in html
    assert re.search(r'<label>Statut actuel\u00a0:</label><div class="readonly">Reçu</div>', html)


def test_admin_pages_render_in_english_too(staff_client):
    revision = make_revision()
    staff_client.cookies["django_language"] = "en"
    for url in [
        "/admin/",
        "/admin/revisions/revision/",
        quote_url(revision),
        f"/admin/revisions/revision/{revision.pk}/statut/",
    ]:
        response = staff_client.get(url)
        assert response.status_code == 200, url
        assert '<html lang="en"' in response.content.decode(), url


# --- times ----------------------------------------------------------------------------


def test_staff_token_list_shows_times_in_the_site_time_zone(staff_client):
    issued = datetime(2026, 1, 10, 10, 5, tzinfo=UTC)  # 11:05 in Casablanca
    StaffRefreshToken.objects.create(
        jti=uuid.uuid4(),
        family=uuid.uuid4(),
        user=staff_client.user,
        issued_at=issued,
        expires_at=issued + timedelta(days=7),
        revoked_at=issued + timedelta(hours=1),
        revoked_reason="logout",
    )
    html = staff_client.get("/admin/accounts/staffrefreshtoken/").content.decode()
    assert ">10/01/2026 11:05</span>" in html
    assert "Révoqué par son détenteur<br>" in html and ">10/01/2026 12:05</span>" in html
    assert ">17/01/2026</span>" in html  # the expiry: the day in the list


# --- dashboards on the admin home -----------------------------------------------------


def test_admin_home_lists_the_dashboards_the_user_may_open(staff_client):
    html = staff_client.get("/admin/").content.decode()
    module = html.split('id="dashboards-module"', 1)[1].split("</table>", 1)[0]
    assert "Tableaux de bord" in module
    assert 'href="/licenses/stats/">Statistiques des licences</a>' in module
    assert 'href="/licenses/stats.csv" class="viewlink">Exporter en CSV</a>' in module


def test_admin_home_hides_dashboards_without_their_permission(client, django_user_model):
    clerk = django_user_model.objects.create_user(username="clerk", password="pw-clerk-12345", is_staff=True)
    client.force_login(clerk)
    html = client.get("/admin/").content.decode()
    assert "dashboards-module" not in html and "/licenses/stats/" not in html
    clerk.user_permissions.add(Permission.objects.get(codename="view_license_stats"))
    html = client.get("/admin/").content.decode()
    assert "dashboards-module" in html and "/licenses/stats/" in html


def test_an_app_index_lists_only_its_own_dashboards(staff_client):
    licenses = staff_client.get("/admin/licenses/").content.decode()
    assert "dashboards-module" in licenses and "/licenses/stats/" in licenses
    revisions = staff_client.get("/admin/revisions/").content.decode()
    assert "dashboards-module" not in revisions


# --- tracking history -----------------------------------------------------------------


def test_tracking_history_shows_status_labels_and_the_rendered_note(staff_client):
    revision = make_revision()
    revision_quote_send(revision=revision, diagnostic="Usure", amount=Decimal("150000"), notify=False)
    html = staff_client.get("/admin/tracking/trackingevent/").content.decode()
    table = html.split('<table id="result_list">', 1)[1].split("</table>", 1)[0]
    assert "Reçu → Devis envoyé" in table and "devis_envoye" not in table
    event = revision.tracking.events.latest("pk")
    page = staff_client.get(f"/admin/tracking/trackingevent/{event.pk}/change/").content.decode()
    assert f"Diagnostic effectué, devis envoyé\u00a0: {FCFA_150000}" in page
    assert "$money" not in page
    filtered = staff_client.get("/admin/tracking/trackingevent/", {"status": "devis_envoye"})
    assert [e.status for e in filtered.context["cl"].result_list] == ["devis_envoye"]


def test_history_table_times_follow_the_site_time_zone_and_the_reader_date_format(staff_client):
    rental = make_rental()
    TrackingEvent.objects.filter(item=rental.tracking).update(at=datetime(2026, 1, 10, 10, 5, tzinfo=UTC))
    url = f"/admin/rentals/rental/{rental.pk}/change/"
    assert '<td class="nowrap">10/01/2026 11:05</td>' in staff_client.get(url).content.decode()
    staff_client.cookies["django_language"] = "en"
    assert '<td class="nowrap">01/10/2026 11:05 a.m.</td>' in staff_client.get(url).content.decode()


def test_status_form_preselects_nothing_so_one_click_cannot_cancel(staff_client):
    # given a new request, whose first allowed status is "Annulé"
    revision = make_revision()
    page = staff_client.get(f"/admin/revisions/revision/{revision.pk}/statut/")
    assert re.search(r'<option value="" selected>---------</option>', page.content.decode())
    # when staff press "Enregistrer" without choosing
    response = staff_client.post(f"/admin/revisions/revision/{revision.pk}/statut/", {"note": "", "notify": "on"})
    # then the form says so and nothing changed
    assert response.status_code == 200 and "Ce champ est obligatoire." in response.content.decode()
    revision.refresh_from_db()
    assert revision.status == Revision.Status.EN_ATTENTE


@pytest.mark.parametrize("kind", ["revision", "rental"])
def test_tracked_requests_cannot_be_deleted_from_the_admin(staff_client, kind):
    obj = make_revision() if kind == "revision" else make_rental()
    opts = type(obj)._meta
    change = staff_client.get(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/change/").content.decode()
    assert "deletelink" not in change
    assert staff_client.get(f"/admin/{opts.app_label}/{opts.model_name}/{obj.pk}/delete/").status_code == 403
    changelist = staff_client.get(f"/admin/{opts.app_label}/{opts.model_name}/").content.decode()
    assert 'value="delete_selected"' not in changelist
