-- 0003_notify_escalation.sql: escalation of pending reviews, and the notification outbox
-- Who a review escalates to (fixed at decision time) and when it did: the escalation sweep looks at pending rows only.
ALTER TABLE review_decisions ADD COLUMN escalation_group text NOT NULL DEFAULT '';
ALTER TABLE review_decisions ADD COLUMN escalated_at timestamptz NULL;
-- One row per notification, written in the transaction of the review event it tells of, so none is lost and none is
-- written twice (event_id is the decision and the kind). Instances claim rows with FOR UPDATE SKIP LOCKED and a lease:
-- one delivers each; a row claimed by an instance that died is claimed again once its lease has passed.
CREATE TABLE notify_outbox (
  id               bigserial PRIMARY KEY,
  event_id         text NOT NULL UNIQUE,
  decision_id      uuid NOT NULL,
  notice           jsonb NOT NULL,
  enqueued_at      timestamptz NOT NULL DEFAULT now(),
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  attempts         int NOT NULL DEFAULT 0,
  delivered_to     int[] NOT NULL DEFAULT '{}',
  claimed_by       text NULL,
  claimed_until    timestamptz NULL,
  finished_at      timestamptz NULL,
  outcome          text NULL
);
CREATE INDEX notify_outbox_open ON notify_outbox (next_attempt_at) WHERE finished_at IS NULL;
