//! The vocabulary of shared places: which field of a drawn US place a column holds
//! ([`PlaceField`]), the states and DC with their Census regions, and the levels a category
//! column of states or regions has. The place table itself lives with synthesis
//! (`crate::synth::places`); the schema only needs these names to check a file.

/// The four Census regions, as the levels of a `region` column.
pub const REGIONS: [&str; 4] = ["northeast", "midwest", "south", "west"];

/// The 50 states and DC (USPS codes) with their Census region (an index into [`REGIONS`]).
/// Census Bureau regions: Northeast (New England, Middle Atlantic), Midwest, South, West.
pub const STATE_REGIONS: [(&str, usize); 51] = [
    ("AK", 3),
    ("AL", 2),
    ("AR", 2),
    ("AZ", 3),
    ("CA", 3),
    ("CO", 3),
    ("CT", 0),
    ("DC", 2),
    ("DE", 2),
    ("FL", 2),
    ("GA", 2),
    ("HI", 3),
    ("IA", 1),
    ("ID", 3),
    ("IL", 1),
    ("IN", 1),
    ("KS", 1),
    ("KY", 2),
    ("LA", 2),
    ("MA", 0),
    ("MD", 2),
    ("ME", 0),
    ("MI", 1),
    ("MN", 1),
    ("MO", 1),
    ("MS", 2),
    ("MT", 3),
    ("NC", 2),
    ("ND", 1),
    ("NE", 1),
    ("NH", 0),
    ("NJ", 0),
    ("NM", 3),
    ("NV", 3),
    ("NY", 0),
    ("OH", 1),
    ("OK", 2),
    ("OR", 3),
    ("PA", 0),
    ("RI", 0),
    ("SC", 2),
    ("SD", 1),
    ("TN", 2),
    ("TX", 2),
    ("UT", 3),
    ("VA", 2),
    ("VT", 0),
    ("WA", 3),
    ("WI", 1),
    ("WV", 2),
    ("WY", 3),
];

/// The Census region of a state code (`None` for anything but the 50 states and DC).
pub fn region_of(state: &str) -> Option<&'static str> {
    STATE_REGIONS
        .binary_search_by(|(s, _)| (*s).cmp(state))
        .ok()
        .map(|i| REGIONS[STATE_REGIONS[i].1])
}

/// Which part of a drawn place a `generator: {kind: place}` column holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlaceField {
    /// City or town name.
    City,
    /// Two-letter USPS state code.
    State,
    /// Five-digit ZIP code.
    Zip,
    /// Census region of the state (`northeast`, `midwest`, `south`, `west`).
    Region,
    /// A telephone area code of the place (the one a `phone` of the same place dials).
    AreaCode,
}

impl PlaceField {
    /// The field names accepted in a schema.
    pub const NAMES: [&'static str; 5] = ["city", "state", "zip", "region", "area_code"];

    /// Reads a field name (one of [`PlaceField::NAMES`]).
    pub fn from_name(name: &str) -> Option<PlaceField> {
        Some(match name {
            "city" => PlaceField::City,
            "state" => PlaceField::State,
            "zip" => PlaceField::Zip,
            "region" => PlaceField::Region,
            "area_code" => PlaceField::AreaCode,
            _ => return None,
        })
    }

    /// The field's name in a schema.
    pub fn name(self) -> &'static str {
        match self {
            PlaceField::City => "city",
            PlaceField::State => "state",
            PlaceField::Zip => "zip",
            PlaceField::Region => "region",
            PlaceField::AreaCode => "area_code",
        }
    }

    /// Every value the field can take, for fields few enough to be a category column's
    /// levels (state and region); `None` for the others.
    pub fn levels(self) -> Option<Vec<String>> {
        match self {
            PlaceField::State => Some(STATE_REGIONS.iter().map(|(s, _)| s.to_string()).collect()),
            PlaceField::Region => Some(REGIONS.iter().map(|r| r.to_string()).collect()),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn states_are_sorted_unique_and_regions_are_census_regions() {
        assert!(STATE_REGIONS.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(region_of("ME"), Some("northeast"));
        assert_eq!(region_of("SD"), Some("midwest"));
        assert_eq!(region_of("DC"), Some("south"));
        assert_eq!(region_of("HI"), Some("west"));
        assert_eq!(region_of("PR"), None);
        // Census counts: 9 Northeast, 12 Midwest, 16 South plus DC, 13 West.
        let count = |r: usize| STATE_REGIONS.iter().filter(|(_, x)| *x == r).count();
        assert_eq!([count(0), count(1), count(2), count(3)], [9, 12, 17, 13]);
    }

    #[test]
    fn category_columns_of_a_place_take_the_fields_values_as_levels() {
        let yaml = "version: 1\nname: p\ncolumns:\n  - {name: state, type: category, generator: {kind: place, place: home, field: state}}\n  - name: region\n    type: category\n    levels: [northeast, midwest, south, west, abroad]\n    generator: {kind: place, place: home, field: region}\n  - {name: zip, type: string, generator: {kind: place, place: home, field: zip}}\n  - {name: tel, type: string, generator: {kind: phone, place: home}}\ntargets:\n  region: {northeast: 0.2, midwest: 0.2, south: 0.4, west: 0.2, abroad: 0}\n";
        let s = crate::schema::Schema::from_str_named(yaml, "p.yaml").expect("valid");
        assert_eq!(s.columns[0].levels.as_ref().map(Vec::len), Some(51));
        assert_eq!(s.columns[1].levels.as_ref().map(Vec::len), Some(5));
        assert_eq!(s.columns[2].levels, None);
        let Some(g) = &s.columns[3].generator else {
            panic!("phone generator")
        };
        assert_eq!(
            g.base,
            crate::schema::Generator::Phone {
                locale: crate::schema::Locale::En,
                place: Some("home".into())
            }
        );
        // A case on a region level reads the place's levels.
        let with_case = yaml.replace(
            "  - {name: zip,",
            "  - name: warm\n    type: bool\n    probability: 0.1\n    cases:\n      - {when: {region: south}, probability: 0.6}\n  - {name: zip,",
        );
        assert!(crate::schema::Schema::from_str_named(&with_case, "p.yaml").is_ok());
        let bad_level = with_case.replace("{region: south}", "{region: southwest}");
        assert!(crate::schema::Schema::from_str_named(&bad_level, "p.yaml").is_err());
    }

    #[test]
    fn field_names_round_trip() {
        for n in PlaceField::NAMES {
            assert_eq!(PlaceField::from_name(n).map(PlaceField::name), Some(n));
        }
        assert_eq!(PlaceField::from_name("zipcode"), None);
        assert_eq!(PlaceField::Region.levels().map(|l| l.len()), Some(4));
        assert_eq!(PlaceField::City.levels(), None);
    }
}
