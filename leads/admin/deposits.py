"""Deposits: figures, level and whether they equal the ledger's sums (one query for
the whole list), the last ledger rows, and staff's two movements of money (a bank
transfer received, a manual adjustment), each through its service; "Vérifier le grand
livre" compares every deposit with its ledger."""

from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _

from core.money import format_money

from .. import money
from ..errors import LeadError
from ..ledger import mismatched_deposits, with_ledger_sums
from ..models import Deposit, Level
from ..recharges import deposit_adjust, recharge_transfer_record
from ..selectors import deposit_summary, ledger_for
from .common import amount, form_page, level_badge, moment, two_lines

LEDGER_ROWS = 20


class LedgerMatchFilter(admin.SimpleListFilter):
    title = _("grand livre")
    parameter_name = "ledger"

    def lookups(self, request, model_admin):
        return [("mismatch", _("Non conforme")), ("ok", _("Conforme"))]

    def queryset(self, request, queryset):
        # The queryset carries `ledger_ok` (DepositAdmin.get_queryset).
        if self.value() == "mismatch":
            return queryset.filter(ledger_ok=False)
        if self.value() == "ok":
            return queryset.filter(ledger_ok=True)
        return queryset


class LevelFilter(admin.SimpleListFilter):
    title = _("niveau")
    parameter_name = "level"

    def lookups(self, request, model_admin):
        return list(Level.choices)

    def queryset(self, request, queryset):
        if self.value() in Level.values:
            # The level rule in SQL (the hourly check's), as a subquery: the deposits'
            # own `available` property would clash with its annotation on the rows.
            levelled = money.annotate_level(Deposit.objects.all()).filter(level=self.value()).values("pk")
            return queryset.filter(pk__in=levelled)
        return queryset


class TransferForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Montant reçu (dhs)"), min_value=Decimal("0.01"), max_digits=12, decimal_places=2
    )
    reference = forms.CharField(label=_("Référence du virement"), max_length=255)
    paid_on = forms.DateField(label=_("Reçu le"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))

    def clean_paid_on(self):
        paid_on = self.cleaned_data["paid_on"]
        if paid_on > timezone.localdate():
            raise forms.ValidationError(_("La date ne peut pas être dans le futur."))
        return paid_on


class AdjustForm(forms.Form):
    amount = forms.DecimalField(
        label=_("Montant (dhs)"),
        max_digits=12,
        decimal_places=2,
        help_text=_("Positif pour créditer le dépôt, négatif pour le débiter."),
    )
    reason = forms.CharField(label=_("Motif"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    # One per form shown: the same form sent twice (a double click) adjusts once.
    token = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False, initial=lambda: uuid.uuid4().hex)

    def clean_amount(self):
        value = self.cleaned_data["amount"]
        if not value:
            raise forms.ValidationError(_("Le montant ne peut pas être nul."))
        return value


@admin.register(Deposit)
class DepositAdmin(admin.ModelAdmin):
    # Five columns, related figures sharing a cell, so that the list fits at 1280 px (the
    # last level alerted is a filter and on the deposit's page).
    list_display = ("merchant", "balance_reserved", "available_reference", "level_percent", "ledger_ok_display")
    list_filter = (LedgerMatchFilter, LevelFilter, "last_alert_level")
    search_fields = ("merchant__company_name", "merchant__user__username", "merchant__user__email")
    list_select_related = ("merchant",)
    fieldsets = (
        (None, {"fields": ("merchant", "currency", "updated_at")}),
        (
            _("Solde"),
            {
                "fields": (
                    "balance_display",
                    "reserved_display",
                    "available_display",
                    "reference_display",
                    "percent_display",
                    "level_display",
                )
            },
        ),
        (_("Alertes"), {"fields": ("last_alert_level", "alert_cycle")}),
        (_("Grand livre"), {"fields": ("ledger_ok_display", "ledger_sums", "ledger_table")}),
    )
    readonly_fields = (
        "merchant",
        "currency",
        "updated_at",
        "balance_display",
        "reserved_display",
        "available_display",
        "reference_display",
        "percent_display",
        "level_display",
        "last_alert_level",
        "alert_cycle",
        "ledger_ok_display",
        "ledger_sums",
        "ledger_table",
    )

    def get_queryset(self, request):
        return with_ledger_sums(super().get_queryset(request))

    def has_add_permission(self, request):
        # A deposit comes with its merchant (leads.accounts).
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        # The figures move only through the ledger: the page is read-only, the change
        # permission opens the transfer and adjustment forms.
        return obj is None and super().has_change_permission(request)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "can_move_money": self.has_change_permission(request)}
        return super().change_view(request, object_id, form_url, extra_context)

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "can_check": self.has_view_permission(request)}
        return super().changelist_view(request, extra_context)

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("verifier/", view(self.check_view), name="leads_deposit_check"),
            path("<int:object_id>/virement/", view(self.transfer_view), name="leads_deposit_transfer"),
            path("<int:object_id>/ajustement/", view(self.adjust_view), name="leads_deposit_adjust"),
            *super().get_urls(),
        ]

    # --- columns ---

    def _summary(self, obj):
        # Computed from the row's own figures: no query per row.
        return deposit_summary(deposit=obj)

    @admin.display(description=_("solde"), ordering="balance")
    def balance_reserved(self, obj):
        return two_lines(amount(obj.balance, obj.currency), amount(obj.reserved, obj.currency))

    @admin.display(description=_("niveau"))
    def level_percent(self, obj):
        summary = self._summary(obj)
        if summary.percent is None:
            return level_badge(summary.level)
        return two_lines(level_badge(summary.level), f"{number_format(summary.percent, 1)} %")

    @admin.display(description=_("disponible"))
    def available_reference(self, obj):
        return two_lines(amount(obj.available, obj.currency), amount(obj.reference, obj.currency))

    @admin.display(description=_("alerté"), ordering="last_alert_level")
    def alerted(self, obj):
        return obj.get_last_alert_level_display()

    @admin.display(description=_("solde"), ordering="balance")
    def balance_display(self, obj):
        return amount(obj.balance, obj.currency)

    @admin.display(description=_("réservé"), ordering="reserved")
    def reserved_display(self, obj):
        return amount(obj.reserved, obj.currency)

    @admin.display(description=_("disponible"))
    def available_display(self, obj):
        return amount(obj.available, obj.currency)

    @admin.display(description=_("référence"), ordering="reference")
    def reference_display(self, obj):
        return amount(obj.reference, obj.currency)

    @admin.display(description=_("pourcentage"))
    def percent_display(self, obj):
        percent = self._summary(obj).percent
        return "-" if percent is None else format_html('<span class="nowrap">{} %</span>', number_format(percent, 1))

    @admin.display(description=_("niveau"))
    def level_display(self, obj):
        return level_badge(self._summary(obj).level)

    @admin.display(description=_("grand livre"), boolean=True, ordering="ledger_ok")
    def ledger_ok_display(self, obj):
        return obj.ledger_ok

    @admin.display(description=_("sommes du grand livre"))
    def ledger_sums(self, obj):
        return format_html(
            "{} : {} · {} : {}",
            _("solde"),
            amount(obj.ledger_balance, obj.currency),
            _("réservé"),
            amount(obj.ledger_reserved, obj.currency),
        )

    @admin.display(description=_("dernières écritures"))
    def ledger_table(self, obj):
        entries = list(ledger_for(merchant=obj.merchant).select_related("actor")[:LEDGER_ROWS])
        if not entries:
            return "-"
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    moment(e.created_at),
                    e.get_kind_display(),
                    amount(e.balance_delta, e.currency),
                    amount(e.reserved_delta, e.currency),
                    Truncator(e.reason).chars(60),
                    e.actor or "",
                )
                for e in entries
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr></thead>"
            '<tbody>{}</tbody></table><p><a href="{}?merchant__id__exact={}">{}</a></p>',
            _("Date"),
            _("Type"),
            _("Solde"),
            _("Réservé"),
            _("Motif"),
            _("Par"),
            rows,
            reverse("admin:leads_ledgerentry_changelist"),
            obj.merchant_id,
            _("Tout le grand livre de ce marchand"),
        )

    # --- staff's own pages ---

    def _deposit_to_move(self, request, object_id) -> Deposit:
        if not self.has_change_permission(request):
            raise PermissionDenied
        deposit = Deposit.objects.select_related("merchant").filter(pk=object_id).first()
        if deposit is None:
            raise Http404
        return deposit

    def _figures(self, deposit):
        summary = deposit_summary(deposit=deposit)
        return [
            (_("Solde"), format_money(summary.balance, summary.currency)),
            (_("Réservé"), format_money(summary.reserved, summary.currency)),
            (_("Disponible"), format_money(summary.available, summary.currency)),
            (_("Niveau"), summary.level_label),
        ]

    def transfer_view(self, request, object_id: int):
        deposit = self._deposit_to_move(request, object_id)
        form = TransferForm(request.POST or None, initial={"paid_on": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                recharge = recharge_transfer_record(
                    merchant=deposit.merchant,
                    amount=data["amount"],
                    reference=data["reference"],
                    paid_on=data["paid_on"],
                    actor=request.user,
                )
            except LeadError as exc:
                form.add_error(None, exc.message)
            else:
                self.message_user(
                    request,
                    _t("Virement de %(amount)s enregistré : reçu %(number)s.")
                    % {
                        "amount": format_money(recharge.paid_amount, recharge.currency),
                        "number": recharge.receipt.number,
                    },
                    messages.SUCCESS,
                )
                return redirect("admin:leads_deposit_change", deposit.pk)
        return form_page(
            self,
            request,
            form=form,
            title=_t("Enregistrer un virement"),
            intro=_t(
                "Le dépôt est crédité du montant reçu : une écriture au grand livre, un reçu envoyé au "
                "marchand, ses campagnes suspendues faute de dépôt reprennent."
            ),
            submit=_t("Enregistrer le virement"),
            cancel_url=reverse("admin:leads_deposit_change", args=[deposit.pk]),
            original=deposit,
            readonly_rows=[(_("Marchand"), deposit.merchant), *self._figures(deposit)],
        )

    def adjust_view(self, request, object_id: int):
        deposit = self._deposit_to_move(request, object_id)
        form = AdjustForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                deposit_adjust(
                    merchant=deposit.merchant,
                    amount=data["amount"],
                    reason=data["reason"],
                    actor=request.user,
                    token=data["token"] or None,
                )
            except LeadError as exc:
                field = {"REASON_REQUIRED": "reason", "ALREADY_RECORDED": None}.get(exc.code, "amount")
                form.add_error(field, exc.message)
            else:
                self.message_user(
                    request,
                    _t("Dépôt ajusté de %(amount)s.") % {"amount": format_money(data["amount"], deposit.currency)},
                    messages.SUCCESS,
                )
                return redirect("admin:leads_deposit_change", deposit.pk)
        return form_page(
            self,
            request,
            form=form,
            title=_t("Ajustement manuel"),
            intro=_t(
                "Une correction du solde, avec son motif, écrite au grand livre. Le dépôt ne descend "
                "jamais sous zéro ni sous le montant réservé par les leads en attente."
            ),
            submit=_t("Ajuster le dépôt"),
            cancel_url=reverse("admin:leads_deposit_change", args=[deposit.pk]),
            original=deposit,
            readonly_rows=[(_("Marchand"), deposit.merchant), *self._figures(deposit)],
        )

    def check_view(self, request):
        """Vérifier le grand livre: every deposit's figures against its ledger's sums."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        wrong = list(mismatched_deposits())
        changelist = reverse("admin:leads_deposit_changelist")
        if not wrong:
            self.message_user(
                request,
                _t("Grand livre conforme : chaque dépôt est égal à la somme de ses écritures."),
                messages.SUCCESS,
            )
            return redirect(changelist)
        for deposit in wrong:
            self.message_user(
                request,
                _t("%(merchant)s : dépôt %(balance)s / %(reserved)s réservé, grand livre %(lb)s / %(lr)s.")
                % {
                    "merchant": deposit.merchant,
                    "balance": format_money(deposit.balance, deposit.currency),
                    "reserved": format_money(deposit.reserved, deposit.currency),
                    "lb": format_money(deposit.ledger_balance, deposit.currency),
                    "lr": format_money(deposit.ledger_reserved, deposit.currency),
                },
                messages.ERROR,
            )
        return redirect(changelist + "?ledger=mismatch")
