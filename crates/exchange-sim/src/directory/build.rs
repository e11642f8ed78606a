//! Building a directory, its roles and its mailboxes from a scenario.

use super::{
    Assignee, Directory, DirectoryError, Group, RoleAssignment, RoleGroup, Scope, User, UserNo,
};
use crate::mailbox::{Content, Mailbox};
use crate::scenario::{GroupKind, Scenario, ScenarioError, UserSpec};
use crate::scope_filter::ScopeFilter;
use std::collections::BTreeMap;

/// Reports a directory error found while building `what` (e.g. `group Apps`).
fn within(what: String) -> impl Fn(DirectoryError) -> ScenarioError {
    move |e| ScenarioError::Invalid(format!("{what}: {e}"))
}

impl Directory {
    /// Builds the directory a scenario describes, generating its mailboxes' items.
    pub fn from_scenario(s: &Scenario) -> Result<Self, ScenarioError> {
        let invalid = |e: DirectoryError| ScenarioError::Invalid(e.to_string());
        let mut dir = Directory {
            domain: s.domain.clone(),
            netbios: s.netbios.to_uppercase(),
            seed: s.seed,
            room_lists: s.room_lists.clone(),
            ..Directory::default()
        };
        for spec in &s.users {
            dir.add_user_spec(spec).map_err(invalid)?;
        }
        for set in &s.user_sets {
            for n in 1..=set.count {
                let spec = UserSpec {
                    upn: format!("{}{n:05}@{}", set.prefix, s.domain),
                    primary_smtp: None,
                    proxy_addresses: Vec::new(),
                    sid: None,
                    display_name: Some(format!("{} {n:05}", set.prefix)),
                    password: set.password.clone(),
                    enabled: true,
                    mailbox: true,
                    ews_enabled: true,
                    department: None,
                    custom_attributes: BTreeMap::new(),
                    items: set.items.clone(),
                };
                dir.add_user_spec(&spec).map_err(invalid)?;
            }
        }
        for g in &s.groups {
            dir.new_group(&g.name, g.alias.as_deref(), g.dn.as_deref(), g.kind)
                .map_err(invalid)?;
        }
        for g in &s.groups {
            let no = dir.find_group(&g.name).expect("group was just added");
            let invalid = within(format!("group {}", g.name));
            for owner in &g.owners {
                let u = dir
                    .find_user(owner)
                    .ok_or_else(|| invalid(DirectoryError::NotFound(owner.clone())))?;
                dir.groups[no.0 as usize].owners.push(u);
            }
            for m in &g.members {
                let member = dir.find_member(m).map_err(&invalid)?;
                dir.add_member(no, member);
            }
        }
        for set in &s.user_sets {
            for gname in &set.groups {
                let invalid = within(format!("user set {}", set.prefix));
                let g = dir
                    .find_group(gname)
                    .ok_or_else(|| invalid(DirectoryError::NotFound(gname.clone())))?;
                for n in 1..=set.count {
                    let u = dir
                        .find_user(&format!("{}{n:05}@{}", set.prefix, s.domain))
                        .expect("generated user exists");
                    dir.add_member(g, super::Member::User(u));
                }
            }
        }
        for sc in &s.scopes {
            dir.new_scope(&sc.name, &sc.recipient_restriction_filter)
                .map_err(invalid)?;
        }
        for rg in &s.role_groups {
            let invalid = within(format!("role group {}", rg.name));
            let members = rg
                .members
                .iter()
                .map(|m| {
                    dir.find_user(m)
                        .ok_or_else(|| DirectoryError::NotFound(m.clone()))
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(&invalid)?;
            dir.new_role_group(&rg.name, &rg.roles, members, rg.write_scope.as_deref())
                .map_err(invalid)?;
        }
        for ra in &s.role_assignments {
            let invalid = within(format!("role assignment {}", ra.name));
            let user = dir
                .find_user(&ra.user)
                .ok_or_else(|| invalid(DirectoryError::NotFound(ra.user.clone())))?;
            dir.new_assignment(
                &ra.name,
                &ra.role,
                Assignee::User(user),
                ra.write_scope.as_deref(),
            )
            .map_err(invalid)?;
        }
        Ok(dir)
    }

    fn add_user_spec(&mut self, spec: &UserSpec) -> Result<UserNo, DirectoryError> {
        let no = self.users.len() as u32;
        let mut mailbox = spec.mailbox.then(|| Mailbox::new(no));
        if let Some(mb) = &mut mailbox {
            for (folder, count) in &spec.items {
                let f = mb.distinguished(folder).ok_or_else(|| {
                    DirectoryError::Invalid(format!(
                        "user {}: `{folder}` is not a distinguished folder name",
                        spec.upn
                    ))
                })?;
                for i in 0..*count {
                    mb.add(f, Content::Generated(i), false);
                }
            }
        } else if !spec.items.is_empty() {
            return Err(DirectoryError::Invalid(format!(
                "user {} has items but no mailbox",
                spec.upn
            )));
        }
        self.add_user(User {
            upn: spec.upn.clone(),
            primary_smtp: spec
                .primary_smtp
                .clone()
                .unwrap_or_else(|| spec.upn.clone()),
            proxy_addresses: spec.proxy_addresses.clone(),
            sid: spec.sid.clone().unwrap_or_else(|| {
                format!(
                    "S-1-5-21-{}-{}-{}-{}",
                    1_004_336_348,
                    1_177_238_915,
                    682_003_330,
                    1_100 + no
                )
            }),
            display_name: spec
                .display_name
                .clone()
                .unwrap_or_else(|| spec.upn.clone()),
            password: spec.password.clone(),
            enabled: spec.enabled,
            ews_enabled: spec.ews_enabled,
            department: spec.department.clone(),
            custom_attributes: spec.custom_attributes.clone(),
            member_of: Vec::new(),
            mailbox,
        })
    }

    /// Creates an empty group; DN and alias default from the name.
    pub fn new_group(
        &mut self,
        name: &str,
        alias: Option<&str>,
        dn: Option<&str>,
        kind: GroupKind,
    ) -> Result<super::GroupNo, DirectoryError> {
        let dc: Vec<String> = self.domain.split('.').map(|p| format!("DC={p}")).collect();
        let alias = alias.unwrap_or(name).to_string();
        let closed = "Closed".to_string();
        self.add_group(Group {
            name: name.to_string(),
            dn: dn.map_or_else(
                || format!("CN={name},OU=Groups,{}", dc.join(",")),
                str::to_string,
            ),
            smtp: format!("{alias}@{}", self.domain),
            alias,
            kind,
            owners: Vec::new(),
            members: Vec::new(),
            join_restriction: if kind == GroupKind::Security {
                "ApprovalRequired".into()
            } else {
                closed.clone()
            },
            depart_restriction: closed,
        })
    }

    /// Creates a management scope; the filter must parse.
    pub fn new_scope(&mut self, name: &str, filter: &str) -> Result<(), DirectoryError> {
        if self.scope(name).is_some() {
            return Err(DirectoryError::Duplicate(name.to_string()));
        }
        let filter: ScopeFilter = filter
            .parse()
            .map_err(|e| DirectoryError::Invalid(format!("management scope {name}: {e}")))?;
        self.scopes.push(Scope {
            name: name.to_string(),
            filter,
        });
        Ok(())
    }

    /// Creates a role group with one assignment per role.
    pub fn new_role_group(
        &mut self,
        name: &str,
        roles: &[String],
        members: Vec<UserNo>,
        write_scope: Option<&str>,
    ) -> Result<(), DirectoryError> {
        if self
            .role_groups
            .iter()
            .any(|g| g.name.eq_ignore_ascii_case(name))
        {
            return Err(DirectoryError::Duplicate(name.to_string()));
        }
        self.role_groups.push(RoleGroup {
            name: name.to_string(),
            members,
        });
        let index = self.role_groups.len() - 1;
        for role in roles {
            self.new_assignment(
                &format!("{role}-{name}"),
                role,
                Assignee::RoleGroup(index),
                write_scope,
            )?;
        }
        Ok(())
    }

    /// Creates a role assignment; the write scope must exist.
    pub fn new_assignment(
        &mut self,
        name: &str,
        role: &str,
        assignee: Assignee,
        write_scope: Option<&str>,
    ) -> Result<(), DirectoryError> {
        if let Some(scope) = write_scope
            && self.scope(scope).is_none()
        {
            return Err(DirectoryError::NotFound(scope.to_string()));
        }
        self.assignments.push(RoleAssignment {
            name: name.to_string(),
            role: role.to_string(),
            assignee,
            write_scope: write_scope.map(str::to_string),
        });
        Ok(())
    }
}
