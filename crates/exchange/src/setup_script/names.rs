//! The rules each kind of value must follow before it goes into a script.
//!
//! The rules are deliberately narrow: they admit the names an Exchange admin picks
//! and nothing PowerShell or OPATH gives a meaning to (quotes, `$`, backticks,
//! parentheses, line breaks). Values are quoted as well; see `quote`.

use std::fmt;

use super::error::SetupScriptError;

/// The longest alias, group, scope or role group name accepted.
const MAX_NAME: usize = 64;

/// A kind of value, each with its own allowed characters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NameKind {
    /// An alias or account name: `MasterImpersonation`, `RIAG`.
    Alias,
    /// A group, scope, role group or display name: `RIapplicationGroup`.
    Name,
    /// An email address: `alice@contoso.com`.
    Address,
    /// A DNS domain: `contoso.com`.
    Domain,
    /// A GUID: `00000000-0000-0000-0000-000000000000`.
    Guid,
    /// The distinguished name of an organizational unit: `OU=Groups,DC=contoso,DC=com`.
    OrganizationalUnit,
    /// A lab password.
    Password,
}

impl NameKind {
    /// What a valid value of this kind looks like.
    pub fn rule(self) -> &'static str {
        match self {
            Self::Alias => {
                "Use 1 to 64 of the characters A-Z, a-z, 0-9, '.', '_' and '-', \
                 not starting or ending with '.' and without '..'"
            }
            Self::Name => {
                "Use 1 to 64 of the characters A-Z, a-z, 0-9, space, '.', '_' and '-', \
                 not starting or ending with a space"
            }
            Self::Address => {
                "Use local@domain: the local part has 1 to 64 of A-Z, a-z, 0-9, '.', '_', \
                 '+' and '-' (not starting or ending with '.', without '..'), the domain \
                 is a DNS domain such as contoso.com"
            }
            Self::Domain => {
                "Use a DNS domain such as contoso.com: two or more labels of A-Z, a-z, \
                 0-9 and '-', separated by '.', no label starting or ending with '-'"
            }
            Self::Guid => {
                "Use the form 8-4-4-4-12 hexadecimal digits, as Entra ID shows it, \
                 e.g. 6f1d2e3c-4b5a-4c7d-8e9f-0a1b2c3d4e5f"
            }
            Self::OrganizationalUnit => {
                "Use comma-separated OU=, CN= or DC= parts ending with DC= parts, \
                 e.g. OU=Groups,DC=contoso,DC=com; each value has 1 to 64 of A-Z, a-z, \
                 0-9, space, '.', '_' and '-', not starting or ending with a space"
            }
            Self::Password => "Use 1 to 256 characters without line breaks or control characters",
        }
    }

    /// Checks a value; the error names `field` and says what is wrong.
    pub(super) fn check(self, field: &'static str, value: &str) -> Result<(), SetupScriptError> {
        match self.problem(value) {
            None => Ok(()),
            Some(problem) => Err(SetupScriptError::InvalidValue {
                field,
                value: value.to_owned(),
                kind: self,
                problem,
            }),
        }
    }

    /// What is wrong with the value, or `None` when it is valid.
    pub(super) fn problem(self, value: &str) -> Option<String> {
        match self {
            Self::Alias => dotted(value, MAX_NAME, |c| {
                c.is_ascii_alphanumeric() || "._-".contains(c)
            }),
            Self::Name => spaced(value, MAX_NAME),
            Self::Address => address(value),
            Self::Domain => domain(value),
            Self::Guid => guid(value),
            Self::OrganizationalUnit => organizational_unit(value),
            Self::Password => password(value),
        }
    }
}

impl fmt::Display for NameKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Alias => "alias",
            Self::Name => "name",
            Self::Address => "email address",
            Self::Domain => "domain",
            Self::Guid => "GUID",
            Self::OrganizationalUnit => "organizational unit DN",
            Self::Password => "password",
        })
    }
}

/// Length and character checks shared by every kind.
fn basic(value: &str, max: usize, allowed: impl Fn(char) -> bool) -> Option<String> {
    if value.is_empty() {
        return Some("it is empty".to_owned());
    }
    if value.chars().count() > max {
        return Some(format!("it is longer than {max} characters"));
    }
    value
        .chars()
        .find(|&c| !allowed(c))
        .map(|c| format!("the character {c:?} is not allowed"))
}

/// A name of word characters and dots, without empty dot-separated parts.
fn dotted(value: &str, max: usize, allowed: impl Fn(char) -> bool) -> Option<String> {
    basic(value, max, allowed).or_else(|| {
        (value.starts_with('.') || value.ends_with('.') || value.contains(".."))
            .then(|| "it starts or ends with '.' or contains '..'".to_owned())
    })
}

/// A name that may hold spaces, but not at either end.
fn spaced(value: &str, max: usize) -> Option<String> {
    basic(value, max, |c| {
        c.is_ascii_alphanumeric() || " ._-".contains(c)
    })
    .or_else(|| {
        (value.starts_with(' ') || value.ends_with(' '))
            .then(|| "it starts or ends with a space".to_owned())
    })
}

fn address(value: &str) -> Option<String> {
    if value.chars().count() > 254 {
        return Some("it is longer than 254 characters".to_owned());
    }
    let Some((local, domain_part)) = value.split_once('@') else {
        return Some("it has no '@'".to_owned());
    };
    dotted(local, 64, |c| {
        c.is_ascii_alphanumeric() || "._+-".contains(c)
    })
    .map(|problem| format!("in the part before '@', {problem}"))
    .or_else(|| domain(domain_part).map(|problem| format!("in the domain, {problem}")))
}

fn domain(value: &str) -> Option<String> {
    basic(value, 253, |c| {
        c.is_ascii_alphanumeric() || "-.".contains(c)
    })
    .or_else(|| {
        let labels: Vec<&str> = value.split('.').collect();
        if labels.len() < 2 {
            Some("it has a single label; give the full domain".to_owned())
        } else if labels.iter().any(|l| l.is_empty() || l.len() > 63) {
            Some("a label between dots is empty or longer than 63 characters".to_owned())
        } else if labels
            .iter()
            .any(|l| l.starts_with('-') || l.ends_with('-'))
        {
            Some("a label starts or ends with '-'".to_owned())
        } else {
            None
        }
    })
}

fn guid(value: &str) -> Option<String> {
    let groups: Vec<&str> = value.split('-').collect();
    let lengths: Vec<usize> = groups.iter().map(|g| g.len()).collect();
    let hex = groups
        .iter()
        .all(|g| g.chars().all(|c| c.is_ascii_hexdigit()));
    (lengths != [8, 4, 4, 4, 12] || !hex).then(|| "it is not a GUID".to_owned())
}

fn organizational_unit(value: &str) -> Option<String> {
    if value.is_empty() {
        return Some("it is empty".to_owned());
    }
    let mut last_type = "";
    for part in value.split(',') {
        let Some((attribute, text)) = part.split_once('=') else {
            return Some(format!("the part {part:?} is not TYPE=value"));
        };
        if !["OU", "CN", "DC"]
            .iter()
            .any(|t| t.eq_ignore_ascii_case(attribute))
        {
            return Some(format!("the part {part:?} is not an OU=, CN= or DC= part"));
        }
        if let Some(problem) = spaced(text, MAX_NAME) {
            return Some(format!("in the part {part:?}, {problem}"));
        }
        last_type = attribute;
    }
    (!last_type.eq_ignore_ascii_case("DC")).then(|| "it does not end with a DC= part".to_owned())
}

fn password(value: &str) -> Option<String> {
    basic(value, 256, |c| {
        !c.is_control() && !matches!(c, '\u{2028}' | '\u{2029}')
    })
}

#[cfg(test)]
mod tests {
    use super::NameKind;

    fn accepts(kind: NameKind, values: &[&str]) {
        for value in values {
            assert_eq!(kind.problem(value), None, "{kind} {value:?}");
        }
    }

    fn rejects<S: AsRef<str>>(kind: NameKind, values: &[S]) {
        for value in values.iter().map(AsRef::as_ref) {
            assert!(
                kind.problem(value).is_some(),
                "{kind} {value:?} should be refused"
            );
        }
    }

    /// Characters that mean something to PowerShell or OPATH; no name kind takes them.
    const HOSTILE: &[&str] = &[
        "x'y",
        "x\u{2019}y",
        "x\u{2018}y",
        "x\u{201A}y",
        "x\u{201B}y",
        "x\"y",
        "x\u{201C}y",
        "x$y",
        "x`y",
        "x(y",
        "x)y",
        "x;y",
        "x|y",
        "x&y",
        "x\ny",
        "x\ry",
        "x{y",
        "x}y",
        "x#y",
        "x<y",
        "x@y@z",
        "x,y",
        "x=y",
        "x\\y",
        "x\u{2013}y",
    ];

    #[test]
    fn aliases() {
        accepts(
            NameKind::Alias,
            &["RIAG", "Master.Impersonation", "svc_1-a"],
        );
        rejects(
            NameKind::Alias,
            &["", ".a", "a.", "a..b", "a b", "é", &"a".repeat(65)],
        );
        rejects(NameKind::Alias, HOSTILE);
    }

    #[test]
    fn names() {
        accepts(
            NameKind::Name,
            &["RIapplicationGroup", "RI users scope", "a.b_c-d"],
        );
        rejects(NameKind::Name, &["", " a", "a ", "a\tb", &"a".repeat(65)]);
        rejects(NameKind::Name, HOSTILE);
    }

    #[test]
    fn addresses() {
        accepts(
            NameKind::Address,
            &["alice@contoso.com", "a.b+c_d-e@mail.example.co.uk"],
        );
        rejects(
            NameKind::Address,
            &[
                "alice",
                "@contoso.com",
                "alice@",
                "alice@contoso",
                ".a@contoso.com",
                "a..b@c.com",
                "a@-c.com",
                "a@c..com",
                "a b@c.com",
            ],
        );
        rejects(NameKind::Address, HOSTILE);
        let in_local_part: Vec<String> = HOSTILE.iter().map(|h| format!("{h}@c.com")).collect();
        rejects(NameKind::Address, &in_local_part);
    }

    #[test]
    fn domains_guids_and_passwords() {
        accepts(NameKind::Domain, &["contoso.test", "a-b.c.example"]);
        rejects(
            NameKind::Domain,
            &["contoso", "a..b", "-a.b", "a-.b", "a_b.c"],
        );
        accepts(NameKind::Guid, &["6f1d2e3c-4b5a-4c7d-8e9f-0A1B2C3D4E5F"]);
        rejects(
            NameKind::Guid,
            &[
                "",
                "6f1d2e3c4b5a4c7d8e9f0a1b2c3d4e5f",
                "{6f1d2e3c-4b5a-4c7d-8e9f-0a1b2c3d4e5f}",
                "6f1d2e3c-4b5a-4c7d-8e9f-0a1b2c3d4e5g",
            ],
        );
        accepts(NameKind::Password, &["P@ss'; Remove-Mailbox $(x) `"]);
        rejects(
            NameKind::Password,
            &["", "a\nb", "a\u{2028}b", &"a".repeat(257)],
        );
    }

    #[test]
    fn organizational_units() {
        accepts(
            NameKind::OrganizationalUnit,
            &[
                "OU=Groups,DC=contoso,DC=test",
                "ou=a b,OU=Microsoft Exchange Hosted Organizations,DC=EURPR01A001,DC=PROD,DC=OUTLOOK,DC=COM",
                "CN=Users,DC=x",
            ],
        );
        rejects(
            NameKind::OrganizationalUnit,
            &[
                "",
                "OU=Groups",
                "Groups,DC=x",
                "OU=,DC=x",
                "OU= a,DC=x",
                "L=x,DC=y",
                "OU=a,DC=x,",
                "OU=a\\,b,DC=x",
                "OU=a'b,DC=x",
            ],
        );
        let in_a_part: Vec<String> = HOSTILE.iter().map(|h| format!("OU={h},DC=x")).collect();
        rejects(NameKind::OrganizationalUnit, &in_a_part);
    }

    #[test]
    fn the_message_names_field_value_problem_and_rule() {
        let error = NameKind::Name
            .check("group_name", "x'; Remove-Mailbox")
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "group_name \"x'; Remove-Mailbox\" is not a valid name: the character '\\'' is not \
             allowed. Use 1 to 64 of the characters A-Z, a-z, 0-9, space, '.', '_' and '-', \
             not starting or ending with a space"
        );
    }
}
