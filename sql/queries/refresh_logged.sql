-- Records a refresh() run: $1 seconds, $2 whether the views were refreshed concurrently.
INSERT INTO annotate_internal.refresh_log (seconds, concurrent) VALUES ($1::double precision, $2::boolean)
