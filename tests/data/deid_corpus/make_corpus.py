#!/usr/bin/env python3
"""Generate the identifier-detection / de-identification evaluation corpus.

    target/corpus-venv/bin/python tests/data/deid_corpus/make_corpus.py          # (re)write all files
    target/corpus-venv/bin/python tests/data/deid_corpus/make_corpus.py --check  # verify the corpus

Needs mimesis==22.2.0 and openpyxl==3.1.5 (and pandas for --check); see README.md. The output is
byte-for-byte deterministic (fixed seeds, fixed gzip mtime, fixed xlsx zip timestamps). The real
table (holdout/us_congress_legislators.csv) is made by flatten_legislators.py, not here; its labels
live in this file so that labels.json is written in one place.
"""

import argparse
import csv
import datetime as dt
import gzip
import io
import json
import random
import re
import sys
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import mimesis  # noqa: E402
import openpyxl  # noqa: E402
from mimesis import Finance  # noqa: E402

import corpus_lib as L  # noqa: E402
from corpus_notes import CLEAN, PLAIN, WITH_IDS  # noqa: E402

HERE = Path(__file__).resolve().parent
MIMESIS_VERSION = "22.2.0"
OPENPYXL_VERSION = "3.1.5"
FIXED_ZIP_TIME = (2024, 1, 1, 0, 0, 0)


# ============================================================================================
# Table container
# ============================================================================================
class Table:
    def __init__(self, file, split, locale, seed, reference_date, description, dialect):
        self.file, self.split, self.locale, self.seed = file, split, locale, seed
        self.reference_date = reference_date
        self.description = description
        base = {"delimiter": None, "decimal": None, "thousands": None, "date_format": None,
                "encoding": "utf-8", "bom": False, "compression": None, "sheet": None,
                "line_terminator": "\n", "format": "csv"}
        base.update(dialect)
        self.dialect = base
        self.columns = []  # (name, class, kind, extra)
        self.rows = []
        self.embedded = {}

    def col(self, name, cls, kind, **extra):
        self.columns.append((name, cls, kind, extra))

    def add_row(self, values):
        names = [c[0] for c in self.columns]
        missing = set(names) - set(values)
        extra = set(values) - set(names)
        assert not missing and not extra, (self.file, missing, extra)
        self.rows.append([values[n] for n in names])

    def embed(self, column, row, found):
        for sub, kind in found:
            self.embedded.setdefault(column, []).append([row, sub, kind])

    def labels(self):
        return {
            "file": self.file, "split": self.split, "locale": self.locale, "seed": self.seed,
            "rows": len(self.rows), "reference_date": self.reference_date,
            "description": self.description, "dialect": self.dialect,
            "columns": {n: dict({"class": c, "kind": k}, **x) for n, c, k, x in self.columns},
        }


def note(rng, domain, values, p_ids, p_plain, product=None):
    """One note for a free_text_identifiers column: '' (empty), a plain note or one with identifiers."""
    r = rng.random()
    if r < p_ids:
        t = rng.choice(WITH_IDS[domain])
        return L.render(t, values)
    if r < p_ids + p_plain:
        t = rng.choice(PLAIN[domain])
        return L.render(t, values)
    return "", []


WEEKDAYS = {
    "de": ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "tomorrow"],
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi"],
    "nl": ["maandag", "dinsdag", "woensdag", "donderdag", "vrijdag"],
    "es": ["lunes", "martes", "miércoles", "jueves", "viernes"],
}


def other_person(pg, ref):
    return pg.make(ref, 20, 80)


def staff_pool(loc, seed, n, titled=None):
    rng = random.Random(seed)
    pg = L.PersonGen(loc, seed, rng)
    out = []
    for _ in range(n):
        pp = pg.make(dt.date(2024, 1, 1), 30, 64)
        out.append(pp)
    return out


# ============================================================================================
# Negative vocabularies (products, diagnoses, charges, departments)
# ============================================================================================
PRODUCTS = {
    "de": ["Kaffeevollautomat Barista Pro", "Akku-Bohrschrauber 18 V", "Winterjacke Herren Gr. L",
           "Wasserkocher Edelstahl 1,7 l", "Bettwäsche-Set Satin 155x220", "Laufschuhe Damen Gr. 39",
           "Staubsauger beutellos", "Gartenschlauch 25 m", "Espressotassen 6er-Set", "Rucksack 30 l",
           "Fahrradhelm M", "Tischleuchte LED", "Pfannenset Guss 3-tlg.", "Bluetooth-Kopfhörer",
           "Kinderbuch Der kleine Drache", "Thermoskanne 1 l", "Yogamatte", "Heizlüfter 2000 W",
           "Teppich Vintage 160x230", "Handtuch-Set Frottee"],
    "en": ["Wireless Earbuds X2", "Smart Thermostat T5", "4K Streaming Stick", "Robot Vacuum R300",
           "Fitness Tracker Band", "Portable Charger 20000mAh", "Noise-Cancelling Headphones",
           "Smart Doorbell Cam", "Electric Toothbrush Pro", "Air Fryer 5.8 qt", "Mesh Wi-Fi Router",
           "Kids Tablet 8 in", "Bluetooth Speaker Mini", "Laptop Sleeve 15 in", "Espresso Machine Duo",
           "Smart Plug 2-pack", "Gaming Mouse G7", "Instant Camera Mini", "Cordless Drill Kit",
           "E-Reader Paperwhite"],
    "fr": ["Aspirateur balai sans fil", "Cafetière à dosettes", "Robot pâtissier 1000 W",
           "Téléviseur LED 55 pouces", "Lave-linge 8 kg", "Casque audio Bluetooth", "Machine à pain",
           "Friteuse sans huile", "Matelas mousse 140x190", "Trottinette électrique",
           "Sèche-cheveux ionique", "Montre connectée", "Imprimante jet d'encre", "Bouilloire 1,7 L",
           "Perceuse visseuse 18 V", "Climatiseur mobile", "Poêle en fonte 28 cm", "Tablette 10 pouces"],
    "nl": ["Fietsverlichting set", "Koffiezetapparaat", "Stofzuiger zakloos", "Regenjas unisex M",
           "Dekbedovertrek 240x220", "Elektrische tandenborstel", "Airfryer XL", "Draadloze oordopjes",
           "Boormachine 18V", "Fietstas dubbel", "Waterkoker 1,7 liter", "Pannenset 5-delig",
           "Speelgoedkeuken hout", "Bureaustoel ergonomisch", "Tuinset 4-persoons", "Slimme deurbel",
           "Wandelschoenen maat 42", "Yogamat", "Thermosfles 500 ml", "Vloerkleed 160x230"],
}

DIAG_FR = [("Infarctus aigu du myocarde", "I21.9"), ("Pneumopathie infectieuse", "J18.9"),
           ("Fracture du col du fémur", "S72.0"), ("Insuffisance cardiaque", "I50.9"),
           ("Accident vasculaire cérébral ischémique", "I63.9"), ("Appendicite aiguë", "K35.8"),
           ("Bronchopneumopathie chronique obstructive", "J44.9"), ("Diabète de type 2 déséquilibré", "E11.6"),
           ("Cholécystite aiguë", "K81.0"), ("Pyélonéphrite aiguë", "N10"),
           ("Fibrillation auriculaire", "I48.9"), ("Embolie pulmonaire", "I26.9"),
           ("Gastro-entérite aiguë", "A09"), ("Lombalgie aiguë", "M54.5"), ("Syncope", "R55"),
           ("Décompensation d'une cirrhose", "K74.6"), ("Cellulite de la jambe", "L03.1"),
           ("Angor instable", "I20.0"), ("Hernie inguinale", "K40.9"), ("Traumatisme crânien léger", "S06.0")]
SERVICE_FR = {"I": "Cardiologie", "J": "Pneumologie", "S": "Orthopédie-traumatologie", "K": "Chirurgie digestive",
              "E": "Endocrinologie", "N": "Néphrologie", "A": "Médecine interne", "M": "Rhumatologie",
              "R": "Médecine interne", "L": "Dermatologie"}

DIAG_EN = [("Essential (primary) hypertension", "I10"), ("Type 2 diabetes mellitus without complications", "E11.9"),
           ("Acute upper respiratory infection", "J06.9"), ("Low back pain", "M54.5"),
           ("Major depressive disorder, single episode", "F32.9"), ("Hyperlipidemia, unspecified", "E78.5"),
           ("Urinary tract infection, site not specified", "N39.0"), ("Asthma, uncomplicated", "J45.909"),
           ("Gastro-esophageal reflux disease", "K21.9"), ("Sprain of ankle", "S93.409A"),
           ("Acute sinusitis", "J01.90"), ("Generalized anxiety disorder", "F41.1"),
           ("Osteoarthritis of knee", "M17.9"), ("Migraine, unspecified", "G43.909"),
           ("Hypothyroidism, unspecified", "E03.9"), ("Atrial fibrillation", "I48.91"),
           ("Routine general medical examination", "Z00.00"), ("Iron deficiency anemia", "D50.9"),
           ("Contact dermatitis", "L25.9"), ("Otitis media", "H66.90")]
DEPT_EN = {"I": "Cardiology", "E": "Endocrinology", "J": "Pulmonology", "M": "Orthopedics", "F": "Behavioral Health",
           "N": "Urology", "K": "Gastroenterology", "S": "Urgent Care", "G": "Neurology", "Z": "Primary Care",
           "D": "Hematology", "L": "Dermatology", "H": "ENT"}

DIAG_ES = [("Hipertensión arterial", "Cardiología"), ("Diabetes mellitus tipo 2", "Endocrinología"),
           ("Lumbalgia mecánica", "Traumatología"), ("Gonartrosis", "Traumatología"),
           ("Dermatitis atópica", "Dermatología"), ("Migraña sin aura", "Neurología"),
           ("Hipotiroidismo", "Endocrinología"), ("Revisión ginecológica anual", "Ginecología"),
           ("Cataratas", "Oftalmología"), ("Reflujo gastroesofágico", "Digestivo"),
           ("Asma bronquial", "Neumología"), ("Ansiedad generalizada", "Psiquiatría"),
           ("Fibrilación auricular", "Cardiología"), ("Esguince de tobillo", "Traumatología"),
           ("Cefalea tensional", "Neurología"), ("Hipercolesterolemia", "Medicina interna"),
           ("Otitis externa", "Otorrinolaringología"), ("Psoriasis", "Dermatología")]

CHARGES_EN = [("burglary in the second degree", "PL 140.25", "Class C Felony"),
              ("burglary in the third degree", "PL 140.20", "Class D Felony"),
              ("petit larceny", "PL 155.25", "Class A Misdemeanor"),
              ("grand larceny in the fourth degree", "PL 155.30", "Class E Felony"),
              ("assault in the third degree", "PL 120.00", "Class A Misdemeanor"),
              ("assault in the second degree", "PL 120.05", "Class D Felony"),
              ("criminal mischief in the fourth degree", "PL 145.00", "Class A Misdemeanor"),
              ("criminal possession of a controlled substance in the seventh degree", "PL 220.03", "Class A Misdemeanor"),
              ("criminal sale of a controlled substance in the third degree", "PL 220.39", "Class B Felony"),
              ("robbery in the third degree", "PL 160.05", "Class D Felony"),
              ("menacing in the second degree", "PL 120.14", "Class A Misdemeanor"),
              ("criminal trespass in the third degree", "PL 140.10", "Class B Misdemeanor"),
              ("resisting arrest", "PL 205.30", "Class A Misdemeanor"),
              ("harassment in the second degree", "PL 240.26", "Violation"),
              ("possession of burglar's tools", "PL 140.35", "Class A Misdemeanor"),
              ("reckless endangerment in the second degree", "PL 120.20", "Class A Misdemeanor"),
              ("forgery in the second degree", "PL 170.10", "Class D Felony"),
              ("identity theft in the third degree", "PL 190.78", "Class A Misdemeanor"),
              ("driving while intoxicated", "VTL 1192.3", "Unclassified Misdemeanor"),
              ("aggravated unlicensed operation of a motor vehicle in the third degree", "VTL 511.1", "Unclassified Misdemeanor"),
              ("criminal contempt in the second degree", "PL 215.50", "Class A Misdemeanor")]

CHARGES_IT = [("furto aggravato", "art. 625 c.p."), ("furto in abitazione", "art. 624-bis c.p."),
              ("lesioni personali", "art. 582 c.p."), ("ricettazione", "art. 648 c.p."),
              ("truffa", "art. 640 c.p."), ("guida in stato di ebbrezza", "art. 186 C.d.S."),
              ("minaccia", "art. 612 c.p."), ("danneggiamento", "art. 635 c.p."),
              ("resistenza a pubblico ufficiale", "art. 337 c.p."),
              ("detenzione di sostanze stupefacenti ai fini di spaccio", "art. 73 d.P.R. 309/1990"),
              ("appropriazione indebita", "art. 646 c.p."), ("atti persecutori", "art. 612-bis c.p."),
              ("evasione", "art. 385 c.p."), ("porto abusivo di armi", "art. 4 L. 110/1975"),
              ("falsità ideologica in atto pubblico", "art. 483 c.p."), ("rapina", "art. 628 c.p."),
              ("maltrattamenti contro familiari", "art. 572 c.p."), ("guida senza patente", "art. 116 C.d.S.")]

NAT = {
    "de": [("deutsch", 80), ("türkisch", 4), ("polnisch", 2.5), ("syrisch", 2), ("rumänisch", 2), ("italienisch", 1.5),
           ("kroatisch", 1), ("griechisch", 1), ("ukrainisch", 2), ("russisch", 1), ("österreichisch", 1), ("bulgarisch", 1)],
    "fr": [("française", 85), ("algérienne", 3), ("marocaine", 3), ("portugaise", 2.5), ("tunisienne", 1.5),
           ("italienne", 1), ("turque", 1), ("espagnole", 1), ("belge", 1), ("roumaine", 1)],
    "es": [("española", 84), ("marroquí", 3.5), ("rumana", 3), ("colombiana", 2), ("británica", 1.5),
           ("italiana", 1.5), ("venezolana", 1.5), ("ecuatoriana", 1), ("china", 1), ("ucraniana", 1)],
    "it": [("italiana", 88), ("rumena", 3), ("albanese", 2), ("marocchina", 2), ("cinese", 1), ("ucraina", 1.5),
           ("filippina", 1), ("indiana", 1), ("egiziana", 0.5)],
    "nl": [("Nederlandse", 86), ("Turkse", 2.5), ("Marokkaanse", 2.5), ("Duitse", 2), ("Poolse", 2),
           ("Belgische", 1.5), ("Surinaamse", 1), ("Syrische", 1), ("Britse", 1.5)],
}
NAT_M = {"fr": {"française": "français", "algérienne": "algérien", "marocaine": "marocain", "portugaise": "portugais",
                "tunisienne": "tunisien", "italienne": "italien", "turque": "turc", "espagnole": "espagnol",
                "belge": "belge", "roumaine": "roumain"},
         "es": {"española": "español", "marroquí": "marroquí", "rumana": "rumano", "colombiana": "colombiano",
                "británica": "británico", "italiana": "italiano", "venezolana": "venezolano",
                "ecuatoriana": "ecuatoriano", "china": "chino", "ucraniana": "ucraniano"},
         "it": {"italiana": "italiano", "rumena": "rumeno", "albanese": "albanese", "marocchina": "marocchino",
                "cinese": "cinese", "ucraina": "ucraino", "filippina": "filippino", "indiana": "indiano",
                "egiziana": "egiziano"}}
FR_BIRTH_ABROAD = {"algérienne": "352", "marocaine": "350", "portugaise": "139", "tunisienne": "351",
                   "italienne": "127", "turque": "208", "espagnole": "134", "belge": "131", "roumaine": "114"}


def nationality(loc, rng, g):
    items, w = zip(*NAT[loc])
    n = L.weighted(rng, list(items), list(w))
    if g == "M" and loc in NAT_M:
        return n, NAT_M[loc][n]
    return n, n


def marital(loc, rng, g, age):
    if age < 20:
        key = "single"
    else:
        p_single = max(0.08, 0.9 - (age - 20) * 0.035)
        p_widow = 0.0 if age < 50 else min(0.35, (age - 50) * 0.012)
        r = rng.random()
        key = ("single" if r < p_single else "widowed" if r < p_single + p_widow
               else "divorced" if r < p_single + p_widow + 0.13 else
               "partnership" if r < p_single + p_widow + 0.18 else "married")
    f = g == "F"
    t = {
        "de": {"single": "ledig", "married": "verheiratet", "divorced": "geschieden", "widowed": "verwitwet",
               "partnership": "eingetragene Lebenspartnerschaft"},
        "fr": {"single": "célibataire", "married": "mariée" if f else "marié", "divorced": "divorcée" if f else "divorcé",
               "widowed": "veuve" if f else "veuf", "partnership": "pacsée" if f else "pacsé"},
        "es": {"single": "soltera" if f else "soltero", "married": "casada" if f else "casado",
               "divorced": "divorciada" if f else "divorciado", "widowed": "viuda" if f else "viudo",
               "partnership": "pareja de hecho"},
        "it": {"single": "nubile" if f else "celibe", "married": "coniugata" if f else "coniugato",
               "divorced": "divorziata" if f else "divorziato", "widowed": "vedova" if f else "vedovo",
               "partnership": "unita civilmente" if f else "unito civilmente"},
        "nl": {"single": "ongehuwd", "married": "gehuwd", "divorced": "gescheiden",
               "widowed": "weduwe" if f else "weduwnaar", "partnership": "geregistreerd partner"},
        "en": {"single": "Single", "married": "Married", "divorced": "Divorced", "widowed": "Widowed",
               "partnership": "Domestic Partner"},
    }
    return t[loc][key]


def body(rng, g, age):
    """Plausible height (cm) and weight (kg) for an adult."""
    h = rng.gauss(178 if g == "M" else 165, 7)
    bmi = max(17.0, min(45.0, rng.gauss(24 + min(age, 65) * 0.06, 4)))
    return round(h), round(bmi * (h / 100) ** 2, 1)


# ============================================================================================
# dev/de_crm.csv
# ============================================================================================
def t_de_crm():
    seed, loc, ref = 101, "de", dt.date(2024, 5, 31)
    rng = random.Random(seed)
    t = Table("dev/de_crm.csv", "dev", loc, seed, ref.isoformat(),
              "German CRM export of private and business customers (Excel 'CSV (Trennzeichen-getrennt)', Windows-1252)",
              {"delimiter": ";", "decimal": ",", "date_format": "dd.mm.yyyy", "encoding": "windows-1252",
               "line_terminator": "\r\n"})
    t.col("kdnr", "identifier", "reference", pattern="KD-dddddd")
    t.col("Anrede", "protected", "salutation")
    t.col("vorname", "identifier", "given_name")
    t.col("nachname", "identifier", "surname")
    t.col("firma", "feature", "company")
    t.col("Straße", "identifier", "street_address")
    t.col("plz", "quasi_identifier", "postcode")
    t.col("ort", "quasi_identifier", "city")
    t.col("land", "quasi_identifier", "country")
    t.col("tel", "identifier", "phone")
    t.col("mobil", "identifier", "phone")
    t.col("e_mail", "identifier", "email")
    t.col("geb_datum", "quasi_identifier", "birth_date", format="dd.mm.yyyy")
    t.col("Alter", "protected", "age")
    t.col("Geschlecht", "protected", "gender")
    t.col("kundensegment", "feature", "category")
    t.col("umsatz_eur", "feature", "amount")
    t.col("anzahl_bestellungen", "feature", "quantity")
    t.col("letzte_bestellung", "quasi_identifier", "event_date", format="dd.mm.yyyy")
    t.col("angelegt_am", "quasi_identifier", "timestamp", format="dd.mm.yyyy HH:MM")
    t.col("newsletter_einwilligung", "consent", "consent")
    t.col("bemerkung", "free_text_identifiers", "notes")
    pg = L.PersonGen(loc, seed, rng, cp1252=True)
    ag = L.AddressGen(loc, seed + 1, rng)
    fin = Finance(L.mim_locale(loc), seed=seed + 2)
    agents = [L.PersonGen(loc, seed + 3, random.Random(seed + 3), cp1252=True).given(g) for g in "FMFMFF"]
    kd = rng.sample(range(1000, 99999), 450)
    olds = rng.sample(range(100000, 199999), 450)
    for i in range(450):
        pp = pg.make(ref, 18, 88, diverse=0.01)
        city = L.pick_city(loc, rng)
        _, _, street = ag.make()
        while True:
            try:
                street.encode("cp1252")
                break
            except UnicodeEncodeError:
                _, _, street = ag.make()
        business = rng.random() < 0.22
        firm = ""
        if business:
            while True:
                firm = f"{fin.company()} {rng.choice(['GmbH', 'GmbH & Co. KG', 'AG', 'e.K.', 'KG'])}"
                try:
                    firm.encode("cp1252")
                    break
                except UnicodeEncodeError:
                    pass
        n_orders = max(1, int(rng.expovariate(1 / 6)))
        umsatz = sum(rng.lognormvariate(3.8, 0.8) for _ in range(n_orders)) * (3 if business else 1)
        created = L.business_time(rng, L.rand_date(rng, dt.date(2012, 1, 1), ref - dt.timedelta(days=30)))
        last_order = L.rand_date(rng, created.date(), ref)
        email = L.email_for(loc, pp, rng)
        tel = L.phone(loc, rng, city, mobile=False) if rng.random() < 0.65 else ""
        mobil = L.phone(loc, rng, city, mobile=True) if (rng.random() < 0.7 or not tel) else ""
        sal = {"F": "Frau", "M": "Herr", "X": ""}[pp["g"]]
        op = other_person(pg, ref)
        values = {
            "_g": pp["g"], "_og": op["g"], "other_email": L.email_for(loc, op, rng),
            "sal": sal or pp["first"], "last": pp["last"], "first": pp["first"], "full": f"{pp['first']} {pp['last']}",
            "phone": tel or mobil, "newphone": L.phone(loc, rng, city), "email": email,
            "newemail": L.email_for(loc, pp, rng), "ref": f"A{rng.randint(2000000, 2999999)}",
            "cust": f"KD-{kd[i]:06d}", "oldcust": f"{olds[i]}", "iban": L.iban(loc, rng),
            "addr": f"{ag.make()[2]}, {city.postcode(rng)} {city.name}", "dob": L.fmt_date(pp["birth"], "dd.mm.yyyy"),
            "other": L.full_name(loc, op), "other_last": op["last"], "agent": rng.choice(agents),
            "day": rng.choice(WEEKDAYS[loc]), "product": rng.choice(PRODUCTS[loc]),
            "amount": L.dec(rng.uniform(20, 600)),
        }
        text, found = note(rng, "de_crm", values, 0.45, 0.25)
        try:
            text.encode("cp1252")
        except UnicodeEncodeError:
            text, found = "", []
        t.embed("bemerkung", i, found)
        t.add_row({
            "kdnr": f"KD-{kd[i]:06d}", "Anrede": sal, "vorname": pp["first"], "nachname": pp["last"], "firma": firm,
            "Straße": street, "plz": city.postcode(rng), "ort": city.name, "land": "Deutschland",
            "tel": tel, "mobil": mobil, "e_mail": email,
            "geb_datum": L.fmt_date(pp["birth"], "dd.mm.yyyy"), "Alter": str(pp["age"]),
            "Geschlecht": {"F": "w", "M": "m", "X": "d"}[pp["g"]],
            "kundensegment": ("Gewerbekunde" if business else
                              L.weighted(rng, ["Privatkunde", "Premium", "Neukunde", "inaktiv"], [55, 12, 18, 15])),
            "umsatz_eur": L.dec(umsatz), "anzahl_bestellungen": str(n_orders),
            "letzte_bestellung": L.fmt_date(last_order, "dd.mm.yyyy"),
            "angelegt_am": L.fmt_date(created, "dd.mm.yyyy HH:MM"),
            "newsletter_einwilligung": "ja" if rng.random() < 0.42 else "nein",
            "bemerkung": text,
        })
    return t


# ============================================================================================
# dev/en_support_tickets.csv
# ============================================================================================
def t_en_support():
    seed, loc, ref = 202, "en", dt.date(2024, 6, 30)
    rng = random.Random(seed)
    t = Table("dev/en_support_tickets.csv", "dev", loc, seed, ref.isoformat(),
              "Help-desk ticket export of a consumer-electronics web shop (US)",
              {"delimiter": ",", "decimal": ".", "date_format": "yyyy-mm-dd"})
    t.col("ticket_id", "identifier", "uuid")
    t.col("customer_id", "identifier", "reference", pattern="7 digits")
    t.col("customer_name", "identifier", "full_name", note="mostly Title Case, some lower/UPPER case")
    t.col("email", "identifier", "email")
    t.col("phone", "identifier", "phone")
    t.col("ip_address", "identifier", "ip_address")
    t.col("created_at", "quasi_identifier", "timestamp", format="yyyy-mm-dd HH:MM:SS")
    t.col("closed_at", "quasi_identifier", "timestamp", format="yyyy-mm-dd HH:MM:SS")
    t.col("channel", "feature", "category")
    t.col("product", "feature", "product")
    t.col("category", "feature", "category")
    t.col("priority", "feature", "category")
    t.col("status", "feature", "category")
    t.col("agent", "identifier", "given_name", note="support agent (staff) first name")
    t.col("agent_note", "free_text_identifiers", "notes")
    t.col("resolution", "free_text", "notes")
    t.col("order_total_usd", "feature", "amount")
    t.col("csat_score", "feature", "score")
    pg = L.PersonGen(loc, seed, rng)
    ag = L.AddressGen(loc, seed + 1, rng)
    agents = [L.PersonGen(loc, seed + 3, random.Random(seed + 3)).given(g) for g in "FMFFMMFMFF"]
    ids = rng.sample(range(1000000, 9999999), 500)
    for i in range(500):
        pp = pg.make(ref, 18, 80)
        city = L.pick_city(loc, rng)
        name = f"{pp['first']} {pp['last']}"
        r = rng.random()
        name = name.lower() if r < 0.12 else name.upper() if r < 0.17 else name
        created = L.business_time(rng, L.rand_date(rng, dt.date(2023, 7, 1), ref))
        status = L.weighted(rng, ["closed", "solved", "open", "pending"], [55, 25, 12, 8])
        closed = (created + dt.timedelta(minutes=rng.randint(5, 60 * 24 * 9))) if status in ("closed", "solved") else None
        if closed and closed.date() > ref:
            closed = None
            status = "pending"
        email = L.email_for(loc, pp, rng)
        ph = L.phone(loc, rng, city)
        ip = L.ipv4(rng)
        product = rng.choice(PRODUCTS[loc])
        op = other_person(pg, ref)
        agent = rng.choice(agents)
        values = {
            "_g": pp["g"], "_og": op["g"], "other_email": L.email_for(loc, op, rng),
            "sal": {"F": rng.choice(["Mrs", "Ms"]), "M": "Mr"}[pp["g"]], "last": pp["last"], "first": pp["first"],
            "full": f"{pp['first']} {pp['last']}", "phone": ph, "newphone": L.phone(loc, rng, city),
            "email": email, "newemail": L.email_for(loc, pp, rng), "ref": f"{rng.randint(100000, 999999)}",
            "cust": str(ids[i]), "addr": f"{ag.make()[2]}, {city.name}, {city.region} {city.postcode(rng)}",
            "dob": L.fmt_date(pp["birth"], "mm/dd/yyyy"), "other": L.full_name(loc, op),
            "agent": rng.choice([a for a in agents if a != agent]), "ip": L.ipv4(rng),
            "day": rng.choice(WEEKDAYS[loc]), "product": product, "amount": f"{rng.uniform(15, 400):.2f}",
        }
        text, found = note(rng, "en_support", values, 0.6, 0.3)
        t.embed("agent_note", i, found)
        res = L.render(rng.choice(CLEAN["en_resolution"]), {"product": product})[0] if closed else ""
        t.add_row({
            "ticket_id": L.uuid4(rng), "customer_id": str(ids[i]), "customer_name": name, "email": email,
            "phone": ph, "ip_address": ip,
            "created_at": L.fmt_date(created, "yyyy-mm-dd HH:MM:SS"),
            "closed_at": L.fmt_date(closed, "yyyy-mm-dd HH:MM:SS") if closed else "",
            "channel": L.weighted(rng, ["email", "phone", "chat", "web form"], [35, 25, 30, 10]),
            "product": product,
            "category": L.weighted(rng, ["Billing", "Shipping", "Technical", "Returns", "Account"], [20, 25, 30, 15, 10]),
            "priority": L.weighted(rng, ["low", "normal", "high", "urgent"], [25, 50, 20, 5]),
            "status": status, "agent": agent, "agent_note": text, "resolution": res,
            "order_total_usd": f"{rng.lognormvariate(4.3, 0.7):.2f}",
            "csat_score": str(L.weighted(rng, [1, 2, 3, 4, 5], [6, 6, 12, 30, 46])) if closed and rng.random() < 0.4 else "",
        })
    return t


# ============================================================================================
# dev/fr_clinique_admissions.csv
# ============================================================================================
def t_fr_clinic():
    seed, loc, ref = 303, "fr", dt.date(2024, 3, 31)
    rng = random.Random(seed)
    t = Table("dev/fr_clinique_admissions.csv", "dev", loc, seed, ref.isoformat(),
              "Admissions of a French private hospital (export of the patient administration system)",
              {"delimiter": ";", "decimal": ",", "date_format": "dd/mm/yyyy", "encoding": "utf-8", "bom": True,
               "line_terminator": "\r\n"})
    t.col("num_dossier", "identifier", "reference", pattern="IPP, 8 digits")
    t.col("num_secu", "identifier", "national_id", note="NIR with valid key")
    t.col("civilite", "protected", "salutation")
    t.col("nom", "identifier", "surname", note="UPPER CASE")
    t.col("prenom", "identifier", "given_name")
    t.col("nom_naissance", "identifier", "surname", note="birth name, UPPER CASE, often empty")
    t.col("date_naissance", "quasi_identifier", "birth_date", format="dd/mm/yyyy")
    t.col("âge", "protected", "age")
    t.col("sexe", "protected", "gender")
    t.col("situation_familiale", "protected", "marital_status")
    t.col("nationalité", "protected", "nationality")
    t.col("adresse", "identifier", "street_address")
    t.col("cp", "quasi_identifier", "postcode")
    t.col("ville", "quasi_identifier", "city")
    t.col("telephone", "identifier", "phone")
    t.col("medecin_traitant", "identifier", "full_name", note="general practitioner (staff)")
    t.col("date_entree", "quasi_identifier", "timestamp", format="dd/mm/yyyy HH:MM")
    t.col("date_sortie", "quasi_identifier", "event_date", format="dd/mm/yyyy")
    t.col("service", "feature", "department")
    t.col("diagnostic_principal", "feature", "diagnosis")
    t.col("code_cim10", "feature", "diagnosis_code")
    t.col("poids_kg", "feature", "body_weight")
    t.col("taille_cm", "feature", "height")
    t.col("mutuelle", "feature", "company")
    t.col("consentement_recherche", "consent", "consent")
    pg = L.PersonGen(loc, seed, rng)
    ag = L.AddressGen(loc, seed + 1, rng)
    gps = staff_pool(loc, seed + 5, 40)
    ipp = rng.sample(range(10000000, 24999999), 400)
    for i in range(400):
        pp = pg.make(ref, 18, 97)
        city = L.pick_city(loc, rng)
        nat_f, nat = nationality(loc, rng, pp["g"])
        diag, code = rng.choice(DIAG_FR)
        entree = L.business_time(rng, L.rand_date(rng, dt.date(2023, 4, 1), ref - dt.timedelta(days=1)))
        stay = max(0, int(rng.expovariate(1 / 5)))
        sortie = entree.date() + dt.timedelta(days=stay)
        h, w = body(rng, pp["g"], pp["age"])
        birth_name = ""
        if pp["g"] == "F" and pp["age"] > 25 and rng.random() < 0.45:
            birth_name = pg.surname().upper()
        gp = rng.choice(gps)
        t.add_row({
            "num_dossier": f"{ipp[i]:08d}", "num_secu": L.nir(rng, pp, FR_BIRTH_ABROAD.get(nat_f)),
            "civilite": "Mme" if pp["g"] == "F" else "M.", "nom": pp["last"].upper(), "prenom": pp["first"],
            "nom_naissance": birth_name, "date_naissance": L.fmt_date(pp["birth"], "dd/mm/yyyy"),
            "âge": str(pp["age"]), "sexe": pp["g"], "situation_familiale": marital(loc, rng, pp["g"], pp["age"]),
            "nationalité": nat, "adresse": ag.make()[2], "cp": city.postcode(rng), "ville": city.name,
            "telephone": L.phone(loc, rng, city),
            "medecin_traitant": f"Dr {gp['first']} {gp['last']}" if rng.random() < 0.7 else f"Dr {gp['last'].upper()}",
            "date_entree": L.fmt_date(entree, "dd/mm/yyyy HH:MM"),
            "date_sortie": L.fmt_date(sortie, "dd/mm/yyyy") if sortie <= ref else "",
            "service": SERVICE_FR[code[0]], "diagnostic_principal": diag, "code_cim10": code,
            "poids_kg": L.dec(w, ",", 1), "taille_cm": str(h),
            "mutuelle": L.weighted(rng, ["MGEN", "Harmonie Mutuelle", "AG2R La Mondiale", "Malakoff Humanis",
                                         "Groupama", "Aucune", "CSS"], [15, 20, 10, 10, 10, 8, 7]),
            "consentement_recherche": "oui" if rng.random() < 0.63 else "non",
        })
    return t


# ============================================================================================
# dev/es_rrhh_empleados.tsv
# ============================================================================================
PUESTOS = {
    "Administración": ["Administrativo/a", "Técnico/a de nóminas", "Contable", "Jefe/a de administración"],
    "Comercial": ["Comercial", "Key account manager", "Jefe/a de ventas", "Agente de televenta"],
    "Logística": ["Mozo/a de almacén", "Carretillero/a", "Jefe/a de almacén", "Planificador/a de rutas"],
    "Sistemas": ["Desarrollador/a", "Técnico/a de soporte", "Administrador/a de sistemas", "Analista de datos"],
    "Recursos Humanos": ["Técnico/a de selección", "Responsable de RRHH", "Técnico/a de formación"],
    "Producción": ["Operario/a de producción", "Jefe/a de turno", "Técnico/a de calidad", "Técnico/a de mantenimiento"],
}


def t_es_hr():
    seed, loc, ref = 404, "es", dt.date(2024, 1, 31)
    rng = random.Random(seed)
    t = Table("dev/es_rrhh_empleados.tsv", "dev", loc, seed, ref.isoformat(),
              "Spanish HR master data (employees of a logistics company), tab-separated export",
              {"delimiter": "\t", "decimal": ",", "date_format": "dd/mm/yyyy"})
    t.col("id_empleado", "identifier", "reference", pattern="EMP-ddddd")
    t.col("dni", "identifier", "national_id", note="DNI/NIE with valid letter")
    t.col("nombre", "identifier", "given_name", note="lower case")
    t.col("apellido1", "identifier", "surname", note="lower case")
    t.col("apellido2", "identifier", "surname", note="lower case")
    t.col("tratamiento", "protected", "salutation")
    t.col("sexo", "protected", "gender")
    t.col("fecha_nacimiento", "quasi_identifier", "birth_date", format="dd/mm/yyyy")
    t.col("edad", "protected", "age")
    t.col("estado_civil", "protected", "marital_status")
    t.col("nacionalidad", "protected", "nationality")
    t.col("email", "identifier", "email")
    t.col("telefono", "identifier", "phone")
    t.col("direccion", "identifier", "street_address")
    t.col("cp", "quasi_identifier", "postcode")
    t.col("ciudad", "quasi_identifier", "city")
    t.col("departamento", "feature", "department")
    t.col("puesto", "quasi_identifier", "job_title")
    t.col("fecha_alta", "quasi_identifier", "event_date", format="dd/mm/yyyy")
    t.col("tipo_contrato", "feature", "category")
    t.col("jornada_pct", "feature", "quantity")
    t.col("salario_bruto_anual", "feature", "amount")
    t.col("iban", "identifier", "iban")
    pg = L.PersonGen(loc, seed, rng)
    ag = L.AddressGen(loc, seed + 1, rng)
    ids = rng.sample(range(100, 9999), 350)
    taken = set()
    base = {"Administración": 24000, "Comercial": 27000, "Logística": 21000, "Sistemas": 34000,
            "Recursos Humanos": 28000, "Producción": 22000}
    for i in range(350):
        pp = pg.make(ref, 19, 66)
        city = L.pick_city(loc, rng)
        nat_f, nat = nationality(loc, rng, pp["g"])
        dept = L.weighted(rng, list(PUESTOS), [10, 15, 30, 10, 5, 30])
        puesto = rng.choice(PUESTOS[dept])
        if "/a" in puesto:
            puesto = puesto.replace("/a", "a" if pp["g"] == "F" else "")
            puesto = re.sub(r"(\w)[oe]a\b", r"\1a", puesto)
        start = L.rand_date(rng, max(L.add_years(pp["birth"], 18), dt.date(1995, 1, 1)), ref)
        senior = "Jefe" in puesto or "Responsable" in puesto
        sal = base[dept] * (1.6 if senior else 1) * (1 + min(20, (ref - start).days / 365) * 0.012) * rng.uniform(0.9, 1.12)
        jornada = L.weighted(rng, [100, 75, 50], [82, 10, 8])
        nom = pp["first"].lower()
        t.add_row({
            "id_empleado": f"EMP-{ids[i]:05d}", "dni": L.dni(rng, foreign=not nat_f.startswith("español")),
            "nombre": nom, "apellido1": pp["last"].lower(), "apellido2": pp["last2"].lower(),
            "tratamiento": "Sra." if pp["g"] == "F" else "Sr.", "sexo": "M" if pp["g"] == "F" else "H",
            "fecha_nacimiento": L.fmt_date(pp["birth"], "dd/mm/yyyy"), "edad": str(pp["age"]),
            "estado_civil": marital(loc, rng, pp["g"], pp["age"]), "nacionalidad": nat,
            "email": L.work_email(pp, "transportes-iberica.example", taken),
            "telefono": L.phone(loc, rng, city, mobile=rng.random() < 0.85), "direccion": ag.make()[2],
            "cp": city.postcode(rng), "ciudad": city.name, "departamento": dept, "puesto": puesto,
            "fecha_alta": L.fmt_date(start, "dd/mm/yyyy"),
            "tipo_contrato": L.weighted(rng, ["indefinido", "temporal", "fijo discontinuo", "prácticas"], [70, 18, 8, 4]),
            "jornada_pct": str(jornada), "salario_bruto_anual": L.dec(round(sal * jornada / 100, -1)),
            "iban": L.iban(loc, rng, grouped=False),
        })
    return t


# ============================================================================================
# dev/it_tribunale_procedimenti.csv (pipe-separated)
# ============================================================================================
def t_it_court():
    seed, loc, ref = 505, "it", dt.date(2023, 12, 31)
    rng = random.Random(seed)
    t = Table("dev/it_tribunale_procedimenti.csv", "dev", loc, seed, ref.isoformat(),
              "Italian criminal court register extract (hearings of a first-instance court), pipe-separated",
              {"delimiter": "|", "decimal": ",", "date_format": "dd/mm/yyyy"})
    t.col("numero_rg", "identifier", "reference", pattern="RG nnnn/yyyy")
    t.col("cognome", "identifier", "surname", note="lower case")
    t.col("nome", "identifier", "given_name", note="lower case")
    t.col("data_nascita", "quasi_identifier", "birth_date", format="dd/mm/yyyy")
    t.col("luogo_nascita", "quasi_identifier", "city", note="place of birth")
    t.col("sesso", "protected", "gender")
    t.col("età", "protected", "age")
    t.col("nazionalità", "protected", "nationality")
    t.col("codice_fiscale", "identifier", "national_id", note="valid check character")
    t.col("residenza", "identifier", "street_address", note="full address with CAP and comune")
    t.col("imputazione", "feature", "charge")
    t.col("articolo", "feature", "charge_code")
    t.col("data_fatto", "quasi_identifier", "event_date", format="dd/mm/yyyy")
    t.col("data_udienza", "quasi_identifier", "timestamp", format="dd/mm/yyyy HH:MM")
    t.col("aula", "feature", "category")
    t.col("giudice", "identifier", "full_name", note="judge (staff)")
    t.col("difensore", "identifier", "full_name", note="defence lawyer")
    t.col("esito", "feature", "category")
    t.col("pena_mesi", "feature", "quantity")
    t.col("ammenda_eur", "feature", "amount")
    t.col("note", "free_text", "notes")
    pg = L.PersonGen(loc, seed, rng)
    ag = L.AddressGen(loc, seed + 1, rng)
    judges = [(p, "dott.ssa" if p["g"] == "F" else "dott.") for p in staff_pool(loc, seed + 5, 9)]
    lawyers = staff_pool(loc, seed + 6, 60)
    rgs = rng.sample(range(100, 9999), 420)
    for i in range(420):
        pp = pg.make(ref, 18, 75)
        pp["g"] = "M" if rng.random() < 0.82 else "F"  # defendants are mostly men
        pp["first"] = pg.given(pp["g"])
        home = L.pick_city(loc, rng)
        nat_f, nat = nationality(loc, rng, pp["g"])
        birth_city = home if rng.random() < 0.55 else L.pick_city(loc, rng)
        if nat_f != "italiana":
            birth_city_name = {"rumena": "Bucarest (Romania)", "albanese": "Tirana (Albania)",
                               "marocchina": "Casablanca (Marocco)", "cinese": "Wenzhou (Cina)",
                               "ucraina": "Leopoli (Ucraina)", "filippina": "Manila (Filippine)",
                               "indiana": "Amritsar (India)", "egiziana": "Il Cairo (Egitto)"}[nat_f]
            cf_city = L.City("it", ("", "", [0], "", 1, "Z" + str(rng.randint(100, 360))))
        else:
            birth_city_name, cf_city = birth_city.name, birth_city
        charge, art = rng.choice(CHARGES_IT)
        fatto = L.rand_date(rng, dt.date(2017, 1, 1), ref - dt.timedelta(days=200))
        udienza_d = L.rand_date(rng, max(fatto + dt.timedelta(days=120), dt.date(2023, 1, 9)), ref)
        while udienza_d.weekday() >= 5:
            udienza_d -= dt.timedelta(days=1)
        udienza = dt.datetime(udienza_d.year, udienza_d.month, udienza_d.day, rng.choice([9, 9, 10, 11, 12]),
                              rng.choice([0, 0, 15, 30, 45]))
        esito = L.weighted(rng, ["rinvio", "condanna", "assoluzione", "patteggiamento", "non doversi procedere",
                                 "messa alla prova"], [40, 20, 12, 15, 8, 5])
        pena = str(rng.choice([2, 3, 4, 6, 8, 10, 12, 18, 24, 36])) if esito in ("condanna", "patteggiamento") else ""
        ammenda = L.dec(rng.choice([150, 300, 500, 800, 1000, 1500, 2500, 5000])) if pena and rng.random() < 0.5 else ""
        j, jt = rng.choice(judges)
        law = rng.choice(lawyers)
        cap = home.postcode(rng)
        first = pp["first"]
        t.add_row({
            "numero_rg": f"RG {rgs[i]}/{rng.choice([2019, 2020, 2021, 2022, 2023])}",
            "cognome": pp["last"].lower(), "nome": first.lower(),
            "data_nascita": L.fmt_date(pp["birth"], "dd/mm/yyyy"), "luogo_nascita": birth_city_name,
            "sesso": pp["g"], "età": str(pp["age"]), "nazionalità": nat,
            "codice_fiscale": L.codice_fiscale(pp, cf_city),
            "residenza": f"{ag.make()[2]}, {cap} {home.name} ({home.region})",
            "imputazione": charge, "articolo": art, "data_fatto": L.fmt_date(fatto, "dd/mm/yyyy"),
            "data_udienza": L.fmt_date(udienza, "dd/mm/yyyy HH:MM"), "aula": f"Aula {rng.choice('ABCDEF')}",
            "giudice": f"{jt} {j['first']} {j['last']}", "difensore": f"avv. {law['first']} {law['last']}",
            "esito": esito, "pena_mesi": pena, "ammenda_eur": ammenda,
            "note": rng.choice(CLEAN["it_court_note"]) if rng.random() < 0.6 else "",
        })
    return t


# ============================================================================================
# dev/nl_webshop_bestellingen.csv.gz
# ============================================================================================
def t_nl_webshop():
    seed, loc, ref = 606, "nl", dt.date(2024, 4, 30)
    rng = random.Random(seed)
    t = Table("dev/nl_webshop_bestellingen.csv.gz", "dev", loc, seed, ref.isoformat(),
              "Order export of a Dutch web shop, gzip-compressed",
              {"delimiter": ";", "decimal": ",", "date_format": "dd-mm-yyyy", "compression": "gzip"})
    t.col("ordernummer", "identifier", "reference", pattern="6 digits")
    t.col("klantnummer", "identifier", "reference", pattern="K + 6 digits")
    t.col("aanhef", "protected", "salutation")
    t.col("voornaam", "identifier", "given_name")
    t.col("tussenvoegsel", "identifier", "name_particle")
    t.col("achternaam", "identifier", "surname")
    t.col("straat", "identifier", "street")
    t.col("huisnummer", "identifier", "house_number", note="with postcode it pins the address")
    t.col("postcode", "quasi_identifier", "postcode")
    t.col("woonplaats", "quasi_identifier", "city")
    t.col("land", "quasi_identifier", "country")
    t.col("telefoon", "identifier", "phone")
    t.col("email", "identifier", "email")
    t.col("besteld_op", "quasi_identifier", "timestamp", format="dd-mm-yyyy HH:MM:SS")
    t.col("leverdatum", "quasi_identifier", "event_date", format="dd-mm-yyyy")
    t.col("artikel", "feature", "product")
    t.col("categorie", "feature", "category")
    t.col("aantal", "feature", "quantity")
    t.col("stukprijs", "feature", "amount")
    t.col("totaal", "feature", "amount")
    t.col("betaalmethode", "feature", "category")
    t.col("iban", "identifier", "iban")
    t.col("ip_adres", "identifier", "ip_address")
    t.col("opmerking_klantenservice", "free_text_identifiers", "notes")
    pg = L.PersonGen(loc, seed, rng)
    ag = L.AddressGen(loc, seed + 1, rng)
    agents = [L.PersonGen(loc, seed + 3, random.Random(seed + 3)).given(g) for g in "FMFMF"]
    prices = {p: round(rng.uniform(9, 250), 2) - 0.01 for p in PRODUCTS[loc]}
    cat_of = dict(zip(PRODUCTS[loc], [
        "Fiets", "Keuken", "Huishouden", "Kleding", "Wonen", "Verzorging", "Keuken", "Elektronica", "Gereedschap",
        "Fiets", "Keuken", "Keuken", "Speelgoed", "Wonen", "Tuin", "Elektronica", "Kleding", "Sport", "Sport",
        "Wonen"]))
    orders = rng.sample(range(200000, 299999), 500)
    custs = rng.sample(range(100000, 999999), 500)
    for i in range(500):
        pp = pg.make(ref, 18, 82, diverse=0.01)
        city = L.pick_city(loc, rng)
        street, no, line = ag.make()
        when = L.business_time(rng, L.rand_date(rng, dt.date(2023, 10, 1), ref))
        lever = when.date() + dt.timedelta(days=rng.choice([1, 1, 1, 2, 2, 3, 5]))
        art = rng.choice(PRODUCTS[loc])
        n = L.weighted(rng, [1, 2, 3, 4], [75, 15, 7, 3])
        pay = L.weighted(rng, ["iDEAL", "creditcard", "achteraf betalen", "PayPal", "Bancontact"], [60, 10, 15, 12, 3])
        email = L.email_for(loc, pp, rng)
        tel = L.phone(loc, rng, city)
        sal = {"F": "Mevr.", "M": "Dhr.", "X": ""}[pp["g"]]
        op = other_person(pg, ref)
        pc = city.postcode(rng)
        ib = L.iban(loc, rng) if pay in ("iDEAL", "achteraf betalen") or rng.random() < 0.2 else ""
        values = {
            "_g": pp["g"], "_og": op["g"], "other_email": L.email_for(loc, op, rng),
            "sal": {"F": rng.choice(["mevrouw", "mevr.", "mw."]), "M": rng.choice(["meneer", "dhr."]),
                    "X": pp["first"]}[pp["g"]],
            "last": L.nl_sort_surname(pp), "first": pp["first"], "full": L.full_name(loc, pp),
            "phone": tel, "newphone": L.phone(loc, rng, city), "email": email,
            "newemail": L.email_for(loc, pp, rng), "ref": str(orders[i]), "cust": f"K{custs[i]}",
            "oldcust": f"K{rng.randint(100000, 999999)}", "iban": ib or L.iban(loc, rng),
            "addr": f"{L.AddressGen.make(ag)[2]}, {city.postcode(rng)} {city.name}",
            "dob": L.fmt_date(pp["birth"], "dd-mm-yyyy"), "other": L.full_name(loc, op),
            "other_last": L.nl_sort_surname(op), "agent": rng.choice(agents), "ip": L.ipv4(rng),
            "product": art, "amount": L.dec(prices[art] * n), "day": rng.choice(WEEKDAYS[loc]),
        }
        text, found = note(rng, "nl_webshop", values, 0.35, 0.2)
        t.embed("opmerking_klantenservice", i, found)
        t.add_row({
            "ordernummer": str(orders[i]), "klantnummer": f"K{custs[i]}", "aanhef": sal,
            "voornaam": pp["first"], "tussenvoegsel": pp["particle"], "achternaam": pp["last"],
            "straat": street, "huisnummer": no, "postcode": pc, "woonplaats": city.name,
            "land": "Nederland" if rng.random() < 0.97 else "NL", "telefoon": tel, "email": email,
            "besteld_op": L.fmt_date(when, "dd-mm-yyyy HH:MM:SS"),
            "leverdatum": L.fmt_date(lever, "dd-mm-yyyy") if lever <= ref else "",
            "artikel": art, "categorie": cat_of[art], "aantal": str(n), "stukprijs": L.dec(prices[art]),
            "totaal": L.dec(prices[art] * n + (0 if prices[art] * n >= 20 else 3.95)), "betaalmethode": pay,
            "iban": ib, "ip_adres": L.ipv4(rng), "opmerking_klantenservice": text,
        })
    return t


# ============================================================================================
# dev/en_clinic_visits.xlsx
# ============================================================================================
def t_en_clinic():
    seed, loc, ref = 707, "en", dt.date(2024, 2, 29)
    rng = random.Random(seed)
    t = Table("dev/en_clinic_visits.xlsx", "dev", loc, seed, ref.isoformat(),
              "Outpatient visit list of a US clinic group, Excel workbook (real date cells, numbers as numbers)",
              {"format": "xlsx", "sheet": "Visits", "date_format": "excel (mm/dd/yyyy display)",
               "encoding": None, "line_terminator": None})
    t.col("MRN", "identifier", "reference", pattern="MRN-ddddddd")
    t.col("PATIENT NAME", "identifier", "full_name", note="UPPER CASE, 'LAST, FIRST M'")
    t.col("DOB", "quasi_identifier", "birth_date", format="excel date")
    t.col("AGE", "protected", "age")
    t.col("SEX", "protected", "gender")
    t.col("RACE", "protected", "race")
    t.col("ETHNICITY", "protected", "ethnicity")
    t.col("MARITAL STATUS", "protected", "marital_status")
    t.col("RELIGION", "protected", "religion")
    t.col("ADDRESS", "identifier", "street_address")
    t.col("CITY", "quasi_identifier", "city")
    t.col("STATE", "quasi_identifier", "region")
    t.col("ZIP", "quasi_identifier", "postcode", note="text cells, leading zeros kept")
    t.col("PHONE", "identifier", "phone")
    t.col("EMAIL", "identifier", "email")
    t.col("MEMBER ID", "identifier", "reference", note="insurance member id")
    t.col("VISIT DATE", "quasi_identifier", "timestamp", format="excel datetime")
    t.col("DEPARTMENT", "feature", "department")
    t.col("ATTENDING", "identifier", "full_name", note="physician (staff)")
    t.col("DIAGNOSIS", "feature", "diagnosis")
    t.col("ICD10", "feature", "diagnosis_code")
    t.col("weight", "feature", "body_weight", note="kg, not a sampling weight")
    t.col("height", "feature", "height", note="cm")
    t.col("BMI", "feature", "measurement")
    t.col("COPAY", "feature", "amount")
    t.col("CONSENT", "consent", "consent")
    pg = L.PersonGen(loc, seed, rng)
    ag = L.AddressGen(loc, seed + 1, rng)
    docs = staff_pool(loc, seed + 5, 25)
    mrns = rng.sample(range(1000000, 9999999), 380)
    for i in range(380):
        pp = pg.make(ref, 18, 94)
        city = L.pick_city(loc, rng)
        mid = rng.choice("ABCDEFGHJKLMNPRSTW") if rng.random() < 0.5 else ""
        diag, code = rng.choice(DIAG_EN)
        visit = L.business_time(rng, L.rand_date(rng, dt.date(2023, 3, 1), ref), weekend_ok=False)
        visit = visit.replace(second=0, minute=rng.choice([0, 15, 30, 45]))
        h, w = body(rng, pp["g"], pp["age"])
        doc = rng.choice(docs)
        r = L.weighted(rng, ["White", "Black or African American", "Asian", "American Indian or Alaska Native",
                             "Native Hawaiian or Other Pacific Islander", "Two or More Races", "Declined"],
                       [58, 14, 7, 1, 0.5, 4, 5])
        t.add_row({
            "MRN": f"MRN-{mrns[i]}", "PATIENT NAME": f"{pp['last'].upper()}, {pp['first'].upper()}{' ' + mid if mid else ''}",
            "DOB": pp["birth"], "AGE": pp["age"], "SEX": "F" if pp["g"] == "F" else "M", "RACE": r,
            "ETHNICITY": L.weighted(rng, ["Not Hispanic or Latino", "Hispanic or Latino", "Unknown"], [78, 18, 4]),
            "MARITAL STATUS": marital(loc, rng, pp["g"], pp["age"]),
            "RELIGION": L.weighted(rng, ["Catholic", "Protestant", "None", "Jewish", "Muslim", "Hindu", "Buddhist",
                                         "Other", "Unknown"], [20, 30, 22, 3, 2, 1, 1, 6, 15]),
            "ADDRESS": ag.make()[2], "CITY": city.name, "STATE": city.region, "ZIP": city.postcode(rng),
            "PHONE": L.phone(loc, rng, city), "EMAIL": L.email_for(loc, pp, rng) if rng.random() < 0.8 else None,
            "MEMBER ID": f"{''.join(rng.choice('ABCDEFGHJKLMNPQRSTUVWXYZ') for _ in range(3))}{rng.randint(100000000, 999999999)}",
            "VISIT DATE": visit, "DEPARTMENT": DEPT_EN[code[0]],
            "ATTENDING": f"{doc['first']} {doc['last']}, {rng.choice(['MD', 'MD', 'DO', 'NP', 'PA-C'])}",
            "DIAGNOSIS": diag, "ICD10": code, "weight": w, "height": h, "BMI": round(w / (h / 100) ** 2, 1),
            "COPAY": rng.choice([0, 10, 20, 25, 30, 40, 50, 75]), "CONSENT": "Y" if rng.random() < 0.8 else "N",
        })
    return t


# ============================================================================================
# dev/it_catalogo_prodotti.csv (no identifiers)
# ============================================================================================
def t_it_catalogue():
    seed, loc, ref = 808, "it", dt.date(2024, 2, 1)
    rng = random.Random(seed)
    t = Table("dev/it_catalogo_prodotti.csv", "dev", loc, seed, ref.isoformat(),
              "Product catalogue of an Italian hardware/household wholesaler. NO personal data: nothing may be removed",
              {"delimiter": ";", "decimal": ",", "date_format": "dd/mm/yyyy"})
    t.col("codice_articolo", "feature", "product_code", note="looks like a reference code but identifies a product")
    t.col("ean", "feature", "product_code", note="EAN-13 with valid check digit")
    t.col("descrizione", "feature", "product")
    t.col("categoria", "feature", "category")
    t.col("marca", "feature", "company")
    t.col("fornitore", "feature", "company")
    t.col("prezzo_listino", "feature", "amount")
    t.col("iva_pct", "feature", "quantity")
    t.col("giacenza", "feature", "quantity")
    t.col("peso_kg", "feature", "product_weight", note="shipping weight of the product, not a body weight")
    t.col("data_inserimento", "feature", "date", format="dd/mm/yyyy", note="catalogue date, not about a person")
    t.col("attivo", "feature", "flag")
    kinds = {
        "Utensili": ["Trapano avvitatore", "Smerigliatrice angolare", "Set cacciaviti", "Martello da carpentiere",
                     "Livella laser", "Seghetto alternativo", "Chiave dinamometrica"],
        "Casa": ["Pentola a pressione", "Set coltelli", "Padella antiaderente", "Caffettiera moka", "Stendibiancheria",
                 "Scopa elettrica", "Ferro da stiro"],
        "Giardino": ["Tagliaerba elettrico", "Tubo da giardino", "Forbici da potatura", "Irrigatore oscillante",
                     "Soffiatore foglie", "Vaso in terracotta"],
        "Illuminazione": ["Lampadina LED E27", "Plafoniera", "Faretto da incasso", "Lampada da tavolo", "Striscia LED"],
        "Elettrico": ["Prolunga", "Multipresa", "Interruttore", "Termostato", "Citofono"],
    }
    variants = ["", " 500 W", " 18 V", " 3 m", " 10 m", " 24 cm", " 28 cm", " 6 pezzi", " inox", " nero",
                " bianco", " 9 W", " 12 pezzi", " 2 posti", " XL"]
    brands = ["Alpina", "Ferrotec", "Domus", "Verdeluce", "Brilla", "Casaforte", "Utensilia", "Lumina",
              "Giardinetto", "Elettra", "Tecnoferro", "Cucinotta", "Vesuvio", "Dolomia", "Brixen Tools"]
    suppliers = ["Ferramenta Lombarda S.r.l.", "Distribuzioni Adriatiche S.p.A.", "Emiliana Forniture S.r.l.",
                 "Casalinghi del Sud S.n.c.", "Tirrenica Import S.r.l.", "Nord-Est Utensili S.p.A.",
                 "Centro Luce Italia S.r.l.", "Verde Ingrosso S.r.l."]
    seen = set()
    codes = rng.sample(range(1000, 99999), 360)
    rows = 0
    while rows < 360:
        cat = rng.choice(list(kinds))
        brand = rng.choice(brands)
        desc = f"{rng.choice(kinds[cat])}{rng.choice(variants)} {brand}"
        if desc in seen:
            continue
        seen.add(desc)
        price = round(rng.lognormvariate(3.2, 0.8), 2)
        t.add_row({
            "codice_articolo": f"ART-{codes[rows]:06d}", "ean": L.ean13(rng), "descrizione": desc, "categoria": cat,
            "marca": brand, "fornitore": rng.choice(suppliers), "prezzo_listino": L.dec(price),
            "iva_pct": "22" if rng.random() < 0.95 else "10", "giacenza": str(int(rng.expovariate(1 / 60))),
            "peso_kg": L.dec(rng.uniform(0.1, 15), ",", 2),
            "data_inserimento": L.fmt_date(L.rand_date(rng, dt.date(2015, 1, 1), ref), "dd/mm/yyyy"),
            "attivo": "sì" if rng.random() < 0.88 else "no",
        })
        rows += 1
    return t


# ============================================================================================
# dev/de_umsatz_nach_stadt.csv (no identifiers)
# ============================================================================================
def t_de_sales():
    seed, loc, ref = 909, "de", dt.date(2023, 12, 31)
    rng = random.Random(seed)
    t = Table("dev/de_umsatz_nach_stadt.csv", "dev", loc, seed, ref.isoformat(),
              "Monthly sales by city and product group of a German retail chain. NO personal data: nothing may be removed",
              {"delimiter": ";", "decimal": ",", "thousands": ".", "date_format": "dd.mm.yyyy"})
    t.col("Stichtag", "feature", "date", format="dd.mm.yyyy", note="month end, not about a person")
    t.col("Stadt", "feature", "city", note="aggregate by city, no person")
    t.col("Bundesland", "feature", "region")
    t.col("Filiale", "feature", "store_name")
    t.col("Warengruppe", "feature", "category")
    t.col("Umsatz_EUR", "feature", "amount", note="thousands separator '.'")
    t.col("Anzahl_Bons", "feature", "quantity")
    t.col("Durchschnittsbon_EUR", "feature", "amount")
    t.col("Retourenquote_Prozent", "feature", "quantity")
    cities = [L.City(loc, r) for r in L.CITIES[loc]][:15]
    groups = ["Haushalt", "Elektro"]
    size = {c.name: rng.uniform(0.5, 2.0) * c.weight ** 0.5 for c in cities}
    suffix = {c.name: rng.choice(["Zentrum", "Hauptbahnhof", "Nord", "Süd", "Altstadt", "Einkaufspark"]) for c in cities}
    for m in range(1, 13):
        end = (dt.date(2023, m % 12 + 1, 1) if m < 12 else dt.date(2024, 1, 1)) - dt.timedelta(days=1)
        season = 1.35 if m in (11, 12) else 0.85 if m in (1, 2) else 1.0
        for c in cities:
            for g in groups:
                bons = int(size[c.name] * rng.uniform(1800, 2600) * season * (0.6 if g == "Elektro" else 1))
                avg = rng.uniform(18, 32) if g == "Haushalt" else rng.uniform(55, 140)
                t.add_row({
                    "Stichtag": L.fmt_date(end, "dd.mm.yyyy"), "Stadt": c.name, "Bundesland": c.region,
                    "Filiale": f"{c.name}-{suffix[c.name]}", "Warengruppe": g,
                    "Umsatz_EUR": L.dec(bons * avg, ",", 2, thousands="."), "Anzahl_Bons": str(bons),
                    "Durchschnittsbon_EUR": L.dec(avg), "Retourenquote_Prozent": L.dec(rng.uniform(1, 9), ",", 1),
                })
    return t


# ============================================================================================
# dev/fr_sav_reclamations.csv
# ============================================================================================
def t_fr_sav():
    seed, loc, ref = 1010, "fr", dt.date(2024, 5, 31)
    rng = random.Random(seed)
    t = Table("dev/fr_sav_reclamations.csv", "dev", loc, seed, ref.isoformat(),
              "After-sales complaints of a French appliance retailer, exported from a SaaS help desk",
              {"delimiter": ",", "decimal": ".", "date_format": "dd/mm/yyyy"})
    t.col("ticket", "identifier", "reference", pattern="SAV-yyyy-nnnnn")
    t.col("client_id", "identifier", "reference", pattern="numeric")
    t.col("civilite", "protected", "salutation")
    t.col("nom_complet", "identifier", "full_name", note="'Prénom Nom' or 'NOM Prénom'")
    t.col("email", "identifier", "email")
    t.col("telephone", "identifier", "phone")
    t.col("adresse_livraison", "identifier", "street_address", note="street, postcode and city in one field")
    t.col("date_commande", "quasi_identifier", "event_date", format="dd/mm/yyyy")
    t.col("ouvert_le", "quasi_identifier", "timestamp", format="dd/mm/yyyy HH:MM")
    t.col("produit", "feature", "product")
    t.col("motif", "feature", "category")
    t.col("montant_ttc", "feature", "amount")
    t.col("canal", "feature", "category")
    t.col("statut", "feature", "category")
    t.col("iban_remboursement", "identifier", "iban")
    t.col("commentaire_agent", "free_text_identifiers", "notes")
    pg = L.PersonGen(loc, seed, rng)
    ag = L.AddressGen(loc, seed + 1, rng)
    agents = [L.PersonGen(loc, seed + 3, random.Random(seed + 3)).given(g) for g in "FMFMFM"]
    prices = {p: round(rng.uniform(25, 900), 2) for p in PRODUCTS[loc]}
    tickets = rng.sample(range(1, 99999), 420)
    clients = rng.sample(range(300000, 899999), 420)
    for i in range(420):
        pp = pg.make(ref, 18, 85)
        city = L.pick_city(loc, rng)
        prod = rng.choice(PRODUCTS[loc])
        cmd = L.rand_date(rng, dt.date(2023, 9, 1), ref - dt.timedelta(days=3))
        opened = L.business_time(rng, L.rand_date(rng, cmd + dt.timedelta(days=2), ref))
        motif = L.weighted(rng, ["Produit défectueux", "Colis non reçu", "Colis endommagé", "Erreur de produit",
                                 "Retard de livraison", "Remboursement", "Facturation"], [30, 15, 15, 8, 15, 10, 7])
        refund = motif in ("Remboursement", "Colis non reçu", "Produit défectueux") and rng.random() < 0.4
        name = (f"{pp['first']} {pp['last']}" if rng.random() < 0.6 else f"{pp['last'].upper()} {pp['first']}")
        email = L.email_for(loc, pp, rng)
        tel = L.phone(loc, rng, city)
        op = other_person(pg, ref)
        addr = f"{ag.make()[2]}, {city.postcode(rng)} {city.name}"
        ib = L.iban(loc, rng) if refund else ""
        values = {
            "_g": pp["g"], "_og": op["g"], "other_email": L.email_for(loc, op, rng),
            "sal": "Mme" if pp["g"] == "F" else "M.", "last": pp["last"], "first": pp["first"],
            "full": f"{pp['first']} {pp['last']}", "phone": tel, "newphone": L.phone(loc, rng, city),
            "email": email, "newemail": L.email_for(loc, pp, rng), "ref": f"CMD{rng.randint(1000000, 9999999)}",
            "cust": str(clients[i]), "oldcust": str(rng.randint(300000, 899999)), "iban": ib or L.iban(loc, rng),
            "addr": f"{ag.make()[2]}, {city.postcode(rng)} {city.name}", "dob": L.fmt_date(pp["birth"], "dd/mm/yyyy"),
            "other": L.full_name(loc, op), "other_last": op["last"], "agent": rng.choice(agents),
            "product": prod, "amount": L.dec(rng.uniform(10, 150), ","), "day": rng.choice(WEEKDAYS[loc]),
        }
        text, found = note(rng, "fr_sav", values, 0.55, 0.3)
        t.embed("commentaire_agent", i, found)
        t.add_row({
            "ticket": f"SAV-{opened.year}-{tickets[i]:05d}", "client_id": str(clients[i]),
            "civilite": "Mme" if pp["g"] == "F" else "M.", "nom_complet": name, "email": email, "telephone": tel,
            "adresse_livraison": addr, "date_commande": L.fmt_date(cmd, "dd/mm/yyyy"),
            "ouvert_le": L.fmt_date(opened, "dd/mm/yyyy HH:MM"), "produit": prod, "motif": motif,
            "montant_ttc": f"{prices[prod]:.2f}",
            "canal": L.weighted(rng, ["e-mail", "téléphone", "chat", "formulaire"], [35, 30, 20, 15]),
            "statut": L.weighted(rng, ["résolu", "en cours", "en attente client", "clos"], [45, 20, 10, 25]),
            "iban_remboursement": ib, "commentaire_agent": text,
        })
    return t


# ============================================================================================
# holdout/de_personalstamm.xlsx
# ============================================================================================
STELLEN = {
    "Buchhaltung": ["Buchhalter", "Bilanzbuchhalterin", "Sachbearbeiter Kreditoren", "Leiterin Rechnungswesen"],
    "Vertrieb": ["Vertriebsmitarbeiter Innendienst", "Key Account Managerin", "Außendienstmitarbeiter", "Vertriebsleiter"],
    "Lager": ["Lagerist", "Fachkraft für Lagerlogistik", "Staplerfahrer", "Teamleiter Lager"],
    "IT": ["Systemadministrator", "Softwareentwicklerin", "IT-Supporter", "Datenbankadministrator"],
    "Personal": ["Personalreferentin", "Lohnbuchhalter", "Ausbildungsleiterin"],
    "Produktion": ["Maschinenführer", "Industriemechaniker", "Schichtleiter", "Qualitätsprüferin", "Elektroniker"],
    "Geschäftsführung": ["Assistenz der Geschäftsführung", "Geschäftsführer"],
}


def t_de_hr():
    seed, loc, ref = 1111, "de", dt.date(2024, 6, 30)
    rng = random.Random(seed)
    t = Table("holdout/de_personalstamm.xlsx", "holdout", loc, seed, ref.isoformat(),
              "Personnel master data of a German manufacturer, Excel workbook written by the HR system",
              {"format": "xlsx", "sheet": "Personal", "date_format": "excel (dd.mm.yyyy display)",
               "encoding": None, "line_terminator": None})
    t.col("Personalnummer", "identifier", "reference", note="numeric cells")
    t.col("Nachname", "identifier", "surname")
    t.col("Vorname", "identifier", "given_name")
    t.col("Geburtsdatum", "quasi_identifier", "birth_date", format="excel date")
    t.col("Alter", "protected", "age")
    t.col("Geschlecht", "protected", "gender")
    t.col("Familienstand", "protected", "marital_status")
    t.col("Staatsangehörigkeit", "protected", "nationality")
    t.col("Konfession", "protected", "religion", note="church-tax code: ev, rk, ak, --")
    t.col("Steuer-ID", "identifier", "national_id", note="11 digits, valid check digit")
    t.col("SV-Nummer", "identifier", "national_id", note="Rentenversicherungsnummer, consistent with birth date, sex, name")
    t.col("Straße und Hausnummer", "identifier", "street_address")
    t.col("PLZ", "quasi_identifier", "postcode", note="text cells, leading zeros kept")
    t.col("Wohnort", "quasi_identifier", "city")
    t.col("Telefon privat", "identifier", "phone")
    t.col("E-Mail dienstlich", "identifier", "email")
    t.col("Abteilung", "feature", "department")
    t.col("Stellenbezeichnung", "quasi_identifier", "job_title")
    t.col("Eintrittsdatum", "quasi_identifier", "event_date", format="excel date")
    t.col("Wochenstunden", "feature", "quantity")
    t.col("Bruttomonatsgehalt", "feature", "amount")
    t.col("IBAN", "identifier", "iban")
    t.col("Schwerbehinderung", "protected", "disability")
    t.col("Einwilligung Foto Intranet", "consent", "consent")
    pg = L.PersonGen(loc, seed, rng)
    ag = L.AddressGen(loc, seed + 1, rng)
    pnr = rng.sample(range(10000, 99999), 380)
    taken = set()
    base = {"Buchhaltung": 3900, "Vertrieb": 4100, "Lager": 2900, "IT": 4900, "Personal": 3800, "Produktion": 3300,
            "Geschäftsführung": 6500}
    cities_near = [c for c in (L.City(loc, r) for r in L.CITIES[loc]) if c.name in ("Leipzig", "Halle (Saale)", "Dresden", "Chemnitz", "Erfurt")]
    for i in range(380):
        pp = pg.make(ref, 17, 66, diverse=0.005)
        city = L.weighted(rng, cities_near, [50, 20, 10, 10, 10])
        dept = L.weighted(rng, list(STELLEN), [8, 14, 22, 8, 4, 42, 2])
        stelle = rng.choice(STELLEN[dept])
        if pp["age"] < 21:
            stelle = rng.choice(["Auszubildender Industriemechaniker", "Auszubildende Industriekauffrau",
                                 "Auszubildender Fachkraft für Lagerlogistik"])
        start = L.rand_date(rng, max(L.add_years(pp["birth"], 16), dt.date(1998, 1, 1)), ref)
        nat_f, nat = nationality(loc, rng, pp["g"])
        hours = L.weighted(rng, [40.0, 38.5, 30.0, 20.0, 25.5], [50, 25, 12, 8, 5])
        senior = "leiter" in stelle.lower() or "Geschäftsführer" == stelle
        gehalt = base[dept] * (1.45 if senior else 1) * (1 + (ref - start).days / 365 * 0.01) * rng.uniform(0.9, 1.1)
        if stelle.startswith("Auszubildende"):
            gehalt = rng.choice([1050, 1120, 1190, 1260])
        gehalt = round(gehalt * hours / 40, 2)
        email_pp = dict(pp)
        t.add_row({
            "Personalnummer": pnr[i], "Nachname": pp["last"], "Vorname": pp["first"], "Geburtsdatum": pp["birth"],
            "Alter": pp["age"], "Geschlecht": {"F": "weiblich", "M": "männlich", "X": "divers"}[pp["g"]],
            "Familienstand": marital(loc, rng, pp["g"], pp["age"]), "Staatsangehörigkeit": nat,
            "Konfession": L.weighted(rng, ["ev", "rk", "--", "ak"], [14, 5, 80, 1]),
            "Steuer-ID": L.steuer_id(rng), "SV-Nummer": L.sv_nummer(rng, pp),
            "Straße und Hausnummer": ag.make()[2], "PLZ": city.postcode(rng), "Wohnort": city.name,
            "Telefon privat": L.phone(loc, rng, city) if rng.random() < 0.9 else None,
            "E-Mail dienstlich": L.work_email(email_pp, "mitteldeutsche-armaturen.example", taken),
            "Abteilung": dept, "Stellenbezeichnung": stelle, "Eintrittsdatum": start, "Wochenstunden": hours,
            "Bruttomonatsgehalt": gehalt, "IBAN": L.iban(loc, rng),
            "Schwerbehinderung": "ja" if rng.random() < 0.06 else "nein",
            "Einwilligung Foto Intranet": "ja" if rng.random() < 0.55 else "nein",
        })
    return t


# ============================================================================================
# holdout/nl_sportschool_leden.csv
# ============================================================================================
def t_nl_gym():
    seed, loc, ref = 1212, "nl", dt.date(2024, 9, 30)
    rng = random.Random(seed)
    t = Table("holdout/nl_sportschool_leden.csv", "holdout", loc, seed, ref.isoformat(),
              "Member list of a Dutch gym chain (membership system export)",
              {"delimiter": ",", "decimal": ".", "date_format": "dd-mm-yyyy"})
    t.col("lidnummer", "identifier", "reference", pattern="L-dddddd")
    t.col("naam", "identifier", "full_name", note="lower case, with particles")
    t.col("geslacht", "protected", "gender")
    t.col("geboortedatum", "quasi_identifier", "birth_date", format="dd-mm-yyyy")
    t.col("leeftijd", "protected", "age")
    t.col("nationaliteit", "protected", "nationality")
    t.col("burgerlijke_staat", "protected", "marital_status")
    t.col("adres", "identifier", "street_address")
    t.col("postcode", "quasi_identifier", "postcode")
    t.col("woonplaats", "quasi_identifier", "city")
    t.col("mobiel", "identifier", "phone")
    t.col("e-mail", "identifier", "email")
    t.col("iban", "identifier", "iban")
    t.col("lid_sinds", "quasi_identifier", "event_date", format="dd-mm-yyyy")
    t.col("abonnement", "feature", "category")
    t.col("maandbedrag", "feature", "amount")
    t.col("gewicht", "feature", "body_weight", note="kg, not a sampling weight")
    t.col("lengte_cm", "feature", "height")
    t.col("vetpercentage", "feature", "measurement")
    t.col("laatste_bezoek", "quasi_identifier", "timestamp", format="dd-mm-yyyy HH:MM")
    t.col("bezoeken_per_maand", "feature", "quantity")
    t.col("toestemming_foto", "consent", "consent")
    t.col("notitie_trainer", "free_text_identifiers", "notes")
    pg = L.PersonGen(loc, seed, rng)
    ag = L.AddressGen(loc, seed + 1, rng)
    trainers = [L.PersonGen(loc, seed + 3, random.Random(seed + 3)).given(g) for g in "FMMFMF"]
    ids = rng.sample(range(1000, 999999), 400)
    fees = {"Basis": 24.99, "All-in": 34.99, "Daluren": 19.99, "Student": 21.99, "Jaarabonnement": 29.99}
    for i in range(400):
        pp = pg.make(ref, 16, 78, diverse=0.01)
        city = L.pick_city(loc, rng)
        nat_f, nat = nationality(loc, rng, pp["g"])
        since = L.rand_date(rng, max(L.add_years(pp["birth"], 16), dt.date(2015, 1, 1)), ref)
        ab = L.weighted(rng, list(fees), [35, 25, 15, 15 if pp["age"] < 28 else 0, 10])
        h, w = body(rng, pp["g"] if pp["g"] != "X" else "F", pp["age"])
        fat = max(6.0, min(48.0, (1.2 * w / (h / 100) ** 2 + 0.23 * pp["age"] - (16.2 if pp["g"] == "M" else 5.4))
                           + rng.gauss(0, 2)))
        last = L.business_time(rng, L.rand_date(rng, max(since, ref - dt.timedelta(days=60)), ref))
        name = L.full_name(loc, pp).lower()
        addr = ag.make()[2]
        tel = L.phone(loc, rng, city, mobile=True)
        email = L.email_for(loc, pp, rng)
        op = other_person(pg, ref)
        values = {
            "_g": pp["g"], "_og": op["g"], "other_email": L.email_for(loc, op, rng),
            "sal": {"F": "Mevrouw", "M": "Meneer", "X": pp["first"]}[pp["g"]], "last": L.nl_sort_surname(pp),
            "first": pp["first"], "full": L.full_name(loc, pp), "phone": tel, "newphone": L.phone(loc, rng, city),
            "email": email, "newemail": L.email_for(loc, pp, rng), "ref": f"L-{ids[i]:06d}", "iban": L.iban(loc, rng),
            "addr": f"{ag.make()[2]}, {city.postcode(rng)} {city.name}", "dob": L.fmt_date(pp["birth"], "dd-mm-yyyy"),
            "other": L.full_name(loc, op), "other_first": op["first"], "agent": rng.choice(trainers),
        }
        text, found = note(rng, "nl_gym", values, 0.4, 0.35)
        t.embed("notitie_trainer", i, found)
        t.add_row({
            "lidnummer": f"L-{ids[i]:06d}", "naam": name,
            "geslacht": {"F": "V", "M": "M", "X": "X"}[pp["g"]], "geboortedatum": L.fmt_date(pp["birth"], "dd-mm-yyyy"),
            "leeftijd": str(pp["age"]), "nationaliteit": nat, "burgerlijke_staat": marital(loc, rng, pp["g"], pp["age"]),
            "adres": addr, "postcode": city.postcode(rng), "woonplaats": city.name, "mobiel": tel, "e-mail": email,
            "iban": L.iban(loc, rng, grouped=rng.random() < 0.3), "lid_sinds": L.fmt_date(since, "dd-mm-yyyy"),
            "abonnement": ab, "maandbedrag": f"{fees[ab]:.2f}", "gewicht": f"{w:.1f}", "lengte_cm": str(h),
            "vetpercentage": f"{fat:.1f}" if rng.random() < 0.7 else "",
            "laatste_bezoek": L.fmt_date(last, "dd-mm-yyyy HH:MM"),
            "bezoeken_per_maand": str(max(0, int(rng.gauss(7, 4)))),
            "toestemming_foto": "ja" if rng.random() < 0.4 else "nee", "notitie_trainer": text,
        })
    return t


# ============================================================================================
# holdout/es_clinica_citas.csv
# ============================================================================================
def t_es_clinic():
    seed, loc, ref = 1313, "es", dt.date(2024, 10, 31)
    rng = random.Random(seed)
    t = Table("holdout/es_clinica_citas.csv", "holdout", loc, seed, ref.isoformat(),
              "Appointment list of a Spanish private outpatient clinic",
              {"delimiter": ";", "decimal": ",", "date_format": "dd/mm/yyyy"})
    t.col("n_historia", "identifier", "reference", pattern="HC-ddddddd")
    t.col("paciente", "identifier", "full_name", note="'APELLIDO1 APELLIDO2, Nombre'")
    t.col("tratamiento", "protected", "salutation")
    t.col("dni_nie", "identifier", "national_id")
    t.col("fecha_nac", "quasi_identifier", "birth_date", format="dd/mm/yyyy")
    t.col("edad", "protected", "age")
    t.col("sexo", "protected", "gender")
    t.col("nacionalidad", "protected", "nationality")
    t.col("tel_movil", "identifier", "phone")
    t.col("correo", "identifier", "email")
    t.col("domicilio", "identifier", "street_address")
    t.col("cp", "quasi_identifier", "postcode")
    t.col("localidad", "quasi_identifier", "city")
    t.col("provincia", "quasi_identifier", "region")
    t.col("fecha_hora_cita", "quasi_identifier", "timestamp", format="dd/mm/yyyy HH:MM")
    t.col("especialidad", "feature", "department")
    t.col("medico", "identifier", "full_name", note="physician (staff)")
    t.col("motivo_consulta", "feature", "diagnosis")
    t.col("peso_kg", "feature", "body_weight")
    t.col("tension_arterial", "feature", "blood_pressure", note="'130/85' looks like a fraction or date")
    t.col("aseguradora", "feature", "company")
    t.col("copago_eur", "feature", "amount")
    t.col("consentimiento_informado", "consent", "consent")
    t.col("observaciones", "free_text_identifiers", "notes")
    pg = L.PersonGen(loc, seed, rng)
    ag = L.AddressGen(loc, seed + 1, rng)
    docs = staff_pool(loc, seed + 5, 30)
    ids = rng.sample(range(100000, 9999999), 420)
    for i in range(420):
        pp = pg.make(ref, 18, 92)
        city = L.pick_city(loc, rng)
        nat_f, nat = nationality(loc, rng, pp["g"])
        diag, esp = rng.choice(DIAG_ES)
        if esp == "Ginecología":
            pp["g"] = "F"
            pp["first"] = pg.given("F")
            nat_f, nat = nationality(loc, rng, "F")
        d = L.rand_date(rng, dt.date(2024, 1, 8), ref)
        while d.weekday() >= 5:
            d += dt.timedelta(days=2)
        cita = dt.datetime(d.year, d.month, d.day, rng.randint(8, 19), rng.choice([0, 15, 30, 45]))
        h, w = body(rng, pp["g"], pp["age"])
        sys_bp = int(rng.gauss(118 + pp["age"] * 0.3, 12))
        doc = rng.choice(docs)
        dni = L.dni(rng, foreign=not nat_f.startswith("español"))
        tel = L.phone(loc, rng, city, mobile=True)
        email = L.email_for(loc, pp, rng)
        op = other_person(pg, ref)
        values = {
            "_g": pp["g"], "_og": op["g"], "other_email": L.email_for(loc, op, rng),
            "sal": "la Sra." if pp["g"] == "F" else "el Sr.", "last": pp["last"], "first": pp["first"],
            "full": L.full_name(loc, pp), "phone": tel, "newphone": L.phone(loc, rng, city), "email": email,
            "newemail": L.email_for(loc, pp, rng), "ref": f"HC-{rng.randint(100000, 9999999):07d}",
            "iban": L.iban(loc, rng), "addr": f"{ag.make()[2]}, {city.postcode(rng)} {city.name}",
            "dob": L.fmt_date(pp["birth"], "dd/mm/yyyy"), "other": L.full_name(loc, op),
            "other_first": op["first"], "other_last": op["last"], "dni": dni, "other_dni": L.dni(rng),
            "day": rng.choice(WEEKDAYS["es"]),
        }
        text, found = note(rng, "es_clinic", values, 0.45, 0.3)
        t.embed("observaciones", i, found)
        t.add_row({
            "n_historia": f"HC-{ids[i]:07d}",
            "paciente": f"{pp['last'].upper()} {pp['last2'].upper()}, {pp['first']}",
            "tratamiento": "Sra." if pp["g"] == "F" else "Sr.", "dni_nie": dni,
            "fecha_nac": L.fmt_date(pp["birth"], "dd/mm/yyyy"), "edad": str(pp["age"]),
            "sexo": "Mujer" if pp["g"] == "F" else "Hombre", "nacionalidad": nat, "tel_movil": tel,
            "correo": email if rng.random() < 0.85 else "", "domicilio": ag.make()[2], "cp": city.postcode(rng),
            "localidad": city.name, "provincia": city.region,
            "fecha_hora_cita": L.fmt_date(cita, "dd/mm/yyyy HH:MM"), "especialidad": esp,
            "medico": f"{'Dra.' if doc['g'] == 'F' else 'Dr.'} {doc['first']} {doc['last']}",
            "motivo_consulta": diag, "peso_kg": L.dec(w, ",", 1),
            "tension_arterial": f"{sys_bp}/{int(sys_bp * rng.uniform(0.58, 0.68))}",
            "aseguradora": L.weighted(rng, ["Sanitas", "Adeslas", "Asisa", "DKV", "Mapfre", "Privado"], [25, 25, 15, 12, 10, 13]),
            "copago_eur": L.dec(rng.choice([0, 0, 2.5, 5, 10, 15, 60])),
            "consentimiento_informado": "sí" if rng.random() < 0.9 else "no", "observaciones": text,
        })
    return t


# ============================================================================================
# holdout/en_court_docket.csv
# ============================================================================================
def t_en_court():
    seed, loc, ref = 1414, "en", dt.date(2023, 12, 31)
    rng = random.Random(seed)
    t = Table("holdout/en_court_docket.csv", "holdout", loc, seed, ref.isoformat(),
              "Criminal court docket extract (New York style charges), US date formats",
              {"delimiter": ",", "decimal": ".", "date_format": "mm/dd/yyyy"})
    t.col("case_number", "identifier", "reference", pattern="C-yyyy-nnnnn")
    t.col("defendant_last", "identifier", "surname", note="lower case")
    t.col("defendant_first", "identifier", "given_name", note="lower case")
    t.col("defendant_middle", "identifier", "given_name", note="initial or name, lower case, often empty")
    t.col("dob", "quasi_identifier", "birth_date", format="mm/dd/yyyy")
    t.col("age_at_arrest", "protected", "age", age_at="arrest_date")
    t.col("sex", "protected", "gender")
    t.col("race", "protected", "race")
    t.col("zip", "quasi_identifier", "postcode")
    t.col("city", "quasi_identifier", "city")
    t.col("arrest_date", "quasi_identifier", "event_date", format="mm/dd/yyyy")
    t.col("charge_description", "feature", "charge")
    t.col("statute", "feature", "charge_code")
    t.col("charge_class", "feature", "category")
    t.col("hearing_datetime", "quasi_identifier", "timestamp", format="mm/dd/yyyy hh:MM AM")
    t.col("courtroom", "feature", "category")
    t.col("judge", "identifier", "full_name", note="judge (staff)")
    t.col("defense_attorney", "identifier", "full_name")
    t.col("bail_amount", "feature", "amount")
    t.col("disposition", "feature", "category")
    t.col("docket_text", "free_text_identifiers", "notes")
    pg = L.PersonGen(loc, seed, rng)
    ag = L.AddressGen(loc, seed + 1, rng)
    judges = [f"Hon. {p['first']} {rng.choice('ABCDEFGHJKLMPRSTW')}. {p['last']}" for p in staff_pool(loc, seed + 5, 8)]
    attys = [f"{p['first']} {p['last']}, Esq." for p in staff_pool(loc, seed + 6, 50)]
    seq = rng.sample(range(1, 99999), 450)
    for i in range(450):
        pp = pg.make(ref, 16, 70)
        pp["g"] = "M" if rng.random() < 0.8 else "F"
        pp["first"] = pg.given(pp["g"])
        city = L.pick_city("en_ny", rng)
        arrest = L.rand_date(rng, max(dt.date(2019, 1, 1), L.add_years(pp["birth"], 16)), ref - dt.timedelta(days=20))
        hearing_d = L.rand_date(rng, arrest + dt.timedelta(days=1), min(ref, arrest + dt.timedelta(days=400)))
        while hearing_d.weekday() >= 5:
            hearing_d -= dt.timedelta(days=1)
        if hearing_d <= arrest:
            hearing_d = arrest + dt.timedelta(days=1)
        hearing = dt.datetime(hearing_d.year, hearing_d.month, hearing_d.day, rng.choice([9, 9, 10, 11, 14, 15]),
                              rng.choice([0, 0, 15, 30, 45]))
        charge, statute, cls = rng.choice(CHARGES_EN)
        felony = "Felony" in cls
        bail = "" if rng.random() < 0.55 else str(rng.choice([500, 1000, 1500, 2500, 5000, 10000, 25000, 50000]) * (3 if felony else 1))
        mid = ""
        if rng.random() < 0.45:
            mid = rng.choice("abcdefghjklmnprstw") if rng.random() < 0.6 else pg.given(pp["g"]).lower()
        judge = rng.choice(judges)
        atty = rng.choice(attys)
        op = other_person(pg, ref)
        values = {
            "_g": pp["g"], "_og": op["g"], "other_email": L.email_for(loc, op, rng),
            "last": pp["last"], "first": pp["first"], "full": f"{pp['first']} {pp['last']}",
            "phone": L.phone(loc, rng, city), "newphone": L.phone(loc, rng, city),
            "newemail": f"{L.email_for(loc, op, rng).split('@')[0]}@{rng.choice(['lawfirm.example', 'legalaid.example', 'gmail.com'])}",
            "ref": f"C-{rng.randint(2018, 2023)}-{rng.randint(1, 99999):05d}",
            "addr": f"{ag.make()[2]}, {city.name}, {city.region} {city.postcode(rng)}",
            "dob": L.fmt_date(pp["birth"], "mm/dd/yyyy"), "other": L.full_name(loc, op), "judge": judge,
            "atty": atty, "amount": f"{rng.choice([250, 500, 750, 1000, 1500, 2500, 5000]):,}",
        }
        text, found = note(rng, "en_docket", values, 0.5, 0.4)
        t.embed("docket_text", i, found)
        t.add_row({
            "case_number": f"C-{arrest.year}-{seq[i]:05d}", "defendant_last": pp["last"].lower(),
            "defendant_first": pp["first"].lower(), "defendant_middle": mid,
            "dob": L.fmt_date(pp["birth"], "mm/dd/yyyy"), "age_at_arrest": str(L.age_at(pp["birth"], arrest)),
            "sex": pp["g"], "race": L.weighted(rng, ["B", "W", "H", "A", "U"], [38, 22, 32, 5, 3]),
            "zip": city.postcode(rng), "city": city.name, "arrest_date": L.fmt_date(arrest, "mm/dd/yyyy"),
            "charge_description": charge, "statute": statute, "charge_class": cls,
            "hearing_datetime": L.fmt_date(hearing, "mm/dd/yyyy hh:MM AM"), "courtroom": f"Part {rng.randint(1, 12)}",
            "judge": judge, "defense_attorney": atty if rng.random() < 0.6 else "Legal Aid Society", "bail_amount": bail,
            "disposition": L.weighted(rng, ["pending", "adjourned", "dismissed", "pled guilty", "convicted", "acquitted",
                                            "ACD"], [25, 25, 12, 22, 6, 3, 7]),
            "docket_text": text,
        })
    return t


# ============================================================================================
# holdout/it_polizze_clienti.xlsx
# ============================================================================================
def t_it_insurance():
    seed, loc, ref = 1515, "it", dt.date(2024, 3, 31)
    rng = random.Random(seed)
    t = Table("holdout/it_polizze_clienti.xlsx", "holdout", loc, seed, ref.isoformat(),
              "Policy holders and claims of an Italian insurance agency, Excel workbook",
              {"format": "xlsx", "sheet": "Clienti", "date_format": "excel (dd/mm/yyyy display)",
               "encoding": None, "line_terminator": None})
    t.col("codice_cliente", "identifier", "reference", note="numeric cells")
    t.col("titolo", "protected", "salutation")
    t.col("cognome", "identifier", "surname", note="UPPER CASE")
    t.col("nome", "identifier", "given_name")
    t.col("codice_fiscale", "identifier", "national_id")
    t.col("data_nascita", "quasi_identifier", "birth_date", format="excel date")
    t.col("età", "protected", "age")
    t.col("sesso", "protected", "gender")
    t.col("stato_civile", "protected", "marital_status")
    t.col("nazionalità", "protected", "nationality")
    t.col("indirizzo", "identifier", "street_address")
    t.col("cap", "quasi_identifier", "postcode", note="text cells, leading zeros kept")
    t.col("comune", "quasi_identifier", "city")
    t.col("provincia", "quasi_identifier", "region")
    t.col("cellulare", "identifier", "phone")
    t.col("email", "identifier", "email")
    t.col("iban", "identifier", "iban")
    t.col("numero_polizza", "identifier", "reference", pattern="PL + 9 digits")
    t.col("ramo", "feature", "category")
    t.col("targa", "identifier", "license_plate")
    t.col("premio_annuo", "feature", "amount")
    t.col("data_sinistro", "quasi_identifier", "event_date", format="excel date")
    t.col("descrizione_sinistro", "free_text", "notes")
    t.col("importo_liquidato", "feature", "amount")
    t.col("consenso_marketing", "consent", "consent")
    pg = L.PersonGen(loc, seed, rng)
    ag = L.AddressGen(loc, seed + 1, rng)
    ids = rng.sample(range(100000, 999999), 400)
    for i in range(400):
        pp = pg.make(ref, 18, 90)
        city = L.pick_city(loc, rng)
        nat_f, nat = nationality(loc, rng, pp["g"])
        ramo = L.weighted(rng, ["RC Auto", "Casa", "Infortuni", "Viaggi"], [55, 25, 12, 8])
        prem = {"RC Auto": rng.uniform(280, 1400), "Casa": rng.uniform(120, 600), "Infortuni": rng.uniform(90, 450),
                "Viaggi": rng.uniform(25, 120)}[ramo]
        claim = rng.random() < 0.3
        when = L.rand_date(rng, dt.date(2021, 1, 1), ref) if claim else None
        dott = pp["age"] > 26 and rng.random() < 0.15
        titolo = ("Dott.ssa" if pp["g"] == "F" else "Dott.") if dott else ("Sig.ra" if pp["g"] == "F" else "Sig.")
        t.add_row({
            "codice_cliente": ids[i], "titolo": titolo, "cognome": pp["last"].upper(), "nome": pp["first"],
            "codice_fiscale": L.codice_fiscale(pp, city if nat_f == "italiana" else
                                               L.City("it", ("", "", [0], "", 1, "Z" + str(rng.randint(100, 360))))),
            "data_nascita": pp["birth"], "età": pp["age"], "sesso": pp["g"],
            "stato_civile": marital(loc, rng, pp["g"], pp["age"]), "nazionalità": nat, "indirizzo": ag.make()[2],
            "cap": city.postcode(rng), "comune": city.name, "provincia": city.region,
            "cellulare": L.phone(loc, rng, city, mobile=True),
            "email": L.email_for(loc, pp, rng) if rng.random() < 0.8 else None, "iban": L.iban(loc, rng),
            "numero_polizza": f"PL{rng.randint(100000000, 999999999)}", "ramo": ramo,
            "targa": L.targa(rng) if ramo == "RC Auto" else None, "premio_annuo": round(prem, 2),
            "data_sinistro": when, "descrizione_sinistro": rng.choice(CLEAN["it_claim"][ramo]) if claim else None,
            "importo_liquidato": round(rng.lognormvariate(7, 1), 2) if claim and rng.random() < 0.75 else None,
            "consenso_marketing": "SI" if rng.random() < 0.35 else "NO",
        })
    return t


# ============================================================================================
# holdout/fr_frequentation_magasins.csv (no identifiers)
# ============================================================================================
def t_fr_footfall():
    seed, loc, ref = 1616, "fr", dt.date(2024, 2, 29)
    rng = random.Random(seed)
    t = Table("holdout/fr_frequentation_magasins.csv", "holdout", loc, seed, ref.isoformat(),
              "Daily footfall and takings per store of a French retail chain. NO personal data: nothing may be removed",
              {"delimiter": ";", "decimal": ",", "date_format": "dd/mm/yyyy"})
    t.col("date", "feature", "date", format="dd/mm/yyyy", note="calendar day, not about a person")
    t.col("jour", "feature", "category")
    t.col("magasin", "feature", "store_name")
    t.col("ville", "feature", "city", note="aggregate by store, no person")
    t.col("region", "feature", "region")
    t.col("visiteurs", "feature", "quantity")
    t.col("tickets", "feature", "quantity")
    t.col("taux_conversion_pct", "feature", "quantity")
    t.col("panier_moyen_eur", "feature", "amount")
    t.col("ca_ttc_eur", "feature", "amount")
    t.col("meteo", "feature", "category")
    t.col("evenement", "feature", "category")
    cities = [L.City(loc, r) for r in L.CITIES[loc]][:15]
    names = {c.name: f"{c.name} {rng.choice(['Centre', 'Gare', 'Nord', 'Sud', 'Les Halles', 'Rive Gauche', 'Part-Dieu' if c.name == 'Lyon' else 'Centre'])}" for c in cities}
    size = {c.name: rng.uniform(0.6, 1.6) * c.weight ** 0.4 for c in cities}
    days = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
    d = dt.date(2024, 2, 1)
    while d <= ref:
        if d.weekday() != 6:
            for c in cities:
                vis = int(size[c.name] * rng.uniform(600, 1000) * (1.6 if d.weekday() == 5 else 1))
                conv = rng.uniform(18, 34)
                tickets = int(vis * conv / 100)
                panier = rng.uniform(28, 46)
                t.add_row({
                    "date": L.fmt_date(d, "dd/mm/yyyy"), "jour": days[d.weekday()], "magasin": names[c.name],
                    "ville": c.name, "region": c.region, "visiteurs": str(vis), "tickets": str(tickets),
                    "taux_conversion_pct": L.dec(conv, ",", 1), "panier_moyen_eur": L.dec(panier),
                    "ca_ttc_eur": L.dec(tickets * panier),
                    "meteo": L.weighted(rng, ["ensoleillé", "nuageux", "pluie", "neige"], [25, 45, 27, 3]),
                    "evenement": "Saint-Valentin" if d.day == 14 else ("Vacances d'hiver" if d.day >= 10 else ""),
                })
        d += dt.timedelta(days=1)
    return t


# ============================================================================================
# The real table (made by flatten_legislators.py); only its labels are here.
# ============================================================================================
LEGISLATORS_FILE = "holdout/us_congress_legislators.csv"


def legislators_labels():
    meta = json.loads((HERE / "holdout" / "us_congress_legislators.source.json").read_text())
    cols = [
        ("last_name", "identifier", "surname"), ("first_name", "identifier", "given_name"),
        ("middle_name", "identifier", "given_name"), ("nickname", "identifier", "given_name"),
        ("full_name", "identifier", "full_name"), ("birthday", "quasi_identifier", "birth_date"),
        ("gender", "protected", "gender"), ("party", "protected", "political_affiliation"),
        ("state", "quasi_identifier", "region"), ("district", "quasi_identifier", "district"),
        ("type", "feature", "category"), ("start", "quasi_identifier", "event_date"),
        ("end", "quasi_identifier", "event_date"), ("bioguide_id", "identifier", "reference"),
        ("wikipedia", "identifier", "full_name"), ("phone", "identifier", "phone"),
        ("address", "identifier", "street_address"), ("url", "identifier", "url"),
    ]
    return {
        "file": LEGISLATORS_FILE, "split": "holdout", "locale": "en", "seed": None, "rows": meta["rows"],
        "reference_date": meta["commit_date"][:10],
        "description": "REAL data: current members of the US Congress, flattened from "
                       "unitedstates/congress-legislators legislators-current.yaml (CC0 1.0)",
        "dialect": {"delimiter": ",", "decimal": ".", "thousands": None, "date_format": "yyyy-mm-dd",
                    "encoding": "utf-8", "bom": False, "compression": None, "sheet": None,
                    "line_terminator": "\n", "format": "csv"},
        "columns": {n: ({"class": c, "kind": k, "format": "yyyy-mm-dd"} if k in ("birth_date", "event_date")
                        else {"class": c, "kind": k}) for n, c, k in cols},
        "source": meta,
    }


BUILDERS = [t_de_crm, t_en_support, t_fr_clinic, t_es_hr, t_it_court, t_nl_webshop, t_en_clinic,
            t_it_catalogue, t_de_sales, t_fr_sav, t_de_hr, t_nl_gym, t_es_clinic, t_en_court, t_it_insurance,
            t_fr_footfall]


# ============================================================================================
# Writers
# ============================================================================================
def write_csv(t, path):
    d = t.dialect
    buf = io.StringIO()
    w = csv.writer(buf, delimiter=d["delimiter"], lineterminator=d["line_terminator"], quoting=csv.QUOTE_MINIMAL)
    w.writerow([c[0] for c in t.columns])
    for r in t.rows:
        w.writerow(["" if v is None else v for v in r])
    enc = {"windows-1252": "cp1252", "utf-8": "utf-8"}[d["encoding"]]
    data = (b"\xef\xbb\xbf" if d["bom"] else b"") + buf.getvalue().encode(enc)
    if d["compression"] == "gzip":
        out = io.BytesIO()
        with gzip.GzipFile(filename="", mode="wb", fileobj=out, mtime=0, compresslevel=9) as g:
            g.write(data)
        data = out.getvalue()
    path.write_bytes(data)


XL_DATE = {"en": "mm/dd/yyyy", "de": "dd.mm.yyyy", "it": "dd/mm/yyyy"}


def write_xlsx(t, path):
    from openpyxl.styles import Font
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = t.dialect["sheet"]
    ws.append([c[0] for c in t.columns])
    for cell in ws[1]:
        cell.font = Font(bold=True)
    date_fmt = XL_DATE[t.locale]
    for r in t.rows:
        ws.append(r)
    for j, (name, cls, kind, extra) in enumerate(t.columns, start=1):
        fmt = None
        if extra.get("format") == "excel date":
            fmt = date_fmt
        elif extra.get("format") == "excel datetime":
            fmt = date_fmt + " hh:mm"
        elif kind == "amount":
            fmt = "#,##0.00"
        if fmt:
            for row in ws.iter_rows(min_row=2, min_col=j, max_col=j):
                row[0].number_format = fmt
        ws.column_dimensions[openpyxl.utils.get_column_letter(j)].width = max(10, min(40, len(name) + 4))
    ws.freeze_panes = "A2"
    fixed = dt.datetime(2024, 1, 1)
    wb.properties.creator = "fairsynth corpus generator"
    wb.properties.created = fixed
    raw = io.BytesIO()
    wb.save(raw)
    # make the archive deterministic: fixed entry times and fixed core.xml timestamps
    src = zipfile.ZipFile(io.BytesIO(raw.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>2024-01-01T00:00:00Z", data)
            zi = zipfile.ZipInfo(info.filename, date_time=FIXED_ZIP_TIME)
            zi.compress_type = zipfile.ZIP_DEFLATED
            zi.external_attr = 0o600 << 16
            z.writestr(zi, data)
    path.write_bytes(out.getvalue())


def generate():
    assert mimesis.__version__ == MIMESIS_VERSION, f"mimesis {mimesis.__version__}, need {MIMESIS_VERSION}"
    assert openpyxl.__version__ == OPENPYXL_VERSION, f"openpyxl {openpyxl.__version__}, need {OPENPYXL_VERSION}"
    tables = []
    embedded = {}
    for b in BUILDERS:
        t = b()
        path = HERE / t.file
        path.parent.mkdir(parents=True, exist_ok=True)
        if t.dialect["format"] == "xlsx":
            write_xlsx(t, path)
        else:
            write_csv(t, path)
        tables.append(t.labels())
        if t.embedded:
            embedded[t.file] = t.embedded
        print(f"{t.file}: {len(t.rows)} rows, {len(t.columns)} columns, {path.stat().st_size} bytes")
    if (HERE / LEGISLATORS_FILE).exists():
        tables.append(legislators_labels())
    else:
        print(f"warning: {LEGISLATORS_FILE} missing (run flatten_legislators.py)", file=sys.stderr)
    labels = {
        "generator": {"script": "make_corpus.py", "mimesis": MIMESIS_VERSION, "openpyxl": OPENPYXL_VERSION},
        "classes": ["identifier", "free_text_identifiers", "free_text", "quasi_identifier", "protected", "consent",
                    "feature"],
        "tables": tables,
    }
    (HERE / "labels.json").write_text(json.dumps(labels, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    (HERE / "embedded.json").write_text(json.dumps(embedded, ensure_ascii=False, indent=None, separators=(",", ":"))
                                        .replace('"]],"', '"]],\n"').replace(':{"', ':{\n"') + "\n", encoding="utf-8")


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="verify the corpus instead of writing it")
    args = ap.parse_args()
    if args.check:
        import check_corpus
        sys.exit(check_corpus.main())
    generate()
