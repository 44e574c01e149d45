"""Preview Sync New Contacts: plan without writing, keep the plan, apply exactly that plan.

- ``decide`` (pure): a contact plan (``sync.contacts.plan``) as decisions per record, each with a
  fingerprint; and, for a run that applies a stored plan, which fresh decisions it may act on;
- ``build``: the background job that pulls, plans and stores a preview (``models``);
- ``apply``: starting the Sync New Contacts run that applies one, and the hook in
  ``sync.contacts.writes`` that holds that run to the stored plan;
- ``views`` + ``pages``: the preview page (counts, lists, search, keyset pages, CSV,
  exclusions, apply).
"""
