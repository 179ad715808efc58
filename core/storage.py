from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Hashed, compressed static files once `collectstatic` has run.

    Before that (a deployment that skipped the step), `{% static %}` would raise and
    every page would be a 500; instead it falls back to the plain name, which
    WhiteNoise serves from the apps' static folders (WHITENOISE_USE_FINDERS).
    """

    manifest_strict = False

    def stored_name(self, name):
        try:
            return super().stored_name(name)
        except ValueError:
            return name
