"""Continuous sync: changes announced by webhooks, CDC and polling, applied by ``changes`` runs.

- ``intake``: ``record_changes`` stores changes (de-duplicated) and queues a ``changes`` run;
- ``handler``: the ``changes`` run kind, which plans only the affected records;
- ``cdc``: QuickBooks Change Data Capture catch-up with a per-workspace cursor;
- ``budget``: QuickBooks read counting and the monthly read budget;
- ``schedule``: what "Keep in step: continuous" does on the beat.
"""
