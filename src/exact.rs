//! Exact JSON for `f64`: the bits as 16 hex digits, so the mergeable states and the raking
//! factors survive a trip between processes bit for bit (NaN and infinities included),
//! whatever JSON parser reads them on the way.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A key whose unsigned order is `f64::total_cmp`'s order, for maps of distinct values.
pub(crate) fn order_key(x: f64) -> u64 {
    let b = x.to_bits();
    if b >> 63 == 1 {
        !b
    } else {
        b | (1 << 63)
    }
}

/// The value of an [`order_key`].
pub(crate) fn from_order_key(k: u64) -> f64 {
    f64::from_bits(if k >> 63 == 1 { k & !(1 << 63) } else { !k })
}

/// `#[serde(with = "crate::exact::ordered_counts")]` on a map of [`order_key`] -> rows:
/// (the value's bits in hex, rows), in value order.
pub mod ordered_counts {
    use super::*;

    /// Writes the pairs in value order.
    pub fn serialize<S: Serializer>(m: &BTreeMap<u64, u64>, s: S) -> Result<S::Ok, S::Error> {
        let v: Vec<(String, u64)> = m
            .iter()
            .map(|(k, n)| (format!("{:016x}", from_order_key(*k).to_bits()), *n))
            .collect();
        v.serialize(s)
    }

    /// Reads the pairs back.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<u64, u64>, D::Error> {
        let v: Vec<(String, u64)> = Vec::deserialize(d)?;
        v.into_iter()
            .map(|(x, n)| {
                u64::from_str_radix(&x, 16)
                    .map(|b| (order_key(f64::from_bits(b)), n))
                    .map_err(|_| serde::de::Error::custom(format!("`{x}` is not a float's bits")))
            })
            .collect()
    }
}

/// `#[serde(with = "crate::exact::f64_hex")]` on an `f64` field.
pub mod f64_hex {
    use super::*;

    /// Writes the bits of `x` as 16 hex digits.
    pub fn serialize<S: Serializer>(x: &f64, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("{:016x}", x.to_bits()))
    }

    /// Reads 16 hex digits back into the same `f64`.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        let s = String::deserialize(d)?;
        u64::from_str_radix(&s, 16)
            .map(f64::from_bits)
            .map_err(|_| serde::de::Error::custom(format!("`{s}` is not 16 hex digits of a float")))
    }
}

#[cfg(test)]
mod tests {
    #[derive(serde::Serialize, serde::Deserialize)]
    struct X(#[serde(with = "super::f64_hex")] f64);

    #[test]
    fn every_float_round_trips_bit_for_bit() {
        for x in [0.1 + 0.2, -0.0, f64::NAN, f64::INFINITY, 1e-310, f64::MAX] {
            let j = serde_json::to_string(&X(x)).unwrap();
            let back: X = serde_json::from_str(&j).unwrap();
            assert_eq!(back.0.to_bits(), x.to_bits(), "{j}");
        }
        assert!(serde_json::from_str::<X>("\"zz\"").is_err());
    }
}
