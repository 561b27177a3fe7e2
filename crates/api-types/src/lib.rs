//! The wire format of the Nexkey External API (v5) as Latchkey serves it: header names,
//! error codes, and the request and response objects. Shared by the server, the typed
//! client, the CLI and the tests, so none of them can drift from the others.
//!
//! Request fields are all `Option`: the server reports a missing required field as 142
//! and a field of the wrong type as 111, each naming the field.

pub mod activity;
pub mod error;
pub mod group;
pub mod headers;
pub mod key;
pub mod lock;
pub mod notify;
pub mod unlock;
pub mod user;

pub use activity::{
    ACTIVITY_TYPES, ActivityBody, ActivityEntry, ActivityLock, GetActivityRequest, Initiator,
};
pub use error::{ErrorBody, ErrorCode};
pub use group::{
    CreateGroupRequest, GetGroupsRequest, Group, GroupLocksRequest, GroupRequest,
    GroupUsersRequest, ModifyGroupRequest,
};
pub use key::{
    AccessExplanation, AccessRule, ExplainAccessRequest, GetLockUsersRequest, GetUserKeysRequest,
    Key, KeyLock, KeyUser, ModifyKeyRequest, Patch, RevokeKeyRequest, Schedule, ScheduleInput,
    SendKeyRequest,
};
pub use lock::{
    Driver, GetLocksRequest, Lock, LockRequest, LockType, ModifyLockRequest, MqttPreset,
    RegisterLockRequest, TransferOwnershipRequest,
};
pub use notify::{
    Attempt, CATEGORIES, CreateWebhookRequest, Delivery, Device, DeviceIdRequest, Enrollment,
    EnrollmentIdRequest, EnrollmentRequest, GetDeliveriesRequest, GetMessagesRequest, Message,
    MessageSent, RegisterDeviceRequest, SendMessageRequest, Webhook, WebhookRequest, category_of,
};
pub use unlock::{
    LockdownResult, PerformUnlockRequest, SetLockdownRequest, StatusStep, UnlockRequest,
    UnlockStatusRequest,
};
pub use user::{
    ApiSecret, GetUserRequest, ModifiedUser, ModifyCurrentUserRequest, OrganizationCreated,
    RotateApiSecretRequest, SignInRequest, SignUpRequest, SignedIn, User, UserType,
};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A successful answer: HTTP 200, `{"result": …}`.
#[derive(Debug, Clone, Serialize, Deserialize, JsonSchema)]
pub struct Envelope<T> {
    pub result: T,
}

/// The empty object some functions answer with.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Empty {}
