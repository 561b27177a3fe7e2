//! Provisioning done from the command line and at first start: organizations with their
//! API key, simulated locks, and the demo organization of a new database.

use latchkey_api_types::{Driver, Lock, OrganizationCreated, User};
use latchkey_core::contact::Identifier;
use latchkey_core::ids::new_object_id;
use latchkey_core::role::Role;
use latchkey_core::{secret, time};
use latchkey_store::{
    ApiKeyRecord, KeyRecord, LockRecord, NewOrganization, Organization, OrganizationAdmin, Store,
    UserLookup, UserRecord, UserType, WriteSet,
};
use rand::Rng;
use rand::distr::Alphanumeric;

use crate::actor;
use crate::error::ApiError;
use crate::functions::locks::owner_key;
use crate::password::Passwords;
use crate::views;

/// Prefix of API keys (identifiers, not secrets).
pub const API_KEY_PREFIX: &str = "lk_";
/// Prefix of API secrets.
pub const API_SECRET_PREFIX: &str = "lks_";

/// Creates an organization, its virtual user and its API key; returns the secret once.
pub async fn create_organization(
    store: &dyn Store,
    name: &str,
    now: i64,
) -> Result<OrganizationCreated, ApiError> {
    let name = crate::functions::name(name, "name")?;
    let org_id = new_object_id();
    let api_key = format!("{API_KEY_PREFIX}{}{}", new_object_id(), new_object_id());
    let api_secret = secret::new_secret(API_SECRET_PREFIX);
    let virtual_user = UserRecord {
        id: new_object_id(),
        user_type: UserType::Virtual,
        first_name: Some(name.clone()),
        last_name: Some("API".into()),
        email: None,
        phone: None,
        password_hash: None,
        created_at: now,
        updated_at: now,
    };
    store
        .create_organization(&NewOrganization {
            organization: Organization {
                id: org_id.clone(),
                name,
                created_at: now,
            },
            api_key: ApiKeyRecord {
                api_key: api_key.clone(),
                org_id: org_id.clone(),
                virtual_user_id: virtual_user.id.clone(),
                secret_hash: secret::digest(&api_secret),
                previous_secret_hash: None,
                previous_valid_until: None,
                revoked_at: None,
                created_at: now,
            },
            virtual_user,
        })
        .await?;
    Ok(OrganizationCreated {
        organization_id: org_id,
        api_key,
        api_secret,
    })
}

/// Makes the person with this email or phone an administrator of the organization: in
/// the portal they act with its authority (webhooks, API keys). Recorded as
/// `ORGANIZATION_ADMIN_GRANTED` by the organization's virtual user; granting it to an
/// administrator again changes and records nothing.
pub async fn grant_organization_admin(
    store: &dyn Store,
    org_id: &str,
    identifier: &str,
    now: i64,
) -> Result<User, ApiError> {
    let person = match Identifier::parse(identifier) {
        Ok(Identifier::Email(e)) => store.user(UserLookup::Email(&e)).await,
        Ok(Identifier::Phone(p)) => store.user(UserLookup::Phone(&p)).await,
        Err(e) => return Err(ApiError::invalid("user", e)),
    }
    .map_err(|_| ApiError::invalid("user", "has no account: they sign up first"))?;
    let already = store
        .portal_organizations(&person.id)
        .await?
        .iter()
        .any(|org| org.id == org_id && org.org_admin);
    if already {
        return Ok(views::user(&person));
    }
    let virtual_user = store.virtual_user_of(org_id).await?;
    let initiator = store.user(UserLookup::Id(&virtual_user)).await?;
    let changes = WriteSet {
        organization_admins: vec![OrganizationAdmin {
            org_id: org_id.to_owned(),
            user_id: person.id.clone(),
            created_at: now,
        }],
        activity: vec![actor::entry(
            &initiator,
            now,
            "ORGANIZATION_ADMIN_GRANTED",
            None,
            Some(serde_json::json!({"user": views::user(&person)})),
        )],
        ..WriteSet::default()
    };
    store.apply(org_id, &changes).await?;
    Ok(views::user(&person))
}

/// A simulated lock to register.
#[derive(Debug, Clone)]
pub struct NewSimulatedLock<'a> {
    pub org_id: &'a str,
    pub short_name: &'a str,
    pub time_zone: &'a str,
    /// Further people to make `ADMIN` of it.
    pub admins: &'a [String],
}

/// Registers a simulated lock; the organization's virtual user gets its `OWNER` key and
/// the `admins` an `ADMIN` key. Records `LOCK_REGISTERED` by the virtual user.
pub async fn add_simulated_lock(
    store: &dyn Store,
    new: &NewSimulatedLock<'_>,
    now: i64,
) -> Result<Lock, ApiError> {
    let short_name = crate::functions::name(new.short_name, "name")?;
    if !time::is_time_zone(new.time_zone) {
        return Err(ApiError::invalid("timeZone", "is not an IANA time zone"));
    }
    let virtual_user = store.virtual_user_of(new.org_id).await?;
    let initiator = store.user(UserLookup::Id(&virtual_user)).await?;
    let lock = LockRecord {
        id: new_object_id(),
        org_id: new.org_id.to_owned(),
        lock_id: new_object_id(),
        short_name,
        long_name: None,
        time_zone: new.time_zone.to_owned(),
        lock_type: "CONTROLLER".into(),
        relock_seconds: 5,
        driver: serde_json::to_string(&Driver::default()).map_err(ApiError::internal)?,
        online: true,
        lockdown: false,
        last_seen_at: Some(now),
        created_at: now,
        updated_at: now,
    };
    let mut keys = vec![owner_key(&lock, &virtual_user, now)];
    keys.extend(new.admins.iter().map(|id| KeyRecord {
        id: new_object_id(),
        role: Role::Admin.id(),
        ..owner_key(&lock, id, now)
    }));
    let changes = WriteSet {
        keys_upsert: keys,
        activity: vec![actor::entry(
            &initiator,
            now,
            "LOCK_REGISTERED",
            Some(&lock),
            None,
        )],
        locks_insert: vec![lock.clone()],
        ..WriteSet::default()
    };
    store.apply(new.org_id, &changes).await?;
    views::lock(&lock, Some(Role::Owner))
}

/// What a new database's demo organization gives its first user.
#[derive(Debug, Clone)]
pub struct Demo {
    pub organization: OrganizationCreated,
    pub admin_email: String,
    pub admin_password: String,
    pub locks: Vec<Lock>,
}

/// The demo admin's email.
pub const DEMO_ADMIN_EMAIL: &str = "admin@demo.latchkey.dev";

/// On a database with no organization yet, creates the demo: organization "Demo", its
/// API key, an admin user with a generated password (administrator of the organization
/// and of both locks), and two simulated locks.
pub async fn seed_demo(
    store: &dyn Store,
    passwords: &Passwords,
    now: i64,
) -> Result<Option<Demo>, ApiError> {
    if store.has_organizations().await? {
        return Ok(None);
    }
    let organization = create_organization(store, "Demo", now).await?;
    let admin_password: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(16)
        .map(char::from)
        .collect();
    let admin = UserRecord {
        id: new_object_id(),
        user_type: UserType::User,
        first_name: Some("Demo".into()),
        last_name: Some("Admin".into()),
        email: Some(DEMO_ADMIN_EMAIL.into()),
        phone: None,
        password_hash: Some(passwords.hash(admin_password.clone()).await?),
        created_at: now,
        updated_at: now,
    };
    store.create_user(&admin).await?;
    grant_organization_admin(store, &organization.organization_id, DEMO_ADMIN_EMAIL, now).await?;
    let admins = [admin.id.clone()];
    let mut locks = Vec::new();
    for short_name in ["Front door", "Back door"] {
        let new = NewSimulatedLock {
            org_id: &organization.organization_id,
            short_name,
            time_zone: "America/Los_Angeles",
            admins: &admins,
        };
        locks.push(add_simulated_lock(store, &new, now).await?);
    }
    Ok(Some(Demo {
        organization,
        admin_email: DEMO_ADMIN_EMAIL.into(),
        admin_password,
        locks,
    }))
}
