"""Clockify handlers: projects (filled in as the spec lands)."""

from __future__ import annotations
