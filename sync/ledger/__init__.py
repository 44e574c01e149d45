"""The match ledger as people see and change it.

- ``queries``: listing and searching the ledger (and the systems live), one record read live;
- ``review``: the review queue's cases;
- ``actions``: decisions by hand (link, unlink, "not a match", create in the other system —
  the last through ``sync.outbox``);
- ``views``: the matched-records, review and settings pages.
"""
