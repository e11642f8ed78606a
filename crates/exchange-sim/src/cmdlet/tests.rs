use super::*;

fn parse(script: &str) -> Vec<Command> {
    parse_script(script).unwrap_or_else(|e| panic!("{script:?} should parse: {e}"))
}

fn parse_one(script: &str) -> Command {
    let mut commands = parse(script);
    assert_eq!(commands.len(), 1, "{script:?} -> {commands:?}");
    commands.remove(0)
}

fn fail(script: &str) -> ParseError {
    match parse_script(script) {
        Ok(commands) => panic!("{script:?} should fail, parsed as {commands:?}"),
        Err(e) => e,
    }
}

fn string(text: &str) -> Arg {
    Arg::String(text.to_owned())
}

fn list(items: &[&str]) -> Arg {
    Arg::List(items.iter().map(|s| (*s).to_owned()).collect())
}

const SETUP_SCRIPT: &str = r#"<#
  Impersync: grant application impersonation over one group.
#>
$GroupDN = 'CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test'
$Members = 'alice@contoso.test', "bob@contoso.test"

# Group holding the mailboxes the application may reach.
New-DistributionGroup -Name 'RIapplicationGroup' -Type Security `
    -OrganizationalUnit 'OU=Groups,DC=contoso,DC=test' -Confirm:$false
Add-DistributionGroupMember -Identity RIapplicationGroup -Member alice,bob,'carol d'; Write-Host "Members added"
Set-DistributionGroup -Identity RIapplicationGroup -HiddenFromAddressListsEnabled $true
New-ManagementScope -Name 'RIapplicationScope' -RecipientRestrictionFilter "MemberOfGroup -eq 'CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test'"
New-RoleGroup -Name RIapplicationRoles -Roles ApplicationImpersonation -Members $Members

New-ManagementRoleAssignment -Name 'RIapplicationAssignment' `
    -Role ApplicationImpersonation `
    -User 'svc-impersync@contoso.test' `
    -CustomRecipientWriteScope 'RIapplicationScope'
Set-Mailbox -Identity alice -CustomAttribute1 $null -CustomAttribute2 $GroupDN -Force
Write-Output 'done'
"#;

#[test]
fn realistic_setup_script() {
    let commands = parse(SETUP_SCRIPT);
    let names: Vec<(&str, usize)> = commands.iter().map(|c| (c.name.as_str(), c.line)).collect();
    assert_eq!(
        names,
        vec![
            ("New-DistributionGroup", 8),
            ("Add-DistributionGroupMember", 10),
            ("Write-Host", 10),
            ("Set-DistributionGroup", 11),
            ("New-ManagementScope", 12),
            ("New-RoleGroup", 13),
            ("New-ManagementRoleAssignment", 15),
            ("Set-Mailbox", 19),
            ("Write-Output", 20),
        ]
    );

    let group = &commands[0];
    assert_eq!(
        group.params,
        vec![
            ("Name".to_owned(), string("RIapplicationGroup")),
            ("Type".to_owned(), string("Security")),
            (
                "OrganizationalUnit".to_owned(),
                string("OU=Groups,DC=contoso,DC=test")
            ),
            ("Confirm".to_owned(), Arg::Bool(false)),
        ]
    );
    assert_eq!(
        commands[1].list("member").expect("members"),
        vec!["alice", "bob", "carol d"]
    );
    assert_eq!(commands[2].positional, vec![string("Members added")]);
    assert_eq!(
        commands[3].get("HiddenFromAddressListsEnabled"),
        Some(&Arg::Bool(true))
    );
    assert_eq!(
        commands[4]
            .string("RecipientRestrictionFilter")
            .expect("filter"),
        "MemberOfGroup -eq 'CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test'"
    );
    assert_eq!(
        commands[5].list("Members").expect("members"),
        vec!["alice@contoso.test", "bob@contoso.test"]
    );
    let assignment = &commands[6];
    assert_eq!(
        assignment.string("role").expect("role"),
        "ApplicationImpersonation"
    );
    assert_eq!(
        assignment.string("USER").expect("user"),
        "svc-impersync@contoso.test"
    );
    assert_eq!(
        assignment
            .string("CustomRecipientWriteScope")
            .expect("scope"),
        "RIapplicationScope"
    );
    let mailbox = &commands[7];
    assert_eq!(mailbox.get("CustomAttribute1"), Some(&Arg::Null));
    assert_eq!(
        mailbox.string("CustomAttribute2").expect("variable"),
        "CN=RIapplicationGroup,OU=Groups,DC=contoso,DC=test"
    );
    assert_eq!(mailbox.switch("Force"), Ok(true));
    assert_eq!(commands[8].positional, vec![string("done")]);
}

#[test]
fn quoted_injection_stays_one_string() {
    let name = "x'; Remove-Mailbox -Identity alice; '";
    let quoted = "'x''; Remove-Mailbox -Identity alice; '''";
    assert_eq!(single_quote(name), quoted);
    let script = format!("New-DistributionGroup -Name {quoted} -Type Security");
    let command = parse_one(&script);
    assert!(command.is("new-distributiongroup"));
    assert_eq!(command.string("Name"), Ok(name));
    assert_eq!(command.string("Type"), Ok("Security"));
    assert!(!script_mentions_command(&script, "Remove-Mailbox"));
}

fn script_mentions_command(script: &str, name: &str) -> bool {
    parse_script(script).is_ok_and(|commands| commands.iter().any(|c| c.is(name)))
}

#[test]
fn unquoted_or_badly_quoted_injection_is_visible() {
    let payload = "x'; Remove-Mailbox -Identity alice; Write-Host '";
    let naive = format!("New-DistributionGroup -Name '{payload}'");
    assert!(
        script_mentions_command(&naive, "Remove-Mailbox"),
        "without doubling the quote the payload runs, as in PowerShell"
    );
    let safe = format!("New-DistributionGroup -Name {}", single_quote(payload));
    assert!(!script_mentions_command(&safe, "Remove-Mailbox"));
    assert_eq!(parse_one(&safe).string("Name"), Ok(payload));
    assert!(
        parse_script("New-DistributionGroup -Name 'x'; Remove-Mailbox -Identity alice; ''")
            .is_err(),
        "a bare string statement is rejected rather than ignored"
    );
}

#[test]
fn typographic_quotes_are_quotes_as_in_powershell() {
    // PowerShell closes a single-quoted string at ’ too, so escaping only the
    // ASCII apostrophe would let this payload run.
    let payload = "x\u{2019}; Remove-Mailbox -Identity alice; Write-Host \u{2019}";
    let ascii_only = format!(
        "New-DistributionGroup -Name '{}'",
        payload.replace('\'', "''")
    );
    assert!(script_mentions_command(&ascii_only, "Remove-Mailbox"));

    let safe = format!("New-DistributionGroup -Name {}", single_quote(payload));
    assert_eq!(parse_one(&safe).string("Name"), Ok(payload));

    let curly =
        parse_one("Set-Mailbox -Identity \u{2018}alice\u{2019} -Department \u{201C}Ops\u{201D}");
    assert_eq!(curly.string("Identity"), Ok("alice"));
    assert_eq!(curly.string("Department"), Ok("Ops"));
}

#[test]
fn single_quoted_strings() {
    let command =
        parse_one("Set-Mailbox -Identity 'O''Brien' -Department '' -Office 'a \"b\" `n $x #c'");
    assert_eq!(command.string("Identity"), Ok("O'Brien"));
    assert_eq!(command.string("Department"), Ok(""));
    assert_eq!(command.string("Office"), Ok("a \"b\" `n $x #c"));
}

#[test]
fn double_quoted_strings_escape_but_do_not_expand() {
    let command = parse_one(
        "Set-Mailbox -A \"say \"\"hi\"\"\" -B \"tab`tnew`nq`\"b`` d`$\" -C \"$GroupDN $(x) 'q'\"",
    );
    assert_eq!(command.string("A"), Ok("say \"hi\""));
    assert_eq!(command.string("B"), Ok("tab\tnew\nq\"b` d$"));
    assert_eq!(
        command.string("C"),
        Ok("$GroupDN $(x) 'q'"),
        "$ is literal inside double quotes"
    );
}

#[test]
fn parameters_switches_booleans_and_values() {
    let command = parse_one(
        "New-RoleGroup -Force -Confirm:$false -Enabled $TRUE -Name:Apps -Description: 'd' -Last",
    );
    assert_eq!(
        command.params,
        vec![
            ("Force".to_owned(), Arg::Switch),
            ("Confirm".to_owned(), Arg::Bool(false)),
            ("Enabled".to_owned(), Arg::Bool(true)),
            ("Name".to_owned(), string("Apps")),
            ("Description".to_owned(), string("d")),
            ("Last".to_owned(), Arg::Switch),
        ]
    );
    assert_eq!(command.switch("force"), Ok(true));
    assert_eq!(command.switch("confirm"), Ok(false));
    assert_eq!(command.switch("absent"), Ok(false));
    let dashes = parse_one("Set-Mailbox \u{2013}Identity alice \u{2014}Force");
    assert_eq!(dashes.string("Identity"), Ok("alice"));
    assert_eq!(dashes.get("Force"), Some(&Arg::Switch));
    let negative = parse_one("Set-Mailbox -Quota -5 -Name a-b");
    assert_eq!(negative.string("Quota"), Ok("-5"));
    assert_eq!(negative.string("Name"), Ok("a-b"));
}

#[test]
fn lists() {
    let command = parse_one(
        "Add-DistributionGroupMember -Members alice, bob ,'c d',\n    \"e,f\" -Identity g",
    );
    assert_eq!(
        command.get("Members"),
        Some(&list(&["alice", "bob", "c d", "e,f"]))
    );
    assert_eq!(command.string("Identity"), Ok("g"));
    assert_eq!(command.list("Identity"), Ok(vec!["g".to_owned()]));

    let vars = parse("$a = 'x'\n$pair = 'y', 'z'\nNew-RoleGroup -Members $a,$pair,w -Roles $pair");
    assert_eq!(vars[0].get("Members"), Some(&list(&["x", "y", "z", "w"])));
    assert_eq!(vars[0].get("Roles"), Some(&list(&["y", "z"])));
    assert_eq!(vars[0].line, 3);

    let dn = parse_one("Set-Mailbox -Identity CN=a,OU=b");
    assert_eq!(
        dn.get("Identity"),
        Some(&list(&["CN=a", "OU=b"])),
        "an unquoted DN splits at commas, as in PowerShell"
    );
}

#[test]
fn statements_comments_and_line_numbers() {
    let script = "\n\
        # leading comment\n\
        Get-Mailbox -Identity a # trailing comment\n\
        \n\
        <# block\n\
        comment #> Get-Mailbox -Identity b;Get-Mailbox -Identity c ;; \n\
        Get-Mailbox -Identity 'd # not a comment' -Tag e#f\n\
        Get-Mailbox `\n\
        -Identity \"multi\n\
        line\" <# inline #> -Next 'x'\n\
        Get-Mailbox -Identity g";
    let commands = parse(script);
    let summary: Vec<(usize, String)> = commands
        .iter()
        .map(|c| (c.line, c.string("Identity").expect("identity").to_owned()))
        .collect();
    assert_eq!(
        summary,
        vec![
            (3, "a".to_owned()),
            (6, "b".to_owned()),
            (6, "c".to_owned()),
            (7, "d # not a comment".to_owned()),
            (8, "multi\nline".to_owned()),
            (11, "g".to_owned()),
        ]
    );
    assert_eq!(commands[3].string("Tag"), Ok("e#f"));
    assert_eq!(commands[4].string("Next"), Ok("x"));
}

#[test]
fn windows_line_endings() {
    let commands =
        parse("$x = 'v'\r\nGet-Mailbox `\r\n -Identity $x\r\nGet-Mailbox -Identity y\r\n");
    assert_eq!(commands.len(), 2);
    assert_eq!(commands[0].string("Identity"), Ok("v"));
    assert_eq!(
        (commands[1].line, commands[1].string("Identity")),
        (4, Ok("y"))
    );
}

#[test]
fn variables_are_case_insensitive_and_can_be_reassigned() {
    let commands = parse(
        "$Dn = 'a'\nGet-Group -Identity $DN\n$dn = \"b\"\nGet-Group -Identity $dN\n$c=$dn\nGet-Group -Identity $c",
    );
    let identities: Vec<&str> = commands
        .iter()
        .map(|c| c.string("Identity").expect("identity"))
        .collect();
    assert_eq!(identities, vec!["a", "b", "b"]);
}

#[test]
fn script_block_arguments_keep_their_text() {
    let command = parse_one(
        "New-ManagementScope -Name s -RecipientRestrictionFilter {\n  MemberOfGroup -eq 'CN=a}{,DC=x' -and Department -eq \"}\"\n} -Force",
    );
    assert_eq!(
        command.get("RecipientRestrictionFilter"),
        Some(&Arg::ScriptBlock(
            "MemberOfGroup -eq 'CN=a}{,DC=x' -and Department -eq \"}\"".to_owned()
        ))
    );
    assert_eq!(
        command.string("RecipientRestrictionFilter"),
        Ok("MemberOfGroup -eq 'CN=a}{,DC=x' -and Department -eq \"}\"")
    );
    assert_eq!(command.switch("Force"), Ok(true));
    assert_eq!(command.line, 1);
}

#[test]
fn empty_and_comment_only_scripts_have_no_commands() {
    for script in ["", "\n\n", "  ;  ; \n", "# c", "<# a\nb #>", "`\n"] {
        assert_eq!(parse(script), Vec::new(), "{script:?}");
    }
}

#[test]
fn accessor_errors_name_command_line_and_parameter() {
    let command = parse_one("\nNew-ManagementScope -Name:$true -Members a,b -Force");
    assert_eq!(
        command.string("RecipientRestrictionFilter"),
        Err(CmdletError::MissingParameter {
            command: "New-ManagementScope".to_owned(),
            line: 2,
            parameter: "RecipientRestrictionFilter".to_owned(),
        })
    );
    let wrong = command
        .string("name")
        .expect_err("a boolean is not a string");
    assert_eq!(
        wrong.to_string(),
        "line 2: New-ManagementScope -name needs a string, but was given a boolean"
    );
    assert!(command.string("Members").is_err());
    assert!(command.string("Force").is_err());
    assert_eq!(command.optional_string("Absent"), Ok(None));
    assert!(command.list("Force").is_err());
    assert!(command.list("Absent").is_err());
    assert!(command.switch("Members").is_err());
    assert!(!command.is("New-RoleGroup"));
}

#[test]
fn parse_errors_carry_line_and_reason() {
    use ParseErrorKind as K;
    let cases: Vec<(&str, usize, ParseErrorKind)> = vec![
        (
            "Get-Mailbox -Identity 'open",
            1,
            K::UnterminatedString { quote: "single" },
        ),
        (
            "\nGet-Mailbox -Identity \"open`\"",
            2,
            K::UnterminatedString { quote: "double" },
        ),
        ("Get-Mailbox\n<# never closed\n", 2, K::UnterminatedComment),
        ("Get-Mailbox -Filter {x", 1, K::UnterminatedScriptBlock),
        ("Get-Mailbox `  \n-Identity a", 1, K::DanglingBacktick),
        ("Get-Mailbox -Identity a`", 1, K::DanglingBacktick),
        ("Get-Mailbox -Identity a ` ", 1, K::DanglingBacktick),
        (
            "\n\nGet-Mailbox | Remove-Mailbox",
            3,
            K::Unsupported {
                construct: "pipelines (|)",
            },
        ),
        (
            "Get-Mailbox -Identity $(whoami)",
            1,
            K::Unsupported {
                construct: "subexpressions ($(...))",
            },
        ),
        (
            "Get-Mailbox -Identity (Get-User a)",
            1,
            K::Unsupported {
                construct: "parenthesised expressions",
            },
        ),
        (
            "Get-Mailbox @params",
            1,
            K::Unsupported {
                construct: "splatting, arrays and hashtables (@...)",
            },
        ),
        (
            "Get-Mailbox > out.txt",
            1,
            K::Unsupported {
                construct: "redirections (<, >)",
            },
        ),
        (
            "& Get-Mailbox",
            1,
            K::Unsupported {
                construct: "call operators and && chains (&)",
            },
        ),
        (
            "Get-Mailbox -Identity $env:USER",
            1,
            K::Unsupported {
                construct: "scoped and drive variables ($env:NAME, $script:NAME)",
            },
        ),
        (
            "Get-Mailbox -Identity [string]a",
            1,
            K::Unsupported {
                construct: "type literals and casts ([...])",
            },
        ),
        (
            "Get-Mailbox -Identity $",
            1,
            K::Unsupported {
                construct: "special variables such as $? and $$, and lone '$' characters",
            },
        ),
        (
            "Get-Mailbox -Identity ab'c'",
            1,
            K::QuoteInBareWord {
                word: "ab".to_owned(),
            },
        ),
        (
            "Get-Mailbox -Identity CN=$x",
            1,
            K::VariableInBareWord {
                word: "CN=".to_owned(),
            },
        ),
        (
            "$x = 'a'\nGet-Mailbox -Identity $x.Name",
            2,
            K::TextAfterVariable {
                name: "x".to_owned(),
            },
        ),
        (
            "Get-Mailbox -Identity: a -Name=b",
            1,
            K::InvalidParameter {
                text: "-Name=".to_owned(),
            },
        ),
        (
            "if ($true) { Get-Mailbox }",
            1,
            K::ExpectedCommand {
                found: "'if'".to_owned(),
            },
        ),
        (
            "'just a string'",
            1,
            K::ExpectedCommand {
                found: "the string 'just a string'".to_owned(),
            },
        ),
        (
            "Get-Mailbox\n-Identity a",
            2,
            K::ExpectedCommand {
                found: "parameter -Identity".to_owned(),
            },
        ),
        (
            "$x",
            1,
            K::NotAnAssignment {
                name: "x".to_owned(),
            },
        ),
        (
            "$true = 'x'",
            1,
            K::ReadOnlyVariable {
                name: "true".to_owned(),
            },
        ),
        (
            "$x = Get-Mailbox",
            1,
            K::UnquotedAssignment {
                word: "Get-Mailbox".to_owned(),
            },
        ),
        (
            "$x = 'a' 'b'",
            1,
            K::UnexpectedToken {
                found: "the string 'b'".to_owned(),
            },
        ),
        (
            "$x = $x = 'a'",
            1,
            K::UndefinedVariable {
                name: "x".to_owned(),
            },
        ),
        (
            "\nGet-Mailbox -Identity $Missing",
            2,
            K::UndefinedVariable {
                name: "Missing".to_owned(),
            },
        ),
        (
            "Get-Mailbox -Identity:",
            1,
            K::ExpectedValue {
                after: "-Identity:".to_owned(),
                found: "the end of the script".to_owned(),
            },
        ),
        (
            "Get-Mailbox -Members a,",
            1,
            K::ExpectedValue {
                after: "','".to_owned(),
                found: "the end of the script".to_owned(),
            },
        ),
        (
            "Get-Mailbox -Members a,;",
            1,
            K::ExpectedValue {
                after: "','".to_owned(),
                found: "';'".to_owned(),
            },
        ),
        (
            "Get-Mailbox -Members a,\n$true",
            2,
            K::ListElementNotString { found: "a boolean" },
        ),
        (
            "Get-Mailbox -Identity a -identity b",
            1,
            K::DuplicateParameter {
                parameter: "identity".to_owned(),
            },
        ),
        (
            "Get-Mailbox -Identity a = b",
            1,
            K::UnexpectedToken {
                found: "'='".to_owned(),
            },
        ),
        (
            "Get-Mailbox }",
            1,
            K::UnexpectedToken {
                found: "'}'".to_owned(),
            },
        ),
    ];
    for (script, line, kind) in cases {
        assert_eq!(fail(script), ParseError { line, kind }, "{script:?}");
    }
    assert_eq!(
        fail("Get-Mailbox\nGet-Mailbox -Identity 'open").to_string(),
        "line 2: unterminated single-quoted string"
    );
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

const SCRIPT_FRAGMENTS: &[&str] = &[
    "New-RoleGroup",
    "Remove-Mailbox",
    "-Name",
    "-Force:",
    "-Confirm:$false",
    "$x",
    "$x = ",
    "$null",
    "'",
    "''",
    "\"",
    "\"\"",
    "`",
    "`\n",
    "` \n",
    "\n",
    ";",
    ",",
    " ",
    "#",
    "<#",
    "#>",
    "{",
    "}",
    "(",
    "$(",
    "|",
    "@",
    "a",
    "CN=a,DC=b",
    "\u{2019}",
    "\u{201C}",
    "\u{2013}Identity",
    "é",
    "\r\n",
    "\t",
    "=",
];

#[test]
fn random_scripts_never_panic() {
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    let mut parsed = 0;
    for _ in 0..30_000 {
        let script: String = (0..rng.below(16))
            .map(|_| rng.pick(SCRIPT_FRAGMENTS))
            .collect();
        if let Ok(commands) = parse_script(&script) {
            parsed += 1;
            let lines = script.lines().count().max(1);
            for command in commands {
                assert!((1..=lines).contains(&command.line), "{script:?}");
            }
        }
    }
    assert!(
        parsed > 500,
        "the generator should produce some valid scripts"
    );
}

#[test]
fn any_value_survives_single_quoting() {
    let alphabet = [
        'a', 'Z', ' ', '\'', '"', '`', '$', '(', ')', ';', '#', '<', '>', '|', '&', '\n', '\r',
        '\t', ',', '-', '{', '}', '@', '\u{2018}', '\u{2019}', '\u{201A}', '\u{201B}', '\u{201C}',
        'é', '\u{0}',
    ];
    let mut rng = Rng(7);
    for _ in 0..20_000 {
        let value: String = (0..rng.below(24)).map(|_| rng.pick(&alphabet)).collect();
        let script = format!(
            "New-DistributionGroup -Name {} -Members {},b\nWrite-Host done",
            single_quote(&value),
            single_quote(&value)
        );
        let commands = parse(&script);
        let expected_value = value.replace("\r\n", "\n").replace('\r', "\n");
        assert_eq!(commands.len(), 2, "{value:?}");
        assert_eq!(
            commands[0].string("Name"),
            Ok(expected_value.as_str()),
            "{value:?}"
        );
        assert_eq!(
            commands[0].list("Members"),
            Ok(vec![expected_value.clone(), "b".to_owned()])
        );
        assert!(commands[1].is("Write-Host"));
    }
}
