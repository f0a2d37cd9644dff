//! Street addresses as whole values: a house number beside a street word (`rue`, `Avenue`,
//! `calle`, `Via`, `Street`, `St.`) or a word with a street-name ending (`Hauptstraße`,
//! `Kerkstraat`, `Lindenweg`, `Luisa-Löchel-Straße`), in the orders people write them:
//! number first (`221B Baker Street`, `12 rue de la Paix`) or last (`Via Roma 10`,
//! `Calle Mayor, 5`, `Hauptstr. 3/4`), optionally followed by a postcode and a town.

/// Street words that stand alone before or after the street's name, in English, German,
/// French, Spanish, Italian and Dutch (lower case, without diacritics or a final `.`).
const STREET_WORDS: [&str; 72] = [
    // English
    "street",
    "st",
    "avenue",
    "ave",
    "av",
    "road",
    "rd",
    "lane",
    "ln",
    "drive",
    "dr",
    "boulevard",
    "blvd",
    "court",
    "ct",
    "place",
    "pl",
    "way",
    "terrace",
    "circle",
    "cir",
    "parkway",
    "pkwy",
    "highway",
    "hwy",
    "square",
    "sq",
    "crescent",
    "close",
    "trail",
    "apt",
    "suite",
    "unit",
    // German (as separate words: `Am Markt`, `Berliner Straße`)
    "strasse",
    "str",
    "weg",
    "gasse",
    "allee",
    "platz",
    "chaussee",
    // French
    "rue",
    "chemin",
    "allee",
    "impasse",
    "quai",
    "route",
    "cours",
    "passage",
    "bd",
    // Spanish
    "calle",
    "avenida",
    "avda",
    "plaza",
    "paseo",
    "camino",
    "carretera",
    "ronda",
    "travesia",
    "pasaje",
    // Galician and Portuguese
    "rua",
    // Italian
    "via",
    "viale",
    "piazza",
    "corso",
    "largo",
    "vicolo",
    "strada",
    "piazzale",
    "contrada",
    // Dutch
    "straat",
    "laan",
    "plein",
];

/// Endings of one-word street names (German and Dutch compounds: `Hauptstraße`, `Kerkstraat`,
/// `Lindenweg`, `Marktplatz`, `Prinsengracht`).
const STREET_ENDINGS: [&str; 24] = [
    "strasse", "str", "weg", "gasse", "allee", "platz", "ring", "damm", "ufer", "chaussee",
    "steig", "pfad", "markt", "straat", "laan", "plein", "gracht", "kade", "singel", "dijk",
    "steeg", "hof", "park", "berg",
];

/// Lower-case `w` without diacritics and a final `.` (`Straße` → `strasse`).
fn fold(w: &str) -> String {
    let mut out = String::with_capacity(w.len());
    for c in w.trim_end_matches('.').chars() {
        for l in c.to_lowercase() {
            super::fold_letter(l, &mut out);
        }
    }
    out
}

/// A house number: 1–5 digits, an optional letter, an optional `/` or `-` and a second number
/// or letter (`3`, `12a`, `221B`, `3/4`, `10-12`, `5bis`).
fn house_number(w: &str) -> bool {
    let w = w.trim_end_matches([',', '.']);
    let b = w.as_bytes();
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 5 {
        return false;
    }
    let rest = &w[digits..];
    let rest = rest.strip_prefix(['/', '-']).unwrap_or(rest);
    rest.is_empty()
        || matches!(rest, "bis" | "ter")
        || (rest.len() <= 4
            && rest.bytes().all(|c| c.is_ascii_alphanumeric())
            && rest.bytes().filter(u8::is_ascii_alphabetic).count() <= 1)
}

/// Whether a word names a street: a street word, or a word of 5 or more letters ending in a
/// street-name ending.
fn street_word(w: &str) -> bool {
    if w.eq_ignore_ascii_case("c/") {
        return true;
    }
    let f = fold(w);
    if STREET_WORDS.contains(&f.as_str()) {
        return true;
    }
    let letters = f.chars().filter(|c| c.is_alphabetic()).count();
    letters >= 5
        && STREET_ENDINGS
            .iter()
            .any(|e| f.len() > e.len() + 2 && f.ends_with(e))
        && f.chars().all(|c| c.is_alphabetic() || c == '-')
}

/// Particles inside street names (`rue de la Paix`, `Calle de Alcalá`, `Via dei Mille`).
const STREET_PARTICLES: [&str; 20] = [
    "de", "la", "le", "les", "du", "des", "del", "della", "dei", "degli", "di", "van", "der",
    "den", "am", "an", "da", "das", "do", "dos",
];

/// The words of `text` from byte `i`: (start, end) without trailing `,` `.` `;` `:`, up to
/// `max` of them.
fn words_from(text: &str, i: usize, max: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let b = text.as_bytes();
    let mut j = i;
    while out.len() < max && j < b.len() {
        while j < b.len() && (b[j].is_ascii_whitespace() || b[j] == b',') {
            j += 1;
        }
        let s = j;
        while j < b.len() && !b[j].is_ascii_whitespace() && b[j] != b',' {
            j += 1;
        }
        if s == j {
            break;
        }
        let mut e = j;
        while e > s && matches!(b[e - 1], b'.' | b';' | b':' | b')' | b'!' | b'?') {
            e -= 1;
        }
        // Keep the `.` of an abbreviated street word (`Hauptstr.`, `Ave.`).
        if e < j && b[e] == b'.' && street_word(&text[s..e]) {
            e += 1;
        }
        if e == s {
            break;
        }
        out.push((s, e));
        // A sentence end closes the address.
        if e < j && matches!(b[e], b';' | b'!' | b'?') {
            break;
        }
    }
    out
}

fn capitalised(w: &str) -> bool {
    w.chars().next().is_some_and(char::is_uppercase)
}

/// The end of a street address starting at byte `i` of `text`, if one starts there:
/// - number first: a house number, then within four words a street word, with a capitalised
///   street name beside it (`221B Baker Street`, `12 rue de la Paix`, `1600 Pennsylvania Ave`);
/// - name first: up to two capitalised words, then a capitalised street word or a word with a
///   street-name ending, then within four words a house number (`Via Roma 10`, `Calle Mayor,
///   5`, `Am Lindenweg 12a`, `Luisa-Löchel-Straße 3/4`).
pub(crate) fn address_at(text: &str, i: usize) -> Option<usize> {
    let ws = words_from(text, i, 9);
    let word = |k: usize| &text[ws[k].0..ws[k].1];
    if ws.len() < 2 {
        return None;
    }
    if house_number(word(0)) {
        let street = (1..ws.len().min(5)).find(|&k| street_word(word(k)))?;
        // Between the number and the street word: the street's name, no other number and no
        // punctuation (`470 441 2415, Ansprechpartner Dr.` is a phone and a title).
        if (1..street).any(|k| word(k).bytes().any(|c| c.is_ascii_digit()))
            || text[ws[0].1..ws[street].0].contains([':', ',', ';', '(', ')'])
        {
            return None;
        }
        let named = (1..street).any(|k| capitalised(word(k)));
        // Name words and particles after the street word (`rue de la Paix`).
        let mut end = street;
        let mut k = street + 1;
        while k < ws.len() && k <= street + 4 {
            if text[ws[k - 1].1..ws[k].0].contains([',', ':', ';', '.']) {
                break;
            }
            let w = word(k);
            if capitalised(w) && !house_number(w) {
                end = k;
            } else if !STREET_PARTICLES.contains(&fold(w).as_str()) {
                break;
            }
            k += 1;
        }
        return (named || end > street).then(|| ws[end].1);
    }
    if !capitalised(word(0)) {
        return None;
    }
    let Some(street) = (0..ws.len().min(3)).find(|&k| {
        let w = word(k);
        capitalised(w) && street_word(w)
    }) else {
        return postcode_address(text, &ws);
    };
    // The words before the street word belong to its name (`Am Lindenweg`, `Berliner
    // Straße`): no number and no punctuation between them (`Lieferadresse: Hauptstr. 5`).
    if (0..street).any(|k| house_number(word(k)))
        || text[ws[0].0..ws[street].0].contains([':', ',', ';', '(', ')'])
    {
        return None;
    }
    let number = (street + 1..ws.len().min(street + 5)).find(|&k| house_number(word(k)))?;
    // Between the street word and the number: the street's name (capitalised words and
    // particles), nothing else.
    let name_ok = (street + 1..number).all(|k| {
        let w = word(k);
        capitalised(w) || STREET_PARTICLES.contains(&fold(w).as_str())
    });
    name_ok.then(|| tail_end(text, &ws, number + 1).unwrap_or(ws[number].1))
}

/// A postcode: five digits (Germany, France, Spain, Italy) or four digits and two capital
/// letters as the Netherlands write them (`5631 AE`, read as two words).
fn postcode_at(text: &str, ws: &[(usize, usize)], k: usize) -> Option<usize> {
    let w = |k: usize| ws.get(k).map(|&(s, e)| &text[s..e]);
    let p = w(k)?;
    let digits = p.bytes().all(|c| c.is_ascii_digit());
    if digits && p.len() == 5 {
        return Some(k + 1);
    }
    let letters = w(k + 1)?;
    (digits
        && p.len() == 4
        && letters.len() == 2
        && letters.bytes().all(|c| c.is_ascii_uppercase()))
    .then_some(k + 2)
}

/// A street without a street word, told by what follows it: up to three capitalised words, a
/// house number, at most two words of floor and door (`7º`, `D`, `bis`), a postcode and a
/// capitalised town (`Baerwaldbrücke 17, 90451 Nürnberg`, `Regenboogbrink 16, 5631 AE
/// Eindhoven`); the end of the town.
fn postcode_address(text: &str, ws: &[(usize, usize)]) -> Option<usize> {
    let word = |k: usize| &text[ws[k].0..ws[k].1];
    let number = (1..ws.len().min(4)).find(|&k| house_number(word(k)))?;
    let name_ok = (0..number).all(|k| {
        let w = word(k);
        !w.bytes().any(|c| c.is_ascii_digit())
            && (capitalised(w) || (k > 0 && STREET_PARTICLES.contains(&fold(w).as_str())))
    }) && !text[ws[0].0..ws[number - 1].1].contains([':', ';', '(', ')']);
    if !name_ok {
        return None;
    }
    tail_end(text, ws, number + 1)
}

/// After a house number ending before word `k`: at most two words of floor and door (`7º`,
/// `D`, `bis`), a postcode and a capitalised town; the end of the town, if they are there.
fn tail_end(text: &str, ws: &[(usize, usize)], k: usize) -> Option<usize> {
    let word = |k: usize| &text[ws[k].0..ws[k].1];
    let floor = |w: &str| {
        w.contains(['º', 'ª', '°'])
            || (w.len() == 1 && w.bytes().all(|c| c.is_ascii_uppercase()))
            || matches!(w, "bis" | "ter")
    };
    let mut j = k;
    while j < ws.len() && j < k + 2 && floor(word(j)) {
        j += 1;
    }
    let town = postcode_at(text, ws, j)?;
    // A town is no abbreviation: a `.` after it ends the sentence (`Nürnberg.`).
    (town < ws.len() && capitalised(word(town)))
        .then(|| ws[town].0 + word(town).trim_end_matches('.').len())
}

/// Whether the whole value reads as a street address: one starts at its beginning
/// ([`address_at`]), and what follows is at most six words of postcode, town, region or
/// country (capitalised words, numbers, short codes).
pub(super) fn is_street_address(v: &str) -> bool {
    if v.len() > 160 || v.contains('@') {
        return false;
    }
    let Some(end) = address_at(v, 0) else {
        return false;
    };
    let tail = words_from(v, end, 8);
    tail.len() <= 6
        && tail.iter().all(|&(s, e)| {
            let w = v[s..e].trim_start_matches('(');
            w.bytes().any(|c| c.is_ascii_digit())
                || capitalised(w)
                || w.len() <= 3
                || STREET_PARTICLES.contains(&fold(w).as_str())
        })
}

/// A looser form under an address column name: letters and a digit, at most 160 bytes.
pub(super) fn loose_address(v: &str) -> bool {
    v.len() <= 160
        && v.bytes().any(|c| c.is_ascii_digit())
        && v.chars().filter(|c| c.is_alphabetic()).count() >= 3
        && !v.contains('@')
}

#[cfg(test)]
mod tests {
    use super::is_street_address as a;

    #[test]
    fn addresses_in_six_languages() {
        for v in [
            "221B Baker Street",
            "1600 Pennsylvania Ave NW",
            "12 rue de la Paix",
            "Luisa-Löchel-Straße 3/4",
            "Hauptstr. 5",
            "Am Lindenweg 12a, 10115 Berlin",
            "Via Roma 10",
            "Calle Mayor, 5",
            "Kerkstraat 101",
            "Avenida de la Constitución 23, 3º B",
            "Prinsengracht 263",
            "Baerwaldbrücke 17, 90451 Nürnberg",
            "Regenboogbrink 16, 5631 AE Eindhoven",
            "Goya, 12, 3º A, 28001 Madrid",
            "Piazza Navona 2",
        ] {
            assert!(a(v), "{v}");
        }
    }

    #[test]
    fn not_addresses() {
        for v in [
            "Organic Green Tea",
            "Burglary in the second degree",
            "Order 4411",
            "Size 7 ring",
            "2 x Earl Grey",
            "Berlin",
            "Dr. Anna Schmidt",
            "12345",
            "C-2019-00042",
            "Room 12",
            "Vitamin C 500",
            "sent 3 via email",
            "Neue Lieferadresse: Karen-Buhr-Straße 8, 04120 Leipzig, bitte ab sofort verwenden.",
            // A number and a postcode-sized number, but no town after it.
            "Bestellung 12345 vom 3. Mai",
            "Order 17, 90451",
            "Size 7, 12345 units",
            // Digits in the name: not a street.
            "Windows 10, 22H2 Update",
        ] {
            assert!(!a(v), "{v}");
        }
    }

    #[test]
    fn addresses_inside_text() {
        fn found(t: &str) -> Option<&str> {
            (0..t.len())
                .filter(|&i| t.is_char_boundary(i) && (i == 0 || t.as_bytes()[i - 1] == b' '))
                .find_map(|i| super::address_at(t, i).map(|e| &t[i..e]))
        }
        assert_eq!(
            found("Neue Lieferadresse: Karen-Buhr-Straße 8, 04120 Leipzig."),
            Some("Karen-Buhr-Straße 8, 04120 Leipzig")
        );
        // The floor, door, postcode and town go with the street: a postcode and town left
        // beside `[ADDRESS]` still place the person.
        assert_eq!(
            found("Nueva dirección: Calle Mayor, 3, 1º A, 28017 Madrid."),
            Some("Calle Mayor, 3, 1º A, 28017 Madrid")
        );
        assert_eq!(
            found("Nova morada: Rúa do Franco, 12, 15705 Santiago."),
            Some("Rúa do Franco, 12, 15705 Santiago")
        );
        assert_eq!(
            found("neue Anschrift: Baerwaldbrücke 17, 90451 Nürnberg."),
            Some("Baerwaldbrücke 17, 90451 Nürnberg")
        );
        assert_eq!(
            found("Please ship to 221B Baker Street, London."),
            Some("221B Baker Street")
        );
        assert_eq!(
            found("Livrer au 12 rue de la Paix svp"),
            Some("12 rue de la Paix")
        );
        assert_eq!(found("Sent 3 via email to the team"), None);
        assert_eq!(
            found("Rückruf erbeten unter 470 441 2415, Ansprechpartner Dr. Jerri Snowden"),
            None
        );
        assert_eq!(found("Order 4411 shipped in 2 boxes"), None);
    }
}
