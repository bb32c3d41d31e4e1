//! CSRF tokens for the HTML pages. A signed-in session has its own token (synchronizer
//! pattern); the sign-in and sign-up forms, which come before any session, use a random
//! cookie that the form must repeat (double submit). Forms send the token as the `csrf`
//! field, htmx and scripts as the `X-CSRF-Token` header.

use subtle::ConstantTimeEq;

pub const HEADER: &str = "x-csrf-token";
pub const FIELD: &str = "csrf";
pub const COOKIE: &str = "gallery_csrf";

pub fn matches(expected: &str, provided: Option<&str>) -> bool {
    match provided {
        Some(p) if !expected.is_empty() => {
            let token = unmasked(p, expected.len()).unwrap_or_else(|| p.as_bytes().to_vec());
            bool::from(expected.as_bytes().ct_eq(&token))
        }
        _ => false,
    }
}

/// The token as a page carries it: a fresh random mask, then the token XOR the mask (hex).
/// No two pages show the same bytes, so a compressed page that also echoes what someone
/// typed cannot leak the token through its length (BREACH). [`matches`] takes either form.
pub fn masked(token: &str) -> String {
    let token = token.as_bytes();
    let mask: Vec<u8> = (0..token.len()).map(|_| rand::random::<u8>()).collect();
    let hidden: Vec<u8> = token.iter().zip(&mask).map(|(t, m)| t ^ m).collect();
    format!("{}{}", hex::encode(mask), hex::encode(hidden))
}

/// The token inside a masked one, when `provided` is one for a token of `len` bytes.
fn unmasked(provided: &str, len: usize) -> Option<Vec<u8>> {
    if provided.len() != 4 * len {
        return None;
    }
    let bytes = hex::decode(provided).ok()?;
    let (mask, hidden) = bytes.split_at(len);
    Some(mask.iter().zip(hidden).map(|(m, h)| m ^ h).collect())
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_masked_token_matches_and_differs_every_time() {
        let token = "0123456789abcdef0123456789abcdef";
        let (a, b) = (super::masked(token), super::masked(token));
        assert_ne!(a, b);
        assert!(super::matches(token, Some(&a)));
        assert!(super::matches(token, Some(token)));
        assert!(!super::matches(
            token,
            Some(&super::masked("fedcba9876543210fedcba9876543210"))
        ));
        let mut broken = a.clone().into_bytes();
        broken[70] = if broken[70] == b'0' { b'1' } else { b'0' };
        assert!(!super::matches(
            token,
            Some(&String::from_utf8(broken).unwrap())
        ));
    }
}
