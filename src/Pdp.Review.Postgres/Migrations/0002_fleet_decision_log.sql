-- 0002_fleet_decision_log.sql: every instance's decisions, shipped from its local trail
-- (trail_id, trail_seq) is unique, so re-shipping a record after a crash is a no-op rather than a duplicate.
CREATE TABLE fleet_decisions (
  decision_id  uuid PRIMARY KEY,
  trail_id     text NOT NULL,
  trail_seq    bigint NOT NULL,
  record_hash  text NOT NULL,
  decided_at   timestamptz NOT NULL,
  verdict      text NOT NULL,
  policy_id    text NOT NULL,
  -- The trail's decision payload as its stored canonical JSON text: jsonb would make the database parse every
  -- decision of the fleet into its binary form, and the log is read by decision id (cast to jsonb to query it).
  decision     text NOT NULL,
  shipped_at   timestamptz NOT NULL DEFAULT now(),
  UNIQUE (trail_id, trail_seq)
);
-- How far each trail has been shipped: where a restarted shipper resumes, and the hash it must continue from.
CREATE TABLE fleet_trails (
  trail_id    text PRIMARY KEY,
  instance    text NOT NULL,
  last_seq    bigint NOT NULL,
  last_hash   text NOT NULL,
  updated_at  timestamptz NOT NULL DEFAULT now()
);
