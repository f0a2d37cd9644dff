//! The embedded table of real US places (ZIP code, city, state, telephone area codes, weight)
//! and weighted draws from it. Columns naming the same `place` share one draw per row, so
//! that a street address, a state, a ZIP, a region and a phone's area code agree.
//!
//! The table (`places/us_places.tsv`, about 3,000 ZIP codes) is extracted by
//! `scripts/extract_places.py`; `places/README.md` gives its source and licence.

use std::collections::HashMap;
use std::sync::OnceLock;

use rand::{Rng, RngExt};

use crate::schema::{region_of, PlaceField};

const TSV: &str = include_str!("places/us_places.tsv");

/// One real place: a ZIP code with its city, state and area codes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Place {
    /// Five-digit ZIP code.
    pub zip: &'static str,
    /// City or town (the USPS default name of the ZIP).
    pub city: &'static str,
    /// Two-letter USPS state code.
    pub state: &'static str,
    /// The Census region of the state (`northeast`, `midwest`, `south`, `west`).
    pub region: &'static str,
    /// Telephone area codes serving the ZIP, all of them homed in its state.
    pub area_codes: Vec<&'static str>,
}

impl Place {
    /// The area code chosen by `pick` (a draw shared by the place's columns).
    pub fn area_code(&self, pick: u32) -> &'static str {
        self.area_codes[pick as usize % self.area_codes.len()]
    }

    /// The text of one field; `pick` chooses among the area codes.
    pub fn field(&self, field: PlaceField, pick: u32) -> &'static str {
        match field {
            PlaceField::City => self.city,
            PlaceField::State => self.state,
            PlaceField::Zip => self.zip,
            PlaceField::Region => self.region,
            PlaceField::AreaCode => self.area_code(pick),
        }
    }
}

/// The places with cumulative weights for drawing.
#[derive(Debug)]
pub struct Places {
    places: Vec<Place>,
    cum: Vec<u64>,
    /// By state code and by region name: the places there and their cumulative weights.
    within: HashMap<&'static str, (Vec<u32>, Vec<u64>)>,
}

/// A row's drawn place: an index into the table and the pick among its area codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Drawn {
    /// Index into [`Places::all`].
    pub index: u32,
    /// Chooses among the place's area codes.
    pub pick: u32,
}

impl Places {
    /// Reads the table text: `zip<TAB>city<TAB>state<TAB>codes<TAB>weight` lines. A malformed
    /// line is an error naming it (the embedded table is checked by a test).
    pub fn parse(text: &'static str) -> Result<Places, String> {
        let mut places = Vec::new();
        let mut cum = Vec::new();
        let mut total = 0u64;
        for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.is_empty()) {
            let bad = |why: &str| format!("place table line {}: {why}: {line:?}", i + 1);
            let f: Vec<&'static str> = line.split('\t').collect();
            let [zip, city, state, codes, weight] = f[..] else {
                return Err(bad("expected 5 tab-separated fields"));
            };
            if zip.len() != 5 || !zip.bytes().all(|b| b.is_ascii_digit()) {
                return Err(bad("the ZIP is not 5 digits"));
            }
            let region = region_of(state).ok_or_else(|| bad("unknown state"))?;
            let area_codes: Vec<&'static str> = codes.split(',').collect();
            if city.trim().is_empty()
                || area_codes
                    .iter()
                    .any(|a| a.len() != 3 || !a.bytes().all(|b| b.is_ascii_digit()))
            {
                return Err(bad("empty city or an area code that is not 3 digits"));
            }
            let w: u64 = weight
                .parse()
                .ok()
                .filter(|w| *w > 0)
                .ok_or_else(|| bad("the weight is not a positive integer"))?;
            total = total
                .checked_add(w)
                .ok_or_else(|| bad("weights overflow"))?;
            places.push(Place {
                zip,
                city,
                state,
                region,
                area_codes,
            });
            cum.push(total);
        }
        if places.is_empty() || places.len() > u32::MAX as usize {
            return Err("the place table is empty".to_string());
        }
        Ok(Places::indexed(places, cum))
    }

    fn indexed(places: Vec<Place>, cum: Vec<u64>) -> Places {
        let mut within: HashMap<&'static str, (Vec<u32>, Vec<u64>)> = HashMap::new();
        let mut before = 0;
        for (i, (p, &c)) in places.iter().zip(&cum).enumerate() {
            for key in [p.state, p.region] {
                let (idx, acc) = within.entry(key).or_default();
                let last = acc.last().copied().unwrap_or(0);
                idx.push(i as u32);
                acc.push(last + (c - before));
            }
            before = c;
        }
        Places {
            places,
            cum,
            within,
        }
    }

    /// The embedded US table, parsed once. Empty (so every draw falls back) only if the
    /// embedded file were malformed, which `the_embedded_table_is_well_formed` rules out.
    pub fn us() -> &'static Places {
        static CELL: OnceLock<Places> = OnceLock::new();
        CELL.get_or_init(|| {
            Places::parse(TSV).unwrap_or_else(|_| {
                let dc = Place {
                    zip: "20500",
                    city: "Washington",
                    state: "DC",
                    region: "south",
                    area_codes: vec!["202"],
                };
                Places::indexed(vec![dc], vec![1])
            })
        })
    }

    /// Every place, in table order (by ZIP).
    pub fn all(&self) -> &[Place] {
        &self.places
    }

    /// The place at `d`.
    pub fn get(&self, d: Drawn) -> &Place {
        &self.places[d.index as usize]
    }

    /// A place drawn by weight, and a pick among its area codes.
    pub fn draw<R: Rng + ?Sized>(&self, rng: &mut R) -> Drawn {
        let total = self.cum.last().copied().unwrap_or(1);
        let u = rng.random_range(0..total);
        let i = self
            .cum
            .partition_point(|c| *c <= u)
            .min(self.places.len() - 1);
        Drawn {
            index: i as u32,
            pick: rng.random(),
        }
    }

    /// A place drawn by weight among those in a state (USPS code) or Census region; `None`
    /// (drawing nothing) when no place of the table is there.
    pub fn draw_within<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        state_or_region: &str,
    ) -> Option<Drawn> {
        let (idx, cum) = self.within.get(state_or_region)?;
        let total = *cum.last()?;
        let u = rng.random_range(0..total);
        let i = cum.partition_point(|c| *c <= u).min(idx.len() - 1);
        Some(Drawn {
            index: idx[i],
            pick: rng.random(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::STATE_REGIONS;
    use rand::SeedableRng;
    use rand_chacha::ChaCha8Rng;
    use std::collections::{HashMap, HashSet};

    #[test]
    fn the_embedded_table_is_well_formed() {
        let t = Places::parse(TSV).expect("the embedded table parses");
        assert!(t.all().len() >= 2000, "{} places", t.all().len());
        assert!(TSV.len() < 300_000);
        // Sorted by ZIP, no ZIP twice; every state and DC present.
        assert!(t.all().windows(2).all(|w| w[0].zip < w[1].zip));
        let states: HashSet<&str> = t.all().iter().map(|p| p.state).collect();
        assert_eq!(states.len(), STATE_REGIONS.len());
        // An area code belongs to one state only (a phone's code tells its state).
        let mut home: HashMap<&str, &str> = HashMap::new();
        for p in t.all() {
            for a in &p.area_codes {
                assert_eq!(*home.entry(a).or_insert(p.state), p.state, "area code {a}");
            }
        }
        // Known facts: ZIPs starting 04 are in Maine, 9xxxx in the West (or Alaska/Hawaii).
        for p in t.all() {
            if p.zip.starts_with("04") {
                assert_eq!(p.state, "ME", "{p:?}");
            }
            if p.zip.starts_with('9') {
                assert_eq!(p.region, "west", "{p:?}");
            }
        }
    }

    #[test]
    fn draws_follow_the_weights() {
        let t = Places::us();
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let n = 200_000;
        let mut by_state: HashMap<&str, usize> = HashMap::new();
        for _ in 0..n {
            *by_state.entry(t.get(t.draw(&mut rng)).state).or_default() += 1;
        }
        // California holds about 11.9% of the 2020 population, Wyoming about 0.17%.
        let share = |s: &str| by_state.get(s).copied().unwrap_or(0) as f64 / n as f64;
        assert!((share("CA") - 0.119).abs() < 0.005, "CA {}", share("CA"));
        assert!((share("WY") - 0.0017).abs() < 0.001, "WY {}", share("WY"));
    }

    #[test]
    fn draws_within_a_state_or_region_stay_there() {
        let t = Places::us();
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        for _ in 0..500 {
            let me = t.draw_within(&mut rng, "ME").expect("Maine has places");
            assert_eq!(t.get(me).state, "ME");
            let west = t
                .draw_within(&mut rng, "west")
                .expect("the West has places");
            assert_eq!(t.get(west).region, "west");
        }
        assert_eq!(t.draw_within(&mut rng, "PR"), None);
        assert_eq!(t.draw_within(&mut rng, "(other)"), None);
    }

    #[test]
    fn malformed_lines_are_errors_naming_the_line() {
        for (text, why) in [
            (
                "01005\tBarre\tMA\t413\n0100\tX\tMA\t413\t1\n",
                "5 tab-separated",
            ),
            (
                "01005\tBarre\tMA\t413\t1\n0100a\tX\tMA\t413\t1\n",
                "5 digits",
            ),
            ("01005\tBarre\tPR\t413\t1\n", "unknown state"),
            ("01005\tBarre\tMA\t41\t1\n", "3 digits"),
            ("01005\tBarre\tMA\t413\t0\n", "positive integer"),
        ] {
            let err = Places::parse(text).expect_err(why);
            assert!(err.contains(why) && err.contains("line "), "{err}");
        }
        assert!(Places::parse("").is_err());
        let ok = Places::parse("01005\tBarre\tMA\t351,413\t5\n").expect("valid");
        let p = &ok.all()[0];
        assert_eq!((p.region, p.area_code(3)), ("northeast", "413"));
        assert_eq!(p.field(PlaceField::Zip, 0), "01005");
    }
}
