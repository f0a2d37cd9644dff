//! Tests of the detector: kinds by value, by column name, in free text, and redaction.
use super::column::*;
use super::*;

/// `prefix` followed by its Luhn check digit.
fn with_luhn(prefix: &str) -> String {
    (0..10u8)
        .map(|d| format!("{prefix}{d}"))
        .find(|s| luhn_valid(s))
        .expect("one check digit fits")
}

/// A deterministic stream of pseudo-random digits (64-bit LCG, Knuth's MMIX constants).
struct Digits(u64);
impl Digits {
    fn next(&mut self) -> u8 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) % 10) as u8
    }
    fn string(&mut self, n: usize) -> String {
        (0..n).map(|_| char::from(b'0' + self.next())).collect()
    }
}

#[test]
fn luhn_accepts_the_published_test_numbers_only() {
    for ok in [
        "4111 1111 1111 1111",
        "5500 0000 0000 0004",
        "3400 0000 0000 009",
        "79927398713",
    ] {
        assert!(luhn_valid(ok), "{ok}");
    }
    for bad in [
        "79927398710",
        "4111111111111112",
        "4111-1111-1111-111x",
        "",
        "0",
    ] {
        assert!(!luhn_valid(bad), "{bad}");
    }
    // As whole values, the 16- and 15-digit ones are cards; the 11-digit one is too short.
    assert_eq!(classify("4111 1111 1111 1111"), Some(Kind::PaymentCard));
    assert_eq!(classify("5500-0000-0000-0004"), Some(Kind::PaymentCard));
    assert_eq!(classify("340000000000009"), Some(Kind::PaymentCard));
    assert_eq!(classify("4111111111111112"), None);
    assert_eq!(classify("79927398713"), None);
    // Mixed separators are not one number.
    assert_eq!(classify("4111 1111-1111 1111"), None);
}

#[test]
fn iban_accepts_the_published_examples_and_rejects_one_digit_changes() {
    for ok in [
        "GB82 WEST 1234 5698 7654 32",
        "DE89 3704 0044 0532 0130 00",
        "FR14 2004 1010 0505 0001 3M02 606",
        "DE89370400440532013000",
        "de89370400440532013000",
    ] {
        assert!(iban_valid(ok), "{ok}");
        assert_eq!(classify(ok), Some(Kind::Iban), "{ok}");
    }
    for bad in [
        "GB82 WEST 1234 5698 7654 33",
        "DE89 3704 0044 0532 0130 01",
        "FR14 2004 1010 0505 0001 3M02 607",
        "DE88 3704 0044 0532 0130 00",
        // Right check, wrong length for Germany (a digit dropped changes the check anyway).
        "DE89 3704 0044 0532 0130 0",
        "DE89-3704-0044-0532-0130-00",
    ] {
        assert!(!iban_valid(bad), "{bad}");
        assert_eq!(classify(bad), None, "{bad}");
    }
}

#[test]
fn german_tax_id_check_digit_agrees_with_published_samples() {
    // The widely published BZSt sample and an independent worked example.
    assert_eq!(de_tax_check_digit(&[8, 6, 0, 9, 5, 7, 4, 2, 7, 1]), 9);
    assert!(de_tax_id_valid("86095742719"));
    assert!(de_tax_id_valid("12345678995"));
    assert!(de_tax_id_valid("86 095 742 719"));
    // One computed here: 1 repeated, check digit from the implementation.
    let base = [1, 2, 3, 4, 5, 6, 7, 8, 9, 1];
    let check = de_tax_check_digit(&base);
    let id: String = base
        .iter()
        .chain([check].iter())
        .map(|d| char::from(b'0' + d))
        .collect();
    assert!(de_tax_id_valid(&id), "{id}");
    assert_eq!(classify(&id), Some(Kind::DeTaxId));
    assert_eq!(classify("86095742719"), Some(Kind::DeTaxId));
    assert_eq!(classify("86 095 742 719"), Some(Kind::DeTaxId));

    for bad in [
        "86095742718", // check digit off by one
        "86095742791", // last two swapped
        "06095742719", // leading zero
        "8609574271",  // ten digits
    ] {
        assert!(!de_tax_id_valid(bad), "{bad}");
    }
    // A correct check digit does not rescue a number breaking the repetition rule.
    for base in [
        [1, 2, 3, 4, 5, 6, 7, 8, 9, 0],
        [1, 1, 1, 1, 2, 3, 4, 5, 6, 7],
        [1, 1, 2, 2, 3, 4, 5, 6, 7, 8],
    ] {
        let check = de_tax_check_digit(&base);
        let id: String = base
            .iter()
            .chain([check].iter())
            .map(|d| char::from(b'0' + d))
            .collect();
        assert!(!de_tax_id_valid(&id), "{id}");
    }
}

#[test]
fn ssn_follows_the_ssa_rules() {
    assert!(us_ssn_valid("078-05-1120"));
    assert!(us_ssn_valid("078051120"));
    assert_eq!(classify("078-05-1120"), Some(Kind::UsSsn));
    for bad in [
        "000-12-3456",
        "666-12-3456",
        "900-12-3456",
        "999-12-3456",
        "123-00-4567",
        "123-45-0000",
        "123-45-678",
        "12-345-6789",
    ] {
        assert!(!us_ssn_valid(bad), "{bad}");
        assert_ne!(classify(bad), Some(Kind::UsSsn), "{bad}");
    }
}

#[test]
fn emails_valid_and_near_misses() {
    for ok in [
        "anna.schmidt@example.org",
        "a@b.co",
        "first+tag@mail.example.com",
        "x_y-z%1@sub-domain.example.de",
    ] {
        assert_eq!(classify(ok), Some(Kind::Email), "{ok}");
    }
    for bad in [
        "a@b",
        "user@@example.com",
        "user@example",
        "user@.com",
        ".user@example.com",
        "user.@example.com",
        "us..er@example.com",
        "user@example.c",
        "user@-example.com",
        "user@example.123",
        "@example.com",
        "user example.com",
    ] {
        assert_eq!(classify(bad), None, "{bad}");
    }
}

#[test]
fn phones_valid_and_near_misses() {
    for ok in [
        "+4915112345678",
        "+1 415 555 0123",
        "+49 151 23456789",
        "+49 (0)30 1234567",
        "0049 30 1234567",
        "030 1234567",
        "0151-12345678",
        "(030) 1234567",
        "(415) 555-0123",
        "415-555-0123",
        "415.555.0123",
        "1-415-555-0123",
        // Extensions, 00/001 prefixes, dots, bare digit runs of a plausible length.
        "415-555-0123 x37915",
        "415-555-0123x37915",
        "(415) 555-0123 ext. 12",
        "+1 415 555 0123 ext 204",
        "+1-415-555-0123x6781",
        "001-415-555-0123",
        "00 49 30 1234567",
        "+49.30.1234567",
        "4155550123",
        "14155550123",
        "01511234567",
        "030 1234567, Durchwahl 12",
    ] {
        assert_eq!(classify(ok), Some(Kind::Phone), "{ok}");
        assert_eq!(
            redact(&format!("call {ok} now")),
            "call [PHONE] now",
            "{ok}"
        );
    }
    for bad in [
        "12345",
        "+12",
        "+0 151 2345678", // no country code starts with 0
        "0151",
        "1234567890", // bare: area code cannot start with 1
        "4151550123", // nor the exchange
        "1920x1080",
        "123-456-7890", // area code cannot start with 1
        "415-155-0123", // nor the exchange
        "030 12",       // too short
        "1,234.56",
        "555-0123",
    ] {
        assert_ne!(classify(bad), Some(Kind::Phone), "{bad}");
    }
}

/// Plans without a trunk `0` (Spain's nine digits, Italy's mobiles) in the groups people
/// write them in; longer numbers with thousands separators are not cut into one.
#[test]
fn phones_in_groups_without_a_trunk_zero() {
    for ok in [
        "687 389 795",
        "612 34 56 78",
        "91 234 56 78",
        "687.389.795",
        "687-389-795",
        "347 123 4567",
        "347 1234567",
        "347 123 45 67",
    ] {
        assert_eq!(classify(ok), Some(Kind::Phone), "{ok}");
        assert_eq!(
            redact(&format!("llamar al {ok} mañana")),
            "llamar al [PHONE] mañana",
            "{ok}"
        );
    }
    for bad in [
        "1 687 389 795",
        "687 389 795 123",
        "687 389",
        "687 389 79",
        "687-389 795",
        "687 389 795,50",
        "512 345 678",
        "347 12 34",
    ] {
        assert!(!redact(bad).contains("[PHONE]"), "{bad}: {}", redact(bad));
    }
}

#[test]
fn ip_addresses_valid_and_near_misses() {
    for ok in [
        "192.168.0.1",
        "8.8.8.8",
        "2001:db8::1",
        "fe80::1ff:fe23:4567:890a",
        "::ffff:192.0.2.1",
        "2001:0db8:0000:0000:0000:ff00:0042:8329",
    ] {
        assert_eq!(classify(ok), Some(Kind::IpAddress), "{ok}");
    }
    for bad in [
        "1.2.3.256",
        "1.2.3",
        "1.2.3.4.5",
        "01.02.03.04",
        "12:30:45",
        "10:30",
        "2001:db8::g",
        "a::b",
        "00:1A:2B:3C:4D:5E",
    ] {
        assert_eq!(classify(bad), None, "{bad}");
    }
}

#[test]
fn dates_are_real_calendar_days() {
    for ok in [
        "1985-03-12",
        "12.03.1985",
        "1.3.1985",
        "03/12/1985",
        "31/12/1985",
        "2024-02-29",
    ] {
        assert_eq!(classify(ok), Some(Kind::Date), "{ok}");
    }
    for bad in [
        "1985-02-30",
        "2023-02-29",
        "13/13/1985",
        "1985-3-12",
        "32.01.1985",
        "12.03.85",
        "2024",
    ] {
        assert_eq!(classify(bad), None, "{bad}");
    }
}

#[test]
fn person_names_need_a_given_name_and_a_surname() {
    for ok in [
        "Anna Schmidt",
        "anna schmidt",
        "Schmidt, Anna",
        "Dr. Anna Schmidt",
        "James R. Smith",
        "Maria Müller-Lüdenscheidt",
    ] {
        assert_eq!(classify(ok), Some(Kind::PersonName), "{ok}");
    }
    for bad in [
        "Anna",
        "Schmidt",
        "Anna banana",
        "Green tea",
        "Organic Green Tea Bags",
        "Anna Schmidt 2",
        "Anna Schmidt GmbH & Co",
    ] {
        assert_eq!(classify(bad), None, "{bad}");
    }
    let text = "Yesterday Anna Maria Schmidt met James Smith's dog, not anna schmidt.";
    let found: Vec<&str> = find_all(text).into_iter().map(|(r, _)| &text[r]).collect();
    // A possessive still names the person; lower-case words do not count.
    assert_eq!(found, ["Anna Maria Schmidt", "James Smith"]);
}

#[test]
fn redacts_the_example_sentence_exactly() {
    let text =
        "Call +49 151 23456789 or mail anna.schmidt@example.org, IBAN DE89370400440532013000.";
    assert_eq!(redact(text), "Call [PHONE] or mail [EMAIL], IBAN [IBAN].");
    let found = find_all(text);
    let kinds: Vec<Kind> = found.iter().map(|(_, k)| *k).collect();
    assert_eq!(kinds, [Kind::Phone, Kind::Email, Kind::Iban]);
    assert_eq!(&text[found[0].0.clone()], "+49 151 23456789");
    assert_eq!(&text[found[1].0.clone()], "anna.schmidt@example.org");
    assert_eq!(&text[found[2].0.clone()], "DE89370400440532013000");
}

#[test]
fn finds_every_kind_in_free_text() {
    let text = "Kundin Jürgen Weber (geb. 12.03.1985), SSN 078-05-1120, Steuer-ID 86 095 742 719, \
                Karte 4111-1111-1111-1111 von 10.0.0.1 oder 2001:db8::42, Termin 2024-05-01, \
                IBAN GB82 WEST 1234 5698 7654 32; Büro: (030) 1234567.";
    let found: Vec<(&str, Kind)> = find_all(text)
        .into_iter()
        .map(|(r, k)| (&text[r], k))
        .collect();
    assert_eq!(
        found,
        [
            ("Jürgen Weber", Kind::PersonName),
            ("12.03.1985", Kind::DateOfBirth),
            ("078-05-1120", Kind::UsSsn),
            ("86 095 742 719", Kind::DeTaxId),
            ("4111-1111-1111-1111", Kind::PaymentCard),
            ("10.0.0.1", Kind::IpAddress),
            ("2001:db8::42", Kind::IpAddress),
            ("2024-05-01", Kind::Date),
            ("GB82 WEST 1234 5698 7654 32", Kind::Iban),
            ("(030) 1234567", Kind::Phone),
        ]
    );
    assert_eq!(
        redact_into_string(text, |k| k != Kind::Date),
        "Kundin [NAME] (geb. [DOB]), SSN [SSN], Steuer-ID [TAX_ID], \
         Karte [CARD] von [IP] oder [IP], Termin 2024-05-01, \
         IBAN [IBAN]; Büro: [PHONE]."
    );
    assert_eq!(
        redact("from 192.168.1.20:8443 and [2001:db8::7]:443"),
        "from [IP]:8443 and [[IP]]:443"
    );
    // Numbers inside longer numbers or words are no card numbers (`ID4111…` is a reference).
    assert!(
        find_all("ID4111111111111111 x12.4111111111111111 41111111111111110")
            .iter()
            .all(|(r, k)| *k == Kind::RecordId && r.start == 0)
    );
    assert!(find_all("").is_empty());
    assert_eq!(
        redact("ümlaut ß 😀 +49 151 23456789 😀"),
        "ümlaut ß 😀 [PHONE] 😀"
    );
}

fn redact_into_string(text: &str, pred: impl FnMut(Kind) -> bool) -> String {
    let mut s = String::new();
    redact_into(text, pred, &mut s);
    s
}

#[test]
fn column_names_map_to_kinds() {
    let cases = [
        ("e_mail", Some(Kind::Email)),
        ("EmailAddress", Some(Kind::Email)),
        ("customer_email", Some(Kind::Email)),
        ("phone_number", Some(Kind::Phone)),
        ("tel", Some(Kind::Phone)),
        ("mobile", Some(Kind::Phone)),
        ("Telefonnummer", Some(Kind::Phone)),
        ("iban", Some(Kind::Iban)),
        ("card_number", Some(Kind::PaymentCard)),
        ("creditCardNumber", Some(Kind::PaymentCard)),
        ("ip", Some(Kind::IpAddress)),
        ("ip_address", Some(Kind::IpAddress)),
        ("clientIPAddress", Some(Kind::IpAddress)),
        ("dob", Some(Kind::DateOfBirth)),
        ("date_of_birth", Some(Kind::DateOfBirth)),
        ("birth_date", Some(Kind::DateOfBirth)),
        ("dateOfBirth", Some(Kind::DateOfBirth)),
        ("geburtsdatum", Some(Kind::DateOfBirth)),
        ("ssn", Some(Kind::UsSsn)),
        ("social_security_number", Some(Kind::UsSsn)),
        ("steuer_id", Some(Kind::DeTaxId)),
        ("tax_id", Some(Kind::DeTaxId)),
        ("zip", Some(Kind::Postcode)),
        ("postcode", Some(Kind::Postcode)),
        ("postal_code", Some(Kind::Postcode)),
        ("plz", Some(Kind::Postcode)),
        ("first_name", Some(Kind::PersonName)),
        ("last_name", Some(Kind::PersonName)),
        ("surname", Some(Kind::PersonName)),
        ("full_name", Some(Kind::PersonName)),
        ("name", Some(Kind::PersonName)),
        ("customer_name", Some(Kind::PersonName)),
        ("Vorname", Some(Kind::PersonName)),
        // Not identifiers, or about one rather than holding one.
        ("product_name", None),
        ("username", None),
        ("filename", None),
        ("email_consent", None),
        ("phone_verified", None),
        ("ip_country", None),
        ("birth_place", None),
        ("geburtsort", None),
        ("birth_year", None),
        ("description", None),
        ("tip", None),
        ("telemetry", None),
        ("company", None),
        ("taxonomy_id", None),
        ("income", None),
        ("", None),
    ];
    for (name, want) in cases {
        assert_eq!(kind_from_column_name(name), want, "{name}");
    }
}

#[test]
fn repeated_values_count_like_single_adds() {
    let values = [
        ("a@example.org", 3u64),
        ("+49 30 1234567", 2),
        ("call me at a@example.org", 4),
        ("plain", 5),
    ];
    let (mut one, mut rep) = (ColumnScan::new("contact"), ColumnScan::new("contact"));
    for (v, n) in values {
        for _ in 0..n {
            one.add(Some(v));
        }
        rep.add_repeated(Some(v), n);
    }
    assert_eq!(one.non_null(), rep.non_null());
    assert_eq!(
        format!("{:?}", one.findings()),
        format!("{:?}", rep.findings())
    );
    assert!(!one.findings().is_empty());
}

#[test]
fn column_scan_shares_over_generated_values() {
    let mut all = ColumnScan::new("contact");
    let mut half = ColumnScan::new("contact");
    for i in 0..1000 {
        let email = format!("user{i}.name@example.com");
        all.add(Some(&email));
        if i % 2 == 0 {
            half.add(Some(&email));
        } else {
            half.add(Some(&format!("word{i}")));
        }
        half.add(None);
    }
    let f = all.findings();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (
            f[0].kind,
            f[0].share,
            f[0].count,
            f[0].embedded,
            f[0].by_name
        ),
        (Kind::Email, 1.0, 1000, false, false)
    );
    assert!(f[0].confidence > 0.95, "{f:?}");

    let f = half.findings();
    assert_eq!(half.non_null(), 1000);
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (f[0].kind, f[0].share, f[0].embedded),
        (Kind::Email, 0.5, false)
    );

    // The same values under an e-mail column name: name and content agree.
    let mut named = ColumnScan::new("email");
    let mut parts = [ColumnScan::new("email"), ColumnScan::new("email")];
    for i in 0..1000 {
        let v = format!("user{i}.name@example.com");
        named.add(Some(&v));
        parts[i % 2].add(Some(&v));
    }
    let [mut a, b] = parts;
    a.merge(&b);
    let f = named.findings();
    assert_eq!(f, a.findings());
    assert!(
        f[0].by_name && f[0].share == 1.0 && f[0].confidence > 0.98,
        "{f:?}"
    );
}

#[test]
fn embedded_identifiers_are_counted_per_value() {
    let mut s = ColumnScan::new("notes");
    for i in 0..200 {
        if i % 2 == 0 {
            s.add(Some(&format!(
                "Please call +49 151 2345{i:04} tomorrow, ticket {i}"
            )));
        } else {
            s.add(Some("No contact wanted."));
        }
    }
    let f = s.findings();
    assert_eq!(f.len(), 1, "{f:?}");
    assert_eq!(
        (f[0].kind, f[0].share, f[0].embedded),
        (Kind::Phone, 0.5, true)
    );
    assert!(f[0].confidence >= 0.75, "{f:?}");
}

#[test]
fn name_hints_and_content_combine() {
    // A name alone: moderate; contradicted by many values: lower.
    let empty = ColumnScan::new("email");
    let f = empty.findings();
    assert_eq!(
        (f.len(), f[0].kind, f[0].share, f[0].confidence),
        (1, Kind::Email, 0.0, NAME_ONLY)
    );
    let mut hashed = ColumnScan::new("email");
    for i in 0..50 {
        hashed.add(Some(&format!("{:016x}", i * 7919)));
    }
    let f = hashed.findings();
    let email = f
        .iter()
        .find(|f| f.kind == Kind::Email)
        .expect("name finding");
    assert_eq!(email.confidence, NAME_CONTRADICTED);
    // Unique hex codes are record identifiers, whatever the column is called.
    assert_eq!(f[0].kind, Kind::RecordId, "{f:?}");

    // Dates: birth dates under a birth column, plain low-confidence dates elsewhere.
    let dates: Vec<String> = (0..100)
        .map(|i| format!("19{:02}-{:02}-{:02}", 50 + i % 40, 1 + i % 12, 1 + i % 28))
        .collect();
    let mut dob = ColumnScan::new("date_of_birth");
    let mut plain = ColumnScan::new("order_date");
    for d in &dates {
        dob.add(Some(d));
        plain.add(Some(d));
    }
    let f = dob.findings();
    assert_eq!(
        (f.len(), f[0].kind, f[0].share, f[0].by_name),
        (1, Kind::DateOfBirth, 1.0, true)
    );
    assert!(f[0].confidence >= 0.9, "{f:?}");
    let f = plain.findings();
    assert_eq!((f.len(), f[0].kind, f[0].share), (1, Kind::Date, 1.0));
    assert!(f[0].confidence <= 0.2, "{f:?}");

    // Postcodes only by name.
    let mut zip = ColumnScan::new("zip");
    let mut qty = ColumnScan::new("quantity");
    for i in 0..100 {
        let v = format!("{}", 10000 + i * 811);
        zip.add(Some(&v));
        qty.add(Some(&v));
    }
    let f = zip.findings();
    assert_eq!((f.len(), f[0].kind, f[0].share), (1, Kind::Postcode, 1.0));
    assert!(f[0].confidence > 0.75, "{f:?}");
    assert!(qty.findings().is_empty(), "{:?}", qty.findings());

    // Looser forms count under a matching name: nine-digit SSNs, single given names.
    let mut ssn = ColumnScan::new("ssn");
    ssn.add(Some("078051120"));
    ssn.add(Some("078-05-1120"));
    ssn.add(Some("000000000"));
    assert_eq!(ssn.findings()[0].count, 2);
    let mut first = ColumnScan::new("first_name");
    // An unlisted capitalised word under a given-name header is a name all the same.
    for n in ["Anna", "James", "Zyxw", "n/a", "12"] {
        first.add(Some(n));
    }
    let f = first.findings();
    assert_eq!((f[0].kind, f[0].count), (Kind::PersonName, 3));
}

#[test]
fn chance_luhn_passes_are_discounted() {
    let mut rng = Digits(7);
    let mut random = ColumnScan::new("reference");
    let mut cards = ColumnScan::new("reference");
    for _ in 0..1000 {
        random.add(Some(&format!("4{}", rng.string(15))));
        cards.add(Some(&with_luhn(&format!("4{}", rng.string(14)))));
    }
    let f = random.findings();
    // About one in ten passes Luhn by chance, and then it is worth nothing; the column is
    // one of unique references (record identifiers) all the same.
    assert_eq!(f.len(), 2, "{f:?}");
    assert_eq!(f[0].kind, Kind::RecordId, "{f:?}");
    let card = f[1];
    assert_eq!(card.kind, Kind::PaymentCard, "{f:?}");
    assert!(card.share > 0.05 && card.share < 0.15, "{f:?}");
    assert!(card.confidence < 0.05 && card.evidence < 0.05, "{f:?}");
    let f = cards.findings();
    assert_eq!((f[0].kind, f[0].share), (Kind::PaymentCard, 1.0));
    assert!(f[0].confidence > 0.9, "{f:?}");
}

#[test]
fn ordinary_values_give_no_identifier_findings() {
    let values = [
        "Widget Pro 3000",
        "Organic Green Tea",
        "USB-C cable, 2 m",
        "1,234.56",
        "1.234,56",
        "-17.5",
        "3.14159",
        "42",
        "2024",
        "12345",
        "A1",
        "B-12",
        "2023-Q4",
        "v2.10.4",
        "1.2.3",
        "10:30",
        "12:30:45",
        "100%",
        "€ 99,90",
        "N/A",
        "yes",
        "Berlin",
        "New York",
        "ACME Corp.",
        "Order #4711 shipped",
        "ISBN 978-3-16-148410-0",
        "The quick brown fox jumps over the lazy dog.",
        "Delivered on time, thanks!",
        "Room 101, second floor",
        "2024-01-15",
        "15.01.2024",
    ];
    let mut scan = ColumnScan::new("comment");
    for v in values {
        let c = classify(v);
        assert!(c.is_none() || c == Some(Kind::Date), "{v}: {c:?}");
        assert!(
            find_all(v).iter().all(|(_, k)| *k == Kind::Date),
            "{v}: {:?}",
            find_all(v)
        );
        scan.add(Some(v));
    }
    let f = scan.findings();
    // No value is an identifier; but 32 different short texts, each held by one row, that
    // are no category, no prose and no number column cannot be classified: the column as a
    // whole is treated as identifying.
    assert!(
        f.iter()
            .all(|f| (f.kind == Kind::Date && f.confidence <= 0.2)
                || (f.kind == Kind::UnclassifiedText && f.share == 1.0)),
        "{f:?}"
    );
    assert_eq!(f.len(), 2, "{f:?}");
    // The same texts shared by several rows each are a vocabulary: nothing to report.
    let mut shared = ColumnScan::new("comment");
    for v in values {
        shared.add_repeated(Some(v), 3);
    }
    assert!(
        shared
            .findings()
            .iter()
            .all(|f| f.kind == Kind::Date && f.confidence <= 0.2),
        "{:?}",
        shared.findings()
    );
}

#[test]
fn lower_case_names_are_names() {
    let mut scan = ColumnScan::new("defendant");
    for v in [
        "miguel hernandez",
        "anna schmidt",
        "james smith",
        "maria garcia",
        "robert johnson",
    ] {
        scan.add(Some(v));
    }
    let f = scan.findings();
    assert_eq!(f[0].kind, Kind::PersonName, "{f:?}");
    assert!(f[0].share >= 0.8, "{f:?}");
    assert_eq!(
        title_case("miguel hernandez").as_deref(),
        Some("Miguel Hernandez")
    );
    assert_eq!(title_case("Miguel"), None);
    assert_eq!(title_case("order 4411"), None);
}

#[test]
fn column_names_in_six_languages() {
    for (name, kind) in [
        ("geb_datum", Kind::DateOfBirth),
        ("date_naissance", Kind::DateOfBirth),
        ("fecha_nacimiento", Kind::DateOfBirth),
        ("data_nascita", Kind::DateOfBirth),
        ("geboortedatum", Kind::DateOfBirth),
        ("Vorname", Kind::PersonName),
        ("prénom", Kind::PersonName),
        ("apellido1", Kind::PersonName),
        ("cognome", Kind::PersonName),
        ("achternaam", Kind::PersonName),
        ("telefoon", Kind::Phone),
        ("courriel", Kind::Email),
        ("plz", Kind::Postcode),
        ("code_postal", Kind::Postcode),
        ("Straße", Kind::StreetAddress),
        ("indirizzo", Kind::StreetAddress),
        ("giudice", Kind::PersonName),
    ] {
        assert_eq!(kind_from_column_name(name), Some(kind), "{name}");
    }
    for name in [
        "lieu_naissance",
        "nombre_articles",
        "produit",
        "user_agent_type",
    ] {
        assert_ne!(
            kind_from_column_name(name),
            Some(Kind::DateOfBirth),
            "{name}"
        );
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(512))]

    /// Any text, including separators, digits and multi-byte characters next to each other:
    /// no panic, matches in order, non-overlapping, on character boundaries, and `redact`
    /// is the text with exactly those ranges replaced.
    #[test]
    fn scanning_arbitrary_text_is_safe(
        text in "([0-9]{1,6}|[A-Za-z]{1,5}|[ .@:+()/,'_-]|ä|ß|Ü|😀|\\+49 151 23456789|anna@example.org|DE89370400440532013000|Anna Schmidt){0,24}"
    ) {
        let found = find_all(&text);
        let mut last = 0;
        let mut want = String::new();
        for (r, k) in &found {
            proptest::prop_assert!(r.start >= last && r.start < r.end, "{text:?}: {found:?}");
            proptest::prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            want.push_str(&text[last..r.start]);
            want.push_str(k.placeholder());
            last = r.end;
        }
        want.push_str(&text[last..]);
        proptest::prop_assert_eq!(redact(&text), want);
        let _ = classify(&text);
        let mut scan = ColumnScan::new("free text");
        scan.add(Some(&text));
        proptest::prop_assert!(scan.findings().iter().all(|f| (0.0..=1.0).contains(&f.confidence)));
    }
}

#[test]
fn kind_names_and_placeholders_round_trip() {
    for k in Kind::ALL {
        assert_eq!(Kind::from_name(k.name()), Some(k));
        assert_eq!(
            k.index(),
            Kind::ALL.iter().position(|x| *x == k).expect("listed")
        );
        assert!(k.placeholder().starts_with('[') && k.placeholder().ends_with(']'));
    }
    assert_eq!(Kind::Email.to_string(), "email");
}

/// Throughput of [`ColumnScan::add`] and [`redact`]:
/// `cargo test --release --lib deid::detect -- --ignored --nocapture`.
#[test]
#[ignore = "timing; run in release with --ignored --nocapture"]
fn scan_throughput() {
    use std::time::Instant;
    let mut rng = Digits(1);
    let sets: [(&str, Vec<String>); 4] = [
        (
            "e-mails",
            (0..1_000_000)
                .map(|i| format!("customer.{i}@example.com"))
                .collect(),
        ),
        (
            "phones",
            (0..1_000_000)
                .map(|_| format!("+49 151 {}", rng.string(8)))
                .collect(),
        ),
        (
            "words",
            (0..1_000_000)
                .map(|i| format!("Product {i} blue"))
                .collect(),
        ),
        (
            "amounts",
            (0..1_000_000)
                .map(|i| format!("{}.{:02}", i * 37, i % 100))
                .collect(),
        ),
    ];
    for (what, values) in &sets {
        let t = Instant::now();
        let mut s = ColumnScan::new("value");
        for v in values {
            s.add(Some(v));
        }
        let rate = values.len() as f64 / t.elapsed().as_secs_f64();
        println!("ColumnScan::add, {what}: {:.2} M values/s", rate / 1e6);
        std::hint::black_box(s.findings());
    }
    let text =
        "Call +49 151 23456789 or mail anna.schmidt@example.org, IBAN DE89370400440532013000. \
                The quick brown fox jumps over the lazy dog on 2024-01-05 at 10:30. ";
    let big = text.repeat(10_000);
    let t = Instant::now();
    let out = redact(&big);
    let rate = big.len() as f64 / t.elapsed().as_secs_f64();
    println!("redact: {:.1} MB/s", rate / 1e6);
    std::hint::black_box(out);
}

#[test]
fn references_inside_text() {
    for (t, r) in [
        ("about order 500764, he asked", "500764"),
        ("colis CMD5302402 toujours", "CMD5302402"),
        ("samengevoegd met K893047.", "K893047"),
    ] {
        let f = find_all(t);
        assert!(
            f.iter()
                .any(|(s, k)| *k == Kind::RecordId && &t[s.clone()] == r),
            "{t}: {f:?}"
        );
    }
    for t in [
        "ISBN 978-3-16-148410-0",
        "paid 266.93 USD",
        "ICD J45.909",
        "in 2024",
    ] {
        assert!(
            find_all(t).iter().all(|(_, k)| *k != Kind::RecordId),
            "{t}: {:?}",
            find_all(t)
        );
    }
}

/// Every kind the detectors report can be acknowledged in a schema (a draft that acknowledges
/// a kind must decode).
#[test]
fn every_detected_kind_can_be_acknowledged() {
    for k in Kind::ALL {
        assert!(
            crate::schema::IDENTIFIER_KINDS.contains(&k.name()),
            "`{}` is missing from IDENTIFIER_KINDS",
            k.name()
        );
    }
    assert_eq!(crate::schema::IDENTIFIER_KINDS.len(), Kind::ALL.len());
}
