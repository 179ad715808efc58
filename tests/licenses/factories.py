"""factory_boy factories for the license server's models.

`LicenseFactory` writes the row directly (no service, no event, no webhook) with a
placeholder key: enough for the admin, the statistics and the daily jobs. Tests of
the signed key itself go through the services (trial, activate) instead.
"""

from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.utils import timezone

from licenses.models import License, LicenseType, Product


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    slug = "easyfacture"
    name = "EasyFacture"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        # The easyfacture product already exists (reference-data migration): the factory
        # sets the fields a test asks for instead of failing on the unique slug.
        slug = kwargs.pop("slug")
        return model_class.objects.update_or_create(slug=slug, defaults=kwargs)[0]


class LicenseFactory(factory.django.DjangoModelFactory):
    """`LicenseFactory(n=4)` is machine 000…04 of client4@example.com (tests that search
    for them); without `n` a sequence far from small numbers is used. `expires_in` sets
    expires_at relative to now; the `lifetime` and `revoked` traits set the related fields."""

    class Meta:
        model = License

    class Params:
        n = factory.Sequence(lambda i: 10_000 + i)
        expires_in = timedelta(days=30)
        lifetime = factory.Trait(license_type=LicenseType.LIFETIME, expires_at=None, trial_started_at=None)
        revoked = factory.Trait(is_revoked=True, revoked_at=factory.LazyFunction(timezone.now), revoked_reason="fraude")

    product = factory.SubFactory(ProductFactory)
    machine_id = factory.LazyAttribute(lambda o: f"{o.n:032x}")
    email = factory.LazyAttribute(lambda o: f"client{o.n}@example.com")
    license_type = LicenseType.TRIAL
    license_key = "EF1.test.sig"
    key_id = "k1"
    trial_started_at = factory.LazyFunction(timezone.now)
    expires_at = factory.LazyAttribute(lambda o: timezone.now() + o.expires_in)


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff user (not a superuser) holding only the license permissions given by codename:
    `StaffFactory(permissions=["revoke_license"])`. The password is "pw-staff-12345"."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda i: f"staff{i}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    is_staff = True
    password = factory.django.Password("pw-staff-12345")

    @factory.post_generation
    def permissions(self, create, codenames, **kwargs):
        if create and codenames:
            granted = Permission.objects.filter(content_type__app_label="licenses", codename__in=codenames)
            assert granted.count() == len(codenames), f"unknown permission in {codenames}"
            self.user_permissions.add(*granted)
