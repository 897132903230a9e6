"""Clockify handlers: approvals (filled in as the spec lands)."""

from __future__ import annotations
