//! Bearer tokens for the admin listener: an operator token (read and act) and a viewer token
//! (read only). Tokens are compared in constant time.

use base64::Engine;

/// What a token allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Role {
    Viewer,
    Operator,
}

impl Role {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Operator => "operator",
        }
    }
}

/// The two tokens, and whether they were generated at start (then printed once).
#[derive(Clone)]
pub(crate) struct AdminTokens {
    pub operator: String,
    pub viewer: String,
    pub generated: bool,
}

impl std::fmt::Debug for AdminTokens {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminTokens(<redacted>)")
    }
}

/// 32 random bytes, base64url: unguessable and safe in headers and URLs.
pub(crate) fn random_token() -> String {
    use ring::rand::{SecureRandom, SystemRandom};
    let mut b = [0u8; 32];
    SystemRandom::new().fill(&mut b).expect("system randomness");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(b)
}

fn ct_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl AdminTokens {
    /// Tokens from configuration, generating whichever is missing.
    pub(crate) fn new(operator: Option<String>, viewer: Option<String>) -> Self {
        let generated = operator.is_none() || viewer.is_none();
        AdminTokens {
            operator: operator.unwrap_or_else(random_token),
            viewer: viewer.unwrap_or_else(random_token),
            generated,
        }
    }

    /// The role a presented token grants, if any.
    pub(crate) fn role(&self, presented: &str) -> Option<Role> {
        if presented.is_empty() {
            None
        } else if ct_eq(presented.as_bytes(), self.operator.as_bytes()) {
            Some(Role::Operator)
        } else if ct_eq(presented.as_bytes(), self.viewer.as_bytes()) {
            Some(Role::Viewer)
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_by_token() {
        let t = AdminTokens::new(Some("op".into()), Some("view".into()));
        assert_eq!(t.role("op"), Some(Role::Operator));
        assert_eq!(t.role("view"), Some(Role::Viewer));
        assert_eq!(t.role("opx"), None);
        assert_eq!(t.role(""), None);
        assert!(!t.generated);
        let g = AdminTokens::new(None, None);
        assert!(g.generated && g.operator.len() >= 43 && g.operator != g.viewer);
    }
}
