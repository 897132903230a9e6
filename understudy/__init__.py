"""Understudy: a stateful API mock and contract-test harness driven by OpenAPI specs."""

__version__ = "0.1.0"
