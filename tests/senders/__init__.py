"""End-to-end tests with the real senders (installed by scripts/test-services) on loopback."""
