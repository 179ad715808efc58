"""Django admin of the leads marketplace, one module per family of models.

Staff decide through the same services as merchants and influencers (leads.services,
leads.recharges, leads.payouts, leads.accounts), object by object, each refusal
reported with the service's message. Money is never edited by hand: deposits, leads,
payouts and the ledger are read-only pages, moved only by those services.
"""

# Importing the modules registers their ModelAdmins (admin.autodiscover imports this package).
from . import accounts, campaigns, deposits, leads, ledger, payouts, recharges  # noqa: F401
