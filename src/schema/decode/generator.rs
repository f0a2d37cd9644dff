//! Generators: shares, probabilities, distributions (with truncation and the integer range
//! checks), dates and timestamps, and the `generator:` kinds.

use super::*;

/// Keys that choose a generator, for "give only one of" checks.
pub(super) const GEN_KEYS: [&str; 4] = ["shares", "probability", "distribution", "generator"];

#[allow(clippy::too_many_arguments)]
pub(super) fn decode_generator(
    s: &mut Sink,
    m: &Map,
    index: usize,
    name: &str,
    ty: ColumnType,
    (min, max): (Option<f64>, Option<f64>),
    levels: &mut Option<Vec<String>>,
    refs: &mut Vec<Ref>,
) -> Option<GenSpec> {
    let given: Vec<&str> = GEN_KEYS.iter().copied().filter(|k| m.has(k)).collect();
    if given.len() > 1 {
        s.hint(
            m.key_pos(given[1]),
            &m.child(given[1]),
            format!(
                "`{}` and `{}` both say how to generate `{name}`",
                given[0], given[1]
            ),
            "keep one of them",
        );
        return None;
    }
    let base = match (given.first().copied(), ty) {
        (Some("shares"), _) => {
            let sh = shares(s, m.get("shares")?, &m.child("shares"))?;
            match levels {
                Some(ls) => {
                    let listed: std::collections::HashSet<&String> = ls.iter().collect();
                    for (l, _, p) in &sh {
                        if !listed.contains(l) {
                            s.hint(
                                *p,
                                &m.child("shares"),
                                format!("level `{l}` is not in `levels`"),
                                format!("add it to `levels`, or use one of: {}", ls.join(", ")),
                            );
                        }
                    }
                }
                None => *levels = Some(sh.iter().map(|(l, ..)| l.clone()).collect()),
            }
            Generator::Categorical(sh.into_iter().map(|(l, x, _)| (l, x)).collect())
        }
        (Some("probability"), _) => Generator::Bernoulli(probability(
            s,
            m.get("probability")?,
            &m.child("probability"),
        )?),
        (Some("distribution"), _) => {
            let round = match m.get("round") {
                Some(v) => match non_negative(s, v, &m.child("round")) {
                    Some(r) if r <= 15 => Some(r as u32),
                    Some(r) => {
                        s.err(
                            pos(v),
                            &m.child("round"),
                            format!("`round` is a number of decimal places (0 to 15), found {r}"),
                        );
                        return None;
                    }
                    None => return None,
                },
                None => None,
            };
            let spec = dist_spec(s, m.get("distribution")?, &m.child("distribution"), true)?;
            let dist = resolve_dist(s, &spec, min, max)?;
            if let (Some(lo), Some(hi)) = (min, max) {
                check_truncation(s, m, &dist, lo, hi);
                check_grid(s, m, ty, round, lo, hi);
            }
            if let ColumnType::Int { bits } = ty {
                check_int_range(s, m, &dist, (min, max), bits);
            }
            Generator::Numeric {
                dist,
                min,
                max,
                round,
            }
        }
        (Some(_), _) => {
            let g = decode_kind(s, m, index, ty, refs)?;
            if let Generator::Place { field, .. } = &g {
                if ty == ColumnType::Category {
                    place_levels(s, m, *field, levels)?;
                }
            }
            g
        }
        (None, ColumnType::Date) if m.has("min") || m.has("max") => {
            let (lo, hi) = date_range(s, m, parse_date_i64, "YYYY-MM-DD")?;
            Generator::Dates {
                min: i32::try_from(lo).ok()?,
                max: i32::try_from(hi).ok()?,
            }
        }
        (None, ColumnType::Timestamp) if m.has("min") || m.has("max") => {
            let (lo, hi) =
                date_range(s, m, crate::schema::parse_timestamp, "YYYY-MM-DDTHH:MM:SSZ")?;
            Generator::Timestamps { min: lo, max: hi }
        }
        (None, _) => {
            if m.has("cases") || m.has("depends_on") {
                s.hint(
                    m.pos,
                    &m.path,
                    format!("`cases` need a base generator for `{name}`"),
                    "add `shares`, `probability` or `distribution` next to `cases`",
                );
            }
            // No generator: the column can be read and reweighted, but not synthesised.
            return None;
        }
    };

    let supports_cases = matches!(
        base,
        Generator::Categorical(_) | Generator::Bernoulli(_) | Generator::Numeric { .. }
    );
    let mut depends_on: Vec<String> = Vec::new();
    if let Some(v) = m.get("depends_on") {
        let p = m.child("depends_on");
        if let Some(items) = sequence(s, v, &p) {
            for (i, it) in items.iter().enumerate() {
                let ip = format!("{p}[{i}]");
                if let Some(col) = text(s, it, &ip) {
                    refs.push(Ref {
                        from: index,
                        to: col.clone(),
                        pos: pos(it),
                        path: ip,
                        levels: vec![],
                        need: Need::Categories,
                    });
                    depends_on.push(col);
                }
            }
        }
    }
    let mut cases = Vec::new();
    if let Some(v) = m.get("cases") {
        let p = m.child("cases");
        if !supports_cases {
            s.hint(
                m.key_pos("cases"),
                &p,
                "`cases` apply only to `shares`, `probability` and `distribution`",
                "remove `cases`",
            );
            return None;
        }
        let items = sequence(s, v, &p)?;
        let explicit_deps = m.has("depends_on");
        for (i, it) in items.iter().enumerate() {
            let cp = format!("{p}[{i}]");
            if let Some(c) = decode_case(s, it, &cp, m, index, &base, levels.as_deref(), refs) {
                for (col, _) in &c.when {
                    if !depends_on.contains(col) {
                        if explicit_deps {
                            s.hint(
                                c.pos,
                                &cp,
                                format!("`when` names `{col}`, which is not in `depends_on`"),
                                format!("add `{col}` to `depends_on`"),
                            );
                        } else {
                            depends_on.push(col.clone());
                        }
                    }
                }
                cases.push(c);
            }
        }
    } else if m.has("depends_on") {
        s.hint(
            m.key_pos("depends_on"),
            &m.child("depends_on"),
            "`depends_on` without `cases` changes nothing",
            "add `cases:` with `when:` conditions, or remove `depends_on`",
        );
    }
    Some(GenSpec {
        base,
        depends_on,
        cases,
    })
}

/// Warns when truncation leaves almost none of a distribution's mass (rejection would stall).
pub(super) fn check_truncation(s: &mut Sink, m: &Map, dist: &Dist, lo: f64, hi: f64) {
    let inside = match *dist {
        Dist::Uniform { low, high } => (hi.min(high) - lo.max(low)).max(0.0) / (high - low),
        Dist::Normal { mean, sd } => normal_cdf((hi - mean) / sd) - normal_cdf((lo - mean) / sd),
        Dist::LogNormal { mu, sigma } if hi > 0.0 => {
            let l = if lo > 0.0 {
                normal_cdf((lo.ln() - mu) / sigma)
            } else {
                0.0
            };
            normal_cdf((hi.ln() - mu) / sigma) - l
        }
        Dist::LogNormal { .. } => 0.0,
        _ => 1.0,
    };
    if inside < 1e-3 {
        s.hint(
            m.key_pos("min"),
            &m.child("min"),
            format!(
                "`min`..`max` ({lo}..{hi}) keeps less than 0.1% of the distribution (mean {})",
                dist.mean()
            ),
            "widen the range or move the distribution into it",
        );
    }
}

/// Refuses a range with no value on the column's rounding grid (an int column's whole
/// numbers, a float column's `round` places): every draw would be clamped off the grid.
fn check_grid(s: &mut Sink, m: &Map, ty: ColumnType, round: Option<u32>, lo: f64, hi: f64) {
    let places = match ty {
        ColumnType::Int { .. } => 0,
        _ => match round {
            Some(r) => r,
            None => return,
        },
    };
    if lo <= hi && crate::synth::grid_range(lo, hi, 10f64.powi(places as i32)).is_none() {
        let (what, fix) = if matches!(ty, ColumnType::Int { .. }) {
            (
                "no whole number".to_string(),
                "widen the range, or use `type: float`",
            )
        } else {
            (
                format!("no value with {places} decimal places"),
                "widen the range, or round to more places",
            )
        };
        s.hint(
            m.key_pos("min"),
            &m.child("min"),
            format!("{what} lies in `min`..`max` ({lo}..{hi})"),
            fix,
        );
    }
}

/// An int column's generated values are rounded into 64 (or 32) bits; values beyond that range
/// would saturate silently at the largest int, so such a distribution is refused.
pub(super) fn check_int_range(
    s: &mut Sink,
    m: &Map,
    dist: &Dist,
    bounds: (Option<f64>, Option<f64>),
    bits: u8,
) {
    let limit = if bits == 32 {
        f64::from(i32::MAX)
    } else {
        i64::MAX as f64
    };
    // Where practically every value falls (beyond 10 standard deviations, or the equivalent
    // tail, nothing is drawn in any realistic number of rows).
    let (lo, hi) = match *dist {
        Dist::Uniform { low, high } | Dist::Beta { low, high, .. } => (low, high),
        Dist::Normal { mean, sd } => (mean - 10.0 * sd, mean + 10.0 * sd),
        Dist::LogNormal { mu, sigma } => (0.0, (mu + 10.0 * sigma).exp()),
        Dist::Gamma { shape, scale } => (0.0, scale * (shape + 10.0 * shape.sqrt() + 40.0)),
        Dist::Poisson { lambda } => (0.0, lambda + 10.0 * lambda.sqrt() + 10.0),
        Dist::Exponential { rate } => (0.0, 40.0 / rate),
    };
    let lo = bounds.0.map_or(lo, |b| lo.max(b));
    let hi = bounds.1.map_or(hi, |b| hi.min(b));
    if lo < -limit || hi > limit || !lo.is_finite() || !hi.is_finite() {
        s.hint(
            m.key_pos("distribution"),
            &m.child("distribution"),
            format!(
                "this distribution gives values up to about {:e} in size, beyond the {bits}-bit int range (±{limit:e}); they would all be clipped to the largest int",
                lo.abs().max(hi.abs())
            ),
            "change the parameters, give the column `min` and `max` within the range, or use `type: float`",
        );
    }
}

/// Standard normal CDF (Abramowitz & Stegun 7.1.26 erf approximation, |error| < 1.5e-7).
pub(super) fn normal_cdf(z: f64) -> f64 {
    let x = z.abs() / std::f64::consts::SQRT_2;
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let poly = t
        * (0.254_829_592
            + t * (-0.284_496_736
                + t * (1.421_413_741 + t * (-1.453_152_027 + t * 1.061_405_429))));
    let erf = 1.0 - poly * (-x * x).exp();
    if z >= 0.0 {
        0.5 * (1.0 + erf)
    } else {
        0.5 * (1.0 - erf)
    }
}

pub(super) fn date_range(
    s: &mut Sink,
    m: &Map,
    parse: fn(&str) -> Option<i64>,
    format: &str,
) -> Option<(i64, i64)> {
    let mut get = |key: &str| -> Option<i64> {
        let Some(v) = m.get(key) else {
            s.hint(
                m.pos,
                &m.child(key),
                format!("missing `{key}`"),
                format!("dates are drawn uniformly between `min` and `max` ({format})"),
            );
            return None;
        };
        let t = date_text(s, v, &m.child(key), format)?;
        let parsed = parse(&t);
        if parsed.is_none() {
            s.hint(
                pos(v),
                &m.child(key),
                format!("`{t}` is not a valid date"),
                format!("write it as {format}"),
            );
        }
        parsed
    };
    let lo = get("min");
    let hi = get("max");
    let (lo, hi) = (lo?, hi?);
    if lo > hi {
        s.hint(
            m.key_pos("min"),
            &m.child("min"),
            "min is after max",
            "swap them",
        );
        return None;
    }
    Some((lo, hi))
}

/// A date or timestamp written as a plain scalar.
pub(super) fn date_text(s: &mut Sink, n: &Node, path: &str, format: &str) -> Option<String> {
    let t = scalar_text(n);
    if t.is_none() {
        s.hint(
            pos(n),
            path,
            format!("expected a date, found {}", describe(n)),
            format!("write it as {format}"),
        );
    }
    t
}

pub(super) fn parse_date_i64(t: &str) -> Option<i64> {
    crate::schema::parse_date(t).map(i64::from)
}

/// `generator: {kind: ...}` and its shorthand `generator: uuid`.
pub(super) fn decode_kind(
    s: &mut Sink,
    m: &Map,
    index: usize,
    ty: ColumnType,
    refs: &mut Vec<Ref>,
) -> Option<Generator> {
    let n = m.get("generator")?;
    let path = m.child("generator");
    let (kind, g) = match &untag(n).data {
        YamlDataOwned::Mapping(_) => {
            let g = mapping(s, n, &path)?;
            let Some(k) = g.get("kind") else {
                s.hint(
                    g.pos,
                    &path,
                    "missing `kind`",
                    format!("add `kind:` with one of: {}", Generator::KINDS.join(", ")),
                );
                return None;
            };
            (
                choice(s, k, &g.child("kind"), "generator", &Generator::KINDS)?,
                Some(g),
            )
        }
        _ => (choice(s, n, &path, "generator", &Generator::KINDS)?, None),
    };
    let allowed: &[&str] = match kind.as_str() {
        "sequence" => &["kind", "start", "step", "prefix"],
        "pattern" => &["kind", "pattern"],
        "person_name" => &["kind", "locale", "part", "sex"],
        "email" => &["kind", "locale", "from"],
        "phone" | "address" => &["kind", "locale", "place"],
        "birth_date" => &["kind", "age", "reference"],
        "place" => &["kind", "place", "field"],
        _ => &["kind"],
    };
    if let Some(g) = &g {
        g.only(s, allowed);
    }
    let field = |key: &str| g.as_ref().and_then(|g| g.get(key));
    let fpath = |key: &str| join(&path, key);
    let string_only = [
        "uuid",
        "pattern",
        "person_name",
        "email",
        "phone",
        "address",
    ];
    let ok_type = match kind.as_str() {
        "sequence" => matches!(ty, ColumnType::Int { .. } | ColumnType::String),
        "birth_date" => ty == ColumnType::Date,
        "place" => matches!(ty, ColumnType::String | ColumnType::Category),
        k if string_only.contains(&k) => ty == ColumnType::String,
        _ => false,
    };
    if !ok_type {
        let want = match kind.as_str() {
            "sequence" => "int or string",
            "birth_date" => "date",
            "place" => "string or category",
            _ => "string",
        };
        s.hint(
            pos(n),
            &path,
            format!(
                "the `{kind}` generator makes {want} values, but the column is `{}`",
                type_name(ty)
            ),
            format!("set `type: {}`", want.split(' ').next().unwrap_or(want)),
        );
        return None;
    }
    let locale = |s: &mut Sink| -> Option<Locale> {
        match field("locale") {
            None => Some(Locale::En),
            Some(v) => match choice(s, v, &fpath("locale"), "locale", &Locale::NAMES)?.as_str() {
                "de" => Some(Locale::De),
                _ => Some(Locale::En),
            },
        }
    };
    let mut col_ref = |s: &mut Sink, key: &str, need: Need| -> Option<Option<String>> {
        match field(key) {
            None => Some(None),
            Some(v) => {
                let c = text(s, v, &fpath(key))?;
                refs.push(Ref {
                    from: index,
                    to: c.clone(),
                    pos: pos(v),
                    path: fpath(key),
                    levels: vec![],
                    need,
                });
                Some(Some(c))
            }
        }
    };
    Some(match kind.as_str() {
        "sequence" => {
            let start = field("start")
                .map(|v| integer(s, v, &fpath("start")))
                .unwrap_or(Some(1))?;
            let step = field("step")
                .map(|v| integer(s, v, &fpath("step")))
                .unwrap_or(Some(1))?;
            if step == 0 {
                s.err(
                    pos(field("step")?),
                    &fpath("step"),
                    "`step` cannot be 0 (values would repeat)",
                );
                return None;
            }
            let prefix = match field("prefix") {
                Some(v) if matches!(ty, ColumnType::Int { .. }) => {
                    s.hint(
                        pos(v),
                        &fpath("prefix"),
                        "`prefix` needs a string column",
                        "set `type: string`",
                    );
                    return None;
                }
                Some(v) => text(s, v, &fpath("prefix"))?,
                None => String::new(),
            };
            Generator::Sequence {
                start,
                step,
                prefix,
            }
        }
        "uuid" => Generator::Uuid,
        "pattern" => {
            let Some(v) = field("pattern") else {
                s.hint(
                    pos(n),
                    &path,
                    "missing `pattern`",
                    "e.g. `pattern: \"CUST-??-#####\"` (# digit, ? letter, * either)",
                );
                return None;
            };
            let p = text(s, v, &fpath("pattern"))?;
            if p.is_empty() || p.chars().rev().take_while(|c| *c == '\\').count() % 2 == 1 {
                s.hint(
                    pos(v),
                    &fpath("pattern"),
                    "the pattern is empty or ends in a lone `\\`",
                    "escape a literal backslash as `\\\\`",
                );
                return None;
            }
            Generator::Pattern(p)
        }
        "person_name" => {
            let locale = locale(s)?;
            let part = match field("part") {
                None => NamePart::Full,
                Some(v) => match choice(
                    s,
                    v,
                    &fpath("part"),
                    "name part",
                    &["full", "first", "last"],
                )?
                .as_str()
                {
                    "first" => NamePart::First,
                    "last" => NamePart::Last,
                    _ => NamePart::Full,
                },
            };
            let sex_column = col_ref(s, "sex", Need::Categories)?;
            Generator::PersonName {
                locale,
                part,
                sex_column,
            }
        }
        "email" => Generator::Email {
            locale: locale(s)?,
            from: col_ref(s, "from", Need::Text)?,
        },
        "phone" | "address" => {
            let locale = locale(s)?;
            let place = match field("place") {
                None => None,
                Some(v) => {
                    let p = place_name(s, v, &fpath("place"))?;
                    if locale != Locale::En {
                        s.hint(
                            pos(v),
                            &fpath("place"),
                            "`place` draws real US places, so it needs `locale: en`",
                            "set `locale: en`, or remove `place`",
                        );
                        return None;
                    }
                    Some(p)
                }
            };
            if kind == "phone" {
                Generator::Phone { locale, place }
            } else {
                Generator::Address { locale, place }
            }
        }
        "place" => {
            let Some(v) = field("place") else {
                s.hint(
                    pos(n),
                    &path,
                    "missing `place`",
                    "name the shared draw, e.g. `place: home`: columns naming the same place hold parts of one place per row",
                );
                return None;
            };
            let place = place_name(s, v, &fpath("place"))?;
            let Some(f) = field("field") else {
                s.hint(
                    pos(n),
                    &path,
                    "missing `field`",
                    format!("add `field:` with one of: {}", PlaceField::NAMES.join(", ")),
                );
                return None;
            };
            let name = choice(s, f, &fpath("field"), "place field", &PlaceField::NAMES)?;
            let field = PlaceField::from_name(&name)?;
            if ty == ColumnType::Category && field.levels().is_none() {
                s.hint(
                    pos(f),
                    &fpath("field"),
                    format!("a category column can hold a place's `state` or `region`, but `{name}` has thousands of values"),
                    "set `type: string`",
                );
                return None;
            }
            Generator::Place { place, field }
        }
        _ => {
            let Some(age) = col_ref(s, "age", Need::Int)? else {
                s.hint(
                    pos(n),
                    &path,
                    "missing `age`",
                    "name the int column holding ages, e.g. `age: age`",
                );
                return None;
            };
            let reference = match field("reference") {
                None => {
                    s.hint(pos(n), &path, "missing `reference`", "the date ages are counted to, e.g. `reference: 2026-01-01` (fixed, so output is reproducible)");
                    return None;
                }
                Some(v) => {
                    let t = date_text(s, v, &fpath("reference"), "YYYY-MM-DD")?;
                    match parse_date_i64(&t) {
                        Some(d) => d as i32,
                        None => {
                            s.hint(
                                pos(v),
                                &fpath("reference"),
                                format!("`{t}` is not a valid date"),
                                "write it as YYYY-MM-DD",
                            );
                            return None;
                        }
                    }
                }
            };
            Generator::BirthDate {
                age_column: age,
                reference,
            }
        }
    })
}

/// The name of a shared place draw: non-empty text.
fn place_name(s: &mut Sink, v: &Node, path: &str) -> Option<String> {
    let p = text(s, v, path)?;
    if p.trim().is_empty() {
        s.hint(
            pos(v),
            path,
            "the place name is empty",
            "name the shared draw, e.g. `place: home`",
        );
        return None;
    }
    Some(p)
}

/// A category column of a place's states or regions: its levels are the field's values, or
/// declared `levels` that list every one of them.
fn place_levels(
    s: &mut Sink,
    m: &Map,
    field: PlaceField,
    levels: &mut Option<Vec<String>>,
) -> Option<()> {
    let all = field.levels()?;
    match levels {
        None => *levels = Some(all),
        Some(ls) => {
            let missing: Vec<&String> = all.iter().filter(|l| !ls.contains(l)).collect();
            if !missing.is_empty() {
                let shown: Vec<&str> = missing.iter().take(8).map(|l| l.as_str()).collect();
                s.hint(
                    m.key_pos("levels"),
                    &m.child("levels"),
                    format!(
                        "`levels` lacks {} value(s) the place field `{}` takes: {}{}",
                        missing.len(),
                        field.name(),
                        shown.join(", "),
                        if missing.len() > shown.len() {
                            ", ..."
                        } else {
                            ""
                        }
                    ),
                    format!(
                        "add them, or remove `levels` (they default to the field's values: {})",
                        all.join(", ")
                    ),
                );
                return None;
            }
        }
    }
    Some(())
}
