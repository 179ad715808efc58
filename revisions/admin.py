from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from core.money import format_money
from tracking.admin import TrackedAdminMixin
from tracking.forms import StatusForm
from tracking.services import TransitionError, can_transition

from .forms import QuoteForm
from .models import Revision
from .services import revision_quote_send, revision_status_change, revision_update


@admin.register(Revision)
class RevisionAdmin(TrackedAdminMixin, admin.ModelAdmin):
    status_form_class = StatusForm
    # Number, then the status with the next action under it: beside the admin's menu and
    # the filters a 1280 px screen leaves about 630 px to the table, which must fit there.
    list_display = ("tracking_number", "status_column", "client", "problem", "price")
    list_filter = ("status", "vehicle_make", "created_at", "quote_sent_at")
    search_fields = (
        "tracking__number",
        "tracking__reference",
        "client_name",
        "client_email",
        "client_phone",
        "vehicle_plate",
        "vehicle_make",
        "vehicle_model",
    )
    list_select_related = ("tracking",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "public_link",
        "reference",
        "status",
        "diagnostic",
        "planned_interventions",
        "needed_parts",
        "quote",
        "diagnostic_at",
        "quote_sent_at",
        "quote_decided_at",
        "created_at",
        "updated_at",
        "history_table",
    )
    fieldsets = (
        (_("Suivi"), {"fields": ("public_link", "reference", "status", "created_at", "updated_at")}),
        (_("Client"), {"fields": ("client_name", "client_email", "client_phone")}),
        (_("Véhicule"), {"fields": ("vehicle_make", "vehicle_model", "vehicle_year", "vehicle_plate", "mileage")}),
        (_("Demande"), {"fields": ("problem_description", "preferred_date")}),
        (
            _("Diagnostic et devis"),
            {
                "fields": (
                    "diagnostic",
                    "planned_interventions",
                    "needed_parts",
                    "quote",
                    "diagnostic_at",
                    "quote_sent_at",
                    "quote_decided_at",
                )
            },
        ),
        (_("Historique"), {"fields": ("history_table",)}),
    )

    def has_add_permission(self, request):
        # Requests come from the public form, which allocates the tracking number.
        return False

    @admin.display(description=_("Client"), ordering="client_name")
    def client(self, obj):
        # The vehicle under the name: one column less, and it is what the customer came with.
        return format_html('{}<br><span class="quiet">{}</span>', obj.client_name, obj.vehicle_label)

    @admin.display(description=_("Problème"))
    def problem(self, obj):
        # The full text is on the change form, and on hover.
        text = obj.problem_description
        return format_html('<span title="{}">{}</span>', text, Truncator(text).chars(40))

    @admin.display(description=_("Prix"), ordering="quote_amount")
    def price(self, obj):
        return format_money(obj.quote_amount, obj.quote_currency) if obj.quote_amount is not None else "-"

    @admin.display(description=_("montant du devis"))
    def quote(self, obj):
        return self.price(obj)

    def next_action(self, obj):
        if can_transition(obj, Revision.Status.DEVIS_ENVOYE):
            return reverse("admin:revisions_revision_quote", args=[obj.pk]), _("Valider le devis")
        return None

    def get_urls(self):
        return [
            path(
                "<int:object_id>/devis/",
                self.admin_site.admin_view(self.quote_view),
                name="revisions_revision_quote",
            ),
            *super().get_urls(),
        ]

    def quote_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        revision = self._object_for_change(request, object_id)
        form = QuoteForm.for_revision(revision, data=request.POST or None)
        allowed = can_transition(revision, Revision.Status.DEVIS_ENVOYE)
        if request.method == "POST" and allowed and form.is_valid():
            data = form.cleaned_data
            try:
                revision_quote_send(
                    revision=revision,
                    diagnostic=data["diagnostic"],
                    amount=data["amount"],
                    currency=data["currency"],
                    interventions=data["interventions"],
                    parts=data["parts"],
                    notify=data["notify"],
                    origin=self.origin(request),
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except TransitionError as exc:
                form.add_error(None, exc.message)
            else:
                done = _("Devis envoyé au client.") if data["notify"] else _("Devis enregistré (client non notifié).")
                self.message_user(request, done, messages.SUCCESS)
                return redirect("admin:revisions_revision_changelist")
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "original": revision,
            "revision": revision,
            "title": _("Valider le devis · %(number)s") % {"number": revision.tracking.number},
            "form": form,
            "allowed": allowed,
        }
        status = 400 if request.method == "POST" else 200
        return TemplateResponse(request, "admin/revisions/revision/quote.html", context, status=status)

    def status_change(self, request, obj, data):
        revision_status_change(
            revision=obj,
            to_status=data["to_status"],
            note=data["note"],
            notify=data["notify"],
            origin=self.origin(request),
        )

    def fields_update(self, request, obj, changes):
        revision_update(revision=obj, changes=changes, origin=self.origin(request))

    def status_choices(self, obj):
        # Quotes go through their own page, which asks for the diagnostic and amount.
        return [c for c in super().status_choices(obj) if c[0] != Revision.Status.DEVIS_ENVOYE]
