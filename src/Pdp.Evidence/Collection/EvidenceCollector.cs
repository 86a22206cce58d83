using System.Text.Json.Nodes;
using Pdp.Audit;
using Pdp.Review.Events;
using Pdp.Review.Model;

namespace Pdp.Evidence.Collection;

/// <summary>
/// Gathers the records a report counts while the trail is verified (hand <see cref="Add(AuditRecord)"/> to the
/// verifier's per-record check, so the trail is read once), then builds the figures for a filter. Review records are
/// attributed through their decision, which may precede the period: the whole trail is read, only the period counted.
/// </summary>
public sealed class EvidenceCollector
{
    private readonly Dictionary<string, DecisionNote> _decisions = new(StringComparer.Ordinal);
    private readonly List<ReviewNote> _reviews = [];
    private readonly List<PolicyLoadEvent> _loads = [];

    /// <summary>Records read (of the types the report counts).</summary>
    public long RecordsRead { get; private set; }

    /// <summary>Records of a counted type whose payload could not be read (named in the report, never silently dropped).</summary>
    public long Unreadable { get; private set; }

    /// <summary>Reads one verified record; returns null so it can serve as the verifier's check.</summary>
    public string? Add(AuditRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (!EvidenceRecordTypes.IsRead(record.Type))
        {
            return null;
        }

        if (record.Type == DecisionEventJson.Type)
        {
            try
            {
                AddDecision(DecisionEventJson.Read(record.CanonicalPayload));
            }
            catch (Exception e) when (e is FormatException or InvalidOperationException or System.Text.Json.JsonException)
            {
                Unreadable++;
            }

            return null;
        }

        Add(record.Type, record.Time, record.Payload);
        return null;
    }

    /// <summary>Reads one record given by its parts (the fleet log's rows).</summary>
    public void Add(string type, DateTimeOffset time, JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(type);
        ArgumentNullException.ThrowIfNull(payload);
        try
        {
            switch (type)
            {
                case DecisionEventJson.Type:
                    AddDecision(DecisionEventJson.Read(payload));
                    break;
                case PolicyLoadEventJson.Type:
                    _loads.Add(PolicyLoadEventJson.Read(payload));
                    RecordsRead++;
                    break;
                case RefusalEventJson.Type:
                    var refusal = RefusalEventJson.Read(payload, time);
                    AddReview(new ReviewNote(ReviewKind.Refused, refusal.DecisionId, refusal.At, refusal.Reviewer, false, false, refusal.Rule));
                    break;
                case var _ when EvidenceRecordTypes.Escalation.Contains(type):
                    var at = payload["escalated_at"] is JsonValue v && v.TryGetValue<string>(out var text) ? EventTime.Parse(text) : time;
                    AddReview(new ReviewNote(ReviewKind.Escalated, ReviewEventJson.DecisionIdOf(payload), at, string.Empty, false, false, string.Empty));
                    break;
                case var _ when ReviewEventJson.IsReviewEvent(type):
                    AddChange(ReviewEventJson.DecisionIdOf(payload), ReviewEventJson.Read(type, payload, 0));
                    break;
            }
        }
        catch (Exception e) when (e is FormatException or InvalidOperationException or System.Text.Json.JsonException)
        {
            Unreadable++;
        }
    }

    /// <summary>The figures for <paramref name="filter"/>, as <see cref="EvidenceFigures"/> over everything read so far.</summary>
    public EvidenceFigures Build(EvidenceFilter filter)
    {
        ArgumentNullException.ThrowIfNull(filter);
        return EvidenceFigures.Build(filter, _decisions, _reviews, _loads);
    }

    private void AddDecision(DecisionFacts facts)
    {
        RecordsRead++;
        var action = facts.RecordedInput["action"] is JsonObject a && a["type"] is JsonValue t && t.TryGetValue<string>(out var type) ? type : string.Empty;
        _decisions[facts.DecisionId] = new DecisionNote(
            facts.DecisionId,
            facts.DecidedAt,
            facts.Verdict,
            facts.ControlOwner,
            facts.PolicyId,
            [.. facts.Reasons.Select(r => r.PolicyId).Where(p => p.Length > 0)],
            facts.PolicyRevision,
            facts.MinApprovals,
            action);
    }

    private void AddChange(string decisionId, ReviewChange? change)
    {
        // Only dispositions and expiries are outcomes: an approval's use by the request it approved is not, and other
        // review changes are counted by record type above.
        ReviewKind? kind = change?.Kind switch
        {
            ReviewChangeKind.Expiry => ReviewKind.Expired,
            ReviewChangeKind.Disposition => change.Outcome switch
            {
                ReviewOutcome.Approved => ReviewKind.Approved,
                ReviewOutcome.Rejected => ReviewKind.Rejected,
                ReviewOutcome.Modified => ReviewKind.Modified,
                ReviewOutcome.Reversed => ReviewKind.Reversed,
                _ => ReviewKind.Expired,
            },
            _ => null,
        };
        if (change is null || kind is null)
        {
            return;
        }

        AddReview(new ReviewNote(kind.Value, decisionId, change.At, change.Reviewer, change.RubberStamp, change.Settles, string.Empty));
    }

    private void AddReview(ReviewNote note)
    {
        RecordsRead++;
        _reviews.Add(note);
    }
}
