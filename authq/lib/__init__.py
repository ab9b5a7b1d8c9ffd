"""Shared machinery several apps use; imports no app and holds no models."""
