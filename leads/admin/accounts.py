"""Merchants and influencers: staff open an account (the user, its profile and, for a
merchant, its deposit, through leads.accounts) and close it (deactivation: no more
login, sessions and personal tokens refused). The lists show each merchant's deposit
level and each influencer's earnings."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _t
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from ..accounts import INFLUENCER, MERCHANT, account_create, accounts_deactivate, accounts_reactivate
from ..models import InfluencerProfile, MerchantProfile
from ..selectors import deposit_summary
from .common import amount, form_page, level_badge, two_lines


class AccountCreateForm(forms.Form):
    username = forms.CharField(label=_("Nom d'utilisateur"), max_length=150)
    email = forms.EmailField(label=_("Adresse e-mail"), max_length=254)
    name = forms.CharField(max_length=120)
    phone = forms.CharField(label=_("Téléphone"), max_length=32, required=False)
    ice = forms.CharField(label=_("ICE"), max_length=20, required=False)
    language = forms.ChoiceField(label=_("Langue"), choices=settings.LANGUAGES, initial=settings.LANGUAGE_CODE)
    password = forms.CharField(
        label=_("Mot de passe"),
        required=False,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("Laissez vide pour envoyer un e-mail où la personne choisit son mot de passe."),
    )

    def __init__(self, *args, role: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].label = _("Entreprise") if role == MERCHANT else _("Nom public")
        if role != MERCHANT:
            del self.fields["ice"]


class AccountAdminMixin:
    """What the merchant and influencer admins share: the creation form in place of
    the model's add page, and (de)activation of the user."""

    role: str
    list_select_related = ("user",)
    actions = ("deactivate", "reactivate")

    def has_delete_permission(self, request, obj=None):
        # Their leads and ledger rows keep them: an account is deactivated instead.
        return False

    @admin.display(description=pgettext_lazy("account name", "identifiant"), ordering="user__username")
    def username(self, obj):
        return obj.user.username

    @admin.display(description=_("e-mail"), ordering="user__email")
    def email(self, obj):
        return obj.user.email

    @admin.display(description=_("contact"), ordering="user__email")
    def contact(self, obj):
        return two_lines(obj.user.email, obj.phone or "—")

    @admin.display(description=_("actif"), boolean=True, ordering="user__is_active")
    def is_active(self, obj):
        return obj.user.is_active

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = AccountCreateForm(request.POST or None, role=self.role)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                user = account_create(
                    role=self.role,
                    username=data["username"],
                    email=data["email"],
                    name=data["name"],
                    phone=data["phone"],
                    ice=data.get("ice", ""),
                    language=data["language"],
                    password=data["password"] or None,
                )
            except ValidationError as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                sent = (
                    _t("Un e-mail lui permet de choisir son mot de passe.")
                    if not data["password"]
                    else _t("Communiquez-lui son mot de passe.")
                )
                self.message_user(
                    request, _t("Compte « %(name)s » créé. %(sent)s") % {"name": data["name"], "sent": sent}
                )
                profile = user.merchant if self.role == MERCHANT else user.influencer
                opts = self.model._meta
                return redirect(f"admin:{opts.app_label}_{opts.model_name}_change", profile.pk)
        opts = self.model._meta
        return form_page(
            self,
            request,
            form=form,
            title=_t("Nouveau compte marchand") if self.role == MERCHANT else _t("Nouveau compte influenceur"),
            intro=_t("Le compte se connecte sur /compte/connexion/ ; un e-mail de bienvenue lui est envoyé."),
            submit=_t("Créer le compte"),
            cancel_url=reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"),
        )

    @admin.action(description=_("Désactiver les comptes sélectionnés"), permissions=["change"])
    def deactivate(self, request, queryset):
        done = accounts_deactivate(users=[profile.user for profile in queryset.select_related("user")])
        self.message_user(
            request,
            ngettext(
                "%(count)d compte désactivé : il ne peut plus se connecter ni utiliser ses jetons d'API.",
                "%(count)d comptes désactivés : ils ne peuvent plus se connecter ni utiliser leurs jetons d'API.",
                done,
            )
            % {"count": done},
            messages.SUCCESS if done else messages.WARNING,
        )

    @admin.action(description=_("Réactiver les comptes sélectionnés"), permissions=["change"])
    def reactivate(self, request, queryset):
        done = accounts_reactivate(users=[profile.user for profile in queryset.select_related("user")])
        self.message_user(
            request,
            ngettext("%(count)d compte réactivé.", "%(count)d comptes réactivés.", done) % {"count": done},
            messages.SUCCESS if done else messages.WARNING,
        )


@admin.register(MerchantProfile)
class MerchantProfileAdmin(AccountAdminMixin, admin.ModelAdmin):
    role = MERCHANT
    # Four columns (the login under the name, the phone under the e-mail, the available
    # amount under the level): the table fits beside the menu and filters at 1280 px.
    list_display = ("company", "contact", "is_active", "level")
    list_filter = ("user__is_active", "language")
    search_fields = ("company_name", "user__username", "user__email", "phone", "ice")
    list_select_related = ("user", "deposit")
    # Plain data; the account and the money are elsewhere (the user, the deposit).
    fields = ("user", "company_name", "phone", "ice", "language", "created_at", "deposit_link")
    readonly_fields = ("user", "created_at", "deposit_link")

    @admin.display(description=_("entreprise"), ordering="company_name")
    def company(self, obj):
        return two_lines(obj.company_name, obj.user.username)

    @admin.display(description=_("dépôt"))
    def level(self, obj):
        deposit = getattr(obj, "deposit", None)
        if deposit is None:
            return "-"
        return two_lines(level_badge(deposit_summary(deposit=deposit).level), self.available(obj))

    @admin.display(description=_("disponible"))
    def available(self, obj):
        deposit = getattr(obj, "deposit", None)
        return amount(deposit.available, deposit.currency) if deposit else "-"

    @admin.display(description=_("dépôt"))
    def deposit_link(self, obj):
        if getattr(obj, "deposit", None) is None:
            return "-"
        return format_html(
            '<a href="{}">{}</a>',
            reverse("admin:leads_deposit_change", args=[obj.deposit.pk]),
            amount(obj.deposit.balance, obj.deposit.currency),
        )


@admin.register(InfluencerProfile)
class InfluencerProfileAdmin(AccountAdminMixin, admin.ModelAdmin):
    role = INFLUENCER
    list_display = ("name", "contact", "is_active", "earnings_display")
    list_filter = ("user__is_active", "language")
    search_fields = ("display_name", "user__username", "user__email", "phone", "bank_rib")
    fields = ("user", "display_name", "phone", "language", "bank_holder", "bank_rib", "earnings_display", "created_at")
    readonly_fields = ("user", "earnings_display", "created_at")

    @admin.display(description=_("nom public"), ordering="display_name")
    def name(self, obj):
        return two_lines(obj.display_name, obj.user.username)

    @admin.display(description=_("gains"), ordering="earnings")
    def earnings_display(self, obj):
        return amount(obj.earnings)
