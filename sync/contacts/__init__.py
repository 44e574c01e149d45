"""Sync New Contacts: pull both sides, plan (pure), write the plan, create in batches of 20.

- ``pull``: read both systems through their protocols; set aside what the settings skip;
- ``plan``: the pure planner (pulled records and ledger rows in, a ``ContactPlan`` out);
- ``writes``: the plan written in one transaction (ledger rows, log entries, work items);
- ``handler``: the ``contacts`` run kind; its batches create through ``sync.outbox``.
"""
