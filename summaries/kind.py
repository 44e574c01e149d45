"""The names the summaries app gives its run kind, work items and log outcomes."""

KIND = "invoice_summaries"
POST_NOTE = "post_note"


class Outcome:
    NOTE_ADDED = "note_added"
    THROTTLED = "throttled"
    NO_OPEN_INVOICES = "no_open_invoices"
    NOT_LINKED = "not_linked"
    UNCHANGED = "unchanged"
