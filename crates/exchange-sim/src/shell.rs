//! The subset of Exchange Management Shell the setup guide uses, applied to the directory.

use crate::cmdlet::{Arg, CmdletError, Command, ParseError, parse_script};
use crate::directory::{Assignee, Directory, DirectoryError, User};
use crate::scenario::GroupKind;
use serde::Serialize;

/// Why a script was refused; nothing of it was applied.
#[derive(Debug, thiserror::Error)]
pub enum ShellError {
    /// The script does not parse.
    #[error("{0}")]
    Parse(#[from] ParseError),
    /// A cmdlet's parameters are wrong.
    #[error("{0}")]
    Parameters(#[from] CmdletError),
    /// The cmdlet is not one this simulator runs.
    #[error(
        "line {line}: the term '{name}' is not recognized as a cmdlet this Exchange simulator supports"
    )]
    Unsupported {
        /// Line.
        line: usize,
        /// Cmdlet.
        name: String,
    },
    /// The directory refused the change.
    #[error("line {line}: {command}: {source}")]
    Directory {
        /// Line.
        line: usize,
        /// Cmdlet.
        command: String,
        /// Why.
        source: DirectoryError,
    },
}

/// What one command did.
#[derive(Debug, Clone, Serialize)]
pub struct CommandOutcome {
    /// Line of the script.
    pub line: usize,
    /// Cmdlet name.
    pub command: String,
    /// What changed.
    pub result: String,
}

/// Runs a script against a copy of the directory; on success returns the new directory.
pub fn run_script(
    dir: &Directory,
    script: &str,
) -> Result<(Directory, Vec<CommandOutcome>), ShellError> {
    let commands = parse_script(script)?;
    let mut next = dir.clone();
    let mut outcomes = Vec::new();
    for cmd in &commands {
        let result = apply(&mut next, cmd)?;
        outcomes.push(CommandOutcome {
            line: cmd.line,
            command: cmd.name.clone(),
            result,
        });
    }
    Ok((next, outcomes))
}

fn fail(cmd: &Command) -> impl Fn(DirectoryError) -> ShellError + '_ {
    move |source| ShellError::Directory {
        line: cmd.line,
        command: cmd.name.clone(),
        source,
    }
}

fn user(
    dir: &Directory,
    cmd: &Command,
    identity: &str,
) -> Result<crate::directory::UserNo, ShellError> {
    dir.find_user(identity)
        .ok_or_else(|| fail(cmd)(DirectoryError::NotFound(identity.to_string())))
}

fn apply(dir: &mut Directory, cmd: &Command) -> Result<String, ShellError> {
    let name = cmd.name.to_ascii_lowercase();
    match name.as_str() {
        "write-host" | "write-output" | "write-warning" => Ok("ignored".into()),
        "new-mailbox" => new_mailbox(dir, cmd),
        "new-distributiongroup" => new_group(dir, cmd),
        "set-distributiongroup" => set_group(dir, cmd),
        "add-distributiongroupmember" | "remove-distributiongroupmember" => {
            let group_id = cmd.string("Identity")?;
            let g = dir
                .find_group(group_id)
                .ok_or_else(|| fail(cmd)(DirectoryError::NotFound(group_id.to_string())))?;
            let member = dir.find_member(cmd.string("Member")?).map_err(fail(cmd))?;
            if name.starts_with("add") {
                dir.add_member(g, member);
                Ok(format!("added to {}", dir.group(g).name))
            } else {
                dir.remove_member(g, member);
                Ok(format!("removed from {}", dir.group(g).name))
            }
        }
        "new-managementscope" => {
            let scope = cmd.string("Name")?;
            dir.new_scope(scope, cmd.string("RecipientRestrictionFilter")?)
                .map_err(fail(cmd))?;
            Ok(format!("management scope {scope} created"))
        }
        "new-rolegroup" => {
            let group = cmd.string("Name")?;
            let members = cmd
                .list("Members")
                .or_else(|_| cmd.list("Member"))
                .unwrap_or_default()
                .iter()
                .map(|m| user(dir, cmd, m))
                .collect::<Result<Vec<_>, _>>()?;
            let scope = cmd.optional_string("CustomRecipientWriteScope")?;
            dir.new_role_group(group, &cmd.list("Roles")?, members, scope)
                .map_err(fail(cmd))?;
            Ok(format!("role group {group} created"))
        }
        "new-managementroleassignment" => {
            let role = cmd.string("Role")?;
            let assignee = match (
                cmd.optional_string("User")?,
                cmd.optional_string("SecurityGroup")?,
            ) {
                (Some(u), _) => Assignee::User(user(dir, cmd, u)?),
                (None, Some(g)) => Assignee::RoleGroup(
                    dir.role_groups
                        .iter()
                        .position(|rg| rg.name.eq_ignore_ascii_case(g))
                        .ok_or_else(|| fail(cmd)(DirectoryError::NotFound(g.to_string())))?,
                ),
                (None, None) => {
                    return Err(CmdletError::MissingParameter {
                        command: cmd.name.clone(),
                        line: cmd.line,
                        parameter: "User".into(),
                    }
                    .into());
                }
            };
            let scope = cmd.optional_string("CustomRecipientWriteScope")?;
            let assignment = cmd.optional_string("Name")?.map_or_else(
                || format!("{role}-{}", dir.assignments.len()),
                str::to_string,
            );
            dir.new_assignment(&assignment, role, assignee, scope)
                .map_err(fail(cmd))?;
            Ok(format!("role assignment {assignment} created"))
        }
        "set-mailbox" | "set-user" | "set-casmailbox" => set_user(dir, cmd),
        _ => Err(ShellError::Unsupported {
            line: cmd.line,
            name: cmd.name.clone(),
        }),
    }
}

fn new_mailbox(dir: &mut Directory, cmd: &Command) -> Result<String, ShellError> {
    let name = cmd.string("Name")?;
    let upn = match cmd.optional_string("UserPrincipalName")? {
        Some(u) => u.to_string(),
        None => format!("{name}@{}", dir.domain),
    };
    let no = dir.users.len() as u32;
    dir.add_user(User {
        primary_smtp: cmd
            .optional_string("PrimarySmtpAddress")?
            .map_or_else(|| upn.clone(), str::to_string),
        upn: upn.clone(),
        proxy_addresses: Vec::new(),
        sid: format!("S-1-5-21-1004336348-1177238915-682003330-{}", 5_000 + no),
        display_name: cmd
            .optional_string("DisplayName")?
            .unwrap_or(name)
            .to_string(),
        password: cmd.string("Password")?.to_string(),
        enabled: true,
        ews_enabled: true,
        department: None,
        custom_attributes: Default::default(),
        member_of: Vec::new(),
        mailbox: Some(crate::mailbox::Mailbox::new(no)),
    })
    .map_err(fail(cmd))?;
    Ok(format!("mailbox {upn} created"))
}

fn new_group(dir: &mut Directory, cmd: &Command) -> Result<String, ShellError> {
    let name = cmd.string("Name")?;
    let kind = match cmd.optional_string("Type")? {
        Some(t) if t.eq_ignore_ascii_case("security") => GroupKind::Security,
        Some(t) if t.eq_ignore_ascii_case("distribution") => GroupKind::Distribution,
        Some(other) => {
            return Err(fail(cmd)(DirectoryError::Invalid(format!(
                "-Type must be Distribution or Security, not {other}"
            ))));
        }
        None => GroupKind::Distribution,
    };
    let dn = cmd
        .optional_string("OrganizationalUnit")?
        .map(|ou| format!("CN={name},{ou}"));
    let g = dir
        .new_group(name, cmd.optional_string("Alias")?, dn.as_deref(), kind)
        .map_err(fail(cmd))?;
    set_group_properties(dir, cmd, g)?;
    for m in cmd.list("Members").unwrap_or_default() {
        let member = dir.find_member(&m).map_err(fail(cmd))?;
        dir.add_member(g, member);
    }
    Ok(format!("group {name} created with DN {}", dir.group(g).dn))
}

fn set_group(dir: &mut Directory, cmd: &Command) -> Result<String, ShellError> {
    let id = cmd.string("Identity")?;
    let g = dir
        .find_group(id)
        .ok_or_else(|| fail(cmd)(DirectoryError::NotFound(id.to_string())))?;
    set_group_properties(dir, cmd, g)?;
    Ok(format!("group {} updated", dir.group(g).name))
}

fn set_group_properties(
    dir: &mut Directory,
    cmd: &Command,
    g: crate::directory::GroupNo,
) -> Result<(), ShellError> {
    if let Ok(owners) = cmd.list("ManagedBy") {
        let owners = owners
            .iter()
            .map(|o| user(dir, cmd, o))
            .collect::<Result<Vec<_>, _>>()?;
        dir.groups[g.0 as usize].owners = owners;
    }
    if let Some(v) = cmd.optional_string("MemberJoinRestriction")? {
        dir.groups[g.0 as usize].join_restriction = v.to_string();
    }
    if let Some(v) = cmd.optional_string("MemberDepartRestriction")? {
        dir.groups[g.0 as usize].depart_restriction = v.to_string();
    }
    Ok(())
}

fn set_user(dir: &mut Directory, cmd: &Command) -> Result<String, ShellError> {
    let u = user(dir, cmd, cmd.string("Identity")?)?;
    let mut changed = Vec::new();
    for (param, arg) in &cmd.params {
        let p = param.to_ascii_lowercase();
        let text = match arg {
            Arg::String(s) => Some(s.clone()),
            Arg::Null => None,
            Arg::Bool(b) => Some(b.to_string()),
            other => Some(format!("{other:?}")),
        };
        let target = dir.user_mut(u);
        if let Some(n) = p
            .strip_prefix("customattribute")
            .and_then(|n| n.parse::<u8>().ok())
            .filter(|n| (1..=15).contains(n))
        {
            match text {
                Some(v) => target.custom_attributes.insert(n, v),
                None => target.custom_attributes.remove(&n),
            };
        } else if p == "department" {
            target.department = text;
        } else if p == "ewsenabled" {
            target.ews_enabled = matches!(arg, Arg::Bool(true) | Arg::Switch);
        } else if p != "identity" && p != "confirm" {
            return Err(fail(cmd)(DirectoryError::Invalid(format!(
                "the parameter -{param} is not supported by this simulator"
            ))));
        }
        changed.push(param.clone());
    }
    Ok(format!(
        "{} updated: {}",
        dir.user(u).upn,
        changed.join(", ")
    ))
}
