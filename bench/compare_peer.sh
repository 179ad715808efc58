#!/usr/bin/env bash
# The license validate endpoint against the FastAPI peer (../shared/peers/license_fastapi,
# or PEER_DIR), side by side in one run: the peer's own compare.sh, given the project's
# public key. The bench settings sign with a key derived from SECRET_KEY under the id
# kd-<fingerprint>; the peer only derives the older id, so it learns ours through
# LICENSE_VERIFY_KEYS (which the project accepts too: the same key under the same id).
#
#   bash bench/compare_peer.sh        # DURATION=10 CONNECTIONS=16 EXTRAS=0 ... (see compare.sh)
set -euo pipefail
cd "$(dirname "$0")/.."
PEER_DIR=${PEER_DIR:-../shared/peers/license_fastapi}
[ -f "$PEER_DIR/compare.sh" ] || { echo "no compare.sh in $PEER_DIR (set PEER_DIR)" >&2; exit 2; }
LICENSE_VERIFY_KEYS=$(DJANGO_SETTINGS_MODULE=config.settings.bench .venv/bin/python -c '
import django; django.setup()
from licenses import signing
ring = signing.keyring()
print(f"{ring.signing_key_id}:{ring.public_key_b64(ring.signing_key_id)}")' 2>/dev/null)
export LICENSE_VERIFY_KEYS
export EXTRAS=${EXTRAS:-0}
exec bash "$PEER_DIR/compare.sh"
