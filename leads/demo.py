"""Demo data for the leads marketplace: two merchants (one healthy, one at `warning`),
two influencers, campaigns, leads in every state, ledger history and a receipt, all
made through the real services (bank transfers stand in for Stripe, which the demo
has no keys for). Idempotent: a second run creates nothing."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.seeding import DemoSeed, demo_password

from . import jobs, services
from .accounts import merchant_create
from .models import InfluencerProfile, Lead, MerchantProfile
from .recharges import deposit_adjust, recharge_transfer_record

MERCHANTS = {
    "marchand": ("Atlas Digital", "Amine", "Berrada"),
    "marchand2": ("Riad Événements", "Nadia", "Chraibi"),
}
INFLUENCERS = {"influenceur": ("Sara Alaoui", "Sara", "Alaoui"), "influenceur2": ("Karim Tazi", "Karim", "Tazi")}


def _password() -> str:
    return demo_password()


def _user(username: str, first: str, last: str, password: str):
    return get_user_model().objects.create_user(
        username=username, email=f"{username}@example.com", password=password, first_name=first, last_name=last
    )


def seed() -> DemoSeed:
    if MerchantProfile.objects.filter(user__username="marchand").exists():
        return DemoSeed(notes=[_notes("(inchangé)")])
    password = _password()
    with transaction.atomic():
        merchants = {
            username: merchant_create(
                user=_user(username, first, last, password),
                company_name=company,
                phone="+212612345678",
                ice="001234567000089" if username == "marchand" else "",
            )
            for username, (company, first, last) in MERCHANTS.items()
        }
        influencers = {
            username: InfluencerProfile.objects.create(
                user=_user(username, first, last, password),
                display_name=name,
                phone="+212698765432",
                bank_holder=name if username == "influenceur" else "",
                bank_rib="011780000012345678901234" if username == "influenceur" else "",
            )
            for username, (name, first, last) in INFLUENCERS.items()
        }
    atlas, riad = merchants["marchand"], merchants["marchand2"]
    sara, karim = influencers["influenceur"], influencers["influenceur2"]
    today = timezone.localdate()
    recharge_transfer_record(
        merchant=atlas, amount="5000", reference="VIR-DEMO-0001", paid_on=today - timedelta(days=6), actor=None
    )
    recharge_transfer_record(
        merchant=riad, amount="2000", reference="VIR-DEMO-0002", paid_on=today - timedelta(days=20), actor=None
    )
    # Riad spent most of its deposit before the demo starts: 300 of 2 000 left (15 %).
    deposit_adjust(merchant=riad, amount="-1700", reason=_("Démo : commissions des mois passés"), actor=None)

    marketing = services.campaign_create(
        merchant=atlas, name="Service Marketing Digital", description=_("Sites, réseaux sociaux, publicité.")
    )
    vitrine = services.campaign_create(merchant=atlas, name="Site vitrine PME")
    mariages = services.campaign_create(merchant=riad, name="Mariages 2027", description=_("Salles et traiteurs."))

    def lead(campaign, influencer, name, value, source, email, phone="", age_hours=0):
        created = services.lead_create(
            influencer=influencer,
            campaign_id=campaign.pk,
            client_name=name,
            client_email=email,
            client_phone=phone,
            company="TechCorp" if value >= 1000 else "",
            estimated_value=str(value),
            source=source,
            notes=_("Intéressé par le pack premium, décision rapide.") if value >= 1000 else "",
        )
        if age_hours:
            Lead.objects.filter(pk=created.pk).update(created_at=timezone.now() - timedelta(hours=age_hours))
        return created

    # Pending, as on the seed's table.
    lead(marketing, sara, "Ahmed Bennani", 1500, "instagram", "ahmed.bennani@example.com", "+212 6 11 22 33 44", 5)
    lead(marketing, karim, "Salma Idrissi", 600, "whatsapp", "salma.idrissi@example.com", age_hours=20)
    lead(vitrine, sara, "Youssef Tazi", 300, "tiktok", "youssef.tazi@example.com", age_hours=30)
    lead(mariages, karim, "Imane Fassi", 900, "facebook", "imane.fassi@example.com", age_hours=2)
    # Resolved.
    validated = lead(marketing, sara, "Omar Kettani", 800, "instagram", "omar.kettani@example.com", age_hours=50)
    services.lead_validate(lead_id=validated.pk, merchant=atlas, rating=9, feedback=_("Client signé, merci !"))
    validated = lead(vitrine, karim, "Leila Benjelloun", 500, "youtube", "leila.b@example.com", age_hours=40)
    services.lead_validate(lead_id=validated.pk, merchant=atlas, rating=7)
    rejected = lead(marketing, karim, "Hamza Alami", 2000, "facebook", "hamza.alami@example.com", age_hours=60)
    services.lead_reject(lead_id=rejected.pk, merchant=atlas, reason=_("Numéro injoignable, e-mail invalide."))
    # Never answered: expired by the nightly job, still visible (staff may arbitrate).
    lead(vitrine, sara, "Rachid Amrani", 1200, "other", "rachid.amrani@example.com", age_hours=80)
    jobs.leads_expire()
    # The hourly check: Riad is at `warning` (notification and e-mail).
    jobs.deposits_check()
    return DemoSeed(notes=[_notes(password)])


def _notes(password: str) -> str:
    site = settings.SITE_URL.rstrip("/")
    return "\n".join(
        [
            _("Place de marché des leads : %(site)s/compte/connexion/ (mot de passe : %(password)s)")
            % {"site": site, "password": password},
            _("  marchand     · Atlas Digital, dépôt sain (%(site)s/leads/merchant/)") % {"site": site},
            _("  marchand2    · Riad Événements, dépôt en avertissement"),
            _("  influenceur  · Sara Alaoui (%(site)s/leads/influencer/)") % {"site": site},
            _("  influenceur2 · Karim Tazi"),
            _("  Inscription : %(site)s/leads/signup/") % {"site": site},
        ]
    )
