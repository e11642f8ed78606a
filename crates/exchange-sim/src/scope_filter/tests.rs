use std::collections::HashMap;

use super::*;

const DEMO: &str = "MemberOfGroup -eq 'CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test'";
const APP_GROUP: &str = "CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test";

/// A recipient with explicit direct memberships and attributes.
#[derive(Default)]
struct Recipient {
    groups: Vec<String>,
    recipient_type: String,
    department: Option<String>,
    custom: HashMap<u8, String>,
}

impl Recipient {
    fn mailbox() -> Self {
        Self {
            recipient_type: "UserMailbox".to_owned(),
            ..Self::default()
        }
    }

    fn in_groups(groups: &[&str]) -> Self {
        Self {
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
            ..Self::mailbox()
        }
    }

    fn with_department(mut self, department: &str) -> Self {
        self.department = Some(department.to_owned());
        self
    }

    fn with_custom(mut self, n: u8, value: &str) -> Self {
        self.custom.insert(n, value.to_owned());
        self
    }
}

impl FilterSubject for Recipient {
    fn direct_group_dns(&self) -> Vec<String> {
        self.groups.clone()
    }
    fn recipient_type(&self) -> &str {
        &self.recipient_type
    }
    fn department(&self) -> Option<&str> {
        self.department.as_deref()
    }
    fn custom_attribute(&self, n: u8) -> Option<&str> {
        self.custom.get(&n).map(String::as_str)
    }
}

fn filter(text: &str) -> ScopeFilter {
    text.parse()
        .unwrap_or_else(|e| panic!("{text:?} should parse: {e}"))
}

fn error(text: &str) -> FilterError {
    match text.parse::<ScopeFilter>() {
        Ok(parsed) => panic!("{text:?} should fail, parsed as {parsed}"),
        Err(e) => e,
    }
}

fn matches(text: &str, recipient: &Recipient) -> bool {
    filter(text).matches(recipient)
}

fn eq(property: Property, value: &str) -> Expr {
    Expr::Compare(Comparison {
        property,
        operator: Operator::Eq,
        value: Value::Text(value.to_owned()),
    })
}

#[test]
fn demo_filter_selects_direct_members_only() {
    let scope = filter(DEMO);
    assert_eq!(
        scope.expr(),
        &eq(Property::MemberOfGroup, APP_GROUP),
        "demo parses to one comparison"
    );
    assert!(scope.matches(&Recipient::in_groups(&[APP_GROUP])));
    assert!(scope.matches(&Recipient::in_groups(&[
        "CN=Other,DC=contoso,DC=test",
        APP_GROUP
    ])));
    assert!(!scope.matches(&Recipient::in_groups(&["CN=Other,DC=contoso,DC=test"])));
    assert!(!scope.matches(&Recipient::mailbox()));
    assert_eq!(scope.to_string(), DEMO);
}

/// A tiny directory where groups can contain groups, answering
/// `direct_group_dns` from direct membership only, as Exchange does.
struct Directory {
    members: HashMap<&'static str, Vec<&'static str>>,
}

struct DirectoryUser<'a> {
    dn: &'static str,
    directory: &'a Directory,
}

impl FilterSubject for DirectoryUser<'_> {
    fn direct_group_dns(&self) -> Vec<String> {
        let mut groups: Vec<String> = self
            .directory
            .members
            .iter()
            .filter(|(_, members)| members.contains(&self.dn))
            .map(|(group, _)| (*group).to_owned())
            .collect();
        groups.sort();
        groups
    }
    fn recipient_type(&self) -> &str {
        "UserMailbox"
    }
    fn department(&self) -> Option<&str> {
        None
    }
    fn custom_attribute(&self, _: u8) -> Option<&str> {
        None
    }
}

#[test]
fn member_of_a_nested_group_is_not_in_scope() {
    let outer = "CN=Outer,OU=Groups,DC=contoso,DC=test";
    let inner = "CN=Inner,OU=Groups,DC=contoso,DC=test";
    let directory = Directory {
        members: HashMap::from([
            (outer, vec![inner, "CN=bob,DC=contoso,DC=test"]),
            (inner, vec!["CN=alice,DC=contoso,DC=test"]),
        ]),
    };
    let alice = DirectoryUser {
        dn: "CN=alice,DC=contoso,DC=test",
        directory: &directory,
    };
    let bob = DirectoryUser {
        dn: "CN=bob,DC=contoso,DC=test",
        directory: &directory,
    };
    let outer_scope = filter(&format!("MemberOfGroup -eq '{outer}'"));
    let inner_scope = filter(&format!("MemberOfGroup -eq '{inner}'"));
    assert!(outer_scope.matches(&bob), "direct member of Outer");
    assert!(
        !outer_scope.matches(&alice),
        "alice reaches Outer only through Inner, so she is out of scope"
    );
    assert!(inner_scope.matches(&alice));
    assert!(!inner_scope.matches(&bob));
}

#[test]
fn member_of_group_ne_holds_when_no_direct_group_equals() {
    let ne = format!("MemberOfGroup -ne '{APP_GROUP}'");
    assert!(!matches(&ne, &Recipient::in_groups(&[APP_GROUP])));
    assert!(!matches(
        &ne,
        &Recipient::in_groups(&["CN=Other,DC=x", APP_GROUP])
    ));
    assert!(matches(&ne, &Recipient::in_groups(&["CN=Other,DC=x"])));
    assert!(matches(&ne, &Recipient::mailbox()));
}

#[test]
fn member_of_group_like_matches_any_direct_group() {
    let recipient = Recipient::in_groups(&["CN=Sales-East,OU=Groups,DC=x", "CN=IT,DC=x"]);
    assert!(matches("MemberOfGroup -like 'cn=sales*'", &recipient));
    assert!(matches("MemberOfGroup -like '*,DC=x'", &recipient));
    assert!(!matches("MemberOfGroup -like 'CN=HR*'", &recipient));
    assert!(!matches("MemberOfGroup -like '*'", &Recipient::mailbox()));
}

#[test]
fn comparisons_ignore_case_in_names_operators_and_values() {
    let recipient = Recipient::in_groups(&[APP_GROUP]).with_department("Sales");
    assert!(matches(
        "memberofgroup -EQ 'cn=riapplicationgroup,ou=groups,dc=CONTOSO,dc=test'",
        &recipient
    ));
    assert!(matches("DEPARTMENT -Eq 'sALES'", &recipient));
    assert!(matches("recipienttype -eq 'usermailbox'", &recipient));
    assert!(!matches("department -NE 'SALES'", &recipient));
    assert!(matches("Department -LIKE 'SAL*'", &recipient));
    assert!(matches(
        "Department -eq 'Sales' -AND RecipientType -eq 'UserMailbox' -OR -NOT (Department -eq 'x')",
        &recipient
    ));
}

#[test]
fn recipient_type_operators() {
    let mailbox = Recipient::mailbox();
    assert!(matches("RecipientType -eq 'UserMailbox'", &mailbox));
    assert!(!matches("RecipientType -ne 'UserMailbox'", &mailbox));
    assert!(matches("RecipientType -ne 'MailUser'", &mailbox));
    assert!(matches("RecipientType -like '*Mailbox'", &mailbox));
    assert!(!matches("RecipientType -like 'Mail*'", &mailbox));
}

#[test]
fn department_operators_and_missing_value() {
    let sales = Recipient::mailbox().with_department("Sales");
    let none = Recipient::mailbox();
    let empty = Recipient::mailbox().with_department("");
    assert!(matches("Department -eq 'Sales'", &sales));
    assert!(!matches("Department -eq 'Sales'", &none));
    assert!(
        matches("Department -ne 'Sales'", &none),
        "unset differs from any text"
    );
    assert!(
        !matches("Department -like '*'", &none),
        "-like '*' needs a value"
    );
    assert!(matches("Department -like '*'", &sales));
    assert!(matches("Department -eq $null", &none));
    assert!(
        matches("Department -eq $null", &empty),
        "empty counts as unset"
    );
    assert!(!matches("Department -eq $null", &sales));
    assert!(matches("Department -ne $NULL", &sales));
    assert!(!matches("Department -ne $null", &none));
}

#[test]
fn every_custom_attribute_is_supported() {
    for n in 1..=15u8 {
        let recipient = Recipient::mailbox().with_custom(n, "Keep");
        let text = format!("customattribute{n} -eq 'keep'");
        let scope = filter(&text);
        assert_eq!(scope.expr(), &eq(Property::CustomAttribute(n), "keep"));
        assert!(scope.matches(&recipient), "{text}");
        assert!(!scope.matches(&Recipient::mailbox()), "{text}");
        assert_eq!(scope.to_string(), format!("CustomAttribute{n} -eq 'keep'"));
    }
    let other = Recipient::mailbox().with_custom(2, "Keep");
    assert!(!matches("CustomAttribute1 -eq 'Keep'", &other));
    assert!(matches("CustomAttribute1 -ne 'Keep'", &other));
}

#[test]
fn custom_attribute_numbers_outside_range_are_unsupported() {
    for name in [
        "CustomAttribute0",
        "CustomAttribute16",
        "CustomAttribute01",
        "CustomAttribute",
        "CustomAttribute+1",
        "CustomAttribute999",
    ] {
        assert!(
            matches!(error(&format!("{name} -eq 'x'")),
                FilterError::UnsupportedProperty { name: n, position: 1 } if n == name),
            "{name}"
        );
    }
}

#[test]
fn like_wildcards() {
    let check = |value: &str, pattern: &str| {
        let recipient = Recipient::mailbox().with_department(value);
        matches(&format!("Department -like '{pattern}'"), &recipient)
    };
    assert!(check("Sales", "Sales"));
    assert!(!check("Sales", "Sale"));
    assert!(check("Sales", "s*"));
    assert!(check("Sales", "*S"));
    assert!(check("Sales", "*ale*"));
    assert!(check("Sales", "S*l*s"));
    assert!(check("Sales", "**"));
    assert!(check("Sales", "Sales*"));
    assert!(!check("Sales", "S*x*s"));
    assert!(!check("Sales", "*y"));
    assert!(check("aaab", "*a*ab"));
    assert!(check("Straße", "STRASSE") || check("Straße", "straße"));
    assert!(check("ÉCOLE", "é*"));
    assert!(!check("Sales", "S?les"), "only * is a wildcard");
    assert!(check("S?les", "S?les"));
}

#[test]
fn precedence_not_binds_tighter_than_and_tighter_than_or() {
    let a = || eq(Property::Department, "a");
    let b = || eq(Property::Department, "b");
    let c = || eq(Property::Department, "c");
    assert_eq!(
        filter("Department -eq 'a' -or Department -eq 'b' -and Department -eq 'c'").expr(),
        &Expr::Or(vec![a(), Expr::And(vec![b(), c()])])
    );
    assert_eq!(
        filter("Department -eq 'a' -and Department -eq 'b' -or Department -eq 'c'").expr(),
        &Expr::Or(vec![Expr::And(vec![a(), b()]), c()])
    );
    assert_eq!(
        filter("-not Department -eq 'a' -and Department -eq 'b'").expr(),
        &Expr::And(vec![Expr::Not(Box::new(a())), b()])
    );
    assert_eq!(
        filter("(Department -eq 'a' -or Department -eq 'b') -and Department -eq 'c'").expr(),
        &Expr::And(vec![Expr::Or(vec![a(), b()]), c()])
    );
    assert_eq!(
        filter("-not (Department -eq 'a' -or Department -eq 'b')").expr(),
        &Expr::Not(Box::new(Expr::Or(vec![a(), b()])))
    );
    assert_eq!(
        filter("-not -not Department -eq 'a'").expr(),
        &Expr::Not(Box::new(Expr::Not(Box::new(a()))))
    );

    let only_c = Recipient::mailbox().with_department("c");
    assert!(!matches(
        "Department -eq 'a' -or Department -eq 'b' -and Department -eq 'c'",
        &only_c
    ));
    assert!(matches(
        "Department -eq 'a' -and Department -eq 'b' -or Department -eq 'c'",
        &only_c
    ));
    assert!(matches(
        "-not Department -eq 'a' -and Department -eq 'c'",
        &only_c
    ));
}

#[test]
fn and_or_chains_are_flattened_and_print_canonically() {
    let scope = filter("((Department -eq 'a') -and (Department -eq 'b' -and Department -eq 'c'))");
    assert!(matches!(scope.expr(), Expr::And(operands) if operands.len() == 3));
    assert_eq!(
        scope.to_string(),
        "Department -eq 'a' -and Department -eq 'b' -and Department -eq 'c'"
    );
    let mixed =
        filter("-NOT(department -eq a)-and(recipienttype -eq x -or customattribute3 -like \"y*\")");
    assert_eq!(
        mixed.to_string(),
        "-not (Department -eq 'a') -and (RecipientType -eq 'x' -or CustomAttribute3 -like 'y*')"
    );
    assert_eq!(filter(&mixed.to_string()), mixed);
}

#[test]
fn quoting_forms() {
    let recipient = Recipient::mailbox().with_department("O'Brien \"Ops\"");
    assert!(matches("Department -eq 'O''Brien \"Ops\"'", &recipient));
    assert!(matches(
        "Department -eq \"O'Brien \"\"Ops\"\"\"",
        &recipient
    ));
    let scope = filter("Department -eq \"O'Brien\"");
    assert_eq!(scope.to_string(), "Department -eq 'O''Brien'");
    assert_eq!(
        filter("Department -eq ''").expr(),
        &eq(Property::Department, "")
    );
    assert_eq!(
        filter("Department -eq Sales-East").expr(),
        &eq(Property::Department, "Sales-East"),
        "bare values are accepted, as in OPATH"
    );
    assert_eq!(
        filter("  Department   -eq\t'a'  ").to_string(),
        "Department -eq 'a'"
    );
}

#[test]
fn group_dns_lists_named_groups() {
    let scope = filter(
        "MemberOfGroup -eq 'CN=A,DC=x' -or -not (MemberOfGroup -ne 'CN=B,DC=x') \
         -or MemberOfGroup -like 'CN=C*' -or Department -eq 'CN=D'",
    );
    assert_eq!(scope.group_dns(), vec!["CN=A,DC=x", "CN=B,DC=x"]);
}

#[test]
fn unsupported_property_names_itself_and_the_supported_ones() {
    let e = error("Title -eq 'Manager'");
    assert_eq!(
        e,
        FilterError::UnsupportedProperty {
            name: "Title".to_owned(),
            position: 1
        }
    );
    let message = e.to_string();
    for expected in [
        "'Title'",
        "MemberOfGroup",
        "RecipientType",
        "Department",
        "CustomAttribute1 .. CustomAttribute15",
    ] {
        assert!(message.contains(expected), "{message}");
    }
    assert!(matches!(
        error("Department -eq 'a' -and RecipientTypeDetails -eq 'x'"),
        FilterError::UnsupportedProperty { position: 25, .. }
    ));
}

#[test]
fn syntax_errors_name_the_position() {
    let cases: &[(&str, FilterError)] = &[
        ("", FilterError::Empty),
        ("   ", FilterError::Empty),
        (
            "Department -gt 'a'",
            FilterError::UnsupportedOperator {
                operator: "-gt".to_owned(),
                position: 12,
            },
        ),
        (
            "Department 'a'",
            FilterError::Unexpected {
                position: 12,
                expected: "-eq, -ne or -like",
                found: "quoted value 'a'".to_owned(),
            },
        ),
        (
            "Department -eq",
            FilterError::Unexpected {
                position: 15,
                expected: "a value",
                found: "end of filter".to_owned(),
            },
        ),
        (
            "(Department -eq 'a'",
            FilterError::Unexpected {
                position: 20,
                expected: "')'",
                found: "end of filter".to_owned(),
            },
        ),
        (
            "Department -eq 'a')",
            FilterError::Unexpected {
                position: 19,
                expected: "-and, -or or the end of the filter",
                found: "')'".to_owned(),
            },
        ),
        (
            "Department -eq 'a' Department -eq 'b'",
            FilterError::Unexpected {
                position: 20,
                expected: "-and, -or or the end of the filter",
                found: "'Department'".to_owned(),
            },
        ),
        (
            "Department -eq 'a' -and",
            FilterError::Unexpected {
                position: 24,
                expected: "a property name, '(' or -not",
                found: "end of filter".to_owned(),
            },
        ),
        (
            "-and Department -eq 'a'",
            FilterError::Unexpected {
                position: 1,
                expected: "a property name, '(' or -not",
                found: "'-and'".to_owned(),
            },
        ),
        (
            "()",
            FilterError::Unexpected {
                position: 2,
                expected: "a property name, '(' or -not",
                found: "')'".to_owned(),
            },
        ),
        (
            "Department -eq 'unclosed",
            FilterError::UnterminatedString { position: 16 },
        ),
        (
            "Department -eq \"unclosed''",
            FilterError::UnterminatedString { position: 16 },
        ),
        (
            "Department -eq $x",
            FilterError::UnsupportedVariable {
                name: "x".to_owned(),
                position: 16,
            },
        ),
        (
            "Department -like $null",
            FilterError::NullPattern { position: 18 },
        ),
        (
            "Départment -eq 'a'",
            FilterError::UnsupportedProperty {
                name: "Départment".to_owned(),
                position: 1,
            },
        ),
        (
            "é -eq 'a' -or Title -eq 'b'",
            FilterError::UnsupportedProperty {
                name: "é".to_owned(),
                position: 1,
            },
        ),
    ];
    for (text, expected) in cases {
        assert_eq!(&error(text), expected, "{text:?}");
    }
    assert_eq!(
        error("Department -eq").to_string(),
        "syntax error at position 15: expected a value, found end of filter"
    );
}

#[test]
fn deep_nesting_is_an_error_not_a_stack_overflow() {
    let depth = parser::MAX_DEPTH;
    let ok = format!(
        "{}Department -eq 'a'{}",
        "(".repeat(depth),
        ")".repeat(depth)
    );
    assert!(ok.parse::<ScopeFilter>().is_ok());
    let deep = format!(
        "{}Department -eq 'a'{}",
        "(".repeat(10_000),
        ")".repeat(10_000)
    );
    assert!(matches!(
        error(&deep),
        FilterError::TooDeep { position, limit } if position == depth + 1 && limit == depth
    ));
    let nots = format!("{}Department -eq 'a'", "-not ".repeat(10_000));
    assert!(matches!(error(&nots), FilterError::TooDeep { .. }));
}

/// Deterministic xorshift generator so the fuzz tests are reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

const FRAGMENTS: &[&str] = &[
    "MemberOfGroup",
    "RecipientType",
    "Department",
    "CustomAttribute7",
    "Title",
    "-eq",
    "-ne",
    "-like",
    "-and",
    "-or",
    "-not",
    "-gt",
    "(",
    ")",
    "'",
    "''",
    "\"",
    "$null",
    "$x",
    "*",
    " ",
    "\t",
    "CN=a,DC=x",
    "é",
    "-",
    "$",
    "'a b'",
    "\"q\"\"q\"",
    "\u{0}",
    "ß",
];

/// Random fragments of filter syntax, mostly space-separated.
fn random_fragments(rng: &mut Rng) -> String {
    let mut text = String::new();
    for _ in 0..rng.below(12) {
        text.push_str(rng.pick(FRAGMENTS));
        text.push_str(rng.pick(&[" ", " ", " ", ""]));
    }
    text
}

/// The canonical text of a random valid filter with a few random edits.
fn mutated_filter(rng: &mut Rng) -> String {
    let mut chars: Vec<char> = random_expr(rng, 3).to_string().chars().collect();
    for _ in 0..rng.below(4) {
        let at = rng.below(chars.len() + 1);
        match rng.below(3) {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 if at < chars.len() => chars[at] = rng.pick(&['(', ')', '\'', '"', '-', ' ', '$']),
            _ => {
                for (offset, c) in rng.pick(FRAGMENTS).chars().enumerate() {
                    chars.insert(at + offset, c);
                }
            }
        }
    }
    chars.into_iter().collect()
}

#[test]
fn random_text_never_panics_and_parsed_filters_round_trip() {
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let recipient = Recipient::in_groups(&["CN=a,DC=x"])
        .with_department("a b")
        .with_custom(7, "q\"q");
    let mut parsed = 0;
    for round in 0..20_000 {
        let text = if round % 2 == 0 {
            random_fragments(&mut rng)
        } else {
            mutated_filter(&mut rng)
        };
        if let Ok(scope) = text.parse::<ScopeFilter>() {
            parsed += 1;
            scope.matches(&recipient);
            let canonical = scope.to_string();
            assert_eq!(filter(&canonical), scope, "{text:?} -> {canonical:?}");
        }
    }
    assert!(
        parsed > 100,
        "the generator should produce some valid filters"
    );
}

fn random_expr(rng: &mut Rng, depth: usize) -> Expr {
    let choice = if depth == 0 { 0 } else { rng.below(4) };
    match choice {
        0 => {
            let n = rng.below(15) as u8 + 1;
            let property = rng.pick(&[
                Property::MemberOfGroup,
                Property::RecipientType,
                Property::Department,
                Property::CustomAttribute(n),
            ]);
            let operator = rng.pick(&[Operator::Eq, Operator::Ne, Operator::Like]);
            let value = if operator != Operator::Like && rng.below(5) == 0 {
                Value::Null
            } else {
                let chars = ['a', '\'', '"', ' ', '*', '(', ')', '-', 'é', '$'];
                Value::Text((0..rng.below(6)).map(|_| rng.pick(&chars)).collect())
            };
            Expr::Compare(Comparison {
                property,
                operator,
                value,
            })
        }
        1 => Expr::Not(Box::new(random_expr(rng, depth - 1))),
        kind => {
            let mut operands = Vec::new();
            for _ in 0..2 + rng.below(3) {
                match (kind, random_expr(rng, depth - 1)) {
                    (2, Expr::And(inner)) | (3, Expr::Or(inner)) => operands.extend(inner),
                    (_, operand) => operands.push(operand),
                }
            }
            if kind == 2 {
                Expr::And(operands)
            } else {
                Expr::Or(operands)
            }
        }
    }
}

#[test]
fn random_trees_print_and_parse_back_unchanged() {
    let mut rng = Rng(42);
    for _ in 0..5_000 {
        let expr = random_expr(&mut rng, 4);
        let scope = ScopeFilter::new(expr);
        let text = scope.to_string();
        assert_eq!(filter(&text), scope, "{text}");
    }
}
