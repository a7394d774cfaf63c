//! Mail operators as data (`assets/operators.toml`, extended by a user file): which registrable
//! domains and internal networks one operator's servers use, so the trust-boundary walk can step
//! through its hops. Loaded at the edge; the core receives it in `Options`.

use std::net::IpAddr;
use std::sync::{Arc, OnceLock};

use serde::Deserialize;

const BUILTIN: &str = include_str!("../../../assets/operators.toml");

/// What kind of service an operator runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum OperatorKind {
    /// A mail provider users have mailboxes at.
    #[default]
    Mailbox,
    /// A filtering service in front of an organisation's own servers.
    Gateway,
}

/// One operator's entry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operator {
    pub name: String,
    #[serde(default)]
    pub label: Option<String>,
    #[serde(default)]
    pub kind: OperatorKind,
    pub domains: Vec<String>,
    #[serde(default)]
    pub internal_networks: Vec<Network>,
    #[serde(default)]
    pub markers: Vec<String>,
}

impl Operator {
    /// How to name this operator as a receiver.
    pub fn label(&self) -> &str {
        self.label.as_deref().unwrap_or(&self.name)
    }

    /// The internal network holding `ip`, if any.
    pub fn internal_network(&self, ip: IpAddr) -> Option<&Network> {
        self.internal_networks.iter().find(|n| n.contains(ip))
    }
}

/// A CIDR network (`2603:10b6::/32`, `10.0.0.0/8`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Network {
    pub addr: IpAddr,
    pub prefix: u8,
    pub text: String,
}

impl Network {
    pub fn parse(text: &str) -> Result<Network, String> {
        let (a, p) = text
            .split_once('/')
            .ok_or_else(|| format!("{text:?} is not a network (address/prefix)"))?;
        let addr: IpAddr = a
            .parse()
            .map_err(|_| format!("{a:?} in {text:?} is not an IP address"))?;
        let max = if addr.is_ipv4() { 32 } else { 128 };
        let prefix: u8 = p
            .parse()
            .ok()
            .filter(|n| *n <= max)
            .ok_or_else(|| format!("{p:?} in {text:?} is not a prefix length (0 to {max})"))?;
        Ok(Network {
            addr,
            prefix,
            text: text.to_string(),
        })
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        let bits = |ip: IpAddr| -> (u128, u32) {
            match ip {
                IpAddr::V4(v) => (u128::from(u32::from(v)), 32),
                IpAddr::V6(v) => (u128::from(v), 128),
            }
        };
        let ((net, width), (addr, w2)) = (bits(self.addr), bits(ip));
        if width != w2 {
            return false;
        }
        let shift = width - u32::from(self.prefix);
        shift >= width || (net >> shift) == (addr >> shift)
    }
}

impl<'de> Deserialize<'de> for Network {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Network::parse(&text).map_err(serde::de::Error::custom)
    }
}

/// Every operator known for one run.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Operators {
    #[serde(default, rename = "operator")]
    pub operators: Vec<Operator>,
}

impl Default for Operators {
    fn default() -> Self {
        Operators::builtin().as_ref().clone()
    }
}

impl Operators {
    /// The compiled-in table, parsed once.
    pub fn builtin() -> Arc<Operators> {
        static BUILTIN_OPS: OnceLock<Arc<Operators>> = OnceLock::new();
        BUILTIN_OPS
            .get_or_init(|| {
                Arc::new(Operators::parse(BUILTIN).expect("assets/operators.toml is valid"))
            })
            .clone()
    }

    pub fn parse(text: &str) -> Result<Operators, String> {
        toml::from_str(text).map_err(|e| e.to_string())
    }

    /// The built-in table with a user's file applied: its operators are added, and one named like
    /// a built-in replaces it.
    pub fn with_user_file(text: &str) -> Result<Operators, String> {
        let user = Operators::parse(text)?;
        let mut all = Operators::builtin().as_ref().clone();
        for op in user.operators {
            all.operators
                .retain(|o| !o.name.eq_ignore_ascii_case(&op.name));
            all.operators.push(op);
        }
        Ok(all)
    }

    /// The operator whose servers use `registrable_domain`.
    pub fn of_domain(&self, registrable_domain: &str) -> Option<&Operator> {
        self.operators.iter().find(|o| {
            o.domains
                .iter()
                .any(|d| registrable_domain.eq_ignore_ascii_case(d))
        })
    }

    /// The operator running `host` (by its registrable domain).
    pub fn of_host(&self, host: &str) -> Option<&Operator> {
        let h = host
            .trim()
            .trim_matches(|c| c == '[' || c == ']')
            .trim_end_matches('.')
            .to_ascii_lowercase();
        self.of_domain(psl::domain_str(&h)?)
    }

    /// The operator whose receiving side writes a header named `name` (by its markers).
    pub fn of_marker(&self, name: &str) -> Option<&Operator> {
        self.operators.iter().find(|o| {
            o.markers.iter().any(|m| {
                name.as_bytes()
                    .get(..m.len())
                    .is_some_and(|p| p.eq_ignore_ascii_case(m.as_bytes()))
            })
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_table_parses_and_knows_microsoft_regions() {
        let ops = Operators::builtin();
        let ms = ops
            .of_host("BN8NAM12FT034.eop-nam12.prod.protection.outlook.com")
            .unwrap();
        assert_eq!(ms.name, "Microsoft");
        assert!(
            ms.internal_network("2603:10b6:408:11a::15".parse().unwrap())
                .is_some()
        );
        assert!(
            ms.internal_network("2603:10a6:20b:f0::15".parse().unwrap())
                .is_some()
        );
        assert!(
            ms.internal_network("2a01:111:f400:7e1a::1".parse().unwrap())
                .is_none()
        );
        assert_eq!(
            ops.of_host("x.outlook.office365.com").unwrap().name,
            "Microsoft"
        );
        assert!(ops.of_host("mx.example.net").is_none());
    }

    #[test]
    fn network_contains_by_prefix() {
        let n = Network::parse("10.0.0.0/8").unwrap();
        assert!(n.contains("10.200.1.1".parse().unwrap()));
        assert!(!n.contains("11.0.0.1".parse().unwrap()));
        assert!(!n.contains("::a00:1".parse().unwrap()));
        assert!(
            Network::parse("0.0.0.0/0")
                .unwrap()
                .contains("203.0.113.1".parse().unwrap())
        );
        assert!(Network::parse("10.0.0.0/33").is_err());
        assert!(Network::parse("10.0.0.0").is_err());
    }

    #[test]
    fn a_user_file_adds_and_replaces_operators() {
        let ops = Operators::with_user_file(
            "[[operator]]\nname = \"Example Corp\"\nkind = \"gateway\"\ndomains = [\"example-gw.net\"]\n\
             internal_networks = [\"198.51.100.0/24\"]\n\n[[operator]]\nname = \"google\"\n\
             domains = [\"google.com\"]\n",
        )
        .unwrap();
        let gw = ops.of_host("in1.example-gw.net").unwrap();
        assert_eq!(gw.kind, OperatorKind::Gateway);
        assert!(
            gw.internal_network("198.51.100.7".parse().unwrap())
                .is_some()
        );
        // The user's "google" replaced the built-in: gmail.com is no longer Google's.
        assert!(ops.of_host("mail.gmail.com").is_none());
        assert!(ops.of_host("mx.google.com").is_some());
    }

    #[test]
    fn a_bad_user_file_names_the_problem() {
        let err = Operators::with_user_file(
            "[[operator]]\nname = \"X\"\ndomains = []\ninternal_networks = [\"10.0.0.0/40\"]\n",
        )
        .unwrap_err();
        assert!(err.contains("10.0.0.0/40"), "{err}");
        assert!(Operators::with_user_file("[[operator]]\nnom = 1\n").is_err());
    }

    #[test]
    fn markers_name_the_operator() {
        let ops = Operators::builtin();
        assert_eq!(
            ops.of_marker("X-MS-Exchange-Organization-SCL")
                .unwrap()
                .name,
            "Microsoft"
        );
        assert!(ops.of_marker("X-Spam-Status").is_none());
        // Names that are not ASCII never split a character.
        assert!(ops.of_marker("X-MS-Exchange-Organizatio\u{e9}").is_none());
        assert!(
            ops.of_marker("\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}\u{e9}")
                .is_none()
        );
    }
}
