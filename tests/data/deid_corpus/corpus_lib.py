"""Building blocks for make_corpus.py: locale reference data and value generators.

Everything here was written from the corpus brief (issue 21, "Tests and evidence"), not from the
detector's rules or fixtures. Names, streets and companies come from mimesis; the city/postcode/
area-code tables, the check-digit algorithms and the value formats are written out below so that a
city matches its postcode and a landline matches its city.
"""

import datetime as dt
import re
import unicodedata
import uuid

from mimesis import Address, Finance, Internet, Person
from mimesis.enums import Gender
from mimesis.locales import Locale

# --------------------------------------------------------------------------------------------
# Cities: (city, region, postcode ranges, phone area code(s), weight[, extra])
# --------------------------------------------------------------------------------------------
CITIES = {
    "de": [
        ("Berlin", "Berlin", [(10115, 14199)], "030", 10),
        ("Hamburg", "Hamburg", [(20095, 22769)], "040", 7),
        ("München", "Bayern", [(80331, 81929)], "089", 6),
        ("Köln", "Nordrhein-Westfalen", [(50667, 51149)], "0221", 5),
        ("Frankfurt am Main", "Hessen", [(60306, 60599)], "069", 4),
        ("Stuttgart", "Baden-Württemberg", [(70173, 70629)], "0711", 3),
        ("Düsseldorf", "Nordrhein-Westfalen", [(40210, 40629)], "0211", 3),
        ("Leipzig", "Sachsen", [(4103, 4357)], "0341", 3),
        ("Dresden", "Sachsen", [(1067, 1328)], "0351", 3),
        ("Hannover", "Niedersachsen", [(30159, 30669)], "0511", 3),
        ("Nürnberg", "Bayern", [(90402, 90491)], "0911", 2),
        ("Bremen", "Bremen", [(28195, 28779)], "0421", 2),
        ("Chemnitz", "Sachsen", [(9111, 9247)], "0371", 1),
        ("Erfurt", "Thüringen", [(99084, 99099)], "0361", 1),
        ("Halle (Saale)", "Sachsen-Anhalt", [(6108, 6132)], "0345", 1),
        ("Freiburg im Breisgau", "Baden-Württemberg", [(79098, 79117)], "0761", 1),
    ],
    "fr": [
        ("Paris", "Île-de-France", [(75001, 75020)], "01", 10),
        ("Marseille", "Provence-Alpes-Côte d'Azur", [(13001, 13016)], "04", 4),
        ("Lyon", "Auvergne-Rhône-Alpes", [(69001, 69009)], "04", 4),
        ("Toulouse", "Occitanie", [31000, 31100, 31200, 31300, 31400, 31500], "05", 3),
        ("Nice", "Provence-Alpes-Côte d'Azur", [6000, 6100, 6200, 6300], "04", 2),
        ("Nantes", "Pays de la Loire", [44000, 44100, 44200, 44300], "02", 2),
        ("Strasbourg", "Grand Est", [67000, 67100, 67200], "03", 2),
        ("Montpellier", "Occitanie", [34000, 34070, 34080, 34090], "04", 2),
        ("Bordeaux", "Nouvelle-Aquitaine", [33000, 33100, 33200, 33300, 33800], "05", 2),
        ("Lille", "Hauts-de-France", [59000, 59160, 59260, 59777, 59800], "03", 2),
        ("Rennes", "Bretagne", [35000, 35200, 35700], "02", 1),
        ("Grenoble", "Auvergne-Rhône-Alpes", [38000, 38100], "04", 1),
        ("Dijon", "Bourgogne-Franche-Comté", [21000], "03", 1),
        ("Annecy", "Auvergne-Rhône-Alpes", [74000], "04", 1),
        ("Bourg-en-Bresse", "Auvergne-Rhône-Alpes", [1000], "04", 1),
        ("Laon", "Hauts-de-France", [2000], "03", 1),
    ],
    "es": [
        ("Madrid", "Madrid", [(28001, 28055)], "91", 10),
        ("Barcelona", "Barcelona", [(8001, 8042)], "93", 8),
        ("Valencia", "Valencia", [(46001, 46026)], "96", 4),
        ("Sevilla", "Sevilla", [(41001, 41020)], "95", 3),
        ("Zaragoza", "Zaragoza", [(50001, 50021)], "976", 2),
        ("Málaga", "Málaga", [(29001, 29018)], "95", 2),
        ("Bilbao", "Bizkaia", [(48001, 48015)], "94", 2),
        ("Alicante", "Alicante", [(3001, 3016)], "96", 2),
        ("Córdoba", "Córdoba", [(14001, 14014)], "957", 1),
        ("Valladolid", "Valladolid", [(47001, 47017)], "983", 1),
        ("Vigo", "Pontevedra", [(36201, 36216)], "986", 1),
        ("Granada", "Granada", [(18001, 18015)], "958", 1),
        ("Palma", "Illes Balears", [(7001, 7015)], "971", 1),
        ("Almería", "Almería", [(4001, 4009)], "950", 1),
    ],
    # extra: Belfiore cadastral code of the comune (for the codice fiscale)
    "it": [
        ("Roma", "RM", [(118, 199)], "06", 10, "H501"),
        ("Milano", "MI", [(20121, 20162)], "02", 8, "F205"),
        ("Napoli", "NA", [(80121, 80147)], "081", 5, "F839"),
        ("Torino", "TO", [(10121, 10156)], "011", 4, "L219"),
        ("Palermo", "PA", [(90121, 90151)], "091", 3, "G273"),
        ("Genova", "GE", [(16121, 16167)], "010", 2, "D969"),
        ("Bologna", "BO", [(40121, 40141)], "051", 2, "A944"),
        ("Firenze", "FI", [(50121, 50145)], "055", 2, "D612"),
        ("Bari", "BA", [(70121, 70132)], "080", 2, "A662"),
        ("Catania", "CT", [(95121, 95131)], "095", 1, "C351"),
        ("Venezia", "VE", [(30121, 30176)], "041", 1, "L736"),
        ("Verona", "VR", [(37121, 37142)], "045", 1, "L781"),
        ("Padova", "PD", [(35121, 35143)], "049", 1, "G224"),
        ("Trieste", "TS", [(34121, 34151)], "040", 1, "L424"),
        ("Aosta", "AO", [11100], "0165", 1, "A326"),
    ],
    "nl": [
        ("Amsterdam", "Noord-Holland", [(1011, 1109)], "020", 8),
        ("Rotterdam", "Zuid-Holland", [(3011, 3089)], "010", 6),
        ("Den Haag", "Zuid-Holland", [(2491, 2597)], "070", 5),
        ("Utrecht", "Utrecht", [(3511, 3585)], "030", 4),
        ("Eindhoven", "Noord-Brabant", [(5611, 5658)], "040", 3),
        ("Groningen", "Groningen", [(9711, 9747)], "050", 2),
        ("Tilburg", "Noord-Brabant", [(5011, 5049)], "013", 2),
        ("Almere", "Flevoland", [(1311, 1363)], "036", 2),
        ("Breda", "Noord-Brabant", [(4811, 4839)], "076", 2),
        ("Nijmegen", "Gelderland", [(6511, 6546)], "024", 2),
        ("Haarlem", "Noord-Holland", [(2011, 2037)], "023", 2),
        ("Arnhem", "Gelderland", [(6811, 6846)], "026", 1),
        ("Zwolle", "Overijssel", [(8011, 8043)], "038", 1),
        ("Leiden", "Zuid-Holland", [(2311, 2334)], "071", 1),
        ("Maastricht", "Limburg", [(6211, 6229)], "043", 1),
    ],
    "en": [
        ("New York", "NY", [(10001, 10292)], ["212", "646", "917"], 8),
        ("Boston", "MA", [(2108, 2137)], ["617", "857"], 4),
        ("Chicago", "IL", [(60601, 60661)], ["312", "773"], 5),
        ("Los Angeles", "CA", [(90001, 90089)], ["213", "310", "323"], 5),
        ("Houston", "TX", [(77001, 77099)], ["713", "832"], 3),
        ("Philadelphia", "PA", [(19102, 19154)], ["215", "267"], 3),
        ("Phoenix", "AZ", [(85001, 85054)], ["602", "480"], 2),
        ("Seattle", "WA", [(98101, 98199)], ["206"], 2),
        ("Denver", "CO", [(80201, 80239)], ["303", "720"], 2),
        ("Atlanta", "GA", [(30301, 30349)], ["404", "678"], 2),
        ("Hartford", "CT", [(6101, 6120)], ["860"], 1),
        ("Newark", "NJ", [(7101, 7114)], ["973", "862"], 1),
        ("Portland", "ME", [(4101, 4112)], ["207"], 1),
        ("Miami", "FL", [(33101, 33199)], ["305", "786"], 2),
        ("Minneapolis", "MN", [(55401, 55488)], ["612"], 1),
    ],
    # New York State court catchment (holdout docket)
    "en_ny": [
        ("New York", "NY", [(10001, 10292)], ["212", "646", "917"], 6),
        ("Bronx", "NY", [(10451, 10475)], ["718", "347"], 6),
        ("Brooklyn", "NY", [(11201, 11256)], ["718", "347"], 6),
        ("Yonkers", "NY", [(10701, 10710)], ["914"], 3),
        ("Mount Vernon", "NY", [(10550, 10553)], ["914"], 1),
        ("White Plains", "NY", [(10601, 10607)], ["914"], 1),
        ("New Rochelle", "NY", [(10801, 10805)], ["914"], 1),
        ("Newark", "NJ", [(7101, 7114)], ["973", "862"], 1),
    ],
}

COUNTRY = {"de": "Deutschland", "fr": "France", "es": "España", "it": "Italia",
           "nl": "Nederland", "en": "United States"}


def mim_locale(loc):
    return getattr(Locale, loc.upper())


def ascii_fold(s):
    s = s.replace("ß", "ss").replace("’", "").replace("'", "")
    s = unicodedata.normalize("NFKD", s)
    return "".join(c for c in s if not unicodedata.combining(c))


def weighted(rng, items, weights):
    return rng.choices(items, weights=weights, k=1)[0]


class City:
    def __init__(self, loc, row):
        self.loc = loc
        self.name, self.region, self.ranges, self.area, self.weight = row[:5]
        self.extra = row[5] if len(row) > 5 else None

    def postcode(self, rng):
        r = rng.choice(self.ranges)
        n = rng.randint(*r) if isinstance(r, tuple) else r
        if self.loc == "nl":
            letters = "ABCDEGHJKLMNPRTVWXZ"
            pair = rng.choice(letters) + rng.choice(letters)
            return f"{n:04d} {pair}"
        return f"{n:05d}"


def pick_city(loc, rng):
    rows = [City(loc if not loc.startswith("en") else "en", r) for r in CITIES[loc]]
    return weighted(rng, rows, [c.weight for c in rows])


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------
DATE_FMT = {
    "dd.mm.yyyy": "%d.%m.%Y", "dd/mm/yyyy": "%d/%m/%Y", "dd-mm-yyyy": "%d-%m-%Y",
    "mm/dd/yyyy": "%m/%d/%Y", "yyyy-mm-dd": "%Y-%m-%d",
    "dd.mm.yyyy HH:MM": "%d.%m.%Y %H:%M", "dd/mm/yyyy HH:MM": "%d/%m/%Y %H:%M",
    "dd-mm-yyyy HH:MM": "%d-%m-%Y %H:%M", "dd-mm-yyyy HH:MM:SS": "%d-%m-%Y %H:%M:%S",
    "yyyy-mm-dd HH:MM:SS": "%Y-%m-%d %H:%M:%S", "mm/dd/yyyy hh:MM AM": "%m/%d/%Y %I:%M %p",
}


def fmt_date(d, fmt):
    return d.strftime(DATE_FMT[fmt])


def age_at(birth, on):
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def birth_for_age(rng, ref, lo, hi):
    """A birth date such that the age on `ref` is in [lo, hi] (skewed to the middle)."""
    age = int(round(rng.triangular(lo, hi + 0.99, (lo + hi) / 2)))
    age = max(lo, min(hi, age))
    latest = dt.date(ref.year - age, ref.month, min(ref.day, 28))
    return latest - dt.timedelta(days=rng.randint(0, 364))


def rand_date(rng, start, end):
    return start + dt.timedelta(days=rng.randint(0, (end - start).days))


def business_time(rng, d, weekend_ok=True):
    while not weekend_ok and d.weekday() >= 5:
        d = d - dt.timedelta(days=1)
    h = weighted(rng, list(range(7, 21)), [1, 4, 8, 9, 9, 6, 7, 8, 8, 7, 5, 3, 2, 1])
    return dt.datetime(d.year, d.month, d.day, h, rng.randint(0, 59), rng.randint(0, 59))


def add_years(d, n):
    try:
        return d.replace(year=d.year + n)
    except ValueError:
        return d.replace(year=d.year + n, day=28)


# --------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------
NL_PARTICLES = (["van", "de", "van der", "van den", "van de", "ter", "den", "van 't", "in 't", "te"],
                [30, 25, 15, 10, 8, 3, 2, 3, 1, 1])


class PersonGen:
    def __init__(self, loc, seed, rng, cp1252=False):
        self.loc = loc
        self.rng = rng
        self.p = Person(mim_locale(loc), seed=seed)
        self.cp1252 = cp1252

    def _ok(self, *parts):
        s = " ".join(parts)
        if "’" in s and self.cp1252:
            pass
        if self.cp1252:
            try:
                s.encode("cp1252")
            except UnicodeEncodeError:
                return False
        return all(len(x) >= 2 for x in parts if x) and not re.search(r"[0-9]", s)

    def given(self, g):
        rng = self.rng
        for _ in range(50):
            gen = Gender.FEMALE if g == "F" else Gender.MALE
            first = self.p.first_name(gender=gen)
            if self.loc in ("de", "fr") and rng.random() < (0.06 if self.loc == "de" else 0.14):
                second = self.p.first_name(gender=gen)
                if second != first:
                    first = f"{first}-{second}"
            elif self.loc == "es" and rng.random() < 0.12 and " " not in first:
                first = f"{first} {self.p.first_name(gender=gen)}"
            first = first[0].upper() + first[1:]
            if self._ok(first):
                return first
        return first

    def surname(self):
        rng = self.rng
        for _ in range(50):
            last = self.p.surname().replace("’", "'") if rng.random() < 0.5 else self.p.surname()
            if self.loc == "de":
                r = rng.random()
                if r < 0.07:
                    last = f"{last}-{self.p.surname()}"
                elif r < 0.10:
                    last = f"von {last}"
            elif self.loc == "fr":
                r = rng.random()
                if r < 0.05 and ascii_fold(last)[0] not in "AEIOUHY":
                    last = f"{rng.choice(['de', 'Le', 'Du', 'de La'])} {last}"
                elif r < 0.09:
                    last = f"{last}-{self.p.surname()}"
            elif self.loc == "en" and rng.random() < 0.06:
                last = f"{last}-{self.p.surname()}"
            if last[0].islower() and not last.startswith(("von ", "de ")):
                last = last[0].upper() + last[1:]
            if self._ok(last):
                return last
        return last

    def make(self, ref, age_lo, age_hi, diverse=0.0):
        rng = self.rng
        r = rng.random()
        g = "X" if r < diverse else ("F" if r < diverse + (1 - diverse) / 2 else "M")
        name_g = g if g != "X" else rng.choice("FM")
        first = self.given(name_g)
        particle = ""
        if self.loc == "nl" and rng.random() < 0.3:
            particle = weighted(rng, *NL_PARTICLES)
        last = self.surname()
        last2 = self.surname() if self.loc == "es" else ""
        birth = birth_for_age(rng, ref, age_lo, age_hi)
        return {"g": g, "first": first, "particle": particle, "last": last, "last2": last2,
                "birth": birth, "age": age_at(birth, ref)}


def full_name(loc, pp, order="first_last"):
    if loc == "nl":
        last = f"{pp['particle']} {pp['last']}".strip()
    elif loc == "es":
        last = f"{pp['last']} {pp['last2']}"
    else:
        last = pp["last"]
    if order == "last_comma_first":
        return f"{last}, {pp['first']}"
    if order == "LAST_First":
        return f"{last.upper()} {pp['first']}"
    if order == "LAST, First":
        return f"{last.upper()}, {pp['first']}"
    return f"{pp['first']} {last}"


def nl_sort_surname(pp):
    """Dutch: 'Berg, van der' style is not used here; the particle stays in front."""
    return f"{pp['particle']} {pp['last']}".strip()


MAIL_DOMAINS = {
    "de": (["web.de", "gmx.de", "t-online.de", "gmail.com", "posteo.de", "outlook.de", "example.de"],
           [20, 20, 12, 20, 4, 6, 8]),
    "fr": (["orange.fr", "free.fr", "laposte.net", "gmail.com", "sfr.fr", "hotmail.fr", "example.fr"],
           [18, 12, 8, 25, 8, 12, 8]),
    "es": (["gmail.com", "hotmail.es", "yahoo.es", "telefonica.net", "outlook.es", "example.es"],
           [35, 20, 10, 5, 12, 8]),
    "it": (["libero.it", "gmail.com", "alice.it", "virgilio.it", "hotmail.it", "tiscali.it", "example.it"],
           [20, 30, 8, 8, 10, 4, 8]),
    "nl": (["ziggo.nl", "kpnmail.nl", "gmail.com", "hotmail.com", "outlook.com", "xs4all.nl", "example.nl"],
           [15, 10, 30, 15, 10, 5, 8]),
    "en": (["gmail.com", "yahoo.com", "outlook.com", "aol.com", "icloud.com", "hotmail.com", "example.com"],
           [35, 15, 12, 5, 10, 8, 8]),
}


def work_email(pp, domain, taken):
    """Corporate address: vorname.nachname@domain, a digit added on a clash."""
    f = re.sub(r"[^a-z\-]", "", ascii_fold(pp["first"].split(" ")[0]).lower())
    last = (pp.get("particle", "") + pp["last"]).replace(" ", "")
    l = re.sub(r"[^a-z\-]", "", ascii_fold(last).lower())
    local, n = f"{f}.{l}", 2
    while local in taken:
        local, n = f"{f}.{l}{n}", n + 1
    taken.add(local)
    return f"{local}@{domain}"


def email_for(loc, pp, rng, domain=None):
    f = re.sub(r"[^a-z]", "", ascii_fold(pp["first"].split(" ")[0].split("-")[0]).lower())
    last = pp["last"]
    if loc == "nl" and pp.get("particle"):
        last = (pp["particle"] + last) if rng.random() < 0.5 else last
    l = re.sub(r"[^a-z\-]", "", ascii_fold(last).lower().replace(" ", ""))
    if loc == "es" and rng.random() < 0.3:
        l += re.sub(r"[^a-z]", "", ascii_fold(pp["last2"]).lower())[:6]
    yy = f"{pp['birth'].year % 100:02d}"
    local = weighted(rng, [f"{f}.{l}", f"{f[0]}.{l}", f"{f}{l}{yy}", f"{l}.{f}", f"{f}_{l}{rng.randint(1, 99)}",
                           f"{f}{rng.randint(1, 999)}", f"{l}{f[0]}"],
                     [30, 15, 15, 8, 10, 12, 10])
    if domain is None:
        domain = weighted(rng, *MAIL_DOMAINS[loc])
    return f"{local}@{domain}"


# --------------------------------------------------------------------------------------------
# Phones in local formats
# --------------------------------------------------------------------------------------------
def _digits(rng, n, first_nonzero=True):
    s = str(rng.randint(1 if first_nonzero else 0, 9))
    return s + "".join(str(rng.randint(0, 9)) for _ in range(n - 1))


def phone(loc, rng, city=None, mobile=None, style=None):
    if mobile is None:
        mobile = rng.random() < 0.6
    if loc == "de":
        if mobile:
            pre = rng.choice(["0151", "0152", "0157", "0160", "0162", "0170", "0171", "0172", "0173",
                              "0175", "0176", "0177", "0178", "0179"])
            num = _digits(rng, 7 if pre.startswith("017") or pre.startswith("016") else 8)
            st = style or weighted(rng, ["space", "slash", "intl", "plain"], [45, 25, 20, 10])
            return {"space": f"{pre} {num}", "slash": f"{pre}/{num}", "intl": f"+49 {pre[1:]} {num}",
                    "plain": pre + num}[st]
        area = city.area if city else "030"
        num = _digits(rng, 10 - len(area) + 1)
        st = style or weighted(rng, ["space", "paren", "dash", "intl"], [40, 20, 25, 15])
        return {"space": f"{area} {num}", "paren": f"({area}) {num}", "dash": f"{area}-{num}",
                "intl": f"+49 {area[1:]} {num}"}[st]
    if loc == "fr":
        first = rng.choice(["06", "07"]) if mobile else (city.area if city else "01")
        rest = [f"{rng.randint(0, 99):02d}" for _ in range(4)]
        if first == "07":
            rest[0] = f"{rng.randint(50, 89)}"
        st = style or weighted(rng, ["space", "dot", "intl", "plain"], [55, 15, 15, 15])
        if st == "space":
            return " ".join([first] + rest)
        if st == "dot":
            return ".".join([first] + rest)
        if st == "intl":
            return "+33 " + first[1] + " " + " ".join(rest)
        return first + "".join(rest)
    if loc == "es":
        if mobile:
            n = rng.choice("67") + _digits(rng, 8, first_nonzero=False)
            if n[0] == "7":
                n = "7" + str(rng.randint(1, 4)) + n[2:]
        else:
            area = city.area if city else "91"
            n = area + _digits(rng, 9 - len(area))
        st = style or weighted(rng, ["3-3-3", "intl", "plain", "2-3-2-2"], [45, 20, 20, 15])
        if st == "3-3-3":
            return f"{n[:3]} {n[3:6]} {n[6:]}"
        if st == "intl":
            return f"+34 {n[:3]} {n[3:5]} {n[5:7]} {n[7:]}"
        if st == "2-3-2-2" and not mobile and len(city.area if city else "91") == 2:
            return f"{n[:2]} {n[2:5]} {n[5:7]} {n[7:]}"
        return n
    if loc == "it":
        if mobile:
            pre = rng.choice(["320", "328", "329", "333", "334", "335", "338", "339", "340", "345", "347",
                              "348", "349", "366", "380", "388", "389", "391", "392"])
            num = _digits(rng, 7, first_nonzero=False)
            st = style or weighted(rng, ["space", "split", "intl", "plain"], [40, 20, 20, 20])
            return {"space": f"{pre} {num}", "split": f"{pre} {num[:3]} {num[3:]}",
                    "intl": f"+39 {pre} {num[:3]} {num[3:]}", "plain": pre + num}[st]
        area = city.area if city else "06"
        num = _digits(rng, 10 - len(area) if len(area) < 4 else 6)
        st = style or weighted(rng, ["space", "intl", "plain"], [60, 20, 20])
        return {"space": f"{area} {num}", "intl": f"+39 {area} {num}", "plain": area + num}[st]
    if loc == "nl":
        if mobile:
            num = _digits(rng, 8)
            st = style or weighted(rng, ["dash", "space", "intl", "plain"], [35, 25, 20, 20])
            return {"dash": f"06-{num}", "space": f"06 {num}", "intl": f"+31 6 {num}",
                    "plain": f"06{num}"}[st]
        area = city.area if city else "020"
        num = _digits(rng, 10 - len(area))
        st = style or weighted(rng, ["dash", "space", "intl"], [50, 30, 20])
        return {"dash": f"{area}-{num}", "space": f"{area} {num}", "intl": f"+31 {area[1:]} {num}"}[st]
    if loc == "en":
        area = rng.choice(city.area) if city else "212"
        ex = str(rng.randint(2, 9)) + _digits(rng, 2, first_nonzero=False)
        line = _digits(rng, 4, first_nonzero=False)
        st = style or weighted(rng, ["paren", "dash", "dot", "intl"], [40, 35, 10, 15])
        return {"paren": f"({area}) {ex}-{line}", "dash": f"{area}-{ex}-{line}",
                "dot": f"{area}.{ex}.{line}", "intl": f"+1 {area} {ex} {line}"}[st]
    raise ValueError(loc)


# --------------------------------------------------------------------------------------------
# Street addresses (some streets named after people)
# --------------------------------------------------------------------------------------------
class AddressGen:
    def __init__(self, loc, seed, rng):
        self.loc = loc
        self.rng = rng
        self.a = Address(mim_locale(loc), seed=seed)
        self.p = Person(mim_locale(loc), seed=seed + 17)

    def _person_street(self):
        rng, p = self.rng, self.p
        fn = p.first_name(gender=rng.choice([Gender.FEMALE, Gender.MALE]))
        ln = p.surname()
        if self.loc == "de":
            return weighted(rng, [f"{fn}-{ln}-Straße", f"{ln}straße", f"{fn}-{ln}-Weg", f"{ln}platz",
                                  f"{fn}-{ln}-Allee", f"{ln}str."], [35, 25, 10, 10, 10, 10])
        if self.loc == "fr":
            return weighted(rng, [f"rue {fn} {ln}", f"avenue {fn} {ln}", f"boulevard {ln}",
                                  f"place {fn}-{ln}", f"rue du Docteur {ln}", f"allée {fn} {ln}"],
                            [35, 15, 15, 10, 15, 10])
        if self.loc == "es":
            return weighted(rng, [f"Calle de {fn} {ln}", f"Avenida de {fn} {ln}", f"Calle {ln}",
                                  f"Plaza de {fn} {ln}", f"Paseo de {ln}"], [35, 20, 20, 15, 10])
        if self.loc == "it":
            return weighted(rng, [f"Via {fn} {ln}", f"Viale {fn} {ln}", f"Piazza {ln}",
                                  f"Corso {fn} {ln}", f"Via {ln}"], [40, 15, 15, 10, 20])
        if self.loc == "nl":
            return weighted(rng, [f"{fn} {ln}straat", f"{ln}laan", f"{fn} {ln}plein", f"{ln}straat",
                                  f"{fn} {ln}kade"], [35, 20, 10, 25, 10])
        return weighted(rng, [f"{ln} Street", f"{ln} Avenue", f"{fn} {ln} Boulevard", f"{ln} Road",
                              f"{ln} Place"], [35, 25, 10, 20, 10])

    def street(self):
        rng = self.rng
        if rng.random() < 0.3:
            return self._person_street()
        s = self.a.street_name()
        if self.loc == "fr":
            s = f"{rng.choice(['rue', 'rue', 'rue', 'avenue', 'boulevard', 'impasse', 'chemin'])} {s[0].lower() + s[1:] if s.startswith(('De ', 'Du ', 'Des ', 'D ')) else s}"
            s = s.replace(" D ", " d'")
        elif self.loc == "it" and not s.split(" ")[0] in ("Via", "Viale", "Piazza", "Corso"):
            s = f"{rng.choice(['Via', 'Via', 'Via', 'Viale', 'Piazza', 'Corso'])} {s}"
        elif self.loc == "en":
            s = f"{s} {weighted(rng, ['St', 'Ave', 'Rd', 'Blvd', 'Ln', 'Dr', 'Ct', 'Pl'], [30, 20, 12, 6, 8, 10, 6, 8])}"
        return s

    def number(self):
        rng = self.rng
        n = int((rng.paretovariate(1.0) - 1) * 9) % 240 + 1
        if self.loc == "de":
            r = rng.random()
            return f"{n}{rng.choice('abc')}" if r < 0.08 else (f"{n}/{n + 1}" if r < 0.1 else str(n))
        if self.loc == "nl":
            r = rng.random()
            if r < 0.08:
                return f"{n}{rng.choice('ABC')}"
            if r < 0.16:
                return f"{n}-{rng.choice(['I', 'II', 'III', 'hs', '1', '2'])}"
            return str(n)
        if self.loc == "fr":
            return f"{n} bis" if rng.random() < 0.05 else str(n)
        return str(n)

    def make(self):
        """Returns (street, number, one-line street address)."""
        rng = self.rng
        st, no = self.street(), self.number()
        if self.loc in ("de", "nl"):
            line = f"{st} {no}"
        elif self.loc == "fr":
            line = f"{no} {st}"
        elif self.loc == "es":
            floor = rng.random()
            extra = f", {rng.randint(1, 9)}º {rng.choice('ABCDI')}" if floor < 0.55 else ""
            line = f"{st}, {no}{extra}"
        elif self.loc == "it":
            line = f"{st}, {no}" if rng.random() < 0.7 else f"{st} {no}"
        else:
            line = f"{rng.randint(1, 9999)} {st}"
            if rng.random() < 0.25:
                line += f" {rng.choice(['Apt', 'Apt.', 'Unit', '#'])} {rng.randint(1, 30)}{rng.choice(['', 'A', 'B', 'C'])}"
            no = ""
        return st, no, line


# --------------------------------------------------------------------------------------------
# Check-digit identifiers
# --------------------------------------------------------------------------------------------
def _iban_check(country, bban):
    s = bban + country + "00"
    num = "".join(str(int(c, 36)) for c in s)
    return f"{98 - int(num) % 97:02d}"


_CF_ODD = dict(zip("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ",
                   [1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 1, 0, 5, 7, 9, 13, 15, 17, 19, 21, 2, 4, 18, 20,
                    11, 3, 6, 8, 12, 14, 16, 10, 22, 25, 24, 23]))


def _cf_even(c):
    return int(c) if c.isdigit() else ord(c) - 65


def _it_check_char(s):
    tot = sum(_CF_ODD[c] if i % 2 == 0 else _cf_even(c) for i, c in enumerate(s))
    return chr(65 + tot % 26)


def iban(loc, rng, grouped=None):
    if loc == "de":
        cc, bban = "DE", str(rng.randint(10000000, 87099999)) + _digits(rng, 10, False)
    elif loc == "fr":
        bank, branch = f"{rng.choice([30002, 30003, 30004, 10107, 20041, 30066, 11315, 18206]):05d}", _digits(rng, 5, False)
        acct = _digits(rng, 11, False)
        key = 97 - ((89 * int(bank) + 15 * int(branch) + 3 * int(acct)) % 97)
        cc, bban = "FR", f"{bank}{branch}{acct}{key:02d}"
    elif loc == "es":
        bank = rng.choice(["0049", "0075", "0081", "0128", "0182", "2100", "2038", "1465", "0487"])
        branch = _digits(rng, 4, False)
        acct = _digits(rng, 10, False)
        w = [1, 2, 4, 8, 5, 10, 9, 7, 3, 6]

        def dc(ds):
            d = 11 - sum(int(a) * b for a, b in zip(ds, w)) % 11
            return {10: 1, 11: 0}.get(d, d)
        cc, bban = "ES", f"{bank}{branch}{dc('00' + bank + branch)}{dc(acct)}{acct}"
    elif loc == "it":
        abi = rng.choice(["03069", "02008", "05034", "03062", "01030", "05387", "03111", "06230"])
        cab = _digits(rng, 5, False)
        acct = f"{'0' * 4}{_digits(rng, 8, False)}" if rng.random() < 0.5 else _digits(rng, 12, False)
        cin = _it_check_char(abi + cab + acct)
        cc, bban = "IT", f"{cin}{abi}{cab}{acct}"
    elif loc == "nl":
        cc, bban = "NL", rng.choice(["ABNA", "INGB", "RABO", "SNSB", "TRIO", "ASNB", "KNAB", "BUNQ"]) + _digits(rng, 10, False)
    else:
        raise ValueError(loc)
    s = cc + _iban_check(cc, bban) + bban
    if grouped is None:
        grouped = rng.random() < 0.5
    return " ".join(s[i:i + 4] for i in range(0, len(s), 4)) if grouped else s


def iban_valid(s):
    s = s.replace(" ", "")
    num = "".join(str(int(c, 36)) for c in s[4:] + s[:4])
    return int(num) % 97 == 1


def codice_fiscale(pp, city):
    def letters(s):
        s = re.sub(r"[^A-Z]", "", ascii_fold(s).upper())
        cons = [c for c in s if c not in "AEIOU"]
        vow = [c for c in s if c in "AEIOU"]
        return cons, vow
    c, v = letters(pp["last"])
    sur = "".join(c + v + ["X"] * 3)[:3]
    c, v = letters(pp["first"].split(" ")[0].split("-")[0])
    name = c[0] + c[2] + c[3] if len(c) >= 4 else "".join(c + v + ["X"] * 3)[:3]
    b = pp["birth"]
    day = b.day + (40 if pp["g"] == "F" else 0)
    core = f"{sur}{name}{b.year % 100:02d}{'ABCDEHLMPRST'[b.month - 1]}{day:02d}{city.extra}"
    return core + _it_check_char(core)


def dni(rng, foreign=False):
    letters = "TRWAGMYFPDXBNJZSQVHLCKE"
    if foreign:
        p = rng.choice("XYZ")
        n = _digits(rng, 7, False)
        return f"{p}{n}{letters[int(str('XYZ'.index(p)) + n) % 23]}"
    n = rng.randint(1000000, 79999999)
    return f"{n:08d}{letters[n % 23]}"


def nir(rng, pp, foreign_code=None):
    b = pp["birth"]
    sex = "2" if pp["g"] == "F" else "1"
    if foreign_code:
        dep, com = "99", foreign_code
    else:
        dep = rng.choice(["75", "13", "69", "31", "06", "44", "67", "34", "33", "59", "35", "38", "21",
                          "74", "01", "92", "93", "94", "62", "57"])
        com = f"{rng.randint(1, 400):03d}"
    order = f"{rng.randint(1, 999):03d}"
    body = f"{sex}{b.year % 100:02d}{b.month:02d}{dep}{com}{order}"
    key = 97 - int(body) % 97
    return f"{body[0]} {body[1:3]} {body[3:5]} {body[5:7]} {body[7:10]} {body[10:13]} {key:02d}"


def steuer_id(rng):
    while True:
        digits = list(range(10))
        rng.shuffle(digits)
        nine = digits[:9]
        ten = nine + [rng.choice(nine)]
        rng.shuffle(ten)
        if ten[0] != 0:
            break
    product = 10
    for d in ten:
        s = (d + product) % 10
        s = 10 if s == 0 else s
        product = (s * 2) % 11
    check = 11 - product
    check = 0 if check == 10 else check
    s = "".join(map(str, ten)) + str(check)
    return s


def sv_nummer(rng, pp):
    b = pp["birth"]
    area = rng.choice(["02", "03", "04", "08", "09", "10", "11", "12", "13", "14", "15", "16", "17",
                       "18", "19", "20", "21", "23", "24", "25", "26", "28", "29", "38", "39", "40",
                       "42", "43", "44", "45", "46", "47", "48", "49", "50", "51", "52", "53", "54",
                       "55", "56", "57", "58", "59", "60", "61", "62", "63", "64", "65", "66", "67", "68", "69"])
    letter = ascii_fold(pp["last"].replace("von ", ""))[0].upper()
    serial = rng.randint(0, 49) + (50 if pp["g"] == "F" else 0)
    digits = f"{area}{b.day:02d}{b.month:02d}{b.year % 100:02d}{ord(letter) - 64:02d}{serial:02d}"
    w = [2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1]
    tot = sum(sum(int(x) for x in str(int(d) * k)) for d, k in zip(digits, w))
    return f"{area} {b.day:02d}{b.month:02d}{b.year % 100:02d} {letter} {serial:02d}{tot % 10}"


def ean13(rng, prefix="80"):
    body = prefix + _digits(rng, 12 - len(prefix), False)
    s = sum(int(c) * (3 if i % 2 else 1) for i, c in enumerate(body))
    return body + str((10 - s % 10) % 10)


def targa(rng):
    L = "ABCDEFGHJKLMNPRSTVWXYZ"
    return f"{rng.choice('ABCDEFG')}{rng.choice(L)}{rng.randint(0, 999):03d}{rng.choice(L)}{rng.choice(L)}"


def uuid4(rng):
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def ipv4(rng, internet=None):
    r = rng.random()
    if r < 0.15:
        return f"192.168.{rng.randint(0, 5)}.{rng.randint(2, 254)}"
    if r < 0.2:
        return f"10.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(2, 254)}"
    while True:
        a = rng.randint(2, 223)
        if a not in (10, 127, 172, 192, 169, 100):
            return f"{a}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"


def company(loc, seed):
    return Finance(mim_locale(loc), seed=seed)


def dec(x, decimal=",", nd=2, thousands=None):
    s = f"{x:,.{nd}f}" if thousands else f"{x:.{nd}f}"
    if thousands:
        s = s.replace(",", "\0").replace(".", decimal).replace("\0", thousands)
    elif decimal != ".":
        s = s.replace(".", decimal)
    return s


# --------------------------------------------------------------------------------------------
# Notes: templates rendered with identifier substrings recorded
# --------------------------------------------------------------------------------------------
ID_KINDS = {
    "last": "surname", "first": "given_name", "full": "full_name", "phone": "phone",
    "newphone": "phone", "email": "email", "newemail": "email", "ref": "reference",
    "cust": "reference", "oldcust": "reference", "iban": "iban", "addr": "street_address",
    "dob": "birth_date", "other": "full_name", "other_first": "given_name", "other_last": "surname",
    "agent": "given_name", "ip": "ip_address", "dni": "national_id", "judge": "full_name",
    "atty": "full_name", "plate": "license_plate", "other_email": "email", "other_dni": "national_id",
}
_PH = re.compile(r"\{(\w+)(?:\|(\w+))?\}")
_ALT = re.compile(r"\{(g|og):([^/}]*)/([^}]*)\}")  # {g:female/male} by the row's person, {og:...} by the other


def render(template, values):
    """Fill a template; return (text, [(substring, kind), ...]) for the identifier placeholders."""
    found = []

    def sub(m):
        key, mod = m.group(1), m.group(2)
        v = str(values[key])
        if mod == "lower":
            v = v.lower()
        elif mod == "upper":
            v = v.upper()
        if key in ID_KINDS and (v, ID_KINDS[key]) not in found:
            found.append((v, ID_KINDS[key]))
        return v
    def alt(m):
        who, f, mform = m.group(1), m.group(2), m.group(3)
        g = values.get("_g" if who == "g" else "_og", "F")
        return mform if g == "M" else f
    text = _PH.sub(sub, _ALT.sub(alt, template))
    return text, found


def placeholders(template):
    return {m.group(1) for m in _PH.finditer(template)}
