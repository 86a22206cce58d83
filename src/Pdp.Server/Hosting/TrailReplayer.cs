using Pdp.Server.Auditing;
using Pdp.Audit;
using Pdp.Review.Events;
using Pdp.Review.Model;
using Pdp.Review.Store;
using Pdp.Server.Decisions;

namespace Pdp.Server.Hosting;

/// <summary>
/// Rebuilds what the server remembers from the audit trail — the idempotency window always, and with the
/// local review store its decisions, pending and settled reviews and used approvals — so a restart (or a
/// crash) loses none of it. A shared store keeps review state itself and gets nothing from here.
/// </summary>
public static class TrailReplayer
{
    public static (int Decisions, int Dispositions) Replay(IEnumerable<AuditRecord> records, LocalReviewStore? store, IdempotencyCache idempotency, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(idempotency);
        var (decisions, dispositions) = (0, 0);
        foreach (var record in records)
        {
            if (record.Type == DecisionEventJson.Type)
            {
                // By its head: most kept decisions are settled and stay as bytes; only a request still in the
                // idempotency window needs its answer rebuilt.
                var payload = record.CanonicalPayload;
                var head = DecisionHead.Read(payload.Span);
                store?.Restore(head, payload);
                if (head.HasRequest && idempotency.Covers(head.DecidedAt, now))
                {
                    RememberRequest(DecisionEventJson.Read(record.Payload), idempotency, now);
                }

                decisions++;
            }
            else if (store is not null && ReviewEventJson.Read(record.Type, record.Payload, record.Seq) is { } change
                && store.Replay(ReviewEventJson.DecisionIdOf(record.Payload), change, record.Seq)
                && change.Kind != ReviewChangeKind.ApprovalUse)
            {
                // A used approval stays used across restarts: replaying the use is what refuses a second one.
                dispositions++;
            }
        }

        return (decisions, dispositions);
    }

    private static void RememberRequest(DecisionFacts facts, IdempotencyCache idempotency, DateTimeOffset now)
    {
        var requestId = facts.RequestId;
        if (requestId.Length > 0 && facts.RequestDigest.Length > 0)
        {
            idempotency.Remember(facts.AgentId, requestId, facts.RequestDigest, DecisionResponseMapper.ToResponse(facts), facts.DecidedAt, now);
        }
    }
}
