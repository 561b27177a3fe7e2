//! Session and user functions: `signIn`, `signUp`, `signOut`, `getCurrentUser`,
//! `modifyCurrentUser`, `getUser`.

use axum::http::StatusCode;
use latchkey_api_types::{
    Empty, ErrorCode, GetUserRequest, ModifiedUser, ModifyCurrentUserRequest, SignInRequest,
    SignUpRequest, SignedIn, User,
};
use latchkey_core::contact::Identifier;
use latchkey_core::ids::new_object_id;
use latchkey_core::secret;
use latchkey_store::{
    SessionRecord, StoreError, UserChanges, UserLookup, UserRecord, UserType, WriteSet,
};
use serde_json::json;

use super::{email, name, phone, required};
use crate::actor;
use crate::auth::{Caller, KeyOnly, SessionCaller};
use crate::error::ApiError;
use crate::password;
use crate::router::Ctx;
use crate::views;

/// Prefix of session tokens, as the Parse backend wrote them.
const SESSION_PREFIX: &str = "r:";

fn invalid_credentials() -> ApiError {
    ApiError::new(ErrorCode::ObjectNotFound, "Invalid username/password.")
        .with_status(StatusCode::UNAUTHORIZED)
}

/// `signIn`: checks an email or phone and password and opens a session in the API key's
/// organization. Unknown identifiers and wrong passwords get the same answer in about
/// the same time; repeated failures are throttled per identifier and per address.
pub async fn sign_in(ctx: Ctx, who: KeyOnly, req: SignInRequest) -> Result<SignedIn, ApiError> {
    let identifier = required(req.user_identifier, "userIdentifier")?;
    let password = required(req.password, "password")?;
    let state = &ctx.state;
    let parsed = Identifier::parse(&identifier);
    let throttle_key = throttle_key(&identifier);
    check_throttle(&ctx, &throttle_key)?;
    let user = match &parsed {
        Ok(Identifier::Email(e)) => find(state, UserLookup::Email(e)).await?,
        Ok(Identifier::Phone(p)) => find(state, UserLookup::Phone(p)).await?,
        Err(_) => None,
    };
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    let ok = state.passwords.verify(password, hash).await?;
    let user = match user {
        Some(user) if ok => user,
        other => {
            state
                .throttle
                .record_failure(&throttle_key, ctx.client_ip, state.now());
            record_failed_sign_in(&ctx, &who, &throttle_key, other.as_ref()).await?;
            return Err(invalid_credentials());
        }
    };
    state.throttle.record_success(&throttle_key);
    let session_token = sign_in_with(&ctx, &user, &who.key.org_id, WriteSet::default()).await?;
    tracing::info!(user = %user.id, "signed in");
    Ok(SignedIn {
        user: views::user(&user),
        session_token,
    })
}

/// `signUp`: creates a person (an email or a phone, or both, each unique), gives them
/// the pending keys sent to that email or phone, and opens a session.
pub async fn sign_up(ctx: Ctx, who: KeyOnly, req: SignUpRequest) -> Result<SignedIn, ApiError> {
    let first_name = name(&required(req.first_name, "firstName")?, "firstName")?;
    let last_name = name(&required(req.last_name, "lastName")?, "lastName")?;
    let email = req
        .email
        .as_deref()
        .map(|e| email(e, "email"))
        .transpose()?;
    let phone = req
        .phone
        .as_deref()
        .map(|p| phone(p, "phone"))
        .transpose()?;
    if email.is_none() && phone.is_none() {
        return Err(ApiError::invalid("email or phone", "is required"));
    }
    let password = new_password(required(req.password, "password")?, "password")?;
    let state = &ctx.state;
    let now = state.now();
    let user = UserRecord {
        id: new_object_id(),
        user_type: UserType::User,
        first_name: Some(first_name),
        last_name: Some(last_name),
        email,
        phone,
        password_hash: Some(state.passwords.hash(password).await?),
        created_at: now,
        updated_at: now,
    };
    state.store.create_user(&user).await?;
    let claims = super::keys::pending_claims(&ctx, &user).await?;
    let session_token = sign_in_with(&ctx, &user, &who.key.org_id, claims).await?;
    tracing::info!(user = %user.id, "signed up");
    Ok(SignedIn {
        user: views::user(&user),
        session_token,
    })
}

/// `signOut`: ends the caller's session; its token stops working at once.
pub async fn sign_out(ctx: Ctx, who: SessionCaller, _req: Empty) -> Result<Empty, ApiError> {
    match ctx.state.store.delete_session(&who.token_hash).await {
        Ok(()) | Err(StoreError::NotFound) => Ok(Empty {}),
        Err(e) => Err(e.into()),
    }
}

/// `getCurrentUser`: the session user, or the API key's virtual user.
pub async fn get_current_user(ctx: Ctx, who: Caller, _req: Empty) -> Result<User, ApiError> {
    let user = ctx.state.store.user(UserLookup::Id(who.user_id())).await?;
    Ok(views::user(&user))
}

/// `modifyCurrentUser`: changes the caller's names or password. A new password needs the
/// current one and ends every session of the user; the answer then carries a new
/// `sessionToken` for the caller.
pub async fn modify_current_user(
    ctx: Ctx,
    who: Caller,
    req: ModifyCurrentUserRequest,
) -> Result<ModifiedUser, ApiError> {
    let state = &ctx.state;
    let mut changes = UserChanges {
        first_name: req
            .first_name
            .as_deref()
            .map(|n| name(n, "firstName"))
            .transpose()?,
        last_name: req
            .last_name
            .as_deref()
            .map(|n| name(n, "lastName"))
            .transpose()?,
        password_hash: None,
    };
    if let Some(new) = req.password {
        let Caller::Session(_) = &who else {
            return Err(ApiError::forbidden("The virtual user has no password."));
        };
        let new = new_password(new, "password")?;
        let current = required(req.current_password, "currentPassword")?;
        // Guessing the current password through a stolen session is throttled like
        // sign-in, under the user's id.
        let throttle_key = format!("user:{}", who.user_id());
        check_throttle(&ctx, &throttle_key)?;
        let user = state.store.user(UserLookup::Id(who.user_id())).await?;
        if !state.passwords.verify(current, user.password_hash).await? {
            state
                .throttle
                .record_failure(&throttle_key, ctx.client_ip, state.now());
            return Err(ApiError::invalid("currentPassword", "does not match"));
        }
        state.throttle.record_success(&throttle_key);
        changes.password_hash = Some(state.passwords.hash(new).await?);
    }
    let user = state
        .store
        .update_user(who.user_id(), &changes, state.now())
        .await?;
    let session_token = match (&who, changes.password_hash.is_some()) {
        (Caller::Session(s), true) => {
            let (token, session) = new_session(&ctx, &s.user_id, &s.org_id);
            let changes = WriteSet {
                sessions_insert: vec![session],
                ..WriteSet::default()
            };
            state.apply(&s.org_id, &changes).await?;
            Some(token)
        }
        _ => None,
    };
    Ok(ModifiedUser {
        user: views::user(&user),
        session_token,
    })
}

/// `getUser`: a user found by `userId`, `email` or `phone`, visible only when they hold a
/// key on a lock the caller administers (or are the caller).
pub async fn get_user(ctx: Ctx, who: Caller, req: GetUserRequest) -> Result<User, ApiError> {
    let email = req
        .email
        .as_deref()
        .map(|e| email(e, "email"))
        .transpose()?;
    let phone = req
        .phone
        .as_deref()
        .map(|p| phone(p, "phone"))
        .transpose()?;
    let lookup = match (req.user_id.as_deref(), email.as_deref(), phone.as_deref()) {
        (Some(id), None, None) => UserLookup::Id(id),
        (None, Some(e), None) => UserLookup::Email(e),
        (None, None, Some(p)) => UserLookup::Phone(p),
        (None, None, None) => return Err(ApiError::missing("userId, email or phone")),
        _ => {
            return Err(ApiError::invalid(
                "userId, email and phone",
                "are exclusive: send one",
            ));
        }
    };
    let state = &ctx.state;
    let user = state.store.user(lookup).await?;
    let visible = user.id == who.user_id()
        || state
            .store
            .user_visible(who.org_id(), &who.viewer(), &user.id)
            .await?;
    if !visible {
        return Err(ApiError::not_found());
    }
    Ok(views::user(&user))
}

async fn find(state: &crate::AppState, by: UserLookup<'_>) -> Result<Option<UserRecord>, ApiError> {
    match state.store.user(by).await {
        Ok(user) => Ok(Some(user)),
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Records `SIGN_IN_FAILED` through the API key's virtual user, naming the identifier
/// tried and the user it belongs to, if any.
async fn record_failed_sign_in(
    ctx: &Ctx,
    who: &KeyOnly,
    identifier: &str,
    user: Option<&UserRecord>,
) -> Result<(), ApiError> {
    let store = &ctx.state.store;
    let through = store.user(UserLookup::Id(&who.key.virtual_user_id)).await?;
    let target = json!({"objectId": user.map(|u| u.id.clone()), "identifier": identifier});
    let changes = WriteSet {
        activity: vec![actor::entry_with_outcome(
            &through,
            ctx.state.now(),
            "SIGN_IN_FAILED",
            "FAILED",
            None,
            Some(target),
        )],
        ..WriteSet::default()
    };
    ctx.state.apply(&who.key.org_id, &changes).await?;
    Ok(())
}

/// 155 with `Retry-After` while `key` or the client's address is throttled.
/// What failed sign-ins are counted under: the normalized email or phone, or the text
/// as sent, lower-cased.
pub(crate) fn throttle_key(identifier: &str) -> String {
    Identifier::parse(identifier).map_or_else(
        |_| identifier.trim().to_lowercase(),
        |id| id.as_str().to_owned(),
    )
}

/// 155 while an identifier or the client's address has failed too often.
pub(crate) fn check_throttle(ctx: &Ctx, key: &str) -> Result<(), ApiError> {
    let state = &ctx.state;
    state
        .throttle
        .check(key, ctx.client_ip, state.now())
        .map_err(|wait| {
            ApiError::new(
                ErrorCode::TooManyRequests,
                format!("Too many failed attempts. Try again in {wait} seconds."),
            )
            .with_retry_after(wait)
        })
}

fn new_password(password: String, field: &str) -> Result<String, ApiError> {
    let chars = password.chars().count();
    if chars < password::MIN_LEN {
        return Err(ApiError::invalid(
            field,
            format!("must have at least {} characters", password::MIN_LEN),
        ));
    }
    if chars > password::MAX_LEN {
        return Err(ApiError::invalid(
            field,
            format!("may have at most {} characters", password::MAX_LEN),
        ));
    }
    Ok(password)
}

/// A new session for `user_id` in `org_id`: its token (shown once) and its record.
fn new_session(ctx: &Ctx, user_id: &str, org_id: &str) -> (String, SessionRecord) {
    let token = secret::new_secret(SESSION_PREFIX);
    let now = ctx.state.now();
    let record = SessionRecord {
        token_hash: secret::digest(&token),
        user_id: user_id.to_owned(),
        org_id: org_id.to_owned(),
        created_at: now,
        last_used_at: now,
    };
    (token, record)
}

/// Opens a session for `user` in `org_id`, recording `SIGN_IN` with `changes` in the
/// same transaction, and returns its token.
pub(crate) async fn sign_in_with(
    ctx: &Ctx,
    user: &UserRecord,
    org_id: &str,
    mut changes: WriteSet,
) -> Result<String, ApiError> {
    let (token, session) = new_session(ctx, &user.id, org_id);
    changes.sessions_insert.push(session);
    changes
        .activity
        .push(actor::entry(user, ctx.state.now(), "SIGN_IN", None, None));
    ctx.state.apply(org_id, &changes).await?;
    Ok(token)
}
