"""One permission per license action, checked the same way by every door: the Django
admin (actions, the code generation page), the admin API and the statistics page.

The permissions are declared on `License.Meta.permissions`; `VIEW` is Django's own.
"""

from __future__ import annotations

VIEW = "licenses.view_license"
REVOKE = "licenses.revoke_license"
REINSTATE = "licenses.reinstate_license"
EXTEND = "licenses.extend_license"
GENERATE_CODES = "licenses.generate_activation_codes"
VIEW_STATS = "licenses.view_license_stats"

# Whoever may act on licenses may also see them (one cannot revoke what one cannot find).
ACTS_ON_LICENSES = (REVOKE, REINSTATE, EXTEND)
# An admin API token is issued to active staff holding at least one of these; each
# endpoint then checks its own on every request.
API = (VIEW, REVOKE, REINSTATE, GENERATE_CODES, VIEW_STATS)


def has_any(user, permissions) -> bool:
    return any(user.has_perm(permission) for permission in permissions)
