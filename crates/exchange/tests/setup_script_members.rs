//! Reading the members list: one address per line or CSV with an email column.

use impersync_exchange::setup_script::{MemberLineError, SetupScriptError, read_members};

fn strings(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

#[test]
fn one_address_per_line_with_blanks_comments_and_repeats() {
    let text = "\u{feff}# members of RIapplicationGroup\n\
                alice@contoso.test\n\
                \n\
                  bob@contoso.test  \r\n\
                # carol left\n\
                ALICE@contoso.test\n";
    assert_eq!(
        read_members(text),
        Ok(strings(&["alice@contoso.test", "bob@contoso.test"]))
    );
    assert_eq!(read_members(""), Ok(Vec::new()));
    assert_eq!(read_members("# nothing\n\n"), Ok(Vec::new()));
}

#[test]
fn csv_with_an_email_column() {
    let text = "Name,Email,Department\n\
                Alice Archer,alice@contoso.test,Sales\n\
                \"Baker, Bob\", \"bob@contoso.test\" ,Support\n";
    assert_eq!(
        read_members(text),
        Ok(strings(&["alice@contoso.test", "bob@contoso.test"]))
    );
    let semicolons = "name;EMAIL\nAlice;alice@contoso.test\n";
    assert_eq!(
        read_members(semicolons),
        Ok(strings(&["alice@contoso.test"]))
    );
    let single_column = "email\nalice@contoso.test\n";
    assert_eq!(
        read_members(single_column),
        Ok(strings(&["alice@contoso.test"]))
    );
}

#[test]
fn export_csv_output_from_exchange_reads_as_is() {
    let text = "#TYPE Selected.Microsoft.Exchange.Data.Directory.Management.Mailbox\n\
                \"DisplayName\",\"PrimarySmtpAddress\"\n\
                \"Alice Archer\",\"alice@contoso.test\"\n";
    assert_eq!(read_members(text), Ok(strings(&["alice@contoso.test"])));
}

#[test]
fn every_bad_line_is_reported_with_its_number() {
    let text = "alice@contoso.test\n\
                bob\n\
                # fine\n\
                x'; Remove-Mailbox -Identity alice; '@contoso.test\n\
                carol@contoso\n";
    let Err(SetupScriptError::InvalidMembers(problems)) = read_members(text) else {
        panic!("bad lines must be refused");
    };
    let lines: Vec<usize> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [2, 4, 5]);
    assert_eq!(
        problems[0],
        MemberLineError {
            line: 2,
            value: "bob".into(),
            problem: "is not a valid email address: it has no '@'".into(),
        }
    );
    let message = SetupScriptError::InvalidMembers(problems).to_string();
    assert!(
        message.starts_with(
            "the members list has 3 invalid line(s); fix or remove them:\n  \
             line 2: \"bob\" is not a valid email address: it has no '@'\n  line 4: "
        ),
        "{message}"
    );
    assert!(
        message.ends_with("a DNS domain such as contoso.com"),
        "{message}"
    );
}

#[test]
fn csv_rows_without_a_usable_cell_are_reported() {
    let text = "name,email\nAlice\nBob,\"bob@contoso.test\nCarol,carol@contoso.test\n";
    let Err(SetupScriptError::InvalidMembers(problems)) = read_members(text) else {
        panic!("bad rows must be refused");
    };
    assert_eq!(
        problems
            .iter()
            .map(|p| (p.line, p.problem.as_str()))
            .collect::<Vec<_>>(),
        [
            (2, "has no cell in the email column (column 2)"),
            (
                3,
                "has a quote that is not closed (a cell cannot span lines)"
            ),
        ]
    );
}

#[test]
fn a_csv_header_without_an_email_column_is_refused() {
    assert_eq!(
        read_members("# export\nname,address\nAlice,alice@contoso.test\n"),
        Err(SetupScriptError::NoEmailColumn {
            line: 2,
            header: "name,address".into(),
        })
    );
    assert_eq!(
        read_members("alice@contoso.test, bob@contoso.test")
            .expect_err("a comma-separated line is not one address")
            .to_string(),
        "line 1: the CSV header \"alice@contoso.test, bob@contoso.test\" has no email \
         column; name the address column email (or PrimarySmtpAddress), or give one \
         address per line"
    );
}
