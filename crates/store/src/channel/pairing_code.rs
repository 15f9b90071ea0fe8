//! Pairing codes: eight characters from an alphabet without look-alikes, as OpenClaw draws them.
//!
//! The alphabet has 32 characters (no `0`, `O`, `1`, `I`), so a random byte taken modulo 32
//! picks each character with equal probability: 40 bits per code.

use crate::error::StoreError;

/// The characters of a pairing code (OpenClaw's `PAIRING_CODE_ALPHABET`).
pub const PAIRING_CODE_ALPHABET: &str = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789";

/// The length of a pairing code.
pub const PAIRING_CODE_LEN: usize = 8;

/// The code spelled by `random`, one character per byte.
pub fn pairing_code(random: [u8; PAIRING_CODE_LEN]) -> String {
    let alphabet = PAIRING_CODE_ALPHABET.as_bytes();
    random
        .iter()
        .map(|byte| char::from(alphabet[usize::from(*byte) % alphabet.len()]))
        .collect()
}

/// A pairing code drawn from the operating system's random number generator: the code source
/// to pass to [`Store::pairing_request`](crate::Store::pairing_request).
pub fn random_pairing_code() -> Result<String, StoreError> {
    let mut random = [0u8; PAIRING_CODE_LEN];
    getrandom::fill(&mut random).map_err(|error| StoreError::Random {
        source: std::io::Error::other(error),
    })?;
    Ok(pairing_code(random))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_use_the_alphabet_evenly() {
        assert_eq!(PAIRING_CODE_ALPHABET.len(), 32);
        assert_eq!(pairing_code([0, 1, 2, 3, 31, 32, 33, 255]), "ABCD9AB9");
        let code = random_pairing_code().unwrap();
        assert_eq!(code.len(), PAIRING_CODE_LEN);
        assert!(
            code.chars().all(|c| PAIRING_CODE_ALPHABET.contains(c)),
            "{code}"
        );
    }
}
