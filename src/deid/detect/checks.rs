//! Check digits: Luhn (payment cards), ISO 13616 MOD 97-10 (IBAN), ISO 7064 MOD 11,10 (German
//! tax ID) and the SSA rules for US social security numbers.

/// Luhn (mod 10) check over digit values `0..=9`, rightmost digit first undoubled.
pub(super) fn luhn(digits: &[u8]) -> bool {
    let mut sum = 0u32;
    for (i, &d) in digits.iter().rev().enumerate() {
        let d = u32::from(d);
        sum += if i % 2 == 1 {
            let x = d * 2;
            if x > 9 {
                x - 9
            } else {
                x
            }
        } else {
            d
        };
    }
    sum % 10 == 0
}

/// Whether `digits` passes the Luhn (mod 10) check used by payment cards; spaces and dashes
/// are ignored, any other non-digit (or fewer than two digits) makes it invalid.
pub fn luhn_valid(digits: &str) -> bool {
    let mut buf = [0u8; 64];
    let mut n = 0;
    for c in digits.bytes() {
        match c {
            b'0'..=b'9' => {
                if n == buf.len() {
                    return false;
                }
                buf[n] = c - b'0';
                n += 1;
            }
            b' ' | b'-' => {}
            _ => return false,
        }
    }
    n >= 2 && luhn(&buf[..n])
}

/// IBAN lengths from the SWIFT IBAN registry for the countries most often seen in European
/// data; other country codes are accepted at any length from 15 to 34.
pub(super) const IBAN_LENGTHS: [(&[u8; 2], usize); 34] = [
    (b"AT", 20),
    (b"BE", 16),
    (b"BG", 22),
    (b"CH", 21),
    (b"CY", 28),
    (b"CZ", 24),
    (b"DE", 22),
    (b"DK", 18),
    (b"EE", 20),
    (b"ES", 24),
    (b"FI", 18),
    (b"FR", 27),
    (b"GB", 22),
    (b"GR", 27),
    (b"HR", 21),
    (b"HU", 28),
    (b"IE", 22),
    (b"IS", 26),
    (b"IT", 27),
    (b"LI", 21),
    (b"LT", 20),
    (b"LU", 20),
    (b"LV", 21),
    (b"MC", 27),
    (b"MT", 31),
    (b"NL", 18),
    (b"NO", 15),
    (b"PL", 28),
    (b"PT", 25),
    (b"RO", 24),
    (b"SE", 24),
    (b"SI", 19),
    (b"SK", 24),
    (b"SM", 27),
];

pub(super) fn iban_country_len(cc: [u8; 2]) -> Option<usize> {
    IBAN_LENGTHS
        .iter()
        .find(|(c, _)| **c == cc)
        .map(|&(_, n)| n)
}

/// Checks upper-case alphanumerics `chars` as an IBAN: country letters, check digits, length,
/// and the ISO 13616 MOD 97-10 remainder (the first four characters moved to the end, letters
/// as 10..35, the number mod 97 must be 1).
pub(super) fn iban_chars_valid(chars: &[u8]) -> bool {
    if chars.len() < 15 || chars.len() > 34 {
        return false;
    }
    if !chars[0].is_ascii_uppercase()
        || !chars[1].is_ascii_uppercase()
        || !chars[2].is_ascii_digit()
        || !chars[3].is_ascii_digit()
    {
        return false;
    }
    if iban_country_len([chars[0], chars[1]]).is_some_and(|n| n != chars.len()) {
        return false;
    }
    let mut r = 0u32;
    for &c in chars[4..].iter().chain(&chars[..4]) {
        r = match c {
            b'0'..=b'9' => (r * 10 + u32::from(c - b'0')) % 97,
            b'A'..=b'Z' => (r * 100 + u32::from(c - b'A') + 10) % 97,
            _ => return false,
        };
    }
    r == 1
}

/// Whether `s` is a valid IBAN: spaces ignored, letters in either case, the registered length
/// for the country where known, and the ISO 13616 MOD 97-10 check.
pub fn iban_valid(s: &str) -> bool {
    let mut chars = [0u8; 34];
    let mut n = 0;
    for c in s.bytes() {
        if c == b' ' {
            continue;
        }
        if !c.is_ascii_alphanumeric() || n == chars.len() {
            return false;
        }
        chars[n] = c.to_ascii_uppercase();
        n += 1;
    }
    iban_chars_valid(&chars[..n])
}

/// German tax ID rules over 11 digit values: first digit not 0; in the first ten, exactly one
/// digit value occurs more than once, and it occurs two or three times; the eleventh is the
/// ISO 7064 MOD 11,10 check digit of the first ten.
pub(super) fn de_tax_digits_valid(d: &[u8; 11]) -> bool {
    if d[0] == 0 {
        return false;
    }
    let mut counts = [0u8; 10];
    for &x in &d[..10] {
        counts[usize::from(x)] += 1;
    }
    let repeated = counts.iter().filter(|&&c| c > 1).count();
    if repeated != 1 || counts.iter().any(|&c| c > 3) {
        return false;
    }
    de_tax_check_digit(&d[..10]) == d[10]
}

/// ISO 7064 MOD 11,10 check digit of digit values `d`.
pub(super) fn de_tax_check_digit(d: &[u8]) -> u8 {
    let mut product = 10u8;
    for &x in d {
        let mut sum = (x + product) % 10;
        if sum == 0 {
            sum = 10;
        }
        product = (sum * 2) % 11;
    }
    let check = 11 - product;
    if check == 10 {
        0
    } else {
        check
    }
}

/// Whether `s` is a valid German tax ID (Steuerliche Identifikationsnummer): 11 digits (spaces
/// ignored), first digit not 0, exactly one digit value repeated (twice or three times) in the
/// first ten, and the ISO 7064 MOD 11,10 check digit last.
pub fn de_tax_id_valid(s: &str) -> bool {
    let mut d = [0u8; 11];
    let mut n = 0;
    for c in s.bytes() {
        match c {
            b'0'..=b'9' => {
                if n == d.len() {
                    return false;
                }
                d[n] = c - b'0';
                n += 1;
            }
            b' ' => {}
            _ => return false,
        }
    }
    n == 11 && de_tax_digits_valid(&d)
}

/// SSA rules over area, group and serial numbers.
pub(super) fn ssn_parts_valid(area: u32, group: u32, serial: u32) -> bool {
    area != 0 && area != 666 && area < 900 && group != 0 && serial != 0
}

/// Reads `n` ASCII digits of `b` starting at `i` as a number.
pub(super) fn digits_value(b: &[u8], i: usize, n: usize) -> Option<u32> {
    if n > 9 {
        return None;
    }
    let s = b.get(i..i + n)?;
    s.iter().try_fold(0u32, |acc, &c| {
        c.is_ascii_digit().then(|| acc * 10 + u32::from(c - b'0'))
    })
}

/// Whether `s` is a syntactically valid US Social Security number: `AAA-GG-SSSS`,
/// `AAA GG SSSS` or nine digits, with area not 000, 666 or 900–999, group not 00 and serial not
/// 0000. (Whether the SSA issued the number cannot be told from its digits: 078-05-1120, the
/// Woolworth wallet number, passes.)
pub fn us_ssn_valid(s: &str) -> bool {
    let b = s.as_bytes();
    let (a, g, r) = match b.len() {
        11 if b[3] == b[6] && matches!(b[3], b'-' | b' ') => (
            digits_value(b, 0, 3),
            digits_value(b, 4, 2),
            digits_value(b, 7, 4),
        ),
        9 => (
            digits_value(b, 0, 3),
            digits_value(b, 3, 2),
            digits_value(b, 5, 4),
        ),
        _ => return false,
    };
    match (a, g, r) {
        (Some(a), Some(g), Some(r)) => ssn_parts_valid(a, g, r),
        _ => false,
    }
}
