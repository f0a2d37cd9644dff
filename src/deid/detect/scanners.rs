//! Byte-level scanners that find identifiers inside text: word and number boundaries, e-mail,
//! IBAN, card, tax ID, SSN, dates, IP addresses and phones in their written forms, and the
//! longest-match rule that chooses among them.

use super::*;

// Each scanner takes the text and a start offset and returns the end of a match.

/// A byte that belongs to a word: ASCII letters and digits and every byte of a non-ASCII
/// character (so matches never start or end inside a UTF-8 sequence).
pub(super) fn is_word_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c >= 0x80
}

pub(super) fn is_digit_at(b: &[u8], i: usize) -> bool {
    b.get(i).is_some_and(u8::is_ascii_digit)
}

/// Whether a token may start at `i`: the previous byte is not part of a word.
pub(super) fn word_start(b: &[u8], i: usize) -> bool {
    i == 0 || !is_word_byte(b[i - 1])
}

/// Numbers may additionally not continue another number (`12.4111…`, `3-0151…`).
pub(super) fn num_start(b: &[u8], i: usize) -> bool {
    word_start(b, i)
        && !(i >= 2
            && matches!(b[i - 1], b'.' | b'-' | b'/' | b',' | b':' | b'+')
            && b[i - 2].is_ascii_digit())
}

/// Whether a number may end at `e`: no word byte follows, nor a separator and another digit.
pub(super) fn num_end(b: &[u8], e: usize) -> bool {
    match b.get(e) {
        None => true,
        Some(&c) => {
            !is_word_byte(c)
                && (!matches!(c, b'.' | b'-' | b'/' | b',' | b':') || !is_digit_at(b, e + 1))
        }
    }
}

/// End of the run of ASCII digits starting at `i`.
pub(super) fn digits_end(b: &[u8], mut i: usize) -> usize {
    while is_digit_at(b, i) {
        i += 1;
    }
    i
}

/// A byte of an e-mail local part: ASCII letters, digits and `. _ % + -`, and any byte of a
/// non-ASCII character (internationalised addresses, RFC 6531: `ģirts@example.lv`).
pub(super) fn is_local_byte(c: u8) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'%' | b'+' | b'-') || c >= 0x80
}

/// An e-mail address starting at `i`.
pub(super) fn email_at(b: &[u8], i: usize) -> Option<usize> {
    let mut j = i;
    while j < b.len() && is_local_byte(b[j]) {
        j += 1;
    }
    let local = &b[i..j];
    if local.is_empty() || local.len() > 64 || b.get(j) != Some(&b'@') {
        return None;
    }
    if local[0] == b'.' || local[local.len() - 1] == b'.' || local.windows(2).any(|w| w == b"..") {
        return None;
    }
    domain_end(b, j + 1)
}

/// End of a domain name of at least two labels starting at `start`.
pub(super) fn domain_end(b: &[u8], start: usize) -> Option<usize> {
    let mut j = start;
    let mut labels = 0;
    let mut last = start..start;
    loop {
        let ls = j;
        while j < b.len() && (b[j].is_ascii_alphanumeric() || b[j] == b'-') {
            j += 1;
        }
        if j == ls || j - ls > 63 || b[ls] == b'-' || b[j - 1] == b'-' {
            return None;
        }
        labels += 1;
        last = ls..j;
        if b.get(j) == Some(&b'.') && b.get(j + 1).is_some_and(u8::is_ascii_alphanumeric) {
            j += 1;
        } else {
            break;
        }
    }
    let tld = &b[last];
    if labels < 2 || j - start > 253 || tld.len() < 2 || !tld.iter().all(u8::is_ascii_alphabetic) {
        return None;
    }
    if b.get(j)
        .is_some_and(|&c| is_word_byte(c) || c == b'@' || c == b'_')
    {
        return None;
    }
    Some(j)
}

/// An IBAN starting at `i`, electronic (`DE89370400440532013000`) or printed in groups
/// (`DE89 3704 0044 0532 0130 00`).
pub(super) fn iban_at(b: &[u8], i: usize) -> Option<usize> {
    let head = b.get(i..i + 4)?;
    if !head[0].is_ascii_alphabetic()
        || !head[1].is_ascii_alphabetic()
        || !head[2].is_ascii_digit()
        || !head[3].is_ascii_digit()
    {
        return None;
    }
    let mut chars = [0u8; 34];
    let mut ends = [0usize; 34];
    let mut n = 0;
    let mut j = i;
    while n < chars.len() {
        match b.get(j) {
            Some(&c) if c.is_ascii_alphanumeric() => {
                chars[n] = c.to_ascii_uppercase();
                j += 1;
                ends[n] = j;
                n += 1;
            }
            Some(b' ') if b.get(j + 1).is_some_and(u8::is_ascii_alphanumeric) => j += 1,
            _ => break,
        }
    }
    let ok_end = |e: usize| b.get(e).is_none_or(|&c| !is_word_byte(c));
    match iban_country_len([chars[0], chars[1]]) {
        Some(len) => (n >= len && ok_end(ends[len - 1]) && iban_chars_valid(&chars[..len]))
            .then(|| ends[len - 1]),
        None => (15..=n)
            .rev()
            .find(|&m| ok_end(ends[m - 1]) && iban_chars_valid(&chars[..m]))
            .map(|m| ends[m - 1]),
    }
}

/// A payment card number starting at `i`: 13–19 digits in groups separated consistently by
/// single spaces or dashes, first digit 2–6, Luhn-valid; the longest valid prefix ending at a
/// group boundary.
pub(super) fn card_at(b: &[u8], i: usize) -> Option<usize> {
    if !matches!(b.get(i), Some(b'2'..=b'6')) || !num_start(b, i) {
        return None;
    }
    let mut digits = [0u8; 19];
    let mut n = 0;
    let mut group_ends = [(0usize, 0usize); 19];
    let mut groups = 0;
    let mut sep = None;
    let mut j = i;
    loop {
        let ge = digits_end(b, j);
        if n + (ge - j) > digits.len() {
            break;
        }
        for &c in &b[j..ge] {
            digits[n] = c - b'0';
            n += 1;
        }
        group_ends[groups] = (ge, n);
        groups += 1;
        j = ge;
        match b.get(j) {
            Some(&c @ (b' ' | b'-')) if sep.is_none_or(|s| s == c) && is_digit_at(b, j + 1) => {
                sep = Some(c);
                j += 1;
            }
            _ => break,
        }
    }
    group_ends[..groups]
        .iter()
        .rev()
        .find(|&&(e, nd)| (13..=19).contains(&nd) && num_end(b, e) && luhn(&digits[..nd]))
        .map(|&(e, _)| e)
}

/// A German tax ID starting at `i`: 11 digits or `DD DDD DDD DDD`.
pub(super) fn tax_id_at(b: &[u8], i: usize) -> Option<usize> {
    if !matches!(b.get(i), Some(b'1'..=b'9')) || !num_start(b, i) {
        return None;
    }
    let mut d = [0u8; 11];
    let plain_end = i + 11;
    if digits_end(b, i) == plain_end {
        for (k, &c) in b[i..plain_end].iter().enumerate() {
            d[k] = c - b'0';
        }
        return (num_end(b, plain_end) && de_tax_digits_valid(&d)).then_some(plain_end);
    }
    // 2-3-3-3 with single spaces, as printed on BZSt letters.
    let s = b.get(i..i + 14)?;
    let mut k = 0;
    for (p, &c) in s.iter().enumerate() {
        if matches!(p, 2 | 6 | 10) {
            if c != b' ' {
                return None;
            }
        } else if c.is_ascii_digit() {
            d[k] = c - b'0';
            k += 1;
        } else {
            return None;
        }
    }
    (num_end(b, i + 14) && de_tax_digits_valid(&d)).then_some(i + 14)
}

/// A US SSN `AAA-GG-SSSS` starting at `i`.
pub(super) fn ssn_at(b: &[u8], i: usize) -> Option<usize> {
    let s = b.get(i..i + 11)?;
    if s[3] != b'-' || s[6] != b'-' || !num_start(b, i) || !num_end(b, i + 11) {
        return None;
    }
    let (a, g, r) = (
        digits_value(s, 0, 3)?,
        digits_value(s, 4, 2)?,
        digits_value(s, 7, 4)?,
    );
    ssn_parts_valid(a, g, r).then_some(i + 11)
}

pub(super) fn is_leap(y: u32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

pub(super) fn valid_ymd(y: u32, m: u32, d: u32) -> bool {
    let days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => return false,
    };
    (1800..=2199).contains(&y) && (1..=days).contains(&d)
}

/// A date starting at `i`: `YYYY-MM-DD`, `D.M.YYYY` / `DD.MM.YYYY`, `M/D/YYYY` (or `D/M/YYYY`).
pub(super) fn date_at(b: &[u8], i: usize) -> Option<usize> {
    if !is_digit_at(b, i) || !num_start(b, i) {
        return None;
    }
    let e1 = digits_end(b, i);
    let n1 = e1 - i;
    let sep = *b.get(e1)?;
    let e2 = digits_end(b, e1 + 1);
    let n2 = e2 - (e1 + 1);
    if b.get(e2) != Some(&sep) {
        return None;
    }
    let e3 = digits_end(b, e2 + 1);
    let n3 = e3 - (e2 + 1);
    let v1 = digits_value(b, i, n1)?;
    let v2 = digits_value(b, e1 + 1, n2)?;
    let v3 = digits_value(b, e2 + 1, n3)?;
    let ok = match sep {
        b'-' if n1 == 4 && n2 == 2 && n3 == 2 => valid_ymd(v1, v2, v3),
        // `dd-mm-yyyy`, as Dutch exports write dates.
        b'-' if (1..=2).contains(&n1) && (1..=2).contains(&n2) && n3 == 4 => valid_ymd(v3, v2, v1),
        b'.' if (1..=2).contains(&n1) && (1..=2).contains(&n2) && n3 == 4 => valid_ymd(v3, v2, v1),
        b'/' if (1..=2).contains(&n1) && (1..=2).contains(&n2) && n3 == 4 => {
            valid_ymd(v3, v1, v2) || valid_ymd(v3, v2, v1)
        }
        _ => false,
    };
    // An ISO date may run on into a time (`2024-01-05T10:00`).
    let iso_time = sep == b'-' && b.get(e3) == Some(&b'T') && is_digit_at(b, e3 + 1);
    (ok && (num_end(b, e3) || iso_time)).then_some(e3)
}

/// An IPv4 address starting at `i` (also before `:port`).
pub(super) fn ipv4_at(b: &[u8], i: usize) -> Option<usize> {
    if !is_digit_at(b, i) || !num_start(b, i) {
        return None;
    }
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_digit() || b[j] == b'.') {
        j += 1;
        if j - i > 16 {
            return None;
        }
    }
    let mut e = j;
    if b[e - 1] == b'.' {
        e -= 1;
    }
    let s = std::str::from_utf8(&b[i..e]).ok()?;
    // `host:port` ends the address at the colon.
    let port = b.get(e) == Some(&b':') && num_end(b, digits_end(b, e + 1));
    (s.parse::<Ipv4Addr>().is_ok() && (num_end(b, e) || port)).then_some(e)
}

/// An IPv6 address starting at `i` (see the module table for the plausibility rule).
pub(super) fn ipv6_at(b: &[u8], i: usize) -> Option<usize> {
    if !word_start(b, i) || (i > 0 && b[i - 1] == b':') {
        return None;
    }
    let mut j = i;
    while j < b.len() && (b[j].is_ascii_hexdigit() || b[j] == b':' || b[j] == b'.') {
        j += 1;
        if j - i > 45 {
            return None;
        }
    }
    let mut e = j;
    if e > i && b[e - 1] == b'.' {
        e -= 1;
    }
    if b.get(e).is_some_and(|&c| is_word_byte(c)) {
        return None;
    }
    let span = &b[i..e];
    let colons = span.iter().filter(|&&c| c == b':').count();
    if colons < 2 {
        return None;
    }
    let groups = span.split(|&c| c == b':').filter(|g| !g.is_empty());
    let (n_groups, longest) = groups.fold((0, 0), |(n, l), g| (n + 1, l.max(g.len())));
    if n_groups < 2 || (longest < 3 && colons < 7) {
        return None;
    }
    let s = std::str::from_utf8(span).ok()?;
    s.parse::<Ipv6Addr>().is_ok().then_some(e)
}

/// International number from the country code at `j` (after `+` or `00`): single separators,
/// an optional `(0)` or `(area)`, 8–15 digits.
pub(super) fn intl_phone_from(b: &[u8], mut j: usize) -> Option<usize> {
    if !matches!(b.get(j), Some(b'1'..=b'9')) {
        return None;
    }
    let mut total = 0;
    let mut best = None;
    loop {
        if b.get(j) == Some(&b'(') {
            let ge = digits_end(b, j + 1);
            let n = ge - (j + 1);
            if n == 0 || n > 4 || b.get(ge) != Some(&b')') {
                break;
            }
            if !(n == 1 && b[j + 1] == b'0') {
                total += n;
            }
            j = ge + 1;
            if matches!(b.get(j), Some(b' ' | b'-')) && is_digit_at(b, j + 1) {
                j += 1;
            } else if !is_digit_at(b, j) {
                break;
            }
            continue;
        }
        let ge = digits_end(b, j);
        if ge == j {
            break;
        }
        total += ge - j;
        if total > 15 {
            break;
        }
        j = ge;
        if total >= 8 {
            best = phone_end(b, j).or(best);
        }
        match b.get(j) {
            Some(b' ' | b'-' | b'.' | b'/')
                if b.get(j + 1)
                    .is_some_and(|&c| c.is_ascii_digit() || c == b'(') =>
            {
                j += 1
            }
            Some(b'(') => {}
            _ => break,
        }
    }
    best
}

/// National number with trunk prefix 0 starting at `i`: area code (3–6 digits, or in
/// parentheses), then separated groups, 9–13 digits in all.
pub(super) fn national_phone_at(b: &[u8], i: usize) -> Option<usize> {
    let (mut total, mut j) = if b[i] == b'(' {
        let ge = digits_end(b, i + 1);
        let n = ge - (i + 1);
        if !(3..=6).contains(&n) || b.get(ge) != Some(&b')') {
            return None;
        }
        let mut j = ge + 1;
        if b.get(j) == Some(&b' ') {
            j += 1;
        }
        if !is_digit_at(b, j) {
            return None;
        }
        (n, j)
    } else {
        let ge = digits_end(b, i);
        let n = ge - i;
        if !(3..=6).contains(&n) {
            return None;
        }
        match b.get(ge) {
            Some(b' ' | b'-' | b'/') if is_digit_at(b, ge + 1) => (n, ge + 1),
            _ => return None,
        }
    };
    let area = if b[i] == b'(' { i + 1 } else { i };
    if b[area] != b'0' || b[area + 1] == b'0' {
        return None;
    }
    let mut best = None;
    loop {
        let ge = digits_end(b, j);
        total += ge - j;
        if total > 13 {
            break;
        }
        j = ge;
        if total >= 9 {
            best = phone_end(b, j).or(best);
        }
        match b.get(j) {
            Some(b' ' | b'-' | b'/') if is_digit_at(b, j + 1) => j += 1,
            _ => break,
        }
    }
    best
}

/// North American number starting at `i`: `[1 ]NXX NXX XXXX` or `[1 ](NXX) NXX-XXXX`.
pub(super) fn nanp_phone_at(b: &[u8], i: usize) -> Option<usize> {
    let is_sep = |c: Option<&u8>| matches!(c, Some(b' ' | b'-' | b'.'));
    let mut j = i;
    if b[j] == b'1' && is_sep(b.get(j + 1)) {
        j += 2;
    }
    if b.get(j) == Some(&b'(') {
        if digits_end(b, j + 1) != j + 4 || b.get(j + 4) != Some(&b')') {
            return None;
        }
        j += 1;
    } else if digits_end(b, j) != j + 3 {
        return None;
    }
    if !matches!(b[j], b'2'..=b'9') {
        return None;
    }
    j += 3;
    if b.get(j) == Some(&b')') {
        j += 1;
        if matches!(b.get(j), Some(b' ' | b'-')) {
            j += 1;
        }
    } else if is_sep(b.get(j)) {
        j += 1;
    } else {
        return None;
    }
    if digits_end(b, j) != j + 3 || !matches!(b[j], b'2'..=b'9') || !is_sep(b.get(j + 3)) {
        return None;
    }
    j += 4;
    if digits_end(b, j) != j + 4 {
        return None;
    }
    phone_end(b, j + 4)
}

/// Where a phone number whose digits end at `j` ends: after an extension (`x37915`,
/// ` x 12`, ` ext. 12`, `, ext 204`, ` extension 5`, ` Durchwahl 12`, `-DW 12`) of 1–6
/// digits, or at `j` when no word or digit follows.
pub(super) fn phone_end(b: &[u8], j: usize) -> Option<usize> {
    extension_end(b, j).or_else(|| num_end(b, j).then_some(j))
}

pub(super) fn extension_end(b: &[u8], j: usize) -> Option<usize> {
    let mut k = j;
    if matches!(b.get(k), Some(b',' | b'-')) {
        k += 1;
    }
    if b.get(k) == Some(&b' ') {
        k += 1;
    }
    let rest = b.get(k..)?;
    const WORDS: [&[u8]; 6] = [b"extension", b"ext", b"durchwahl", b"dw", b"x", b"#"];
    let w = WORDS
        .iter()
        .find(|w| rest.len() >= w.len() && rest[..w.len()].eq_ignore_ascii_case(w))?;
    k += w.len();
    if b.get(k) == Some(&b'.') {
        k += 1;
    }
    if matches!(b.get(k), Some(b' ' | b':')) {
        k += 1;
        if b.get(k) == Some(&b' ') {
            k += 1;
        }
    }
    let e = digits_end(b, k);
    (e > k && e - k <= 6 && num_end(b, e)).then_some(e)
}

/// A bare run of digits that is a plausible phone number: 10 digits in the North American
/// plan (`NXXNXXXXXX`, N 2–9), 11 digits `1NXXNXXXXXX`, or 10–12 digits after a trunk `0`
/// (`01512345678`); an extension may follow.
pub(super) fn bare_phone_at(b: &[u8], i: usize) -> Option<usize> {
    let e = digits_end(b, i);
    let d = |k: usize| b[i + k];
    let nanp = |o: usize| matches!(d(o), b'2'..=b'9') && matches!(d(o + 3), b'2'..=b'9');
    let ok = match (e - i, d(0)) {
        (10, b'2'..=b'9') => nanp(0),
        (11, b'1') => nanp(1),
        (10..=12, b'0') => d(1) != b'0',
        _ => false,
    };
    if ok {
        phone_end(b, e)
    } else {
        None
    }
}

/// A telephone number starting at `i`.
pub(super) fn phone_at(b: &[u8], i: usize) -> Option<usize> {
    if !num_start(b, i) {
        return None;
    }
    let sep_or_bare = match (b[i], b.get(i + 1)) {
        (b'+', _) => intl_phone_from(b, i + 1),
        // `00 49 30 …`: the international prefix may stand apart.
        (b'0', Some(b'0')) if b.get(i + 2) == Some(&b' ') => intl_phone_from(b, i + 3),
        (b'0', Some(b'0')) => intl_phone_from(b, i + 2),
        (b'0', _) | (b'(', Some(b'0')) => national_phone_at(b, i).or_else(|| pairs_phone_at(b, i)),
        (b'1'..=b'9' | b'(', _) => nanp_phone_at(b, i).or_else(|| grouped_phone_at(b, i)),
        _ => None,
    };
    sep_or_bare.or_else(|| bare_phone_at(b, i))
}

/// A number of a plan without a trunk `0`, written in groups as people write them: nine
/// digits starting 6–9, as Spanish mobiles (6, 7) and fixed lines (8, 9) are, in groups of
/// 3-3-3, 3-2-2-2 or 2-3-2-2 (`687 389 795`, `612 34 56 78`, `91 234 56 78`); ten digits
/// starting 3, as Italian mobiles are, in groups of 3-3-4, 3-7 or 3-3-2-2 (`347 123 4567`).
/// One separator throughout (a space, dot or dash), and no digit group before or after, so
/// a longer number written with thousands separators is not cut into one.
pub(super) fn grouped_phone_at(b: &[u8], i: usize) -> Option<usize> {
    const NINE: [&[usize]; 3] = [&[3, 3, 3], &[3, 2, 2, 2], &[2, 3, 2, 2]];
    const TEN: [&[usize]; 3] = [&[3, 3, 4], &[3, 7], &[3, 3, 2, 2]];
    let groups: &[&[usize]] = match b.get(i) {
        Some(b'6'..=b'9') => &NINE,
        Some(b'3') => &TEN,
        _ => return None,
    };
    // A digit group just before: part of a longer number.
    if i >= 2 && matches!(b[i - 1], b' ' | b'.' | b'-') && b[i - 2].is_ascii_digit() {
        return None;
    }
    let first = digits_end(b, i) - i;
    let sep = *b.get(i + first)?;
    if !matches!(sep, b' ' | b'.' | b'-') {
        return None;
    }
    'shape: for shape in groups {
        if shape[0] != first {
            continue;
        }
        let mut j = i;
        for (n, &len) in shape.iter().enumerate() {
            if n > 0 {
                if b.get(j) != Some(&sep) {
                    continue 'shape;
                }
                j += 1;
            }
            if digits_end(b, j) != j + len {
                continue 'shape;
            }
            j += len;
        }
        // A digit group just after: part of a longer number.
        if b.get(j) == Some(&sep) && is_digit_at(b, j + 1) {
            continue;
        }
        if let Some(e) = phone_end(b, j) {
            return Some(e);
        }
    }
    None
}

/// A number with a two-digit area after the trunk `0`: written in pairs as in France and
/// Belgium (a digit 1–9, then four pairs of digits, separated alike by single spaces, dots or
/// dashes: `04 26 07 51 78`, `04.12.87.31.62`, `06-12-34-56-78`), or as Dutch mobiles
/// (`06-12345678`).
pub(super) fn pairs_phone_at(b: &[u8], i: usize) -> Option<usize> {
    if b.get(i) != Some(&b'0') || !matches!(b.get(i + 1), Some(b'1'..=b'9')) {
        return None;
    }
    let sep = *b.get(i + 2)?;
    if !matches!(sep, b' ' | b'.' | b'-') {
        return None;
    }
    // `06-12345678`: a two-digit area (Dutch mobiles), then eight digits in one group.
    if sep == b'-' || sep == b' ' {
        let e = digits_end(b, i + 3);
        if e - (i + 3) == 8 {
            return phone_end(b, e);
        }
    }
    let mut j = i + 2;
    for _ in 0..4 {
        if b.get(j) != Some(&sep) || !is_digit_at(b, j + 1) || !is_digit_at(b, j + 2) {
            return None;
        }
        j += 3;
    }
    phone_end(b, j)
}

/// Cues before a date in free text that make it a date of birth.
pub(super) const DOB_CUES: [&[u8]; 7] = [
    b"born", b"birth", b"dob", b"d.o.b", b"geb.", b"geboren", b"geburt",
];

pub(super) fn dob_cue_before(b: &[u8], i: usize) -> bool {
    let w = &b[i.saturating_sub(24)..i];
    DOB_CUES
        .iter()
        .any(|c| w.windows(c.len()).any(|x| x.eq_ignore_ascii_case(c)))
}

/// A record reference inside text starting at `i`: a token of ASCII letters, digits and inner
/// `-` `/` `_` with a run of at least five digits and at least one letter (`CMD5302402`, `C-2020-20117`,
/// `KD-077172`, `41911838L`), or a run of 6–12 digits alone (`order 500764`). Numbers with
/// separators but no letter (`978-3-16-148410-0`, dates, amounts) are not references.
pub(super) fn reference_at(b: &[u8], i: usize) -> Option<usize> {
    if !word_start(b, i) || (i > 0 && matches!(b[i - 1], b'.' | b',' | b'-' | b'/' | b'+')) {
        return None;
    }
    let mut j = i;
    let (mut digits, mut letters, mut seps) = (0usize, 0usize, 0usize);
    let (mut run, mut longest) = (0usize, 0usize);
    while j < b.len() {
        if b[j].is_ascii_digit() {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
        match b[j] {
            b'0'..=b'9' => digits += 1,
            b'a'..=b'z' | b'A'..=b'Z' => letters += 1,
            b'-' | b'/' | b'_' if b.get(j + 1).is_some_and(u8::is_ascii_alphanumeric) => seps += 1,
            _ => break,
        }
        j += 1;
    }
    // Not inside a longer word of other bytes (`Straße12345`), nor before a decimal part.
    if j < b.len() && (b[j] >= 0x80 || (matches!(b[j], b'.' | b',') && is_digit_at(b, j + 1))) {
        return None;
    }
    // A run of five digits or more: `2023-Q4` is a quarter, `C-2020-20117` a case.
    let code = longest >= 5 && letters >= 1 && letters <= 6 + digits;
    // A bare number is a reference only inside prose (a number column is no reference).
    let bare = letters == 0 && seps == 0 && (6..=12).contains(&digits) && b.contains(&b' ');
    (code || bare).then_some(j)
}

/// Keeps the longest match; on equal length the earlier (higher-priority) one.
pub(super) fn keep_longest(best: &mut Option<(usize, Kind)>, m: Option<usize>, k: Kind) {
    if let Some(e) = m {
        if best.is_none_or(|(be, _)| e > be) {
            *best = Some((e, k));
        }
    }
}

/// The identifier starting at byte `i` (a word start), if any, and its end. `names`: also look
/// for person names (free text only; whole values use [`is_full_name`]).
pub(super) fn match_at(text: &str, b: &[u8], i: usize, names: bool) -> Option<(usize, Kind)> {
    let c = b[i];
    let mut best = None;
    if c.is_ascii_alphanumeric() || c >= 0xC0 {
        keep_longest(&mut best, email_at(b, i), Kind::Email);
        if best.is_some() {
            return best;
        }
    }
    if c.is_ascii_alphabetic() {
        keep_longest(&mut best, iban_at(b, i), Kind::Iban);
    }
    if c.is_ascii_digit() {
        keep_longest(&mut best, date_at(b, i), Kind::Date);
        keep_longest(&mut best, ssn_at(b, i), Kind::UsSsn);
        keep_longest(&mut best, ipv4_at(b, i), Kind::IpAddress);
        keep_longest(&mut best, card_at(b, i), Kind::PaymentCard);
        keep_longest(&mut best, tax_id_at(b, i), Kind::DeTaxId);
    }
    if c.is_ascii_digit() || c == b'+' || c == b'(' {
        keep_longest(&mut best, phone_at(b, i), Kind::Phone);
    }
    if c.is_ascii_hexdigit() || c == b':' {
        keep_longest(&mut best, ipv6_at(b, i), Kind::IpAddress);
    }
    if c.is_ascii_digit() || c.is_ascii_uppercase() || c >= 0xC0 {
        keep_longest(
            &mut best,
            super::address::address_at(text, i),
            Kind::StreetAddress,
        );
    }
    // References inside free text only: as whole values, codes are judged by the column
    // (repeated codes are a category, not a record's key).
    if names && c.is_ascii_alphanumeric() {
        keep_longest(&mut best, reference_at(b, i), Kind::RecordId);
    }
    if names && best.is_none() && (c.is_ascii_uppercase() || c >= 0xC0) {
        keep_longest(&mut best, names::name_at(text, i), Kind::PersonName);
    }
    best
}

/// Calls `f` for each identifier embedded in `text`, left to right, non-overlapping.
///
/// Ranges start and end on character boundaries: a match starts only after a non-word ASCII
/// byte (or at 0), and ends after an ASCII byte or at the end of a character.
pub(super) fn scan(text: &str, mut f: impl FnMut(Range<usize>, Kind)) {
    let b = text.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        let candidate = c.is_ascii_alphanumeric() || matches!(c, b'+' | b'(' | b':') || c >= 0xC0;
        if candidate && word_start(b, i) {
            if let Some((end, kind)) = match_at(text, b, i, true) {
                let kind = if kind == Kind::Date && dob_cue_before(b, i) {
                    Kind::DateOfBirth
                } else {
                    kind
                };
                f(i..end, kind);
                i = end;
                continue;
            }
        }
        i += 1;
    }
}
