//! Every function's summary, errors and example, written once: the OpenAPI document,
//! the `/docs` page, the Postman collection and `serve --mock` all read them. The
//! request and result *types* come from the handlers themselves (see
//! [`crate::router::Function`]); a test checks each example against them.

use latchkey_core::status::name;
use serde_json::{Value, json};

/// One function's documentation.
#[derive(Debug, Clone)]
pub struct Doc {
    pub name: &'static str,
    pub section: &'static str,
    pub summary: &'static str,
    /// Error codes it may answer besides the transport's and authentication's.
    pub errors: &'static [i64],
    pub request: Value,
    pub result: Value,
}

const AT: &str = "2026-12-04T10:30:00.000Z";
const LOCK_ID: &str = "Qm3xv0Lk9a";
const USER_ID: &str = "3l6FvM305C";
const GROUP_ID: &str = "Gr0uP4xT2b";

fn user() -> Value {
    json!({"objectId": USER_ID, "firstName": "Ada", "lastName": "Smets",
           "primaryEmail": "ada@example.com", "primaryPhone": "+14155550123",
           "type": "USER", "createdAt": AT, "updatedAt": AT})
}

fn signed_in() -> Value {
    let mut u = user();
    u["sessionToken"] = json!("r:2f4e1c3b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f");
    u
}

fn lock() -> Value {
    json!({"objectId": LOCK_ID, "lockId": "4703", "shortName": "Front door",
           "longName": "Main St. front door", "timeZone": "America/Los_Angeles",
           "type": "CONTROLLER", "online": true, "lastSeenAt": AT, "relockSeconds": 5,
           "role": "OWNER", "driver": {"kind": "simulated", "latencyMs": 50, "offline": false, "failAt": null},
           "createdAt": AT, "updatedAt": AT})
}

fn schedule() -> Value {
    json!({"objectId": "Sc8d0LmQ2x", "startDate": "2026-12-07T09:00:00", "endDate": "2026-12-07T17:00:00",
           "repeatType": 2, "repeatInterval": 1, "repeatPattern": [1, 2, 3, 4, 5],
           "expirationDate": "2027-06-30T23:59:59", "expirationDateUsesNumOccurrences": false,
           "numOccurrences": null})
}

fn key() -> Value {
    json!({"objectId": "3dy7V2SSoN",
           "lock": {"objectId": LOCK_ID, "lockId": "4703", "shortName": "Front door", "timeZone": "America/Los_Angeles"},
           "user": {"objectId": USER_ID, "firstName": "Ada", "lastName": "Smets",
                    "primaryEmail": "ada@example.com", "primaryPhone": "+14155550123"},
           "role": "USER", "roleID": 0, "status": "ACTIVE", "startDate": null, "endDate": null,
           "oneTime": false, "usedAt": null, "canRemoteUnlock": true, "textKey": false,
           "schedules": [schedule()], "groupId": null, "createdAt": AT, "updatedAt": AT})
}

fn group() -> Value {
    json!({"objectId": GROUP_ID, "name": "Cleaning crew", "description": "Weekday mornings",
           "lockIds": [LOCK_ID], "canRemoteUnlock": true, "canUnlockUntil": false,
           "schedules": [schedule()], "userCount": 3, "createdAt": AT, "updatedAt": AT})
}

fn initiator() -> Value {
    json!({"objectId": USER_ID, "firstName": "Ada", "lastName": "Smets", "type": "USER"})
}

fn unlock_request(status: u16) -> Value {
    let steps: Vec<Value> = [10, 20, 30, 40, 50, 60, status]
        .iter()
        .map(|s| json!({"status": s, "statusName": name(*s), "at": AT}))
        .collect();
    json!({"requestId": "Ur6Tq1Zp0s", "lockId": "4703", "status": status, "statusName": name(status),
           "success": latchkey_core::status::is_success(status),
           "initiator": initiator(), "onBehalfOf": {"externalId": "guest-42", "name": "Front desk"},
           "history": steps})
}

fn entry() -> Value {
    json!({"objectId": "Ac0b1c2d3e", "seq": 1042, "type": "UNLOCK", "at": AT, "outcome": "SUCCESS",
           "lock": {"objectId": LOCK_ID, "lockId": "4703", "shortName": "Front door"},
           "initiator": initiator(), "onBehalfOf": null, "target": null, "requestId": "Ur6Tq1Zp0s",
           "status": 70, "statusName": "UNLOCKED", "reason": null,
           "hash": "9f2c6b1e0a4d8c7b3e5f2a1d9c8b7a6e5d4c3b2a19f8e7d6c5b4a39281706f5e"})
}

fn enrollment() -> Value {
    json!({"objectId": "En9k2L0pQr", "name": "Front door", "lockIds": [LOCK_ID], "groupId": null,
           "categories": ["UNLOCKS_AND_LOCKS"], "quietHours": null, "createdAt": AT, "updatedAt": AT})
}

fn webhook(secret: bool) -> Value {
    let mut w = json!({"objectId": "Wh5m3N1bVc", "url": "https://example.com/latchkey",
           "events": ["UNLOCK", "UNLOCK_DENIED"], "description": "Front desk system",
           "enabled": true, "disabledAt": null, "createdAt": AT});
    if secret {
        w["secret"] = json!("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSwYmV0aGVyX3JhbmRvbQ==");
    }
    w
}

fn doc(
    name: &'static str,
    section: &'static str,
    summary: &'static str,
    errors: &'static [i64],
    request: Value,
    result: Value,
) -> Doc {
    Doc {
        name,
        section,
        summary,
        errors,
        request,
        result,
    }
}

const SESSION: &str = "Session and users";
const LOCKS: &str = "Locks";
const KEYS: &str = "Keys";
const GROUPS: &str = "Groups";
const UNLOCKING: &str = "Unlocking";
const ACTIVITY: &str = "Activity";
const NOTIFY: &str = "Notifications and messaging";
const WEBHOOKS: &str = "Webhooks";
const ORGANIZATION: &str = "Organization";

/// Every function, in the order of the reference.
#[allow(clippy::too_many_lines)]
pub fn docs() -> Vec<Doc> {
    vec![
        doc(
            "signIn",
            SESSION,
            "Signs a person in with an email or phone and a password; answers the user with a session token.",
            &[101, 142, 155],
            json!({"userIdentifier": "ada@example.com", "password": "correct horse battery"}),
            signed_in(),
        ),
        doc(
            "signUp",
            SESSION,
            "Creates an account (email and/or phone, password of 8+ characters); pending keys sent to that email or phone become active.",
            &[137, 142, 155],
            json!({"firstName": "Ada", "lastName": "Smets", "email": "ada@example.com", "password": "correct horse battery"}),
            signed_in(),
        ),
        doc(
            "signOut",
            SESSION,
            "Ends the session of the token sent.",
            &[],
            json!({}),
            json!({}),
        ),
        doc(
            "getCurrentUser",
            SESSION,
            "The caller: the signed-in person, or the organization's virtual user.",
            &[],
            json!({}),
            user(),
        ),
        doc(
            "modifyCurrentUser",
            SESSION,
            "Changes the caller's names or password (with currentPassword); a new password ends the other sessions and answers a new token.",
            &[101, 142, 155],
            json!({"firstName": "Ada", "lastName": "Lovelace"}),
            user(),
        ),
        doc(
            "getUser",
            SESSION,
            "A user by userId, email or phone, if they hold a key on a lock the caller administers.",
            &[101, 142],
            json!({"email": "ada@example.com"}),
            user(),
        ),
        doc(
            "rotateApiSecret",
            ORGANIZATION,
            "Replaces the API secret (secret only); the old one keeps working for graceSeconds.",
            &[142],
            json!({"graceSeconds": 3600}),
            json!({"apiSecret": "lks_0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0"}),
        ),
        doc(
            "getLocks",
            LOCKS,
            "The locks the caller holds a key to (all of them for the secret), with the caller's role, paged by objectId.",
            &[102],
            json!({"limit": 100}),
            json!([lock()]),
        ),
        doc(
            "getLock",
            LOCKS,
            "One lock, by device lockId or objectId.",
            &[101],
            json!({"lockId": "4703"}),
            lock(),
        ),
        doc(
            "registerLock",
            LOCKS,
            "Registers a lock (admin: the secret); the organization owns it. The driver says how to reach the device.",
            &[111, 137, 142],
            json!({"lockId": "4703", "shortName": "Front door", "longName": "Main St. front door",
                                     "timeZone": "America/Los_Angeles", "type": "CONTROLLER",
                                     "driver": {"kind": "simulated", "latencyMs": 50}}),
            lock(),
        ),
        doc(
            "modifyLock",
            LOCKS,
            "Changes a lock's names, time zone, relock time or driver (admins of it).",
            &[101, 119, 142],
            json!({"lockId": "4703", "shortName": "Front door", "relockSeconds": 8}),
            lock(),
        ),
        doc(
            "removeLock",
            LOCKS,
            "Removes a lock and its keys (its owner).",
            &[101, 119],
            json!({"lockId": "4703"}),
            json!({}),
        ),
        doc(
            "transferOwnership",
            LOCKS,
            "Gives the lock's OWNER key to a person (its owner); the previous owner keeps ADMIN.",
            &[101, 119, 142],
            json!({"lockId": "4703", "email": "ada@example.com"}),
            lock(),
        ),
        doc(
            "sendKey",
            KEYS,
            "Gives keys to people (phone or email; pending until they sign up) on locks the caller administers. An existing key is updated. All or nothing.",
            &[101, 119, 142],
            json!({"lockId": "4703", "phone": "+14155550123", "role": "USER", "canRemoteUnlock": true,
                                     "schedules": [{"startDate": "2026-12-07T09:00:00", "endDate": "2026-12-07T17:00:00",
                                                    "repeatType": "WEEKLY", "repeatPattern": [1, 2, 3, 4, 5]}]}),
            json!([key()]),
        ),
        doc(
            "revokeKey",
            KEYS,
            "Removes keys by keyId, or by locks and people; answers the removed keys' ids.",
            &[101, 119, 142],
            json!({"lockId": "4703", "phone": "+14155550123"}),
            json!(["3dy7V2SSoN"]),
        ),
        doc(
            "modifyKey",
            KEYS,
            "Changes a key's role, dates, schedules, one-time or remote-unlock flags.",
            &[101, 119, 142],
            json!({"keyId": "3dy7V2SSoN", "endDate": "2027-06-30T23:59:59.000Z", "canRemoteUnlock": false}),
            key(),
        ),
        doc(
            "getUserKeys",
            KEYS,
            "Keys: the caller's own; with email or phone, that person's on locks the caller administers; every key for the secret.",
            &[102],
            json!({"email": "ada@example.com"}),
            json!([key()]),
        ),
        doc(
            "getLockUsers",
            KEYS,
            "Every key of a lock the caller administers, paged.",
            &[101, 102, 119],
            json!({"lockId": "4703"}),
            json!([key()]),
        ),
        doc(
            "explainAccess",
            KEYS,
            "Why a person may or may not open a lock now (or at `at`): every rule of the decision with its outcome.",
            &[101, 119, 142],
            json!({"lockId": "4703", "email": "ada@example.com"}),
            json!({"allowed": false, "code": 610, "reason": "outside the key's schedules",
                   "rules": [{"rule": "key", "passed": true, "detail": "USER key, active"},
                             {"rule": "schedule", "passed": false, "detail": "no window of 1 schedule contains now"}],
                   "nextValidAt": "2026-12-07T17:00:00.000Z"}),
        ),
        doc(
            "createGroup",
            GROUPS,
            "Creates a lock group with shared key terms.",
            &[101, 119, 142],
            json!({"name": "Cleaning crew", "description": "Weekday mornings", "lockIds": ["4703"], "canRemoteUnlock": true}),
            group(),
        ),
        doc(
            "getGroups",
            GROUPS,
            "The organization's groups, paged.",
            &[102],
            json!({}),
            json!([group()]),
        ),
        doc(
            "getGroup",
            GROUPS,
            "One group.",
            &[101],
            json!({"groupId": GROUP_ID}),
            group(),
        ),
        doc(
            "modifyGroup",
            GROUPS,
            "Changes a group's name, description, flags or schedules (and so its members' keys).",
            &[101, 119, 142],
            json!({"groupId": GROUP_ID, "canRemoteUnlock": false}),
            group(),
        ),
        doc(
            "deleteGroup",
            GROUPS,
            "Deletes a group and the keys it gave.",
            &[101, 119],
            json!({"groupId": GROUP_ID}),
            json!({}),
        ),
        doc(
            "addGroupUsers",
            GROUPS,
            "Adds people (emails, phones) to a group: a key to each of its locks.",
            &[101, 119, 142],
            json!({"groupId": GROUP_ID, "emails": ["ada@example.com"]}),
            group(),
        ),
        doc(
            "removeGroupUsers",
            GROUPS,
            "Removes people from a group, with the keys it gave them.",
            &[101, 119, 142],
            json!({"groupId": GROUP_ID, "emails": ["ada@example.com"]}),
            group(),
        ),
        doc(
            "addGroupLocks",
            GROUPS,
            "Adds locks to a group: every member gets a key.",
            &[101, 119, 142],
            json!({"groupId": GROUP_ID, "lockIds": ["4703"]}),
            group(),
        ),
        doc(
            "removeGroupLocks",
            GROUPS,
            "Removes locks from a group, with the keys it gave to them.",
            &[101, 119, 142],
            json!({"groupId": GROUP_ID, "lockIds": ["4703"]}),
            group(),
        ),
        doc(
            "performUnlock",
            UNLOCKING,
            "Opens a lock through its driver after the access decision; waits for the device's answer unless wait is false. A loosely coupled integration names its own user in `user`.",
            &[101, 142, 610, 611, 612, 613, 614, 620],
            json!({"lockId": "4703", "user": {"externalId": "guest-42", "name": "Front desk"}}),
            unlock_request(70),
        ),
        doc(
            "performLock",
            UNLOCKING,
            "Locks a lock through its driver (admins, or keys that may unlock remotely).",
            &[101, 142, 610, 611, 612, 614, 620],
            json!({"lockId": "4703"}),
            unlock_request(80),
        ),
        doc(
            "getUnlockStatus",
            UNLOCKING,
            "The status and history of an unlock or lock request.",
            &[101, 142],
            json!({"requestId": "Ur6Tq1Zp0s"}),
            unlock_request(70),
        ),
        doc(
            "setLockdown",
            UNLOCKING,
            "Turns lockdown on or off for locks (or all): only admins open a lock in lockdown; turning it on locks the doors.",
            &[101, 119, 142],
            json!({"lockIds": ["4703"], "enabled": true}),
            json!([{"lockId": "4703", "lockdown": true, "request": null}]),
        ),
        doc(
            "getActivity",
            ACTIVITY,
            "The audit log, newest first, filtered by lock, user, types and time, paged with before (a seq).",
            &[101, 102],
            json!({"lockId": "4703", "types": ["UNLOCK", "UNLOCK_DENIED"], "limit": 100}),
            json!([entry()]),
        ),
        doc(
            "enrollNotifications",
            NOTIFY,
            "Notifications of activity categories at locks (or a group's) the caller administers, except in quiet hours.",
            &[101, 119, 142],
            json!({"name": "Front door", "lockIds": ["4703"], "categories": ["UNLOCKS_AND_LOCKS"]}),
            enrollment(),
        ),
        doc(
            "getNotificationEnrollments",
            NOTIFY,
            "The caller's enrollments.",
            &[],
            json!({}),
            json!([enrollment()]),
        ),
        doc(
            "modifyNotificationEnrollment",
            NOTIFY,
            "Changes an enrollment; quietHours null clears them.",
            &[101, 119, 142],
            json!({"enrollmentId": "En9k2L0pQr", "quietHours": {"startDate": "2026-12-04T22:00:00", "endDate": "2026-12-05T07:00:00", "repeatType": "DAILY"}}),
            enrollment(),
        ),
        doc(
            "unenrollNotifications",
            NOTIFY,
            "Deletes an enrollment.",
            &[101, 142],
            json!({"enrollmentId": "En9k2L0pQr"}),
            json!({}),
        ),
        doc(
            "registerPushDevice",
            NOTIFY,
            "Registers a device for push: apns or fcm with the app's token, or webhook with a URL (its signing secret is shown once).",
            &[142],
            json!({"platform": "fcm", "token": "fcm-registration-token"}),
            json!({"objectId": "Dv2n8M4kLp", "platform": "fcm", "token": "fcm-registration-token", "url": null, "createdAt": AT}),
        ),
        doc(
            "unregisterPushDevice",
            NOTIFY,
            "Removes a device and the pushes queued for it.",
            &[101, 142],
            json!({"deviceId": "Dv2n8M4kLp"}),
            json!({}),
        ),
        doc(
            "sendMessage",
            NOTIFY,
            "A message to the key holders of locks (or a group's), or to people by id; the caller administers those locks.",
            &[101, 119, 142],
            json!({"title": "Closed Friday", "body": "The office is closed on Friday.", "lockIds": ["4703"]}),
            json!({"messageId": "Ms4d5F6g7H", "recipients": 12}),
        ),
        doc(
            "getMessages",
            NOTIFY,
            "The caller's messages and notifications, newest first, paged with before (a seq).",
            &[102],
            json!({"limit": 20}),
            json!([{"objectId": "In1b2C3d4E", "seq": 7, "kind": "NOTIFICATION", "messageId": "Ms9z8Y7x6W",
                    "title": "Front door", "body": "Ada Smets unlocked Front door.", "from": null,
                    "activity": entry(), "createdAt": AT}]),
        ),
        doc(
            "createWebhook",
            WEBHOOKS,
            "An endpoint for the organization's activity (types or *), signed the Standard Webhooks way; the secret is shown once.",
            &[142],
            json!({"url": "https://example.com/latchkey", "events": ["UNLOCK", "UNLOCK_DENIED"], "description": "Front desk system"}),
            webhook(true),
        ),
        doc(
            "getWebhooks",
            WEBHOOKS,
            "The organization's webhooks (without secrets).",
            &[],
            json!({}),
            json!([webhook(false)]),
        ),
        doc(
            "deleteWebhook",
            WEBHOOKS,
            "Deletes a webhook and its queue.",
            &[101, 142],
            json!({"webhookId": "Wh5m3N1bVc"}),
            json!({}),
        ),
        doc(
            "enableWebhook",
            WEBHOOKS,
            "Turns a webhook disabled after failing for the whole retry schedule back on; its kept queue is sent in order.",
            &[101, 142],
            json!({"webhookId": "Wh5m3N1bVc"}),
            webhook(false),
        ),
        doc(
            "getWebhookDeliveries",
            WEBHOOKS,
            "The latest events sent to a webhook, newest first, with every attempt.",
            &[101, 102, 142],
            json!({"webhookId": "Wh5m3N1bVc", "limit": 50}),
            json!([{"objectId": "msg_2fH8kL0pQz", "type": "UNLOCK", "seq": 1042, "state": "DELIVERED", "nextAttemptAt": null,
                    "attempts": [{"at": AT, "statusCode": 503, "durationMs": 41, "error": "HTTP 503 Service Unavailable"},
                                 {"at": AT, "statusCode": 200, "durationMs": 38, "error": null}],
                    "createdAt": AT}]),
        ),
    ]
}
