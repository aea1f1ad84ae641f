//! Configuration: `annotate.selection` and `annotate.track_timing`.

use pgrx::{GucContext, GucFlags, GucRegistry, GucSetting, PostgresGucEnum};

/// Where selection takes its vote counts from (SPEC 3.4).
#[derive(PostgresGucEnum, Clone, Copy, PartialEq, Eq, Debug)]
pub enum Selection {
    /// The base tables at the moment of the call.
    #[name = c"live"]
    Live,
    /// The materialized views as of the last `annotate.refresh()` (the upstream PR's behaviour).
    #[name = c"snapshot"]
    Snapshot,
}

impl Selection {
    pub fn as_str(self) -> &'static str {
        match self {
            Selection::Live => "live",
            Selection::Snapshot => "snapshot",
        }
    }
}

pub static SELECTION: GucSetting<Selection> = GucSetting::<Selection>::new(Selection::Live);
pub static TRACK_TIMING: GucSetting<bool> = GucSetting::<bool>::new(true);

pub fn init() {
    GucRegistry::define_enum_guc(
        c"annotate.selection",
        c"Where annotate_ext's selection reads vote counts: live tables or the materialized views.",
        c"live (default) reads the base tables at call time; snapshot reads the views as of the last annotate.refresh(). Eligibility filters are always live.",
        &SELECTION,
        GucContext::Userset,
        GucFlags::default(),
    );
    GucRegistry::define_bool_guc(
        c"annotate.track_timing",
        c"Record per-phase timings of annotate.next_annotation calls.",
        c"When off, no clock is read and no statistics are kept.",
        &TRACK_TIMING,
        GucContext::Userset,
        GucFlags::default(),
    );
}
