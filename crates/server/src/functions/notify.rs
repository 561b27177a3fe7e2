//! Notification enrollments, push devices and messages: `enrollNotifications`,
//! `getNotificationEnrollments`, `modifyNotificationEnrollment`, `unenrollNotifications`,
//! `registerPushDevice`, `unregisterPushDevice`, `sendMessage`, `getMessages`.
//! Enrollments, devices and inboxes are a signed-in person's; `sendMessage` is open to
//! any admin of the locks, the organization included.

use latchkey_api_types::{
    CATEGORIES, Device, DeviceIdRequest, Empty, Enrollment, EnrollmentIdRequest, EnrollmentRequest,
    ErrorCode, GetMessagesRequest, Initiator, Message, MessageSent, Patch, RegisterDeviceRequest,
    SendMessageRequest,
};
use latchkey_core::ids::new_object_id;
use latchkey_core::time::format_millis;
use latchkey_store::{
    DeviceRecord, EnrollmentRecord, InboxRecord, KeyFilter, LockRecord, UserLookup, WriteSet,
};
use serde_json::{Value, json};

use crate::actor::Actor;
use crate::auth::{Caller, SessionCaller};
use crate::error::ApiError;
use crate::functions::{find_locks, lock_refs, required};
use crate::outbox::{new_signing_secret, push};
use crate::router::Ctx;
use crate::schedules;

const MAX_ENROLLMENTS: usize = 100;
const MAX_DEVICES: usize = 20;
const MAX_TITLE: usize = 200;
const MAX_BODY: usize = 4000;

/// `enrollNotifications`: notifications of `categories` for locks (listed, or those of
/// a group) that the caller administers, except in `quietHours`.
pub async fn enroll_notifications(
    ctx: Ctx,
    who: SessionCaller,
    req: EnrollmentRequest,
) -> Result<Enrollment, ApiError> {
    let existing = ctx
        .state
        .store
        .enrollments(&who.org_id, Some(&who.user_id))
        .await?;
    if existing.len() >= MAX_ENROLLMENTS {
        return Err(ApiError::invalid(
            "categories",
            format!("a person may have at most {MAX_ENROLLMENTS} enrollments"),
        ));
    }
    let now = ctx.state.now();
    let blank = EnrollmentRecord {
        id: new_object_id(),
        org_id: who.org_id.clone(),
        user_id: who.user_id.clone(),
        name: None,
        lock_ids: "[]".into(),
        group_id: None,
        categories: "[]".into(),
        quiet_hours: None,
        created_at: now,
        updated_at: now,
    };
    let record = read_enrollment(&ctx, &who, blank, req, true).await?;
    ctx.state.store.put_enrollment(&record).await?;
    enrollment_view(&record)
}

/// `getNotificationEnrollments`: the caller's enrollments.
pub async fn get_notification_enrollments(
    ctx: Ctx,
    who: SessionCaller,
    _req: Empty,
) -> Result<Vec<Enrollment>, ApiError> {
    let records = ctx
        .state
        .store
        .enrollments(&who.org_id, Some(&who.user_id))
        .await?;
    records.iter().map(enrollment_view).collect()
}

/// `modifyNotificationEnrollment`: fields that are sent replace the enrollment's.
pub async fn modify_notification_enrollment(
    ctx: Ctx,
    who: SessionCaller,
    req: EnrollmentRequest,
) -> Result<Enrollment, ApiError> {
    let id = required(req.enrollment_id.clone(), "enrollmentId")?;
    let current = ctx
        .state
        .store
        .enrollments(&who.org_id, Some(&who.user_id))
        .await?
        .into_iter()
        .find(|e| e.id == id)
        .ok_or_else(ApiError::not_found)?;
    let mut record = read_enrollment(&ctx, &who, current, req, false).await?;
    record.updated_at = ctx.state.now();
    ctx.state.store.put_enrollment(&record).await?;
    enrollment_view(&record)
}

/// `unenrollNotifications`.
pub async fn unenroll_notifications(
    ctx: Ctx,
    who: SessionCaller,
    req: EnrollmentIdRequest,
) -> Result<Empty, ApiError> {
    let id = required(req.enrollment_id, "enrollmentId")?;
    ctx.state
        .store
        .delete_enrollment(&who.org_id, &who.user_id, &id)
        .await?;
    Ok(Empty {})
}

/// Applies a request to an enrollment (`new`: targets and categories are required).
async fn read_enrollment(
    ctx: &Ctx,
    who: &SessionCaller,
    mut record: EnrollmentRecord,
    req: EnrollmentRequest,
    new: bool,
) -> Result<EnrollmentRecord, ApiError> {
    if let Some(name) = req.name {
        let name = name.trim().to_owned();
        if name.chars().count() > MAX_TITLE {
            return Err(ApiError::invalid(
                "name",
                format!("may be at most {MAX_TITLE} characters"),
            ));
        }
        record.name = Some(name).filter(|n| !n.is_empty());
    }
    let actor = Actor::load(ctx, Caller::Session(who.clone())).await?;
    match (req.lock_ids, req.group_id) {
        (Some(_), Some(_)) => {
            return Err(ApiError::invalid(
                "groupId",
                "send lockIds or groupId, not both",
            ));
        }
        (Some(refs), None) => {
            let refs = lock_refs(None, Some(&refs))?;
            let mut ids = Vec::new();
            for lock in find_locks(ctx, &who.org_id, &refs).await? {
                ids.push(actor.admin_of(ctx, lock).await?.lock.id);
            }
            record.lock_ids = serde_json::to_string(&ids).map_err(ApiError::internal)?;
            record.group_id = None;
        }
        (None, Some(group_id)) => {
            let group = ctx.state.store.group(&who.org_id, &group_id).await?;
            for lock_id in ctx.state.store.group_lock_ids(&group.id).await? {
                let lock = ctx.state.store.lock(&who.org_id, &lock_id).await?;
                actor.admin_of(ctx, lock).await?;
            }
            record.group_id = Some(group.id);
            record.lock_ids = "[]".into();
        }
        (None, None) if new => return Err(ApiError::missing("lockIds or groupId")),
        (None, None) => {}
    }
    if let Some(categories) = req.categories {
        let mut categories = categories;
        if categories.is_empty() {
            return Err(ApiError::invalid(
                "categories",
                "must name at least one category",
            ));
        }
        if let Some(bad) = categories
            .iter()
            .find(|c| !CATEGORIES.iter().any(|(name, _)| name == c))
        {
            return Err(ApiError::invalid(
                "categories",
                format!(
                    "{bad:?} is not one of UNLOCKS_AND_LOCKS, ACCESS_MANAGEMENT, KEY_ADMINISTRATION, GROUP_MANAGEMENT"
                ),
            ));
        }
        categories.sort();
        categories.dedup();
        record.categories = serde_json::to_string(&categories).map_err(ApiError::internal)?;
    } else if new {
        return Err(ApiError::missing("categories"));
    }
    match req.quiet_hours {
        Patch::Keep => {}
        Patch::Clear => record.quiet_hours = None,
        Patch::Set(input) => {
            let named = schedules::parse(std::slice::from_ref(&input)).map_err(|e| {
                ApiError::new(e.code(), e.message().replace("schedules[0]", "quietHours"))
            })?;
            record.quiet_hours = Some(schedules::to_json(&named));
        }
    }
    Ok(record)
}

fn enrollment_view(e: &EnrollmentRecord) -> Result<Enrollment, ApiError> {
    let quiet = match &e.quiet_hours {
        Some(json) => schedules::wire_from_json(json)?.into_iter().next(),
        None => None,
    };
    Ok(Enrollment {
        object_id: e.id.clone(),
        name: e.name.clone(),
        lock_ids: serde_json::from_str(&e.lock_ids).map_err(ApiError::internal)?,
        group_id: e.group_id.clone(),
        categories: serde_json::from_str(&e.categories).map_err(ApiError::internal)?,
        quiet_hours: quiet,
        created_at: format_millis(e.created_at),
        updated_at: format_millis(e.updated_at),
    })
}

/// `registerPushDevice`: `apns` and `fcm` take the app's `token`; `webhook` takes a `url`
/// and answers the secret its pushes are signed with (shown once).
pub async fn register_push_device(
    ctx: Ctx,
    who: SessionCaller,
    req: RegisterDeviceRequest,
) -> Result<Device, ApiError> {
    let platform = required(req.platform, "platform")?;
    let (token, url, secret) = match platform.as_str() {
        "apns" | "fcm" => {
            let token = required(req.token, "token")?.trim().to_owned();
            if token.is_empty() || token.len() > 4096 {
                return Err(ApiError::invalid("token", "must be 1 to 4096 characters"));
            }
            (Some(token), None, None)
        }
        "webhook" => {
            let url = crate::functions::webhooks::check_url(required(req.url, "url")?.trim())?;
            (None, Some(url), Some(new_signing_secret()))
        }
        _ => {
            return Err(ApiError::invalid(
                "platform",
                "must be apns, fcm or webhook",
            ));
        }
    };
    let store = &ctx.state.store;
    let devices = store
        .devices(&who.org_id, std::slice::from_ref(&who.user_id))
        .await?;
    if devices.len() >= MAX_DEVICES {
        return Err(ApiError::invalid(
            "platform",
            format!("a person may register at most {MAX_DEVICES} devices"),
        ));
    }
    let record = DeviceRecord {
        id: new_object_id(),
        org_id: who.org_id.clone(),
        user_id: who.user_id.clone(),
        platform,
        token,
        url,
        secret,
        created_at: ctx.state.now(),
    };
    store.put_device(&record).await?;
    Ok(Device {
        object_id: record.id,
        platform: record.platform,
        token: record.token,
        url: record.url,
        secret: record.secret,
        created_at: format_millis(record.created_at),
    })
}

/// `unregisterPushDevice`: the device and the pushes still queued for it.
pub async fn unregister_push_device(
    ctx: Ctx,
    who: SessionCaller,
    req: DeviceIdRequest,
) -> Result<Empty, ApiError> {
    let id = required(req.device_id, "deviceId")?;
    ctx.state
        .store
        .delete_device(&who.org_id, &who.user_id, &id)
        .await?;
    Ok(Empty {})
}

/// `sendMessage`: a message to the key holders of locks (listed, or a group's), or to
/// people who hold keys on locks the caller administers. The caller must administer
/// those locks. Inbox rows, pushes and `MESSAGE_SENT` are written in one transaction.
pub async fn send_message(
    ctx: Ctx,
    who: Caller,
    req: SendMessageRequest,
) -> Result<MessageSent, ApiError> {
    let title = text(req.title, "title", MAX_TITLE)?;
    let body = text(req.body, "body", MAX_BODY)?;
    let actor = Actor::load(&ctx, who.clone()).await?;
    let recipients = recipients(&ctx, &actor, req.lock_ids, req.group_id, req.user_ids).await?;
    let now = ctx.state.now();
    let message_id = new_object_id();
    let from = serde_json::to_string(&Initiator {
        object_id: actor.user.id.clone(),
        first_name: actor.user.first_name.clone(),
        last_name: actor.user.last_name.clone(),
        user_type: actor.user.user_type.as_str().to_owned(),
    })
    .map_err(ApiError::internal)?;
    let mut changes = WriteSet::default();
    for user_id in &recipients {
        changes.inbox.push(InboxRecord {
            seq: 0,
            id: new_object_id(),
            org_id: actor.org_id().to_owned(),
            user_id: user_id.clone(),
            kind: "MESSAGE".into(),
            message_id: message_id.clone(),
            title: title.clone(),
            body: body.clone(),
            from_json: Some(from.clone()),
            activity_json: None,
            created_at: now,
        });
    }
    let data = json!({"messageId": message_id, "kind": "MESSAGE"});
    for device in ctx.state.store.devices(actor.org_id(), &recipients).await? {
        changes
            .jobs
            .push(push::job(&device, &title, &body, &data, now));
    }
    let count = i64::try_from(recipients.len()).unwrap_or(i64::MAX);
    changes.activity.push(actor.entry(
        now,
        "MESSAGE_SENT",
        None,
        Some(json!({"messageId": message_id, "title": title, "recipients": count})),
    ));
    ctx.state.apply(actor.org_id(), &changes).await?;
    Ok(MessageSent {
        message_id,
        recipients: count,
    })
}

fn text(value: Option<String>, field: &str, max: usize) -> Result<String, ApiError> {
    let value = required(value, field)?.trim().to_owned();
    if value.is_empty() || value.chars().count() > max {
        return Err(ApiError::invalid(
            field,
            format!("must be 1 to {max} characters"),
        ));
    }
    Ok(value)
}

/// The users a message goes to, without repeats and without the sender.
async fn recipients(
    ctx: &Ctx,
    actor: &Actor,
    lock_ids: Option<Vec<String>>,
    group_id: Option<String>,
    user_ids: Option<Vec<String>>,
) -> Result<Vec<String>, ApiError> {
    let store = &ctx.state.store;
    let org = actor.org_id();
    let locks: Vec<LockRecord> = match (lock_ids, group_id, user_ids) {
        (Some(refs), None, None) => find_locks(ctx, org, &lock_refs(None, Some(&refs))?).await?,
        (None, Some(group_id), None) => {
            let group = store.group(org, &group_id).await?;
            let mut locks = Vec::new();
            for id in store.group_lock_ids(&group.id).await? {
                locks.push(store.lock(org, &id).await?);
            }
            locks
        }
        (None, None, Some(users)) => {
            let mut ids: Vec<String> = Vec::new();
            for id in users {
                let user = store.user(UserLookup::Id(&id)).await?;
                if !store
                    .user_visible(org, &actor.caller.viewer(), &user.id)
                    .await?
                {
                    return Err(ApiError::not_found());
                }
                if user.id != actor.user.id && !ids.contains(&user.id) {
                    ids.push(user.id);
                }
            }
            return Ok(ids);
        }
        _ => {
            return Err(ApiError::missing(
                "exactly one of lockIds, groupId or userIds",
            ));
        }
    };
    let mut ids: Vec<String> = Vec::new();
    for lock in locks {
        let lock = actor.admin_of(ctx, lock).await?.lock;
        let mut after: Option<String> = None;
        loop {
            let page = store
                .keys_page(
                    org,
                    &KeyFilter::Lock(lock.id.clone()),
                    after.as_deref(),
                    1000,
                )
                .await?;
            for row in &page {
                if let Some(user) = &row.user
                    && user.id != actor.user.id
                    && !ids.contains(&user.id)
                {
                    ids.push(user.id.clone());
                }
            }
            match page.last() {
                Some(last) if page.len() == 1000 => after = Some(last.key.id.clone()),
                _ => break,
            }
        }
    }
    Ok(ids)
}

/// `getMessages`: the caller's messages and notifications, newest first (default 50, at
/// most 1000), before the `seq` of `before`.
pub async fn get_messages(
    ctx: Ctx,
    who: SessionCaller,
    req: GetMessagesRequest,
) -> Result<Vec<Message>, ApiError> {
    let limit = req.limit.unwrap_or(50);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::new(
            ErrorCode::InvalidQuery,
            "limit must be between 1 and 1000.",
        ));
    }
    if req.before.is_some_and(|b| b < 1) {
        return Err(ApiError::new(
            ErrorCode::InvalidQuery,
            "before must be a seq of at least 1.",
        ));
    }
    let rows = ctx
        .state
        .store
        .inbox(&who.org_id, &who.user_id, req.before, limit)
        .await?;
    let parse = |json: &Option<String>| -> Option<Value> {
        json.as_deref().and_then(|j| serde_json::from_str(j).ok())
    };
    Ok(rows
        .iter()
        .map(|m| Message {
            object_id: m.id.clone(),
            seq: m.seq,
            kind: m.kind.clone(),
            message_id: m.message_id.clone(),
            title: m.title.clone(),
            body: m.body.clone(),
            from: parse(&m.from_json),
            activity: parse(&m.activity_json),
            created_at: format_millis(m.created_at),
        })
        .collect())
}
