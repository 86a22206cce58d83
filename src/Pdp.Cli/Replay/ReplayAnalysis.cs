using System.Text.Json.Nodes;
using Pdp.Audit;
using Pdp.Evaluation;
using Pdp.Evaluation.Results;
using Pdp.Evaluation.Testing;
using Pdp.Review.Events;

namespace Pdp.Cli.Replay;

/// <summary>
/// Re-evaluates every <c>decision</c> record of a trail against a candidate policy set and joins the human
/// dispositions to it, as the server's <c>DecisionRecorder</c> writes them:
/// <list type="bullet">
/// <item><c>decision</c>: <c>decision_id</c>, <c>decided_at</c>, <c>input</c> (the exact, already redacted document
/// the policies saw, whose <c>time</c> pins <c>Date.now()</c>), <c>response</c> (protobuf JSON: <c>verdict</c> is
/// <c>VERDICT_ALLOW</c>, …), <c>deciding_policy</c>;</item>
/// <item><c>disposition</c>: <c>decision_id</c> and the review <c>state</c> it led to (<c>pending</c> until
/// <c>min_approvals</c> is reached);</item>
/// <item><c>expiry</c>: <c>decision_id</c>.</item>
/// </list>
/// Other record types are skipped. The input is evaluated as it is: the server's defaults are already in it.
/// </summary>
internal static class ReplayAnalysis
{
    public const string DecisionType = "decision";
    public const string DispositionType = "disposition";
    public const string ExpiryType = "expiry";

    /// <summary>Replays <paramref name="records"/> (oldest first) against <paramref name="candidate"/>.</summary>
    /// <exception cref="InvalidDataException">A decision or disposition record is not in the server's format; the message starts with its seq.</exception>
    public static ReplayReport Run(IEnumerable<AuditRecord> records, PolicyEvaluator candidate)
    {
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(candidate);
        var decisions = new List<ReplayedDecision>();
        var known = new HashSet<string>(StringComparer.Ordinal);
        var human = new Dictionary<string, HumanOutcome>(StringComparer.Ordinal);
        var (joined, unmatched) = (0, 0);
        foreach (var record in records)
        {
            switch (record.Type)
            {
                case DecisionType:
                    var replayed = Replay(record, candidate);
                    known.Add(replayed.DecisionId);
                    decisions.Add(replayed);
                    break;
                case DispositionType or ExpiryType:
                    var id = Text(record.Payload, "decision_id");
                    if (!known.Contains(id))
                    {
                        // Its decision is in a file not read (one rotated file given alone): nothing to join it to.
                        unmatched++;
                        break;
                    }

                    human[id] = record.Type == ExpiryType ? HumanOutcome.Expired : SettledState(record);
                    joined++;
                    break;
            }
        }

        var result = decisions.Select(d => human.TryGetValue(d.DecisionId, out var outcome) ? d with { Human = outcome } : d).ToArray();
        return new ReplayReport(result, candidate.PolicySet.Revision, joined, unmatched);
    }

    private static ReplayedDecision Replay(AuditRecord record, PolicyEvaluator candidate)
    {
        var payload = record.Payload;
        var id = Text(payload, "decision_id");
        if (id.Length == 0)
        {
            throw Bad(record, "has no \"decision_id\"");
        }

        if (payload["input"] is not JsonObject)
        {
            throw Bad(record, "has no \"input\" object");
        }

        if (payload["response"] is not JsonObject response || !TryParseVerdict(Text(response, "verdict"), out _))
        {
            throw Bad(record, "has no \"response.verdict\" of VERDICT_ALLOW, VERDICT_DENY or VERDICT_REQUIRE_HUMAN");
        }

        // Read through the same type the server writes and replays the event with.
        var facts = DecisionEventJson.Read(payload);
        var input = facts.RecordedInput;
        var actionType = InputDocument.ActionTypeOf(input);
        var decision = candidate.Evaluate(new EvaluationRequest(input, actionType, InputDocument.TimeOf(input)));
        return new ReplayedDecision(
            record.Seq,
            facts.DecisionId,
            Text(payload, "decided_at"),
            actionType,
            facts.Verdict switch
            {
                Pdp.Review.Model.DecisionVerdict.Allow => Verdict.Allow,
                Pdp.Review.Model.DecisionVerdict.RequireHuman => Verdict.RequireHuman,
                _ => Verdict.Deny,
            },
            facts.PolicyId.Length > 0 ? facts.PolicyId : DecisionCombiner.DefaultPolicyId,
            facts.PolicyRevision,
            decision.Verdict,
            decision.DecidingPolicyId ?? DecisionCombiner.DefaultPolicyId,
            decision.Reasons.Count > 0 ? decision.Reasons[0].Message : string.Empty,
            decision.Outcomes.Any(o => o.Error != PolicyErrorKind.None),
            HumanOutcome.None);
    }

    private static HumanOutcome SettledState(AuditRecord record)
    {
        var state = Text(record.Payload, "state");
        return HumanOutcomeText.FromState(state) ?? throw Bad(record, $"has an unknown review \"state\" '{state}'");
    }

    /// <summary>The protobuf JSON name of a verdict, as <c>response.verdict</c> holds it.</summary>
    public static bool TryParseVerdict(string text, out Verdict verdict)
    {
        (var known, verdict) = text switch
        {
            "VERDICT_ALLOW" => (true, Verdict.Allow),
            "VERDICT_REQUIRE_HUMAN" => (true, Verdict.RequireHuman),
            "VERDICT_DENY" => (true, Verdict.Deny),
            _ => (false, Verdict.Deny),
        };
        return known;
    }

    private static InvalidDataException Bad(AuditRecord record, string what) =>
        new($"seq {record.Seq}: {record.Type} record {what}; it is not in the format the server writes");

    private static string Text(JsonObject payload, string key) =>
        payload[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : string.Empty;
}
