"""Undo a run: take back the records, links, notes and field values a run wrote, where nobody
has edited them since (``plan`` decides, ``handler`` acts, ``views`` shows the preview)."""
