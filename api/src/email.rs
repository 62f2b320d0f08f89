//! E-mail addresses: parsed once, normalised, and checked for the typos that slip past a
//! plain pattern (`gmail.comm`, the legacy defect 9.5-22).

use unicode_normalization::UnicodeNormalization;

/// Why a value is not a usable address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressProblem {
    Empty,
    Invalid,
}

/// Something odd about an address that is still well formed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddressWarning {
    /// The top-level domain is not a known one (`.comm`, `.con`): most likely a typo.
    UnknownTld,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EmailAddress {
    /// As given, trimmed and NFC-normalised.
    pub original: String,
    /// Local part as given, domain lower-cased: what identifies the mailbox.
    pub normalized: String,
    pub warning: Option<AddressWarning>,
}

impl EmailAddress {
    pub fn parse(raw: &str) -> Result<EmailAddress, AddressProblem> {
        let original: String = raw.trim().nfc().collect();
        if original.is_empty() {
            return Err(AddressProblem::Empty);
        }
        let (local, domain) = original.rsplit_once('@').ok_or(AddressProblem::Invalid)?;
        if original.chars().count() > 254 || !valid_local(local) {
            return Err(AddressProblem::Invalid);
        }
        let domain = domain.to_lowercase();
        if !valid_domain(&domain) {
            return Err(AddressProblem::Invalid);
        }
        let warning = (!known_tld(&domain)).then_some(AddressWarning::UnknownTld);
        let normalized = format!("{local}@{domain}");
        Ok(EmailAddress {
            original,
            normalized,
            warning,
        })
    }

    pub fn domain(&self) -> &str {
        self.normalized
            .rsplit_once('@')
            .map(|(_, d)| d)
            .unwrap_or("")
    }
}

/// RFC 5321 dot-atom local part (no quoted strings: Doppler does not take them either).
fn valid_local(local: &str) -> bool {
    !local.is_empty()
        && local.len() <= 64
        && !local.starts_with('.')
        && !local.ends_with('.')
        && !local.contains("..")
        && local
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c))
}

/// At least two labels of letters, digits and inner hyphens; an alphabetic TLD.
fn valid_domain(domain: &str) -> bool {
    if domain.len() > 253 {
        return false;
    }
    let labels: Vec<&str> = domain.split('.').collect();
    if labels.len() < 2 {
        return false;
    }
    let label_ok = |l: &&str| {
        !l.is_empty()
            && l.len() <= 63
            && !l.starts_with('-')
            && !l.ends_with('-')
            && l.chars().all(|c| c.is_alphanumeric() || c == '-')
    };
    let tld = labels[labels.len() - 1];
    labels.iter().all(label_ok)
        && tld.chars().count() >= 2
        && (tld.chars().all(char::is_alphabetic) || tld.starts_with("xn--"))
}

fn known_tld(domain: &str) -> bool {
    let known = |name: &str| psl::suffix(name.as_bytes()).is_some_and(|s| s.is_known());
    if known(domain) {
        return true;
    }
    // A few country domains appear in the public suffix list only through their
    // second-level zones (`co.za`, `ac.za`): the top-level one is real all the same.
    let tld = domain.rsplit('.').next().unwrap_or("");
    known(&format!("x.co.{tld}")) || known(&format!("x.ac.{tld}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn good_addresses_normalise_the_domain_only() {
        let a = EmailAddress::parse("  CLIENT8@EXAMPLE.COM ").unwrap();
        assert_eq!(a.original, "CLIENT8@EXAMPLE.COM");
        assert_eq!(a.normalized, "CLIENT8@example.com");
        assert_eq!(a.warning, None);
        assert_eq!(a.domain(), "example.com");
        assert!(EmailAddress::parse("maria.nunez+cobro@correo.example.ec").is_ok());
    }

    #[test]
    fn typo_tlds_warn_but_parse() {
        let a = EmailAddress::parse("typo.tld@gmail.comm").unwrap();
        assert_eq!(a.warning, Some(AddressWarning::UnknownTld));
        assert_eq!(
            EmailAddress::parse("x@hotmail.con").unwrap().warning,
            Some(AddressWarning::UnknownTld)
        );
        // Real top-level domains known only through their second-level zones.
        assert_eq!(EmailAddress::parse("ana@empresa.za").unwrap().warning, None);
    }

    #[test]
    fn malformed_addresses_are_rejected() {
        for bad in [
            "no-es-un-correo",
            "a@b",
            "a@@b.com",
            "a b@c.com",
            ".a@b.com",
            "a..b@c.com",
            "a@-b.com",
            "a@b.c0m",
            "a@b.c",
        ] {
            assert_eq!(
                EmailAddress::parse(bad),
                Err(AddressProblem::Invalid),
                "{bad}"
            );
        }
        assert_eq!(EmailAddress::parse("   "), Err(AddressProblem::Empty));
    }
}
