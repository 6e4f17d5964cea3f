"""variantprio: rank the variants and genes most likely to explain a rare disease."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("variantprio")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
