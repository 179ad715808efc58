from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LeadsConfig(AppConfig):
    name = "leads"
    verbose_name = _("Leads")

    # The staff pages listed under "Tableaux de bord" on the admin home (core.templatetags.platform).
    @property
    def dashboards(self):
        from core.templatetags.platform import Dashboard

        return (
            Dashboard(
                title=_("Leads en attente"),
                url_name="admin:leads_lead_pending",
                permission="leads.view_lead",
            ),
        )

    def ready(self) -> None:
        from payments import registry

        from . import notices  # noqa: F401 - registers the notifications' messages
        from .payment_handler import RechargeHandler
        from .recharges import DOMAIN

        registry.register(DOMAIN, RechargeHandler())

        from django.contrib.auth import get_user_model

        from accounts.roles import register_home
        from notifications import roles

        from .accounts import is_influencer, is_merchant

        # /compte/ sends each account to its dashboard; staff broadcast to either role.
        register_home(is_merchant, "leads:merchant")
        register_home(is_influencer, "leads:influencer")
        users = get_user_model().objects
        roles.register("merchants", _("Marchands"), lambda: users.filter(is_active=True, merchant__isnull=False))
        roles.register("influencers", _("Influenceurs"), lambda: users.filter(is_active=True, influencer__isnull=False))
