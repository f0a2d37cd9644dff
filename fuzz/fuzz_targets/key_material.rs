//! Key material (PKMT1 JSON in a column's or the footer's key metadata): any bytes parse to key
//! material or give an error, never a panic; what parses writes back (single wrapping) to JSON
//! that parses to the same; and unwrapping it with master keys at hand (the right IDs, wrong
//! or damaged wrapped keys, double wrapping) gives a key or an error naming the key ID.
#![no_main]

use std::sync::OnceLock;

use fairsynth::io::crypt::{KeyMaterial, MasterKeys, Retriever};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    static R: OnceLock<std::sync::Arc<Retriever>> = OnceLock::new();
    let retriever = R.get_or_init(|| {
        Retriever::new(std::sync::Arc::new(
            MasterKeys::none()
                .with_key("k1", vec![1; 16])
                .with_key("k2", vec![2; 32])
                .with_key("short", vec![3; 5]),
        ))
    });
    if let Ok(m) = KeyMaterial::parse(data) {
        if m.double.is_none() {
            let again = KeyMaterial::parse(m.to_json().as_bytes()).expect("own output parses");
            assert_eq!(again.master_key_id, m.master_key_id);
            assert_eq!(again.wrapped_dek, m.wrapped_dek);
            assert_eq!(again.is_footer_key, m.is_footer_key);
        }
    }
    if let Err(e) = retriever.data_key(data) {
        let _ = e.to_string();
    }
});
