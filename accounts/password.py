"""Revoke a user's staff-token sessions the moment their password changes.

Django calls `password_changed()` on every entry of AUTH_PASSWORD_VALIDATORS after a
user saved with a new password (AbstractBaseUser.save), whichever door changed it:
the admin's password form, `changepassword`, the shell. That documented callback is
the one place that sees every password change, so this "validator" validates nothing
and only calls the service. (Tokens issued under the old password are refused anyway
by their password fingerprint; this makes the session list say so at once.)
"""

from .models import StaffRefreshToken
from .services import staff_tokens_revoke_user


class RevokeStaffTokensOnPasswordChange:
    def validate(self, password, user=None) -> None:
        return None

    def password_changed(self, password, user=None) -> None:
        if user is not None and user.pk is not None:
            staff_tokens_revoke_user(user=user, reason=StaffRefreshToken.RevokedReason.PASSWORD_CHANGED)

    def get_help_text(self) -> str:
        return ""
