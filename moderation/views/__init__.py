"""Moderation views, one module per capability: thin, they parse, call a service, render."""
