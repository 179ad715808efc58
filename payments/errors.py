"""The payment services' refusals. No HTTP here: `HTTP_STATUS` is the status each API
layer (leads' API, the webhook view) gives a code, so they all answer alike."""

from core.errors import DomainError

# The provider could not be reached, timed out or refused the request (its key, its
# rules): the caller may retry later, with the same checkout (same idempotency key).
PAYMENT_PROVIDER_ERROR = "PAYMENT_PROVIDER_ERROR"
# No keys for the provider (the demo): the domain offers its offline path instead.
PAYMENT_NOT_CONFIGURED = "PAYMENT_NOT_CONFIGURED"
# The (domain, reference) already has a checkout that was paid, failed or expired: a new
# attempt needs a new reference from the domain.
CHECKOUT_CLOSED = "CHECKOUT_CLOSED"
# The same (domain, reference) asked again with another amount or currency.
CHECKOUT_MISMATCH = "CHECKOUT_MISMATCH"
INVALID_AMOUNT = "INVALID_AMOUNT"
UNKNOWN_DOMAIN = "UNKNOWN_DOMAIN"
UNKNOWN_PROVIDER = "UNKNOWN_PROVIDER"
# A webhook whose signature is missing, wrong or too old: nothing is stored.
WEBHOOK_SIGNATURE_INVALID = "WEBHOOK_SIGNATURE_INVALID"
# Signed, but not an event we can read (signed by the provider, so a bug on either side).
WEBHOOK_PAYLOAD_INVALID = "WEBHOOK_PAYLOAD_INVALID"
# A domain's handler raised: the event stays unprocessed (error recorded) and the
# provider is asked to deliver it again (500).
WEBHOOK_PROCESSING_FAILED = "WEBHOOK_PROCESSING_FAILED"

HTTP_STATUS = {
    PAYMENT_PROVIDER_ERROR: 502,
    PAYMENT_NOT_CONFIGURED: 503,
    CHECKOUT_CLOSED: 409,
    CHECKOUT_MISMATCH: 409,
    INVALID_AMOUNT: 422,
    UNKNOWN_DOMAIN: 500,
    UNKNOWN_PROVIDER: 404,
    WEBHOOK_SIGNATURE_INVALID: 400,
    WEBHOOK_PAYLOAD_INVALID: 400,
    WEBHOOK_PROCESSING_FAILED: 500,
}


class PaymentError(DomainError):
    """A payment service's refusal: a code above, a translated message, details."""
