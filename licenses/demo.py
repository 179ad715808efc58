"""Demo data for the license server: the EasyFacture product, a few licenses in
different states and unused activation codes (printed on stderr)."""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from core.seeding import DemoSeed

from . import reference_data
from .models import ActivationCode, License, LicenseType, Product
from .services import (
    activation_codes_generate,
    license_activate,
    license_heartbeat,
    license_revoke,
    license_trial_create,
)

MACHINES = {
    "trial": "0123456789abcdef0123456789abcdef",
    "annual": "a1b2c3d4e5f60718293a4b5c6d7e8f90",
    "expired": "ffffeeeeddddccccbbbbaaaa99998888",
    "revoked": "deadbeefdeadbeefdeadbeefdeadbeef",
    "converted": "c0ffee00c0ffee00c0ffee00c0ffee00",
}
HEARTBEATS = {
    "trial": ("1.6.0", "Windows 11 Pro"),
    "annual": ("1.6.1", "Windows 10 Home"),
    "converted": ("1.6.1", "Windows 11 Pro"),
}


def seed() -> DemoSeed:
    # The product is reference data (migration 0003); made sure of here for a database
    # flushed since (a demo reset), demo data only below.
    reference_data.setup()
    product = Product.objects.get(slug="easyfacture")
    existing = set(License.objects.filter(product=product).values_list("machine_id", flat=True))
    if MACHINES["trial"] not in existing:
        license_trial_create(product_slug="easyfacture", machine_id=MACHINES["trial"], email="essai@example.com")
    if MACHINES["annual"] not in existing:
        code = activation_codes_generate(
            product=product, license_type=LicenseType.ANNUAL, duration_days=365, count=1, notes="demo"
        )[0]
        license_activate(machine_id=MACHINES["annual"], activation_code=code.code, email="client@example.com")
    if MACHINES["expired"] not in existing:
        lic = license_trial_create(
            product_slug="easyfacture", machine_id=MACHINES["expired"], email="ancien@example.com"
        )
        lic.expires_at = timezone.now() - timedelta(days=3)
        lic.save(update_fields=["expires_at"])
    if MACHINES["revoked"] not in existing:
        lic = license_trial_create(
            product_slug="easyfacture", machine_id=MACHINES["revoked"], email="fraude@example.com"
        )
        license_revoke(license=lic, reason="Démo : clé partagée publiquement")
    if MACHINES["converted"] not in existing:
        license_trial_create(product_slug="easyfacture", machine_id=MACHINES["converted"], email="pme@example.com")
        code = activation_codes_generate(
            product=product, license_type=LicenseType.MONTHLY, duration_days=30, count=1, notes="demo"
        )[0]
        license_activate(machine_id=MACHINES["converted"], activation_code=code.code, email="pme@example.com")
        for name, (version, os_info) in HEARTBEATS.items():
            lic = License.objects.get(product=product, machine_id=MACHINES[name])
            license_heartbeat(
                machine_id=lic.machine_id, license_key=lic.license_key, app_version=version, os_info=os_info
            )
    unused = ActivationCode.objects.filter(product=product, used_at__isnull=True, notes="demo")
    if unused.count() < 3:
        activation_codes_generate(
            product=product, license_type=LicenseType.ANNUAL, duration_days=365, count=3, notes="demo"
        )
        activation_codes_generate(
            product=product, license_type=LicenseType.LIFETIME, duration_days=None, count=1, notes="demo"
        )
    codes = ", ".join(unused.order_by("license_type", "code").values_list("code", flat=True)[:4])
    # Licenses are not tracked items: a note, not a row of the table.
    return DemoSeed(notes=[_("Codes d'activation EasyFacture à essayer : %(codes)s") % {"codes": codes}])
