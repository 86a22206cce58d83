using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Pdp.Audit;
using Pdp.Contracts.V1;
using Pdp.Server.Decisions;
using Pdp.Server.Reviews;

namespace Pdp.Server.Auditing;

/// <summary>
/// Rebuilds what the server remembers — decisions, pending and settled reviews, used approvals, the
/// idempotency window — from the audit trail, so a restart (or a crash) loses none of it.
/// </summary>
public static class TrailReplayer
{
    public const string ServerReviewer = "pdp-server";

    private static readonly JsonParser Parser = new(JsonParser.Settings.Default.WithIgnoreUnknownFields(true));

    public static (int Decisions, int Dispositions) Replay(IEnumerable<AuditRecord> records, IDecisionStore store, IdempotencyCache idempotency, DateTimeOffset now)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(store);
        ArgumentNullException.ThrowIfNull(idempotency);
        var (decisions, dispositions) = (0, 0);
        foreach (var record in records)
        {
            var payload = record.Payload;
            switch (record.Type)
            {
                case DecisionRecorder.DecisionType:
                    var entry = ToEntry(payload);
                    store.Add(entry);
                    RememberRequest(entry, payload, idempotency, now);
                    decisions++;
                    break;
                case DecisionRecorder.DispositionType when store.Find(Text(payload, "decision_id")) is { } decided:
                    ApplyDisposition(decided, payload, record.Seq);
                    dispositions++;
                    break;
                case DecisionRecorder.ExpiryType when store.Find(Text(payload, "decision_id")) is { } expired:
                    var at = Time(payload, "expired_at");
                    expired.Apply(new DispositionEntry(ServerReviewer, ReviewOutcome.Expired, "no disposition before the review expired", at, string.Empty, null, record.Seq), ReviewState.Expired, at, string.Empty);
                    dispositions++;
                    break;
                case DecisionRecorder.ApprovalUseType when store.Find(Text(payload, "decision_id")) is { } approved:
                    // A used approval stays used across restarts: replaying the use is what refuses a second one.
                    approved.TryMarkApprovalUsed(new ApprovalUse(Text(payload, "use_id"), Time(payload, "used_at"), Text(payload, "action_digest"), record.Seq));
                    break;
            }
        }

        return (decisions, dispositions);
    }

    private static DecisionEntry ToEntry(JsonObject payload)
    {
        var response = Parser.Parse<DecideResponse>(payload["response"]!.ToJsonString());
        return new DecisionEntry(
            Text(payload, "decision_id"),
            Time(payload, "decided_at"),
            payload["input"]!.AsObject(),
            response,
            Text(payload, "deciding_policy"),
            Text(payload, "approver_group"),
            Text(payload, "action_digest"));
    }

    private static void ApplyDisposition(DecisionEntry entry, JsonObject payload, long seq)
    {
        var outcome = ReviewText.ParseOutcome(Text(payload, "outcome")) ?? throw new FormatException($"disposition record {seq} has no known outcome");
        var at = Time(payload, "recorded_at");
        var state = Enum.Parse<ReviewState>(Text(payload, "state"), ignoreCase: true);
        var settles = payload["settles"]?.GetValue<bool>() ?? false;
        var disposition = new DispositionEntry(Text(payload, "reviewer"), outcome, Text(payload, "justification"), at, Text(payload, "action_digest"), payload["parameters"] as JsonObject, seq);
        entry.Apply(disposition, state, settles ? at : null, Text(payload, "approved_digest"));
    }

    private static void RememberRequest(DecisionEntry entry, JsonObject payload, IdempotencyCache idempotency, DateTimeOffset now)
    {
        var requestId = entry.RecordedInput["request_id"]?.GetValue<string>();
        var digest = Text(payload, "request_digest");
        if (!string.IsNullOrEmpty(requestId) && digest.Length > 0)
        {
            idempotency.Remember(entry.AgentId, requestId, Convert.FromHexString(digest), entry.Response, entry.DecidedAt, now);
        }
    }

    private static string Text(JsonObject payload, string key) => payload[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : string.Empty;

    private static DateTimeOffset Time(JsonObject payload, string key) =>
        DateTimeOffset.Parse(Text(payload, key), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal);
}
