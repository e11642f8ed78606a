//! The impersonation decision, made the way Exchange makes it.

use super::{Assignee, Directory, UserNo};

/// The role that allows impersonation.
pub const APPLICATION_IMPERSONATION: &str = "ApplicationImpersonation";

/// Why impersonation was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImpersonationRefusal {
    /// The caller holds no ApplicationImpersonation assignment.
    NoRole,
    /// The caller holds the role, but the target is outside every assignment's write scope.
    OutOfScope,
}

impl Directory {
    /// Whether `caller` may impersonate `target`: an ApplicationImpersonation assignment,
    /// direct or through a role group, whose write scope contains the target.
    pub fn may_impersonate(
        &self,
        caller: UserNo,
        target: UserNo,
    ) -> Result<(), ImpersonationRefusal> {
        let mut has_role = false;
        for a in &self.assignments {
            if !a.role.eq_ignore_ascii_case(APPLICATION_IMPERSONATION)
                || !self.holds(a.assignee, caller)
            {
                continue;
            }
            has_role = true;
            let in_scope = match &a.write_scope {
                None => true,
                Some(name) => self
                    .scope(name)
                    .is_some_and(|s| s.filter.matches(&self.recipient(target))),
            };
            if in_scope {
                return Ok(());
            }
        }
        Err(if has_role {
            ImpersonationRefusal::OutOfScope
        } else {
            ImpersonationRefusal::NoRole
        })
    }

    fn holds(&self, assignee: Assignee, user: UserNo) -> bool {
        match assignee {
            Assignee::User(u) => u == user,
            Assignee::RoleGroup(i) => self.role_groups[i].members.contains(&user),
        }
    }
}
