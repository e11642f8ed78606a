//! [`Plan`]: the options checked against their rules and the target, with the
//! derived values (UPN, alias, distinguished name) the scripts use.

use super::error::SetupScriptError;
use super::names::NameKind;
use super::options::{GroupKind, SetupOptions, Target};

/// The group the scope covers.
pub(super) struct Group {
    pub name: String,
    pub alias: String,
    pub kind: GroupKind,
    /// The organizational unit it is created in.
    pub organizational_unit: String,
    /// `CN=name,organizational_unit`: what the scope filter names.
    pub dn: String,
}

/// The Entra application that Exchange Online authorises.
pub(super) struct App {
    pub id: String,
    pub object_id: String,
    pub display_name: String,
    pub graph: bool,
}

/// Who gets access: the target decides.
pub(super) enum Principal {
    /// On-premises: the service account, with the lab password if one was given.
    ServiceAccount { lab_password: Option<String> },
    /// Exchange Online: the Entra app.
    App(App),
}

/// Validated options.
pub(super) struct Plan {
    pub service_account: String,
    pub service_upn: String,
    pub group: Group,
    pub scope_name: String,
    pub role_group: String,
    pub owners: Vec<String>,
    pub members: Vec<String>,
    pub principal: Principal,
}

impl Plan {
    /// Checks every option; the first bad one is the error.
    pub fn new(options: &SetupOptions) -> Result<Self, SetupScriptError> {
        let o = options;
        NameKind::Domain.check("domain", &o.domain)?;
        NameKind::Alias.check("service_account", &o.service_account)?;
        NameKind::Name.check("scope_name", &o.scope_name)?;
        NameKind::Name.check("role_group", &o.role_group)?;
        NameKind::Name.check("app_display_name", &o.app_display_name)?;
        if let Some(password) = &o.lab_password {
            NameKind::Password.check("lab_password", password)?;
        }
        Ok(Self {
            service_account: o.service_account.clone(),
            service_upn: format!("{}@{}", o.service_account, o.domain),
            group: group(o)?,
            scope_name: o.scope_name.clone(),
            role_group: o.role_group.clone(),
            owners: addresses("owners", &o.owners)?,
            members: addresses("members", &o.members)?,
            principal: principal(o)?,
        })
    }
}

fn group(o: &SetupOptions) -> Result<Group, SetupScriptError> {
    NameKind::Name.check("group_name", &o.group_name)?;
    let alias = o
        .group_alias
        .clone()
        .unwrap_or_else(|| o.group_kind.default_alias().to_owned());
    NameKind::Alias.check("group_alias", &alias)?;
    let organizational_unit = match (&o.organizational_unit, o.target) {
        (Some(ou), _) => ou.clone(),
        (None, Target::OnPremises) => default_organizational_unit(&o.domain),
        (None, Target::ExchangeOnline) => {
            return Err(SetupScriptError::Missing {
                field: "organizational_unit",
                target: o.target,
                hint: "Exchange Online puts groups in the tenant's own OU; copy the part \
                       after 'CN=<name>,' of the DistinguishedName that \
                       Get-Mailbox -Identity <any user> | Format-List DistinguishedName shows",
            });
        }
    };
    NameKind::OrganizationalUnit.check("organizational_unit", &organizational_unit)?;
    Ok(Group {
        dn: format!("CN={},{organizational_unit}", o.group_name),
        name: o.group_name.clone(),
        alias,
        kind: o.group_kind,
        organizational_unit,
    })
}

/// `OU=Groups,DC=contoso,DC=com` for `contoso.com`.
fn default_organizational_unit(domain: &str) -> String {
    let dc: Vec<String> = domain
        .split('.')
        .map(|label| format!("DC={label}"))
        .collect();
    format!("OU=Groups,{}", dc.join(","))
}

/// Checks each address and drops repeats (ignoring case), keeping the first.
fn addresses(field: &'static str, list: &[String]) -> Result<Vec<String>, SetupScriptError> {
    let mut kept: Vec<String> = Vec::with_capacity(list.len());
    for address in list {
        NameKind::Address.check(field, address)?;
        if !kept.iter().any(|k| k.eq_ignore_ascii_case(address)) {
            kept.push(address.clone());
        }
    }
    Ok(kept)
}

fn principal(o: &SetupOptions) -> Result<Principal, SetupScriptError> {
    if o.target == Target::OnPremises {
        let exchange_online_only = [
            ("app_id", o.app_id.is_some()),
            ("object_id", o.object_id.is_some()),
            ("graph", o.graph),
        ];
        return match exchange_online_only.iter().find(|(_, given)| *given) {
            Some((field, _)) => Err(SetupScriptError::NotForTarget {
                field,
                target: o.target,
            }),
            None => Ok(Principal::ServiceAccount {
                lab_password: o.lab_password.clone(),
            }),
        };
    }
    if o.lab_password.is_some() {
        return Err(SetupScriptError::NotForTarget {
            field: "lab_password",
            target: o.target,
        });
    }
    let id = required_guid(
        "app_id",
        o.app_id.as_deref(),
        "give the Application (client) ID of the app registration in Entra ID",
    )?;
    let object_id = required_guid(
        "object_id",
        o.object_id.as_deref(),
        "give the Object ID of the app's Enterprise application (service principal) in \
         Entra ID, not the app registration's",
    )?;
    Ok(Principal::App(App {
        id,
        object_id,
        display_name: o.app_display_name.clone(),
        graph: o.graph,
    }))
}

fn required_guid(
    field: &'static str,
    value: Option<&str>,
    hint: &'static str,
) -> Result<String, SetupScriptError> {
    let value = value.ok_or(SetupScriptError::Missing {
        field,
        target: Target::ExchangeOnline,
        hint,
    })?;
    NameKind::Guid.check(field, value)?;
    Ok(value.to_owned())
}
