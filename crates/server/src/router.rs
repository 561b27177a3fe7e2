//! Every function of the API, by name, in one table. Each entry is built from a handler
//! `async fn(Ctx, P, Req) -> Result<Res, ApiError>`: the principal type `P` says who may
//! call it (and so which credentials are checked), `Req` is read from the body (wrong
//! types are 111, naming the field) and `Res` becomes `{"result": …}`.

use std::collections::HashMap;
use std::future::Future;
use std::net::IpAddr;
use std::pin::Pin;

use latchkey_api_types::ErrorCode;
use latchkey_core::version::ApiVersion;
use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::auth::{Access, Audience, Authenticated, Principal};
use crate::error::ApiError;
use crate::functions::{
    activity, explain, groups, keys, lockdown, locks, notify, organization, session, unlock,
    webhooks,
};
use crate::state::AppState;

/// What a handler knows of its request besides the principal and the body.
#[derive(Debug, Clone)]
pub struct Ctx {
    pub state: AppState,
    pub version: ApiVersion,
    pub client_ip: IpAddr,
}

type Reply = Pin<Box<dyn Future<Output = Result<Box<RawValue>, ApiError>> + Send>>;
type Handler = Box<dyn Fn(Ctx, Authenticated, Map<String, Value>) -> Reply + Send + Sync>;

/// A function's request or result, described (from its Rust type) for the OpenAPI
/// document.
pub type Describe = fn(&mut SchemaGenerator) -> Schema;

/// One function of the API.
pub struct Function {
    pub access: Access,
    pub audience: Audience,
    pub request: Describe,
    pub result: Describe,
    handler: Handler,
}

impl std::fmt::Debug for Function {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Function")
            .field("access", &self.access)
            .finish_non_exhaustive()
    }
}

impl Function {
    pub fn call(&self, ctx: Ctx, auth: Authenticated, body: Map<String, Value>) -> Reply {
        (self.handler)(ctx, auth, body)
    }
}

/// The function table.
#[derive(Debug)]
pub struct Functions {
    by_name: HashMap<&'static str, Function>,
}

impl Functions {
    pub fn table() -> Functions {
        let entries = [
            ("signIn", function(session::sign_in)),
            ("signUp", function(session::sign_up)),
            ("signOut", function(session::sign_out)),
            ("getCurrentUser", function(session::get_current_user)),
            ("modifyCurrentUser", function(session::modify_current_user)),
            ("getUser", function(session::get_user)),
            ("rotateApiSecret", function(organization::rotate_api_secret)),
            ("getLocks", function(locks::get_locks)),
            ("getLock", function(locks::get_lock)),
            ("registerLock", function(locks::register_lock)),
            ("modifyLock", function(locks::modify_lock)),
            ("removeLock", function(locks::remove_lock)),
            ("transferOwnership", function(locks::transfer_ownership)),
            ("sendKey", function(keys::send_key)),
            ("revokeKey", function(keys::revoke_key)),
            ("modifyKey", function(keys::modify_key)),
            ("getUserKeys", function(keys::get_user_keys)),
            ("getLockUsers", function(keys::get_lock_users)),
            ("explainAccess", function(explain::explain_access)),
            ("getActivity", function(activity::get_activity)),
            ("performUnlock", function(unlock::perform_unlock)),
            ("performLock", function(unlock::perform_lock)),
            ("getUnlockStatus", function(unlock::get_unlock_status)),
            ("setLockdown", function(lockdown::set_lockdown)),
            ("createGroup", function(groups::create_group)),
            ("getGroups", function(groups::get_groups)),
            ("getGroup", function(groups::get_group)),
            ("modifyGroup", function(groups::modify_group)),
            ("deleteGroup", function(groups::delete_group)),
            ("addGroupUsers", function(groups::add_group_users)),
            ("removeGroupUsers", function(groups::remove_group_users)),
            ("addGroupLocks", function(groups::add_group_locks)),
            ("removeGroupLocks", function(groups::remove_group_locks)),
            ("createWebhook", function(webhooks::create_webhook)),
            ("getWebhooks", function(webhooks::get_webhooks)),
            ("deleteWebhook", function(webhooks::delete_webhook)),
            ("enableWebhook", function(webhooks::enable_webhook)),
            (
                "getWebhookDeliveries",
                function(webhooks::get_webhook_deliveries),
            ),
            (
                "enrollNotifications",
                function(notify::enroll_notifications),
            ),
            (
                "getNotificationEnrollments",
                function(notify::get_notification_enrollments),
            ),
            (
                "modifyNotificationEnrollment",
                function(notify::modify_notification_enrollment),
            ),
            (
                "unenrollNotifications",
                function(notify::unenroll_notifications),
            ),
            ("registerPushDevice", function(notify::register_push_device)),
            (
                "unregisterPushDevice",
                function(notify::unregister_push_device),
            ),
            ("sendMessage", function(notify::send_message)),
            ("getMessages", function(notify::get_messages)),
        ];
        Functions {
            by_name: entries.into_iter().collect(),
        }
    }

    pub fn get(&self, name: &str) -> Option<&Function> {
        self.by_name.get(name)
    }

    /// Every function name, sorted.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<_> = self.by_name.keys().copied().collect();
        names.sort_unstable();
        names
    }
}

/// Builds a table entry from a handler.
fn function<P, Req, Res, F, Fut>(handler: F) -> Function
where
    P: Principal + Send + 'static,
    Req: DeserializeOwned + JsonSchema + Send + 'static,
    Res: Serialize + JsonSchema,
    F: Fn(Ctx, P, Req) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<Res, ApiError>> + Send + 'static,
{
    Function {
        access: P::ACCESS,
        audience: P::AUDIENCE,
        request: |generator| generator.subschema_for::<Req>(),
        result: |generator| generator.subschema_for::<Res>(),
        handler: Box::new(move |ctx, auth, body| {
            let args = P::from_authenticated(auth).and_then(|p| Ok((p, parse_body(body)?)));
            match args {
                Ok((principal, request)) => {
                    let reply = handler(ctx, principal, request);
                    Box::pin(async move {
                        let result = reply.await?;
                        serde_json::value::to_raw_value(&result).map_err(ApiError::internal)
                    })
                }
                Err(e) => Box::pin(std::future::ready(Err(e))),
            }
        }),
    }
}

/// Reads a request body into its typed form; a field of the wrong type is 111, naming it.
fn parse_body<T: DeserializeOwned>(body: Map<String, Value>) -> Result<T, ApiError> {
    serde_path_to_error::deserialize(Value::Object(body)).map_err(|e| {
        let field = e.path().to_string();
        let inner = e.into_inner();
        ApiError::new(ErrorCode::IncorrectType, format!("{field}: {inner}."))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use latchkey_api_types::SignInRequest;
    use serde_json::json;

    fn object(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    #[test]
    fn wrong_types_name_the_field() {
        let err = parse_body::<SignInRequest>(object(json!({"userIdentifier": 5}))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::IncorrectType);
        assert!(format!("{err:?}").contains("userIdentifier"), "{err:?}");
    }

    #[test]
    fn unknown_fields_and_nulls_are_ignored() {
        let req: SignInRequest = parse_body(object(
            json!({"APINumber": "2", "userIdentifier": null, "password": "x"}),
        ))
        .unwrap();
        assert_eq!(req.user_identifier, None);
        assert_eq!(req.password.as_deref(), Some("x"));
    }

    #[test]
    fn the_table_has_the_foundation_functions() {
        let names = Functions::table().names();
        for f in [
            "signIn",
            "signUp",
            "signOut",
            "getCurrentUser",
            "modifyCurrentUser",
            "getUser",
            "rotateApiSecret",
        ] {
            assert!(names.contains(&f), "{f}");
        }
        assert_eq!(
            Functions::table().get("signIn").unwrap().access,
            Access::KeyOnly
        );
        assert_eq!(
            Functions::table().get("getUser").unwrap().access,
            Access::Caller
        );
    }
}
