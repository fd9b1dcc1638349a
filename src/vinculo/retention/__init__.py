"""Retention: how long records are kept, and what is purged when that time ends (see docs/operators.md)."""
