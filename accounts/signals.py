"""The one hook on the user model: deactivating a staff user revokes their sessions.

Why a signal: users are deactivated through Django's own user admin (or the shell),
not through a service of ours, so there is no function to call. The hook only calls
the service. It is not what cuts access (every use of a token checks `is_active`);
it makes the revocation permanent, so reactivating the account does not bring the old
refresh tokens back. Password changes go through Django's own password-changed
callback instead (accounts.password).
"""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from .models import StaffRefreshToken
from .services import staff_tokens_revoke_user


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="accounts.revoke_tokens_on_deactivation")
def revoke_tokens_on_deactivation(sender, instance, created, update_fields=None, **kwargs) -> None:
    if created or instance.is_active or (update_fields is not None and "is_active" not in update_fields):
        return
    staff_tokens_revoke_user(user=instance, reason=StaffRefreshToken.RevokedReason.DEACTIVATED)
