"""Clockify handlers: time (filled in as the spec lands)."""

from __future__ import annotations
