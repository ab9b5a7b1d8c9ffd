"""Shared machinery of authq's apps: imports no app and holds no models."""
