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
