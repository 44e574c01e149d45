"""Demo and benchmark data for the two sandbox systems (pure: no database, deterministic).

``demo_dataset()`` is the small, believable data a newcomer's sandbox starts with: 60 QBO
customers (wire JSON) and 51 LACRM contacts (CreateContact parameters). 25 LACRM contacts are
the same person or company as a QBO customer, with the differences real data has; three more
only look related (Priya Shah, Chris Taylor, Laura Bishop, below). Engine tests rely on these:

Exact matches (same name and email): Olivia Bennett, Marcus Reyes, Hannah Kim, Samuel Okafor,
Emily Carter, Daniel Novak, Aisha Rahman, Lucas Martin, Sofia Rossi, Ethan Walker.

Email written differently (link by email):
- Sarah Chen: QBO "Sarah.Chen@BrightLeaf.example", LACRM "sarah.chen@brightleaf.example" (case).
- Thomas Wright: LACRM "Thomas.Wright@WrightElectric.EXAMPLE" (case).
- Mike Donovan: LACRM "  mike@ridgelinelandscaping.example " (whitespace).
- Rachel Green: LACRM has two emails; the second (Work) is QBO's rachel@greenevents.example.

Names written differently, email on one side only (link by name):
- Nick Brown: QBO DisplayName "Brown, Nick" (GivenName Nick, FamilyName Brown), no email;
  LACRM "Nick Brown" with nick.brown@brownco.example.
- Patrick O'Brien (QBO, with email) / "Patrick OBrien" (LACRM, no email): punctuation.
- Claire St. John (QBO, with email) / "Claire St John" (LACRM, no email): punctuation.
- José Álvarez (QBO, no email) / "Jose Alvarez" (LACRM, with email): accents.
- Zoe Muller (QBO, with email) / "Zoë Müller" (LACRM, no email): accents.
- Grace Whitfield: no email on either side, same phone number.

Companies (link by company name): QBO "Harbor Freight Logistics, LLC" / LACRM company record
"Harbor Freight Logistics" (legal suffix); "The Green Leaf Café" / "Green Leaf Cafe" (leading
"The", accent); "Smith & Sons Hardware" / "Smith and Sons Hardware" ("&").

Shared emails:
- QBO Dan Miller and Karen Miller share millerfamily@example.com (a family); LACRM has only
  Karen Miller with it, so the name picks exactly one pair (Karen); Dan is not linked to her.
- QBO companies "Lakeside Dental" and "Lakeside Orthodontics" share the mailbox
  accounts@lakesidehealth.example; LACRM's Priya Shah (Company Name "Lakeside Dental") uses it too:
  no name picks a pair, so Priya is a review item. Her company record "Lakeside Dental" (created
  by LACRM from her "Company Name", no email) matches the QBO company by name.

Same name, different person: QBO Chris Taylor (chris@taylorplumbing.example) and LACRM Chris
Taylor (ctaylor@brightpath.example, Brightpath Media): not a match; creating the LACRM one in QBO
meets QBO's unique-DisplayName rule (error 6240).

Sub-customers and inactive customers (QBO): "Evergreen Property Management" has three jobs
("12 Oak Street Renovation", "Maple Court Repairs", "Riverside Plaza Landscaping"); Daniel Novak
has one ("Novak Kitchen Remodel"). LACRM's Laura Bishop works at "Evergreen Property Management"
(company record auto-created, matching the QBO parent by name). Inactive: Nora Quinn (also in
LACRM, same email), Old Town Pottery and Jack Thornton (QBO only).

LACRM persons whose "Company Name" has no company record make LACRM create one, so an account
loaded with the demo contacts holds 51 + 8 records: Bennett Design Studio, Okafor Law Group, Rossi
Bakery, Lakeside Dental, Brightpath Media, Evergreen Property Management, Sol Marketing and
Goldberg Events (the first three are also the CompanyName of the QBO person customers Olivia
Bennett, Samuel Okafor and Sofia Rossi, not QBO customers of their own). LACRM-only contacts
include "Dr. Alan R. Foster Jr." (name parsing), "Garcia, Elena" (stored as Elena / Garcia) and
Megan Ellis (two phones, birthday, multi-line background); QBO-only customers include Walter
Jenkins (no email, no phone).

A record QuickBooks refuses: LACRM-only Frank Delaney's email "frank@delaneyframing" lost its
ending when it was typed. LACRM stores it; QuickBooks requires "@" and "." in an email and answers
error 2040, so creating him in QBO fails and every demo sync logs one "failed" entry with the
reason. He is loaded last, so the other records' ids do not depend on him.

``build_dataset()`` (in ``synthetic.py``) makes large synthetic sets for benchmarks.
"""

from __future__ import annotations

from integrations.sandbox.demo_data.builders import Dataset
from integrations.sandbox.demo_data.demo import demo_dataset
from integrations.sandbox.demo_data.synthetic import build_dataset

__all__ = ["Dataset", "build_dataset", "demo_dataset"]
