"""Print a new Ed25519 signing key entry for LICENSE_SIGNING_KEYS, and its public key.

Rotation: put the new entry first in LICENSE_SIGNING_KEYS (it signs from then on) and
keep the old entry after it, or move the old public key to LICENSE_VERIFY_KEYS: keys
already issued stay verifiable by their key id.
"""

import base64

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.core.management.base import BaseCommand
from django.utils import timezone

from licenses.signing import generate_key_entry


class Command(BaseCommand):
    help = "Generate a license signing key entry (key_id:base64 seed) and print its public key."

    def add_arguments(self, parser):
        parser.add_argument("--key-id", default=f"k{timezone.now():%Y%m%d}")

    def handle(self, *args, key_id, **options):
        entry = generate_key_entry(key_id)
        seed = base64.b64decode(entry.split(":", 1)[1])
        public = (
            Ed25519PrivateKey.from_private_bytes(seed)
            .public_key()
            .public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
        )
        self.stdout.write(f"LICENSE_SIGNING_KEYS entry (secret): {entry}")
        self.stdout.write(f"public key for the desktop app ({key_id}): {base64.b64encode(public).decode()}")
