"""The demo data a newcomer's sandbox starts with; the cases are listed in the package docstring."""

from __future__ import annotations

from typing import Any

from integrations.sandbox.demo_data.builders import ADDRESSES as A
from integrations.sandbox.demo_data.builders import Dataset, cco, crm, qbo, qco

# The same people on both sides: (first, last, email, phone, company).
EXACT = [
    (
        "Olivia",
        "Bennett",
        "olivia@bennettdesign.example",
        "(312) 555-0101",
        "Bennett Design Studio",
    ),
    ("Marcus", "Reyes", "marcus.reyes@reyesroofing.example", "(512) 555-0102", ""),
    ("Hannah", "Kim", "hannah.kim@kimaccounting.example", "(206) 555-0103", ""),
    ("Samuel", "Okafor", "sam@okaforlaw.example", "(404) 555-0104", "Okafor Law Group"),
    ("Emily", "Carter", "emily.carter@example.com", "(617) 555-0105", ""),
    ("Daniel", "Novak", "dnovak@novakbuilders.example", "(303) 555-0106", ""),
    ("Aisha", "Rahman", "aisha@rahmanconsulting.example", "(713) 555-0107", ""),
    ("Lucas", "Martin", "lucas.martin@example.org", "(503) 555-0108", ""),
    ("Sofia", "Rossi", "sofia@rossibakery.example", "(718) 555-0109", "Rossi Bakery"),
    ("Ethan", "Walker", "ethan.walker@walkerhvac.example", "(602) 555-0110", ""),
]
NOVAK = 5  # Daniel Novak's index: the parent of a job.

# QBO-only people: (first, last, email, phone).
QBO_PEOPLE = [
    ("Benjamin", "Foster", "ben.foster@example.com", "(402) 555-0133"),
    ("Chloe", "Dubois", "chloe@duboisinteriors.example", "(504) 555-0134"),
    ("Isaac", "Levi", "isaac.levi@example.org", "(646) 555-0135"),
    ("Fatima", "Haddad", "fatima@haddadimports.example", "(313) 555-0136"),
    ("Kevin", "O'Neill", "kevin.oneill@example.com", "(617) 555-0137"),
    ("Natalie", "Brooks", "natalie@brooksphysio.example", "(615) 555-0138"),
    ("Oscar", "Lindqvist", "oscar@lindqvistdesign.example", "(612) 555-0139"),
    ("Yuki", "Tanaka", "yuki.tanaka@example.net", "(808) 555-0140"),
    ("Ava", "Thompson", "ava.thompson@example.com", "(480) 555-0141"),
    ("Liam", "Murphy", "liam@murphycarpentry.example", "(617) 555-0142"),
    ("Julia", "Park", "julia.park@example.org", "(213) 555-0143"),
    ("Henry", "Adams", "henry.adams@example.com", "(757) 555-0144"),
]
# QBO-only companies: (name, email, phone).
QBO_COMPANIES = [
    ("Summit Ridge Dental Group", "billing@summitridgedental.example", "(970) 555-0145"),
    ("Blue Harbor Marina", "office@blueharbormarina.example", "(410) 555-0146"),
    ("Pinecrest Veterinary Clinic", "front@pinecrestvet.example", "(828) 555-0147"),
    ("Copperline Coffee Roasters", "wholesale@copperline.example", "(971) 555-0148"),
    ("Northgate Auto Repair", "service@northgateauto.example", "(206) 555-0150"),
    ("Brightwater Pools", "info@brightwaterpools.example", "(941) 555-0151"),
    ("Cedar & Stone Architects", "studio@cedarstone.example", "(503) 555-0152"),
    ("Maple Leaf Catering", "events@mapleleafcatering.example", "(802) 555-0153"),
]
# LACRM-only people: (name as typed, email, phone, company).
LACRM_PEOPLE = [
    ("Dr. Alan R. Foster Jr.", "alan.foster@fosterortho.example", "(402) 555-0162", ""),
    ("Diego Fernández", "diego@solmarketing.example", "(305) 555-0165", "Sol Marketing"),
    ("Hiroshi Sato", "hiroshi.sato@example.net", "(808) 555-0166", ""),
    ("Ingrid Johansson", "ingrid@nordiclight.example", "(612) 555-0167", ""),
    ("Peter Hughes", "peter.hughes@example.com", "(614) 555-0168", ""),
    ("Laila Nasser", "laila@nassertravel.example", "(313) 555-0169", ""),
    ("Connor Byrne", "connor.byrne@example.org", "(617) 555-0170", ""),
    ("Maya Goldberg", "maya@goldbergevents.example", "(212) 555-0171", "Goldberg Events"),
    ("Samantha Reed", "sam.reed@example.com", "(704) 555-0172", ""),
    ("Jordan Blake", "jordan@blakefitness.example", "(480) 555-0173", ""),
    ("Nadia Petrov", "nadia.petrov@example.net", "(929) 555-0174", ""),
    ("Ben Carter", "ben.carter@example.org", "(617) 555-0175", ""),
    ("Rosa Delgado", "rosa@delgadolaw.example", "(505) 555-0176", ""),
    ("Kwame Mensah", "kwame.mensah@example.com", "(404) 555-0177", ""),
    ("Garcia, Elena", "elena.garcia@example.com", "(210) 555-0178", ""),
    ("Mary Ann Collins", "maryann@collinsflorals.example", "(859) 555-0179", ""),
    ("Tomás Ortega", "tomas@ortegatile.example", "(520) 555-0180", ""),
]

# An email QuickBooks rejects: it needs "@" and "." (the demo run's one "failed" entry).
FRANK_EMAIL = "frank@delaneyframing"


def _qbo_customers() -> list[dict[str, Any]]:
    customers = [
        qbo(first, last, email, phone, company, where=A[n % len(A)])
        for n, (first, last, email, phone, company) in enumerate(EXACT)
    ]
    customers += [
        qbo("Sarah", "Chen", "Sarah.Chen@BrightLeaf.example", "(415) 555-0111", where=A[6]),
        qbo("Thomas", "Wright", "thomas.wright@wrightelectric.example", "(614) 555-0112"),
        qbo("Mike", "Donovan", "mike@ridgelinelandscaping.example", "(801) 555-0113"),
        qbo("Nick", "Brown", "", "(773) 555-0114", display="Brown, Nick"),
        qbo("Patrick", "O'Brien", "patrick@obrienplumbing.example", "(215) 555-0115"),
        qbo("Claire", "St. John", "claire@stjohnstudio.example", "(860) 555-0116"),
        qbo("José", "Álvarez", "", "(305) 555-0117", notes="Prefers calls after 3 pm."),
        qbo("Zoe", "Muller", "zoe.muller@example.net", "(651) 555-0118"),
        qco("Harbor Freight Logistics, LLC", "billing@harborfreight.example", "(907) 555-0119"),
        qco("The Green Leaf Café", "hello@greenleafcafe.example", web="https://greenleaf.example"),
        qco("Smith & Sons Hardware", "orders@smithsonshardware.example", "(317) 555-0121"),
        qbo("Dan", "Miller", "millerfamily@example.com", "(608) 555-0122", where=A[5]),
        qbo("Karen", "Miller", "millerfamily@example.com", "(608) 555-0123", where=A[5]),
        qco("Lakeside Dental", "accounts@lakesidehealth.example", "(262) 555-0124"),
        qco("Lakeside Orthodontics", "accounts@lakesidehealth.example", "(262) 555-0125"),
        qbo("Chris", "Taylor", "chris@taylorplumbing.example", "(208) 555-0126"),
        qbo("Rachel", "Green", "rachel@greenevents.example", "(212) 555-0127"),
        qbo("Grace", "Whitfield", "", "(919) 555-0128"),
        qbo("Nora", "Quinn", "nora@quinnphoto.example", "(207) 555-0129", active=False),
        qco("Old Town Pottery", "shop@oldtownpottery.example", active=False),
        qbo("Jack", "Thornton", "jack.thornton@example.com", active=False),
    ]
    evergreen = len(customers)
    customers.append(
        qco(
            "Evergreen Property Management",
            "ap@evergreenpm.example",
            "(503) 555-0130",
            where=A[1],
            notes="Net 30. Invoices to ap@ only.",
        )
    )
    for job in ("12 Oak Street Renovation", "Maple Court Repairs", "Riverside Plaza Landscaping"):
        customers.append(qbo(display=job, parent=evergreen))
    customers.append(qbo(display="Novak Kitchen Remodel", parent=NOVAK))
    customers += [
        qbo("Walter", "Jenkins"),
        qbo(
            "Robert",
            "Hale",
            "rhale@halefinancial.example",
            "(617) 555-0131",
            "Hale Financial",
            middle="J.",
            suffix="Jr.",
            web="https://halefinancial.example",
        ),
        qbo(
            "Meera",
            "Patel",
            "dr.patel@patelpediatrics.example",
            "(732) 555-0132",
            "Patel Pediatrics",
            title="Dr.",
            where=A[2],
        ),
        qco(
            "Redwood Analytics Inc.",
            "finance@redwoodanalytics.example",
            "(650) 555-0149",
            notes="Annual retainer, billed quarterly.\nPO number required on every invoice.",
        ),
    ]
    customers += [qbo(*person, where=A[n % 3 + 2]) for n, person in enumerate(QBO_PEOPLE)]
    customers += [qco(*company) for company in QBO_COMPANIES]
    return customers


def _lacrm_contacts() -> list[dict[str, Any]]:
    contacts = [
        crm(f"{first} {last}", email, phone, company, where=A[n % len(A)])
        for n, (first, last, email, phone, company) in enumerate(EXACT)
    ]
    contacts += [
        crm("Sarah Chen", "sarah.chen@brightleaf.example", "(415) 555-0111", job="Owner"),
        crm("Thomas Wright", "Thomas.Wright@WrightElectric.EXAMPLE", "(614) 555-0112"),
        crm("Mike Donovan", "  mike@ridgelinelandscaping.example ", "(801) 555-0113"),
        crm("Nick Brown", "nick.brown@brownco.example", "(773) 555-0114"),
        crm("Patrick OBrien", "", "(215) 555-0115"),
        crm("Claire St John", "", "(860) 555-0116"),
        crm("Jose Alvarez", "jose@alvarezauto.example", "(305) 555-0117"),
        crm("Zoë Müller", "", "(651) 555-0118"),
        cco("Harbor Freight Logistics", phone="(907) 555-0119"),
        cco("Green Leaf Cafe", web="https://greenleaf.example"),
        cco("Smith and Sons Hardware"),
        crm("Karen Miller", "millerfamily@example.com", "(608) 555-0123"),
        crm(
            "Priya Shah",
            "accounts@lakesidehealth.example",
            "(262) 555-0124",
            "Lakeside Dental",
            job="Office Manager",
        ),
        crm("Chris Taylor", "ctaylor@brightpath.example", "(971) 555-0160", "Brightpath Media"),
        crm(
            "Rachel Green",
            [
                {"Text": "rgreen.home@example.com", "Type": "Personal"},
                {"Text": "rachel@greenevents.example", "Type": "Work"},
            ],
        ),
        crm("Grace Whitfield", "", "919-555-0128"),
        crm(
            "Laura Bishop",
            "laura@evergreenpm.example",
            "(503) 555-0161",
            "Evergreen Property Management",
            job="Property Manager",
        ),
        crm("Nora Quinn", "nora@quinnphoto.example", "(207) 555-0129"),
        # LACRM only from here on.
        crm(
            "Megan Ellis",
            "megan.ellis@example.com",
            [
                {"Text": "(312) 555-0163", "Type": "Work"},
                {"Text": "(312) 555-0164", "Type": "Mobile"},
            ],
            birthday="1986-04-12",
            where=A[0],
            background="Met at the spring trade show.\nInterested in the premium plan.",
        ),
    ]
    contacts += [crm(*person) for person in LACRM_PEOPLE]
    contacts += [
        cco("Blue Fern Yoga", "hello@bluefernyoga.example", web="https://bluefern.example"),
        cco("Atlas Freight Co.", "dispatch@atlasfreight.example", "(901) 555-0181"),
        cco("Sunrise Senior Living", "office@sunrisesl.example", where=A[7]),
        cco("Quantum Print Shop", "print@quantumprint.example", "(415) 555-0182"),
    ]
    # Last, so every other record keeps its id. The address lost its ending when it was typed;
    # LACRM stores it as is, QuickBooks refuses it (error 2040), so creating Frank there fails.
    contacts.append(crm("Frank Delaney", FRANK_EMAIL, "(617) 555-0183", job="Carpenter"))
    return contacts


def demo_dataset() -> Dataset:
    """The demo data described in the package docstring (always the same)."""
    return Dataset(qbo_customers=_qbo_customers(), lacrm_contacts=_lacrm_contacts(), overlapping=25)
