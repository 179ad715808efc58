"""The hooks on users: deactivating a staff user revokes their sessions; logging in
remembers in the session whether the user is a customer.

Why a signal: users are deactivated through Django's own user admin (or the shell),
not through a service of ours, so there is no function to call. The hook only calls
the service. It is not what cuts access (every use of a token checks `is_active`);
it makes the revocation permanent, so reactivating the account does not bring the old
refresh tokens back. Password changes go through Django's own password-changed
callback instead (accounts.password).
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import StaffRefreshToken
from .selectors import CUSTOMER_SESSION_KEY, is_customer
from .services import staff_tokens_revoke_user


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.revoke_tokens_on_deactivation")
def revoke_tokens_on_deactivation(sender, instance, created, update_fields=None, **kwargs) -> None:
    if created or instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    staff_tokens_revoke_user(user=instance, reason=StaffRefreshToken.RevokedReason.DEACTIVATED)


@receiver(user_logged_in, dispatch_uid="accounts.remember_customer")
def remember_customer(sender, request, user, **kwargs) -> None:
    """The header's "Mes demandes" link (accounts.customer_views.requests_menu_item) is on
    every page a logged-in user opens: read from the session, it costs no query. Every
    door that logs someone in (the login page, the sign-ups, the admin's login) sends
    this signal, so it is the one place that sees them all."""
    session = getattr(request, "session", None)
    if session is not None:
        session[CUSTOMER_SESSION_KEY] = is_customer(user)
