#!/usr/bin/env bash
# Where each database's unleased range starts (src/head.rs) is kept in shared memory for at
# most 64 databases. A dropped database's slot was never given back: once 64 databases had
# taken leases on a server (a test server creating and dropping them, a tenant per database),
# every database after them walked from the start of the range, over every lease taken since
# the last vacuum. DROP DATABASE now frees the slot. This creates 70 databases one after the
# other from a template, takes a lease in each, checks that it holds a slot
# (status()->'lease_heads') and drops it.
set -euo pipefail
cd "$(dirname "$0")/../.."
eval "$(scripts/cluster env)"
q() { PGOPTIONS="-c client_min_messages=warning" psql -X -q -At -v ON_ERROR_STOP=1 "$@"; }
fail() { echo "lease_heads: $*" >&2; exit 1; }
template=annotate_t_heads_template

q -d postgres -c "DROP DATABASE IF EXISTS $template WITH (FORCE)" -c "CREATE DATABASE $template TEMPLATE annotate_fixture"
q -d "$template" <<'SQL'
INSERT INTO public.batches (id, strategy, status) VALUES (1, 'manual', 'ready to label');
INSERT INTO public.urls (id, url, source) SELECT i, 'heads.example/' || i, 'collector' FROM generate_series(1, 20) i;
INSERT INTO public.link_batches__urls (batch_id, url_id) SELECT 1, i FROM generate_series(1, 20) i;
CREATE EXTENSION annotate_ext;
SQL
# A template must have no session: wait for its folder, if one started, to leave (2 idle s).
for _ in $(seq 100); do
    [ "$(q -d postgres -c "SELECT count(*) FROM pg_stat_activity WHERE datname = '$template'")" = 0 ] && break
    sleep 0.1
done

for i in $(seq 1 70); do
    db=annotate_t_heads_$i
    q -d postgres -c "CREATE DATABASE $db TEMPLATE $template"
    got=$(q -d "$db" -c "SELECT count(*) FROM annotate.next_url_for_annotation(1, claim_for => '1 minute')" \
              -c "SELECT annotate.status()->'lease_heads'->>'this_database', annotate.status()->'lease_heads'->>'databases'")
    leased=$(echo "$got" | sed -n 1p)
    holds=$(echo "$got" | sed -n 2p | cut -d'|' -f1)
    used=$(echo "$got" | sed -n 2p | cut -d'|' -f2)
    [ "$leased" = 1 ] || fail "database $i: leased $leased URLs, not 1"
    [ "$holds" = true ] || fail "database $i: holds no slot for its head ($used of 64 taken)"
    q -d postgres -c "DROP DATABASE $db WITH (FORCE)"
done
q -d postgres -c "DROP DATABASE $template WITH (FORCE)"
echo "lease_heads: 70 databases made and dropped one after another, each holding a slot ($used taken at the last)"
