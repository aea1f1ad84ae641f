//! One-session tests, each inside a transaction that is rolled back. The test build carries
//! the app fixture (tests/fixtures/app_schema.sql), so every test starts from empty app tables.

#[pgrx::pg_schema]
mod tests {
    use pgrx::prelude::*;

    fn run(sql: &str) {
        Spi::run(sql).unwrap_or_else(|e| panic!("{e}: {sql}"));
    }

    fn one<T: FromDatum + IntoDatum>(sql: &str) -> T {
        Spi::get_one::<T>(sql).unwrap_or_else(|e| panic!("{e}: {sql}")).expect("a non-NULL value")
    }

    /// Two URLs in one batch, one agency, one location, an anonymous session.
    fn small_app() {
        run("INSERT INTO public.urls (id, url, source, scheme) VALUES
                (1, 'example.com/a', 'collector', 'https'),
                (2, 'example.com/b', 'manual', NULL),
                (3, 'example.com/c', 'collector', 'http')");
        run("INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label')");
        run("INSERT INTO public.link_batches__urls (batch_id, url_id) VALUES (1, 1), (1, 2)");
        run("INSERT INTO public.agencies (id, name, jurisdiction_type) VALUES (1, 'Police A', 'local')");
        run("INSERT INTO public.us_states (state_iso, state_name) VALUES ('PA', 'Pennsylvania')");
        run("INSERT INTO public.anonymous_sessions (id) VALUES ('00000000-0000-0000-0000-000000000001')");
    }

    #[pg_test]
    fn count_view_has_the_prs_columns() {
        let cols: String = one("SELECT string_agg(attname, ',' ORDER BY attnum) FROM pg_attribute
             WHERE attrelid = 'annotate.url_annotation_count_view'::regclass AND attnum > 0");
        assert_eq!(
            cols,
            "url_id,auto_agency_count,auto_location_count,auto_record_type_count,auto_url_type_count,\
             user_agency_count,user_location_count,user_record_type_count,user_url_type_count,\
             anon_agency_count,anon_location_count,anon_record_type_count,anon_url_type_count,\
             total_anno_count"
        );
        let bigints: i64 = one(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'annotate.url_annotation_count_view'::regclass
             AND attnum > 1 AND atttypid = 'int8'::regtype",
        );
        assert_eq!(bigints, 13);
        let flags: i64 = one(
            "SELECT count(*) FROM pg_attribute WHERE attrelid = 'annotate.url_annotation_flags'::regclass
             AND attnum > 1 AND atttypid = 'bool'::regtype",
        );
        assert_eq!(flags, 10);
        let unique: i64 = one("SELECT count(*) FROM pg_index WHERE indisunique AND indrelid IN
             ('annotate.url_annotation_count_view'::regclass, 'annotate.url_annotation_flags'::regclass)");
        assert_eq!(unique, 2);
    }

    #[pg_test]
    fn anon_counts_land_on_their_own_url() {
        small_app();
        // URL 1: two user url-type votes. URL 2: one anon url-type vote and one anon location vote.
        run("INSERT INTO public.annotation__url_type__user (url_id, user_id, type) VALUES
             (1, 10, 'data source'), (1, 11, 'meta url')");
        run("INSERT INTO public.annotation__url_type__anon (url_id, url_type, session_id) VALUES
             (2, 'data source', '00000000-0000-0000-0000-000000000001')");
        run("INSERT INTO public.annotation__location__anon (url_id, location_id, session_id) VALUES
             (2, 1, '00000000-0000-0000-0000-000000000001')");
        run("INSERT INTO public.annotation__url_type__auto (url_id, relevant, confidence) VALUES (3, true, 0.5)");
        annotate_refresh(false);

        let row = |id: i32| -> (i64, i64, i64, i64, i64) {
            Spi::connect(|c| {
                let r = c
                    .select(
                        "SELECT user_url_type_count, anon_url_type_count, auto_url_type_count,
                                anon_location_count, total_anno_count
                         FROM annotate.url_annotation_count_view WHERE url_id = $1",
                        None,
                        &[id.into()],
                    )?
                    .first();
                Ok::<_, pgrx::spi::Error>((
                    r.get(1)?.unwrap(),
                    r.get(2)?.unwrap(),
                    r.get(3)?.unwrap(),
                    r.get(4)?.unwrap(),
                    r.get(5)?.unwrap(),
                ))
            })
            .unwrap()
        };
        assert_eq!(row(1), (2, 0, 0, 0, 2));
        assert_eq!(row(2), (0, 1, 0, 1, 2));
        assert_eq!(row(3), (0, 0, 1, 0, 1));

        let flags: (bool, bool, bool) = Spi::get_three(
            "SELECT has_user_relevant_suggestion, has_auto_relevant_suggestion, was_reviewed
             FROM annotate.url_annotation_flags WHERE url_id = 1",
        )
        .map(|(a, b, c)| (a.unwrap(), b.unwrap(), c.unwrap()))
        .unwrap();
        assert_eq!(flags, (true, false, false));
    }

    fn annotate_refresh(concurrently: bool) -> Vec<(String, i64)> {
        Spi::connect(|c| {
            c.select("SELECT step, rows FROM annotate.refresh($1)", None, &[concurrently.into()])?
                .map(|r| Ok((r.get::<String>(1)?.unwrap(), r.get::<i64>(2)?.unwrap())))
                .collect::<Result<Vec<_>, pgrx::spi::Error>>()
        })
        .unwrap()
    }

    #[pg_test]
    fn refresh_picks_up_new_rows_and_reports_its_steps() {
        let before: i64 = one("SELECT count(*) FROM annotate.url_annotation_count_view");
        assert_eq!(before, 0);
        small_app();
        let stale: i64 = one("SELECT count(*) FROM annotate.url_annotation_count_view");
        assert_eq!(stale, 0, "a materialized view changes only on refresh");

        let steps = annotate_refresh(true);
        assert_eq!(
            steps,
            vec![
                ("url_annotation_count_view".to_string(), 3),
                ("url_annotation_flags".to_string(), 3),
                ("queue".to_string(), 0), // the triggers kept it current: nothing to correct
                ("claims".to_string(), 0),
                ("total".to_string(), 6)
            ]
        );
        run("INSERT INTO public.annotation__agency__user (agency_id, url_id, user_id) VALUES (1, 3, 7)");
        annotate_refresh(true);
        let n: i64 = one("SELECT user_agency_count FROM annotate.url_annotation_count_view WHERE url_id = 3");
        assert_eq!(n, 1);
        let logged: i64 = one("SELECT count(*) FROM annotate.refresh_log WHERE concurrent");
        assert_eq!(logged, 2);
    }

    #[pg_test(error = "annotate_ext: the application table public.flag_url_suspended is missing")]
    fn install_check_names_the_missing_table() {
        run("ALTER TABLE public.flag_url_suspended RENAME TO flag_url_suspended_gone");
        run(include_str!("../sql/app_check.sql"));
    }

    #[pg_test]
    fn install_check_passes_on_the_app_schema() {
        run(include_str!("../sql/app_check.sql"));
    }

    #[pg_test]
    fn extension_indexes_are_prefixed_and_owned_by_the_extension() {
        let ours: i64 =
            one("SELECT count(*) FROM pg_class i JOIN pg_depend d ON d.objid = i.oid AND d.deptype = 'a'
             JOIN pg_extension e ON e.oid = d.refobjid AND e.extname = 'annotate_ext'
             WHERE i.relkind = 'i' AND i.relname LIKE 'annotate\\_%'");
        let named: i64 =
            one("SELECT count(*) FROM pg_class WHERE relkind = 'i' AND relname LIKE 'annotate\\_%'
             AND relnamespace = 'public'::regnamespace");
        assert!(ours > 0);
        assert_eq!(ours, named);
    }
}
