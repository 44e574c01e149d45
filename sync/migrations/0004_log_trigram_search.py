"""Trigram indexes (pg_trgm) for the run page's name and email search.

The search is ``icontains``, which Django writes as ``UPPER(column) LIKE UPPER('%q%')``, so the
indexes are over the same expressions. Built concurrently, like 0003.
"""

from django.contrib.postgres.indexes import GinIndex, OpClass
from django.contrib.postgres.operations import AddIndexConcurrently, TrigramExtension
from django.db import migrations
from django.db.models.functions import Upper


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sync", "0003_log_paging_indexes"),
    ]

    operations = [
        TrigramExtension(),
        AddIndexConcurrently(
            model_name="synclogentry",
            index=GinIndex(
                OpClass(Upper("record_name"), name="gin_trgm_ops"), name="sync_log_name_trgm"
            ),
        ),
        AddIndexConcurrently(
            model_name="synclogentry",
            index=GinIndex(
                OpClass(Upper("record_email"), name="gin_trgm_ops"), name="sync_log_email_trgm"
            ),
        ),
    ]
