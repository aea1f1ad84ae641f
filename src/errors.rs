//! Errors as users read them: `ERROR:  annotate.<function>: <what>`, with an SQLSTATE a client
//! can act on, a detail and a hint, and no Rust backtrace.

use pgrx::pg_sys::panic::ErrorReport;
use pgrx::prelude::*;

/// Raises an ERROR with `code`, `message` and optionally a detail and a hint.
pub fn raise(code: PgSqlErrorCode, message: String, detail: Option<&str>, hint: Option<&str>) -> ! {
    let mut report = ErrorReport::new(code, message, "annotate_ext");
    if let Some(detail) = detail {
        report = report.set_detail(detail);
    }
    if let Some(hint) = hint {
        report = report.set_hint(hint);
    }
    report.report(PgLogLevel::ERROR);
    unreachable!("ERROR does not return");
}

/// Raises `annotate.<function>: <message>` with SQLSTATE 22023 (invalid_parameter_value).
pub fn bad_argument(function: &str, message: impl AsRef<str>) -> ! {
    raise(
        PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE,
        format!("annotate.{function}: {}", message.as_ref()),
        None,
        None,
    )
}

/// An error caught by [`in_subtransaction`], with what a report of it needs.
#[derive(Debug, Clone)]
pub struct Caught {
    pub code: PgSqlErrorCode,
    pub message: String,
    pub detail: Option<String>,
    pub hint: Option<String>,
}

impl Caught {
    /// The five-character SQLSTATE.
    pub fn sqlstate(&self) -> String {
        sqlstate(self.code)
    }

    /// Raises it again as `message` (which should include the original), keeping its SQLSTATE,
    /// detail and hint.
    pub fn raise_as(&self, message: String) -> ! {
        raise(self.code, message, self.detail.as_deref(), self.hint.as_deref())
    }
}

/// The five characters of an SQLSTATE (PostgreSQL packs them six bits each).
pub fn sqlstate(code: PgSqlErrorCode) -> String {
    let packed = code as i32;
    (0..5).map(|i| char::from(b'0' + ((packed >> (6 * i)) & 0x3F) as u8)).collect()
}

/// Runs `f` in a subtransaction, as PL/pgSQL runs a block with an EXCEPTION clause: when `f`
/// raises an error, what it did is rolled back, the transaction goes on, and the error is
/// returned. Query cancellations are caught like any error; the caller decides what to raise.
pub fn in_subtransaction<R>(f: impl FnOnce() -> R) -> Result<R, Caught> {
    use pgrx::pg_sys::panic::{CaughtError, ErrorReportWithLevel};
    use std::panic::{catch_unwind, AssertUnwindSafe};

    // SAFETY: the sequence of PL/pgSQL's exec_stmt_block: begin an internal subtransaction,
    // stay in the caller's memory context, and on the way out (released or rolled back) come
    // back to the caller's memory context and resource owner.
    unsafe {
        let context = pg_sys::CurrentMemoryContext;
        let owner = pg_sys::CurrentResourceOwner;
        pg_sys::BeginInternalSubTransaction(std::ptr::null());
        pg_sys::MemoryContextSwitchTo(context);
        let outcome = catch_unwind(AssertUnwindSafe(f));
        match outcome {
            Ok(r) => {
                pg_sys::ReleaseCurrentSubTransaction();
                pg_sys::MemoryContextSwitchTo(context);
                pg_sys::CurrentResourceOwner = owner;
                Ok(r)
            }
            Err(payload) => {
                pg_sys::MemoryContextSwitchTo(context);
                pg_sys::RollbackAndReleaseCurrentSubTransaction();
                pg_sys::MemoryContextSwitchTo(context);
                pg_sys::CurrentResourceOwner = owner;
                let from = |e: &ErrorReportWithLevel| Caught {
                    code: e.sql_error_code(),
                    message: e.message().to_string(),
                    detail: e.detail().map(str::to_string),
                    hint: e.hint().map(str::to_string),
                };
                let caught = if let Some(e) = payload.downcast_ref::<CaughtError>() {
                    match e {
                        CaughtError::PostgresError(r)
                        | CaughtError::ErrorReport(r)
                        | CaughtError::RustPanic { ereport: r, .. } => from(r),
                    }
                } else if let Some(r) = payload.downcast_ref::<ErrorReportWithLevel>() {
                    from(r)
                } else {
                    let text = payload
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                        .unwrap_or_else(|| "internal error".into());
                    Caught {
                        code: PgSqlErrorCode::ERRCODE_INTERNAL_ERROR,
                        message: text,
                        detail: None,
                        hint: None,
                    }
                };
                Err(caught)
            }
        }
    }
}

#[cfg(test)]
mod unit {
    use super::*;

    #[test]
    fn sqlstates_unpack() {
        assert_eq!(sqlstate(PgSqlErrorCode::ERRCODE_INVALID_PARAMETER_VALUE), "22023");
        assert_eq!(sqlstate(PgSqlErrorCode::ERRCODE_LOCK_NOT_AVAILABLE), "55P03");
        assert_eq!(sqlstate(PgSqlErrorCode::ERRCODE_QUERY_CANCELED), "57014");
    }
}
