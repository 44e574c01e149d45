"""What creating customers would send, decided without a call (the Sync New Contacts preview).

The DisplayName comes from the same sequence the create path tries after each 6240
(``names.display_name_candidates``): the first one no existing customer holds, nor a customer
created earlier in the same plan. Vendors and employees share the names but are not read, so a
create can still move one name further; the create's log then says what was chosen.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from integrations.quickbooks import mapping
from integrations.quickbooks.names import base_display_name, collision_note, expected_display_name
from integrations.records import ContactRecord, CreatePreview, flatten_fields

# The fields a person checks first, in this order; the rest follow as the payload has them.
FIRST = ("DisplayName", "GivenName", "FamilyName", "CompanyName", "PrimaryEmailAddr")


def describe_customer_creates(
    records: Sequence[ContactRecord], existing: Iterable[ContactRecord]
) -> list[CreatePreview]:
    """One ``CreatePreview`` per record, in order; earlier creates take their names."""
    taken = {r.display_name.casefold() for r in existing if r.display_name}
    previews = []
    for record in records:
        name = expected_display_name(record, taken)
        if not name:
            previews.append(
                CreatePreview(
                    error="No free display name: the contact has no name, company, email or "
                    "phone QuickBooks could use, or every variant is taken."
                )
            )
            continue
        taken.add(name.casefold())
        payload, notes = mapping.record_to_customer(record, name)
        wanted = base_display_name(record)
        if name != wanted:
            notes = [collision_note(wanted, name), *notes]
        fields = flatten_fields(payload)
        ordered = {k: fields[k] for k in FIRST if k in fields}
        ordered.update((k, v) for k, v in fields.items() if k not in ordered)
        previews.append(CreatePreview(fields=ordered, notes=tuple(notes)))
    return previews
