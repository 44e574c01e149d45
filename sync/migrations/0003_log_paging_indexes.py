"""Indexes for the run page's keyset paging, outcome filter and id search.

Built concurrently: a large log table keeps taking writes while they are built. The indexes on
(run, outcome) and (run, -at), and the foreign key's own index on run, are covered by the new
ones and dropped last.
"""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("sync", "0002_kinds_and_outcomes_registered"),
    ]

    operations = [
        AddIndexConcurrently(
            model_name="synclogentry",
            index=models.Index(fields=["run", "at", "id"], name="sync_log_run_at_id"),
        ),
        AddIndexConcurrently(
            model_name="synclogentry",
            index=models.Index(
                fields=["run", "outcome", "at", "id"], name="sync_log_run_outcome_at_id"
            ),
        ),
        AddIndexConcurrently(
            model_name="synclogentry",
            index=models.Index(fields=["run", "record_id"], name="sync_log_run_record_id"),
        ),
        AddIndexConcurrently(
            model_name="synclogentry",
            index=models.Index(fields=["run", "target_id"], name="sync_log_run_target_id"),
        ),
        RemoveIndexConcurrently(model_name="synclogentry", name="sync_synclo_run_id_ca57f2_idx"),
        RemoveIndexConcurrently(model_name="synclogentry", name="sync_synclo_run_id_2e62f5_idx"),
        migrations.AlterField(
            model_name="synclogentry",
            name="run",
            field=models.ForeignKey(
                blank=True,
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="log_entries",
                to="sync.syncrun",
            ),
        ),
    ]
