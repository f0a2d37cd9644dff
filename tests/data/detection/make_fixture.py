#!/usr/bin/env python3
"""Makes the labelled detection fixture people.csv and its labels (labels.json).

    python3 tests/data/detection/make_fixture.py      # from the repository root

Deterministic (random.Random(20261201)). Names come from src/deid/names/*.txt (the shipped
dictionaries, sampled with weight 1/rank**0.7 over the 3,000 most frequent) and, for one value
in four, from tests/data/names_holdout/*.txt (names the detector never sees). Everything else
(phones, references, cities, products, charges, diagnoses) is written here.
"""
import csv, json, os, random, datetime

R = random.Random(20261201)
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
OUT = os.path.dirname(os.path.abspath(__file__))
ROWS = 400

def load(path):
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return [l.strip() for l in f if l.strip()]

def cap(n):
    return "-".join(p[:1].upper() + p[1:] for p in n.split("-"))

lists = {}
for name in ["given_us", "given_intl", "surnames_us"]:
    lists[name] = (load(f"src/deid/names/{name}.txt")[:3000], load(f"tests/data/names_holdout/{name}.txt"))

held_values = set()
def pick(kind):
    shipped, held = lists[kind]
    if R.random() < 0.25:
        n = cap(R.choice(held[:2000]))
        held_values.add(n)
        return n
    w = [1 / (i + 1) ** 0.7 for i in range(len(shipped))]
    return cap(R.choices(shipped, weights=w)[0])

def given():
    return pick("given_us" if R.random() < 0.5 else "given_intl")

def surname():
    return pick("surnames_us")

def digits(n):
    return "".join(R.choice("0123456789") for _ in range(n))

def us():
    return str(R.randint(2, 9)) + digits(2), str(R.randint(2, 9)) + digits(2), digits(4)

PHONES = [
    lambda: "+1 {} {} {}".format(*us()),
    lambda: "+{}{}{}".format(1, "".join(us()[:2]), us()[2]),
    lambda: "+44 20 {} {}".format(digits(4), digits(4)),
    lambda: "+49 30 {}".format(digits(8)),
    lambda: "+49 (0)151 {}".format(digits(8)),
    lambda: "030 {}".format(digits(7)),
    lambda: "(030) {}".format(digits(7)),
    lambda: "0151-{}".format(digits(8)),
    lambda: "0151 {} {}".format(digits(4), digits(4)),
    lambda: "({}) {}-{}".format(*us()),
    lambda: "{}-{}-{}".format(*us()),
    lambda: "{}.{}.{}".format(*us()),
    lambda: "{} {} {}".format(*us()),
    lambda: "1-{}-{}-{}".format(*us()),
    lambda: "{}-{}-{} x{}".format(*us(), digits(5)),
    lambda: "({}) {}-{} ext. {}".format(*us(), digits(2)),
    lambda: "+1 {} {} {} ext {}".format(*us(), digits(3)),
    lambda: "001-{}-{}-{}".format(*us()),
    lambda: "00 49 30 {}".format(digits(7)),
    lambda: "0049 151 {}".format(digits(8)),
    lambda: "+49.30.{}".format(digits(7)),
    lambda: "{}{}{}".format(*us()),
    lambda: "0151{}".format(digits(7)),
    lambda: "1{}{}{}".format(*us()),
    lambda: "+1-{}-{}-{}x{}".format(*us(), digits(4)),
]

TITLED = [
    lambda g, s: f"Dr. {g} {s}",
    lambda g, s: f"Mr. {g} {s} Jr.",
    lambda g, s: f"Mrs. {g} {s}",
    lambda g, s: f"Dipl.-Ing. {g} {s}",
    lambda g, s: f"{g} {s}, PhD",
    lambda g, s: f"Dr. {g} {s} B.Sc.",
    lambda g, s: f"Prof. Dr. {g} {s}",
    lambda g, s: f"{g} {s} III",
    lambda g, s: f"{g} van {s}",
    lambda g, s: f"{g} von {s}",
    lambda g, s: f"Herr {s}",
    lambda g, s: f"Frau {g} {s}",
    lambda g, s: f"{s}, {g}",
    lambda g, s: f"{g} {s}",
    lambda g, s: f"{g} {s}",
    lambda g, s: f"{g} {s}",
    lambda g, s: f"{g[0]}. {s}",
    lambda g, s: f"{g} {s}-{surname()}",
    lambda g, s: f"{g} al-{s}",
    lambda g, s: f"Ms. {g} {s}, M.Sc.",
]

NOTES = [
    ("Customer asked for a call back on {P}.", ["P"]),
    ("Spoke with {N} about the delivery; reach them at {P}.", ["N", "P"]),
    ("Rückruf erbeten unter {P}, Ansprechpartner {N}.", ["P", "N"]),
    ("Escalated to {N}. Direct line {P}, otherwise {E}.", ["N", "P", "E"]),
    ("No contact wanted.", []),
    ("Delivered on time, thanks!", []),
    ("Order was damaged in transit, replacement sent.", []),
    ("Prefers e-mail: {E}", ["E"]),
    ("Left voicemail at {P} and {P}.", ["P", "P"]),
    ("Complaint about billing handled by {N}.", ["N"]),
    ("Paket beim Nachbarn abgegeben.", []),
    ("Call {P} after 5pm.", ["P"]),
]

CITIES = ["Berlin", "Hamburg", "München", "Köln", "Frankfurt", "Stuttgart", "Leipzig", "Dresden",
          "Hannover", "Nürnberg", "Bremen", "Essen", "London", "Manchester", "Leeds", "Bristol",
          "Paris", "Lyon", "Madrid", "Vienna", "Zurich", "Houston", "Phoenix", "Dallas", "Austin",
          "Denver", "Boston", "Seattle", "Portland", "Atlanta", "Chicago", "Detroit", "Memphis",
          "Nashville", "Louisville", "Springfield", "Jackson", "Lincoln", "Madison", "Charlotte",
          "Orlando", "Tampa", "Columbus", "Cleveland", "Buffalo", "Richmond", "Salem", "Eugene",
          "Tucson", "Fresno", "Mesa", "Aurora", "Arlington", "Bakersfield", "Anaheim", "Irvine",
          "Chandler", "Durham", "Raleigh", "Laredo", "Lubbock", "Garland", "Hialeah", "Reno"]
PRODUCTS = ["Organic Green Tea", "Widget Pro 3000", "USB-C Cable 2 m", "Espresso Beans Dark Roast",
            "Wireless Mouse", "Running Shoes Size 42", "Stainless Steel Bottle", "Yoga Mat Blue",
            "Noise Cancelling Headphones", "Desk Lamp LED", "Phone Case Black", "Coffee Grinder",
            "Winter Jacket", "Garden Hose 25 m", "Chef Knife", "Baby Monitor", "Road Bike Helmet",
            "Vitamin D Tablets", "Dog Food Salmon", "Paper Towels 8 Pack", "Grace Hand Cream",
            "Victoria Sponge Mix", "Earl Grey Tea", "Jasmine Rice 5 kg", "Morgan Leather Belt",
            "Holly Wreath", "Ruby Red Grapefruit Juice", "Amber Glass Jar", "Sterling Silver Ring",
            "Camden Backpack", "Savannah Sun Hat", "Jordan Almonds", "Hunter Wellington Boots"]
CHARGES = ["Theft", "Burglary", "Assault", "Fraud", "Robbery", "Criminal damage", "Driving under the influence",
           "Possession of a controlled substance", "Trespass", "Shoplifting", "Vandalism",
           "Aggravated assault", "Identity theft", "Embezzlement", "Arson", "Disorderly conduct",
           "Diebstahl", "Körperverletzung", "Betrug", "Sachbeschädigung", "Hausfriedensbruch",
           "Forgery", "Resisting arrest", "Public intoxication", "Harassment", "Stalking"]
DIAGNOSES = ["Type 2 diabetes mellitus", "Essential hypertension", "Acute bronchitis",
             "Fracture of the left radius", "Major depressive disorder", "Migraine without aura",
             "Asthma", "Chronic kidney disease stage 3", "Atrial fibrillation", "Pneumonia",
             "Osteoarthritis of the knee", "Hodgkin lymphoma", "Parkinson disease", "Crohn disease",
             "Graves disease", "Addison disease", "Bell palsy", "Tourette syndrome", "Down syndrome",
             "Alzheimer disease", "Lyme disease", "Hashimoto thyroiditis", "Sinusitis", "Gastritis"]
SEGMENTS = ["Gold", "Silver", "Bronze", "Premium", "Basic", "Standard", "Enterprise", "Trial"]
STATUS = ["Active", "Pending", "Closed", "Suspended", "Review"]

def email(g, s):
    return f"{g.lower()}.{s.lower()}@example.{R.choice(['com', 'org', 'net'])}".replace(" ", "")

header = ["ref", "given", "family", "counterparty", "contact_person", "signed_by", "notes",
          "token", "created_at", "city", "site", "product", "charge", "diagnosis", "segment",
          "status", "amount", "visits"]
rows, spans = [], []
t0 = datetime.datetime(2024, 1, 1)
for i in range(ROWS):
    g, s = given(), surname()
    note_t, slots = R.choice(NOTES)
    parts, found = [], []
    out = ""
    rest = note_t
    for slot in slots:
        k = rest.index("{" + slot + "}")
        out += rest[:k]
        if slot == "P":
            v, kind = R.choice(PHONES)(), "phone"
        elif slot == "N":
            v, kind = R.choice(TITLED)(given(), surname()), "person_name"
        else:
            v, kind = email(given(), surname()), "email"
        found.append({"column": "notes", "row": i, "kind": kind, "text": v,
                      "start": len(out.encode()), "end": len((out + v).encode())})
        out += v
        rest = rest[k + len(slot) + 2:]
    out += rest
    spans.extend(found)
    ts = t0 + datetime.timedelta(seconds=R.randint(0, 365 * 86400))
    rows.append([
        f"C{100000 + i}",
        g,
        s,
        surname(),
        R.choice(TITLED)(given(), surname()),
        R.choice(TITLED)(given(), surname()),
        out,
        "%08x-%04x-4%03x-a%03x-%012x" % (R.getrandbits(32), R.getrandbits(16), R.getrandbits(12),
                                        R.getrandbits(12), R.getrandbits(48)),
        ts.strftime("%Y-%m-%d %H:%M:%S"),
        R.choice(CITIES),
        R.choice(CITIES),
        R.choice(PRODUCTS),
        R.choice(CHARGES),
        R.choice(DIAGNOSES),
        R.choice(SEGMENTS),
        R.choice(STATUS),
        f"{R.uniform(5, 5000):.2f}",
        str(R.randint(0, 40)),
    ])

truth = {
    "ref": "record_id", "given": "person_name", "family": "person_name",
    "counterparty": "person_name", "contact_person": "person_name", "signed_by": "person_name",
    "notes": "free_text", "token": "record_id", "created_at": "quasi_identifier",
}
with open(os.path.join(OUT, "people.csv"), "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f, lineterminator="\n")
    w.writerow(header)
    w.writerows(rows)
with open(os.path.join(OUT, "labels.json"), "w", encoding="utf-8") as f:
    json.dump({"columns": {h: truth.get(h) for h in header},
               "held_out": sorted(held_values),
               "spans": spans}, f, ensure_ascii=False, indent=0)
print(f"{ROWS} rows, {len(spans)} labelled spans, {len(held_values)} held-out names")
