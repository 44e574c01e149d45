"""Sandbox qbo provider state."""
