//! Generating one column of a block: every generator kind, nulls (with `null_unless`),
//! lower bounds from other columns (`after`), offsets, elapsed times and formulas.

use std::sync::Arc;

use arrow_array::builder::StringBuilder;
use arrow_array::types::Int32Type;
use arrow_array::{
    Array, ArrayRef, BooleanArray, Date32Array, DictionaryArray, Float64Array, Int32Array,
    Int64Array, StringArray, TimestampMicrosecondArray,
};
use arrow_buffer::{BooleanBuffer, NullBuffer, ScalarBuffer};
use rand::RngExt;

use super::draw::{derived_array, draw_level, round_decimal, Variant};
use super::places::{Drawn, Places};
use super::text::{self, Sex};
use super::{rules, stream, ColPlan, EndPlan, Generated, Kind, SynthError, Synthesizer, NULL_CODE};
use crate::schema::ColumnType;

impl Synthesizer {
    pub(super) fn column(
        &self,
        col: &ColPlan,
        block: u64,
        start: u64,
        len: usize,
        done: &[Generated],
        drawn: &[Vec<Drawn>],
    ) -> Result<Generated, SynthError> {
        let mut rng = stream(self.seed, &col.stream, 0, block);
        let nulls = (col.null_share > 0.0).then(|| {
            let mut nrng = stream(self.seed, &col.stream, 1, block);
            let valid: BooleanBuffer = (0..len)
                .map(|_| nrng.random::<f64>() >= col.null_share)
                .collect();
            NullBuffer::new(valid)
        });
        // `null_unless`: null wherever a condition fails.
        let nulls = if col.cond.is_empty() {
            nulls
        } else {
            let holds = |i: usize| {
                col.cond.iter().all(|(j, ok)| {
                    let c = done[*j].codes.as_ref().map_or(NULL_CODE, |v| v[i]);
                    c != NULL_CODE && ok.get(c as usize).copied().unwrap_or(false)
                })
            };
            let valid: BooleanBuffer = (0..len)
                .map(|i| holds(i) && nulls.as_ref().is_none_or(|n| n.is_valid(i)))
                .collect();
            Some(NullBuffer::new(valid))
        };
        // `after`: a lower bound per row, in the column's own units (days for dates,
        // microseconds for timestamps, the number itself otherwise).
        let lower: Option<Vec<Option<f64>>> = col.after.as_ref().map(|a| {
            let src = &done[a.column].array;
            (0..len)
                .map(|i| match a.unit {
                    Some(u) => {
                        let t = rules::shift(rules::micros_at(src, i)?, a.amount, u)?;
                        Some(if col.ty == ColumnType::Date {
                            // The first whole day at or after the instant.
                            (t as f64 / rules::DAY as f64).ceil()
                        } else {
                            t as f64
                        })
                    }
                    None => Some(rules::number_at(src, i)? + a.amount as f64),
                })
                .collect()
        });
        let lower_at = |i: usize| lower.as_ref().and_then(|l| l[i]);
        let is_valid = |i: usize| nulls.as_ref().is_none_or(|n| n.is_valid(i));
        let mut codes: Option<Vec<u32>> = None;
        let array: ArrayRef = match &col.kind {
            Kind::Variants(vs) => {
                let variant = |i: usize| -> usize {
                    if col.table.is_empty() {
                        return 0;
                    }
                    let mut key = 0usize;
                    for &(p, n) in &col.parents {
                        let c = done[p].codes.as_ref().map_or(NULL_CODE, |v| v[i]);
                        if c == NULL_CODE {
                            return 0;
                        }
                        key = key * n + c as usize;
                    }
                    usize::from(col.table[key])
                };
                match (&vs[0], col.ty) {
                    (Variant::Cat(_), ty) => {
                        let mut keys = Vec::with_capacity(len);
                        for i in 0..len {
                            let Variant::Cat(cum) = &vs[variant(i)] else {
                                unreachable!()
                            };
                            keys.push(draw_level(cum, &mut rng));
                        }
                        let array: ArrayRef = if ty == ColumnType::Category {
                            let k = Int32Array::new(
                                ScalarBuffer::from(
                                    keys.iter().map(|&k| k as i32).collect::<Vec<_>>(),
                                ),
                                nulls.clone(),
                            );
                            let dict = col
                                .dictionary
                                .clone()
                                .expect("category columns have a dictionary");
                            Arc::new(DictionaryArray::<Int32Type>::try_new(k, dict)?)
                        } else {
                            let mut b = StringBuilder::with_capacity(len, len * 8);
                            for (i, &k) in keys.iter().enumerate() {
                                if is_valid(i) {
                                    b.append_value(&col.levels[k as usize]);
                                } else {
                                    b.append_null();
                                }
                            }
                            Arc::new(b.finish())
                        };
                        if col.need_codes {
                            codes = Some(
                                keys.iter()
                                    .enumerate()
                                    .map(|(i, &k)| if is_valid(i) { k } else { NULL_CODE })
                                    .collect(),
                            );
                        }
                        array
                    }
                    (Variant::Bern(_), _) => {
                        let mut vals = Vec::with_capacity(len);
                        for i in 0..len {
                            let Variant::Bern(p) = &vs[variant(i)] else {
                                unreachable!()
                            };
                            vals.push(rng.random::<f64>() < *p);
                        }
                        if col.need_codes {
                            codes = Some(
                                vals.iter()
                                    .enumerate()
                                    .map(
                                        |(i, &v)| {
                                            if is_valid(i) {
                                                u32::from(v)
                                            } else {
                                                NULL_CODE
                                            }
                                        },
                                    )
                                    .collect(),
                            );
                        }
                        Arc::new(BooleanArray::new(BooleanBuffer::from(vals), nulls.clone()))
                    }
                    (Variant::Num(_), ty) => {
                        let mut vals = Vec::with_capacity(len);
                        for i in 0..len {
                            let Variant::Num(s) = &vs[variant(i)] else {
                                unreachable!()
                            };
                            vals.push(match lower_at(i) {
                                Some(lb) => s.sample_at_least(&mut rng, lb),
                                None => s.sample(&mut rng),
                            });
                        }
                        if col.need_codes {
                            let bins = col.bins.as_ref();
                            codes = Some(
                                vals.iter()
                                    .enumerate()
                                    .map(|(i, &v)| match bins.and_then(|b| b.band(v)) {
                                        Some(b) if is_valid(i) => b as u32,
                                        _ => NULL_CODE,
                                    })
                                    .collect(),
                            );
                        }
                        match ty {
                            ColumnType::Int { bits: 32 } => Arc::new(Int32Array::new(
                                vals.iter().map(|&v| v as i32).collect(),
                                nulls.clone(),
                            )),
                            ColumnType::Int { .. } => Arc::new(Int64Array::new(
                                vals.iter().map(|&v| v as i64).collect(),
                                nulls.clone(),
                            )),
                            _ => {
                                Arc::new(Float64Array::new(ScalarBuffer::from(vals), nulls.clone()))
                            }
                        }
                    }
                }
            }
            Kind::Dates(lo, hi) => Arc::new(Date32Array::new(
                (0..len)
                    .map(|i| match lower_at(i) {
                        Some(lb) if lb > f64::from(*hi) => lb.min(f64::from(i32::MAX)) as i32,
                        Some(lb) => rng.random_range((*lo).max(lb as i32)..=*hi),
                        None => rng.random_range(*lo..=*hi),
                    })
                    .collect(),
                nulls.clone(),
            )),
            Kind::Timestamps(lo, hi) => Arc::new(
                TimestampMicrosecondArray::new(
                    (0..len)
                        .map(|i| match lower_at(i) {
                            Some(lb) if lb > *hi as f64 => lb as i64,
                            Some(lb) => rng.random_range((*lo).max(lb as i64)..=*hi),
                            None => rng.random_range(*lo..=*hi),
                        })
                        .collect(),
                    nulls.clone(),
                )
                .with_timezone("UTC"),
            ),
            Kind::Offset {
                from,
                unit,
                sampler,
            } => {
                let src = &done[*from].array;
                let mut vals: Vec<Option<f64>> = Vec::with_capacity(len);
                for i in 0..len {
                    let off = sampler.sample(&mut rng);
                    vals.push(match unit {
                        Some(u) => rules::micros_at(src, i).and_then(|t| {
                            let t = match u.micros() {
                                Some(m) => t.checked_add((off * m as f64).round() as i64)?,
                                None => rules::shift(t, off as i64, *u)?,
                            };
                            Some(if col.ty == ColumnType::Date {
                                t.div_euclid(rules::DAY) as f64
                            } else {
                                t as f64
                            })
                        }),
                        None => rules::number_at(src, i).map(|x| x + off),
                    });
                }
                derived_array(col.ty, &vals, nulls.as_ref())
            }
            Kind::Elapsed { from, to, unit } => {
                let src = &done[*from].array;
                let vals: Vec<Option<f64>> = (0..len)
                    .map(|i| {
                        let a = rules::micros_at(src, i)?;
                        let b = match to {
                            EndPlan::Instant(t) => *t,
                            EndPlan::Column(j) => rules::micros_at(&done[*j].array, i)?,
                        };
                        Some(rules::elapsed(a, b, *unit) as f64)
                    })
                    .collect();
                derived_array(col.ty, &vals, nulls.as_ref())
            }
            Kind::Formula { expr, cols, round } => {
                let scale = round.map(|r| 10f64.powi(r as i32));
                let vals: Vec<Option<f64>> = (0..len)
                    .map(|i| {
                        let v = expr.eval(&|name| {
                            let j = cols.iter().find(|(n, _)| n == name)?.1;
                            rules::number_at(&done[j].array, i)
                        })?;
                        Some(match scale {
                            Some(s) => round_decimal(v, s),
                            None => v,
                        })
                    })
                    .collect();
                derived_array(col.ty, &vals, nulls.as_ref())
            }
            Kind::External => unreachable!("supplied by the caller"),
            Kind::Sequence {
                start: s0,
                step,
                prefix,
            } => {
                let value = |i: usize| -> Result<i64, SynthError> {
                    let row = start + i as u64;
                    i64::try_from(row)
                        .ok()
                        .and_then(|r| r.checked_mul(*step))
                        .and_then(|x| x.checked_add(*s0))
                        .ok_or_else(|| SynthError::Overflow {
                            column: col.name.clone(),
                            row,
                        })
                };
                match col.ty {
                    ColumnType::String => {
                        let mut b = StringBuilder::with_capacity(len, len * (prefix.len() + 8));
                        for i in 0..len {
                            if is_valid(i) {
                                b.append_value(format!("{prefix}{}", value(i)?));
                            } else {
                                b.append_null();
                            }
                        }
                        Arc::new(b.finish())
                    }
                    ColumnType::Int { bits: 32 } => {
                        let vals = (0..len)
                            .map(|i| {
                                value(i).and_then(|v| {
                                    i32::try_from(v).map_err(|_| SynthError::Overflow {
                                        column: col.name.clone(),
                                        row: start + i as u64,
                                    })
                                })
                            })
                            .collect::<Result<Vec<i32>, _>>()?;
                        Arc::new(Int32Array::new(ScalarBuffer::from(vals), nulls.clone()))
                    }
                    _ => Arc::new(Int64Array::new(
                        (0..len).map(value).collect::<Result<Vec<i64>, _>>()?.into(),
                        nulls.clone(),
                    )),
                }
            }
            Kind::Place {
                slot,
                codes: Some(by_place),
                ..
            } => {
                let keys: Vec<u32> = drawn[*slot]
                    .iter()
                    .map(|d| by_place[d.index as usize])
                    .collect();
                // Every state and region is a level (the decoder sees to it); a code missing
                // from a cut-down schema becomes a null rather than a bad key.
                let valid: Vec<bool> = keys
                    .iter()
                    .enumerate()
                    .map(|(i, &k)| k != NULL_CODE && is_valid(i))
                    .collect();
                if col.need_codes {
                    codes = Some(
                        keys.iter()
                            .zip(&valid)
                            .map(|(&k, &v)| if v { k } else { NULL_CODE })
                            .collect(),
                    );
                }
                let k = Int32Array::new(
                    keys.iter()
                        .map(|&k| if k == NULL_CODE { 0 } else { k as i32 })
                        .collect(),
                    Some(NullBuffer::from(valid)).filter(|n| n.null_count() > 0),
                );
                let dict = col
                    .dictionary
                    .clone()
                    .expect("category columns have a dictionary");
                Arc::new(DictionaryArray::<Int32Type>::try_new(k, dict)?)
            }
            Kind::BirthDate { age, reference } => {
                let ages = &done[*age].array;
                let age_at = |i: usize| -> Option<i64> {
                    if ages.is_null(i) {
                        return None;
                    }
                    if let Some(a) = ages.as_any().downcast_ref::<Int64Array>() {
                        Some(a.value(i))
                    } else {
                        ages.as_any()
                            .downcast_ref::<Int32Array>()
                            .map(|a| i64::from(a.value(i)))
                    }
                };
                let epoch = chrono::NaiveDate::from_ymd_opt(1970, 1, 1).expect("valid");
                let mut vals = Vec::with_capacity(len);
                let mut valid = Vec::with_capacity(len);
                for i in 0..len {
                    // Born in the year before the birthday that made them `age`.
                    let day = age_at(i).and_then(|a| {
                        let months = u32::try_from(a.checked_mul(12)?).ok()?;
                        let hi = reference.checked_sub_months(chrono::Months::new(months))?;
                        let lo = hi.checked_sub_months(chrono::Months::new(12))?
                            + chrono::Duration::days(1);
                        let span = (hi - lo).num_days();
                        Some(lo + chrono::Duration::days(rng.random_range(0..=span)))
                    });
                    valid.push(day.is_some() && is_valid(i));
                    vals.push(day.map_or(0, |d| (d - epoch).num_days() as i32));
                }
                Arc::new(Date32Array::new(
                    ScalarBuffer::from(vals),
                    Some(NullBuffer::from(valid)).filter(|n| n.null_count() > 0),
                ))
            }
            _ => {
                let places = Places::us();
                let mut b = StringBuilder::with_capacity(len, len * 24);
                let mut buf = String::with_capacity(64);
                for i in 0..len {
                    buf.clear();
                    match &col.kind {
                        Kind::Uuid => text::uuid(&mut rng, &mut buf),
                        Kind::Pattern(p) => text::pattern(&mut rng, p, &mut buf),
                        Kind::Name { locale, part, sex } => {
                            let s = sex
                                .as_ref()
                                .and_then(|(j, sexes)| {
                                    done[*j]
                                        .codes
                                        .as_ref()
                                        .and_then(|c| sexes.get(c[i] as usize))
                                        .copied()
                                })
                                .unwrap_or(Sex::Any);
                            text::person_name(&mut rng, *locale, *part, s, &mut buf)
                        }
                        Kind::Email { locale, from } => {
                            let name = from.and_then(|j| {
                                let a = done[j].array.as_any().downcast_ref::<StringArray>()?;
                                (!a.is_null(i)).then(|| a.value(i))
                            });
                            text::email(&mut rng, *locale, name, &mut buf)
                        }
                        Kind::Phone(l, None) => text::phone(&mut rng, *l, &mut buf),
                        Kind::Phone(_, Some(p)) => {
                            let d = drawn[*p][i];
                            let area = places.get(d).area_code(d.pick);
                            text::phone_at(&mut rng, area, &mut buf)
                        }
                        Kind::Address(l, None) => text::address(&mut rng, *l, &mut buf),
                        Kind::Address(_, Some(p)) => {
                            text::address_at(&mut rng, places.get(drawn[*p][i]), &mut buf)
                        }
                        Kind::Place { slot, field, .. } => {
                            let d = drawn[*slot][i];
                            buf.push_str(places.get(d).field(*field, d.pick))
                        }
                        _ => unreachable!("handled above"),
                    }
                    if is_valid(i) {
                        b.append_value(&buf);
                    } else {
                        b.append_null();
                    }
                }
                Arc::new(b.finish())
            }
        };
        Ok(Generated { array, codes })
    }
}
