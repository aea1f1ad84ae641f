//! Who is asking: a user (with the filters a user may give) or an anonymous session. Below
//! every module of the request path that needs it (selection, resume points, leases, the API).

use pgrx::datum::Uuid;

/// Who is asking, with the filters each kind of caller may use.
#[derive(Clone, Copy, Debug)]
pub enum Caller {
    User { user_id: i32, batch_id: Option<i32>, url_id: Option<i32> },
    Anonymous { session_id: Uuid },
}

impl Caller {
    pub fn user(&self) -> Option<i32> {
        match self {
            Caller::User { user_id, .. } => Some(*user_id),
            Caller::Anonymous { .. } => None,
        }
    }

    pub fn session(&self) -> Option<Uuid> {
        match self {
            Caller::User { .. } => None,
            Caller::Anonymous { session_id } => Some(*session_id),
        }
    }

    pub fn batch(&self) -> Option<i32> {
        match self {
            Caller::User { batch_id, .. } => *batch_id,
            Caller::Anonymous { .. } => None,
        }
    }

    pub fn url(&self) -> Option<i32> {
        match self {
            Caller::User { url_id, .. } => *url_id,
            Caller::Anonymous { .. } => None,
        }
    }
}
