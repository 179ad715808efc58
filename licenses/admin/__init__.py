"""Django admin of the license server, one module per concern.

Every change to a license goes through `licenses.services` (revoke, reinstate, extend, edit),
so that the signed key is re-issued and the activity log gets its row. Licenses are
never added or deleted here: a license row is the "one trial per machine, ever" record.
"""

# Importing the modules registers their ModelAdmins (admin.autodiscover imports this package).
from . import activity, codes, licenses, products, webhooks  # noqa: F401
