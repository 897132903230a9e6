"""Clockify handlers: scheduling assignments (filled in as the spec lands)."""

from __future__ import annotations
