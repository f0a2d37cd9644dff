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
    let after = match m.get("after") {
        Some(v) => decode_after(s, v, &m.child("after"), index, ty, &base, refs),
        None => None,
    };
    Some(GenSpec {
        base,
        depends_on,
        cases,
        after,
    })
}

/// `unit:` of an offset: a time unit for dates and timestamps (whole days or more for dates),
/// none for numbers.
fn decode_unit(
    s: &mut Sink,
    v: Option<&Node>,
    path: &str,
    ty: ColumnType,
    at: Pos,
    gen_path: &str,
) -> Option<Option<TimeUnit>> {
    let temporal = matches!(ty, ColumnType::Date | ColumnType::Timestamp);
    match v {
        None if temporal => {
            s.hint(
                at,
                gen_path,
                "missing `unit`",
                format!("add `unit:` with one of: {}", TimeUnit::NAMES.join(", ")),
            );
            None
        }
        None => Some(None),
        Some(v) if !temporal => {
            s.hint(
                pos(v),
                path,
                "`unit` applies to dates and timestamps",
                "remove `unit`: a number's offset is in its own unit",
            );
            None
        }
        Some(v) => {
            let u = TimeUnit::from_name(&choice(s, v, path, "unit", &TimeUnit::NAMES)?)?;
            if ty == ColumnType::Date && u.micros().is_some_and(|m| m < 86_400_000_000) {
                s.hint(
                    pos(v),
                    path,
                    "a date moves by whole days",
                    "use `days`, `months` or `years`, or make the column a timestamp",
                );
                return None;
            }
            Some(Some(u))
        }
    }
}

/// `after: column` or `after: {column: c, <unit>: n}` (`plus: n` for numbers): a lower bound
/// held by construction.
fn decode_after(
    s: &mut Sink,
    v: &Node,
    path: &str,
    index: usize,
    ty: ColumnType,
    base: &Generator,
    refs: &mut Vec<Ref>,
) -> Option<After> {
    if !matches!(
        base,
        Generator::Dates { .. } | Generator::Timestamps { .. } | Generator::Numeric { .. }
    ) {
        s.hint(
            pos(v),
            path,
            "`after` applies to dates, timestamps and numbers drawn between `min` and `max` or from a `distribution`",
            "use an `offset` generator to place a value after another column",
        );
        return None;
    }
    let temporal = matches!(ty, ColumnType::Date | ColumnType::Timestamp);
    let (column, at, amount, unit) = match &untag(v).data {
        YamlDataOwned::Mapping(_) => {
            let m = mapping(s, v, path)?;
            let mut allowed = vec!["column"];
            if temporal {
                allowed.extend(TimeUnit::NAMES);
            } else {
                allowed.push("plus");
            }
            m.only(s, &allowed);
            let Some(c) = m.get("column") else {
                s.hint(
                    m.pos,
                    path,
                    "missing `column`",
                    "name the column this value follows",
                );
                return None;
            };
            let at = pos(c);
            let column = text(s, c, &m.child("column"))?;
            let given: Vec<&(String, Pos, &Node)> =
                m.entries.iter().filter(|(k, ..)| k != "column").collect();
            if given.len() > 1 {
                s.hint(
                    given[1].1,
                    &m.child(&given[1].0),
                    "give one offset",
                    "keep one of the unit keys",
                );
                return None;
            }
            match given.first() {
                Some((k, _, n)) => {
                    let amount = integer(s, n, &m.child(k))?;
                    let unit = TimeUnit::from_name(k);
                    if ty == ColumnType::Date
                        && unit
                            .and_then(TimeUnit::micros)
                            .is_some_and(|m| m < 86_400_000_000)
                    {
                        s.hint(
                            pos(n),
                            &m.child(k),
                            "a date moves by whole days",
                            "use `days`, `months` or `years`",
                        );
                        return None;
                    }
                    (column, at, amount, unit)
                }
                None => (column, at, 0, None),
            }
        }
        _ => (text(s, v, path)?, pos(v), 0, None),
    };
    refs.push(Ref {
        from: index,
        to: column.clone(),
        pos: at,
        path: path.to_string(),
        levels: vec![],
        need: Need::Same(ty),
    });
    Some(After {
        column,
        amount,
        unit: unit.or(if temporal { Some(TimeUnit::Days) } else { None }),
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
    if lo <= hi && crate::schema::grid_range(lo, hi, 10f64.powi(places as i32)).is_none() {
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
        "offset" => &["kind", "from", "unit", "min", "max", "distribution"],
        "elapsed" => &["kind", "from", "to", "unit"],
        "formula" => &["kind", "expr", "round"],
        "count" => &["kind", "table", "key"],
        "sum" | "min" | "max" => &["kind", "table", "key", "column"],
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
    let temporal = matches!(ty, ColumnType::Date | ColumnType::Timestamp);
    let ok_type = match kind.as_str() {
        "sequence" => matches!(ty, ColumnType::Int { .. } | ColumnType::String),
        "birth_date" => ty == ColumnType::Date,
        "offset" | "min" | "max" => ty.is_numeric() || temporal,
        "elapsed" | "count" => matches!(ty, ColumnType::Int { .. }),
        "formula" | "sum" => ty.is_numeric(),
        "place" => matches!(ty, ColumnType::String | ColumnType::Category),
        k if string_only.contains(&k) => ty == ColumnType::String,
        _ => false,
    };
    if !ok_type {
        let want = match kind.as_str() {
            "sequence" => "int or string",
            "birth_date" => "date",
            "offset" | "min" | "max" => "int, float, date or timestamp",
            "elapsed" | "count" => "int",
            "formula" | "sum" => "int or float",
            "place" => "string or category",
            _ => "string",
        };
        s.hint(
            pos(n),
            &path,
            format!(
                "the `{kind}` generator makes {want} values, but the column is `{}`",
                ty.name()
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
        "offset" => {
            let Some(from) = col_ref(s, "from", Need::Same(ty))? else {
                s.hint(
                    pos(n),
                    &path,
                    "missing `from`",
                    "name the column the offset is added to, e.g. `from: ordered_at`",
                );
                return None;
            };
            let unit = decode_unit(s, field("unit"), &fpath("unit"), ty, pos(n), &path)?;
            let bound = |s: &mut Sink, key: &str| -> Option<f64> {
                match field(key) {
                    Some(v) => number(s, v, &fpath(key)),
                    None => {
                        s.hint(
                            pos(n),
                            &path,
                            format!("missing `{key}`"),
                            "give the offset's range, e.g. `min: 1` and `max: 5`",
                        );
                        None
                    }
                }
            };
            let (lo, hi) = (bound(s, "min"), bound(s, "max"));
            let (lo, hi) = (lo?, hi?);
            if lo > hi {
                s.hint(
                    pos(field("min")?),
                    &fpath("min"),
                    format!("min ({lo}) is greater than max ({hi})"),
                    "swap them",
                );
                return None;
            }
            let dist = match field("distribution") {
                Some(v) => {
                    let spec = dist_spec(s, v, &fpath("distribution"), true)?;
                    resolve_dist(s, &spec, Some(lo), Some(hi))?
                }
                None => Dist::Uniform { low: lo, high: hi },
            };
            Generator::Offset {
                from,
                unit,
                dist,
                min: lo,
                max: hi,
            }
        }
        "elapsed" => {
            let Some(from) = col_ref(s, "from", Need::Temporal)? else {
                s.hint(
                    pos(n),
                    &path,
                    "missing `from`",
                    "name the date or timestamp the time is counted from, e.g. `from: signed_up_at`",
                );
                return None;
            };
            let to = match field("to") {
                None => {
                    s.hint(
                        pos(n),
                        &path,
                        "missing `to`",
                        "give the date it is counted to (`to: 2026-01-01`) or a column",
                    );
                    return None;
                }
                Some(v) => {
                    let t = date_text(s, v, &fpath("to"), "YYYY-MM-DD")?;
                    if let Some(d) = parse_date_i64(&t) {
                        Endpoint::Instant(d * 86_400_000_000)
                    } else if let Some(ts) = crate::schema::parse_timestamp(&t) {
                        Endpoint::Instant(ts)
                    } else {
                        refs.push(Ref {
                            from: index,
                            to: t.clone(),
                            pos: pos(v),
                            path: fpath("to"),
                            levels: vec![],
                            need: Need::Temporal,
                        });
                        Endpoint::Column(t)
                    }
                }
            };
            let Some(unit) = decode_unit(
                s,
                field("unit"),
                &fpath("unit"),
                ColumnType::Timestamp,
                pos(n),
                &path,
            )?
            else {
                s.hint(
                    pos(n),
                    &path,
                    "missing `unit`",
                    format!("add `unit:` with one of: {}", TimeUnit::NAMES.join(", ")),
                );
                return None;
            };
            Generator::Elapsed { from, to, unit }
        }
        "formula" => {
            let Some(v) = field("expr") else {
                s.hint(
                    pos(n),
                    &path,
                    "missing `expr`",
                    "e.g. `expr: quantity * unit_price`",
                );
                return None;
            };
            let t = text(s, v, &fpath("expr"))?;
            let expr = match Expr::parse(&t) {
                Ok(e) => e,
                Err(e) => {
                    let at = pos(v);
                    s.hint(
                        at,
                        &fpath("expr"),
                        format!("cannot read the formula `{t}`: {e}"),
                        "formulas use numbers, column names, + - * / and parentheses",
                    );
                    return None;
                }
            };
            for c in expr.columns() {
                refs.push(Ref {
                    from: index,
                    to: c.to_string(),
                    pos: pos(v),
                    path: fpath("expr"),
                    levels: vec![],
                    need: Need::Number,
                });
            }
            let round = match field("round") {
                Some(v) => match non_negative(s, v, &fpath("round")) {
                    Some(r) if r <= 15 => Some(r as u32),
                    Some(r) => {
                        s.err(
                            pos(v),
                            &fpath("round"),
                            format!("`round` is a number of decimal places (0 to 15), found {r}"),
                        );
                        return None;
                    }
                    None => return None,
                },
                None => None,
            };
            Generator::Formula { expr, round }
        }
        "count" | "sum" | "min" | "max" => {
            let Some(table) = field("table").and_then(|v| text(s, v, &fpath("table"))) else {
                s.hint(
                    pos(n),
                    &path,
                    "missing `table`",
                    "name the child table whose rows are aggregated, e.g. `table: orders`",
                );
                return None;
            };
            let key = field("key").and_then(|v| text(s, v, &fpath("key")));
            let column = if kind == "count" {
                None
            } else {
                let Some(c) = field("column").and_then(|v| text(s, v, &fpath("column"))) else {
                    s.hint(
                        pos(n),
                        &path,
                        "missing `column`",
                        format!("name the column of `{table}` to aggregate"),
                    );
                    return None;
                };
                Some(c)
            };
            Generator::Aggregate {
                table,
                key,
                function: match kind.as_str() {
                    "count" => Aggregate::Count,
                    "sum" => Aggregate::Sum,
                    "min" => Aggregate::Min,
                    _ => Aggregate::Max,
                },
                column,
            }
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
