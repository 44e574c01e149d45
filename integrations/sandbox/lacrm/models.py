"""Sandbox lacrm provider state."""
