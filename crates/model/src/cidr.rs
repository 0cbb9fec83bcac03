//! IP address ranges (`10.0.0.0/8`, `2001:db8::/32`), used by the filter language's `ip:` terms
//! and by Sigma's `|cidr` modifier: one parser and one membership test for both.

use std::net::IpAddr;

/// An IP address range: an address and a prefix length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cidr {
    /// The address as written (host bits may be set; they are ignored).
    pub addr: IpAddr,
    /// The prefix length.
    pub prefix: u8,
}

impl Cidr {
    /// Reads `address/prefix`; `None` unless both parts are valid (the prefix at most 32 for
    /// IPv4 and 128 for IPv6, written with at most three digits).
    pub fn parse(value: &str) -> Option<Cidr> {
        let (addr, prefix) = value.split_once('/')?;
        let addr: IpAddr = addr.parse().ok()?;
        if prefix.is_empty() || prefix.len() > 3 || !prefix.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let prefix: u8 = prefix.parse().ok()?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        (prefix <= max).then_some(Cidr { addr, prefix })
    }

    /// Whether `ip` is in the range. IPv4 and IPv6 ranges never match each other's addresses.
    pub fn contains(&self, ip: IpAddr) -> bool {
        match (self.addr, ip) {
            (IpAddr::V4(net), IpAddr::V4(ip)) => {
                let mask = u32::MAX
                    .checked_shl(32 - u32::from(self.prefix))
                    .unwrap_or(0);
                u32::from(net) & mask == u32::from(ip) & mask
            }
            (IpAddr::V6(net), IpAddr::V6(ip)) => {
                let mask = u128::MAX
                    .checked_shl(128 - u32::from(self.prefix))
                    .unwrap_or(0);
                u128::from(net) & mask == u128::from(ip) & mask
            }
            _ => false,
        }
    }

    /// Whether the text `ip` is an address in the range (text that is no address is not).
    pub fn contains_text(&self, ip: &str) -> bool {
        ip.trim().parse().is_ok_and(|ip| self.contains(ip))
    }
}

impl std::fmt::Display for Cidr {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}/{}", self.addr, self.prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_contains() {
        let net = Cidr::parse("10.1.2.3/8");
        assert!(net.is_some_and(|n| n.contains_text("10.200.0.1") && !n.contains_text("11.0.0.1")));
        assert!(Cidr::parse("0.0.0.0/0").is_some_and(|n| n.contains_text("8.8.8.8")));
        assert!(
            Cidr::parse("2001:db8::/32").is_some_and(|n| n.contains_text("2001:db8:1::1")
                && !n.contains_text("10.0.0.1")
                && !n.contains_text("AWS Internal"))
        );
        for bad in [
            "10.0.0.0/33",
            "10.0.0/8",
            "::1/129",
            "1.2.3.4/",
            "1.2.3.4/+8",
            "x/8",
            "1.2.3.4",
        ] {
            assert_eq!(Cidr::parse(bad), None, "{bad}");
        }
        assert_eq!(
            Cidr::parse("10.0.0.0/8").map(|c| c.to_string()),
            Some("10.0.0.0/8".into())
        );
    }

    #[test]
    fn cidrs_contain_their_addresses() {
        let net = |s: &str, p| Cidr {
            addr: s
                .parse()
                .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::BROADCAST)),
            prefix: p,
        };
        let ip = |s: &str| {
            s.parse::<IpAddr>()
                .unwrap_or(IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED))
        };
        assert!(net("10.0.0.0", 8).contains(ip("10.255.1.2")));
        assert!(!net("10.0.0.0", 8).contains(ip("11.0.0.1")));
        assert!(net("1.2.3.4", 32).contains(ip("1.2.3.4")));
        assert!(net("0.0.0.0", 0).contains(ip("200.1.1.1")));
        assert!(!net("0.0.0.0", 0).contains(ip("::1")));
        assert!(net("2001:db8::", 32).contains(ip("2001:db8:1::5")));
        assert!(!net("2001:db8::", 32).contains(ip("2001:db9::5")));
        assert!(net("::", 0).contains(ip("2001:db9::5")));
    }
}
