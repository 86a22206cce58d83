-- 0001_review_plane.sql: review state shared by every instance, and its hash chain
-- One row per decision that went through review; state moves pending -> approved/rejected/modified/reversed/expired.
CREATE TABLE review_decisions (
  decision_id     uuid PRIMARY KEY,
  decided_at      timestamptz NOT NULL,
  policy_id       text NOT NULL,
  approver_group  text NOT NULL,
  verdict         text NOT NULL CHECK (verdict IN ('allow','deny','require_human')),
  expires_at      timestamptz NULL,
  min_approvals   int NOT NULL DEFAULT 1,
  state           text NOT NULL CHECK (state IN ('not_required','pending','approved','rejected','modified','reversed','expired')),
  settled_at      timestamptz NULL,
  approved_digest text NOT NULL DEFAULT '',
  approval_use    jsonb NULL,
  decision        jsonb NOT NULL,
  instance        text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT now()
);
-- The expiry sweep and the per-group pending queue only ever look at pending rows.
CREATE INDEX review_decisions_pending ON review_decisions (expires_at) WHERE state = 'pending';
CREATE INDEX review_decisions_pending_group ON review_decisions (approver_group, expires_at) WHERE state = 'pending';
-- Every review event, in one hash chain across all instances (seq is the chain position).
CREATE TABLE review_events (
  seq          bigint PRIMARY KEY,
  decision_id  uuid NOT NULL REFERENCES review_decisions (decision_id),
  type         text NOT NULL,
  reviewer     text NOT NULL DEFAULT '',
  instance     text NOT NULL,
  line         text NOT NULL,
  hash         text NOT NULL
);
CREATE INDEX review_events_decision ON review_events (decision_id, seq);
-- The chain's tip, a single row: appenders lock it to take the next seq and the previous hash.
CREATE TABLE review_chain_head (
  id    int PRIMARY KEY CHECK (id = 1),
  seq   bigint NOT NULL,
  hash  text NOT NULL
);
INSERT INTO review_chain_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');
