"""stillmotion: a self-hosted, drop-in image-to-video service for the Vidu 2.0 API."""

__version__ = "0.1.0"
