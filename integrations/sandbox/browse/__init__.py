"""Read-only pages inside the sandbox: the demo QuickBooks customers and LACRM contacts.

In demo mode there is no real QuickBooks or Less Annoying CRM to open, so these pages show the
records of the signed-in user's own sandbox company and account (the ones tied to their current
workspace; nobody else's), with search, paging, each record's fields and (LACRM) its notes.
Records are addressed by their provider ids, as the runtime log and the pair page name them.
"""
