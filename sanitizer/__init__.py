"""Alert Sanitizer: sanitize monitoring alerts before they leave the network."""

__version__ = "0.1.0"
