from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    # A missing manifest entry falls back to the plain file name instead of a 500.
    manifest_strict = False
