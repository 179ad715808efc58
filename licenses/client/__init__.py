"""EasyFacture desktop license client (standard library + ``cryptography`` only)."""

from .easyfacture_license import *  # noqa: F403 - the module's __all__ is the public API
from .easyfacture_license import __all__  # noqa: F401
