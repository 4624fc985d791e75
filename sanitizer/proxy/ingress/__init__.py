"""Ingress shapes, one module each: how a sender authenticates, which route it reaches, and the
answer it expects. Every one of them hands the body to `sanitizer.proxy.intake.accept`."""
