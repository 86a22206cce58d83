using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Pdp.Audit;
using Pdp.Audit.Redaction;
using Pdp.Evaluation;
using Pdp.Evaluation.Results;
using Pdp.Server.Configuration;
using Pdp.Server.Metrics;
using Pdp.Review.Events;
using Pdp.Review.Model;
using Pdp.Review.Rules;
using Pdp.Review.Store;

namespace Pdp.Server.Auditing;

/// <summary>
/// Writes what happened to the audit trail: decisions (the AI's proposed action as sent, masked where
/// a redaction list says so), dispositions, expiries, refusals and policy loads. Every method returns
/// once the record is durable (per <see cref="AuditOptions.Durability"/>); callers answer only then.
/// </summary>
public sealed class DecisionRecorder(IAuditTrail trail, PdpMetrics metrics, IOptions<PdpOptions> options) : IReviewJournal
{
    public const string DecisionType = DecisionEventJson.Type;
    public const string DispositionType = ReviewEventJson.DispositionType;
    public const string ExpiryType = ReviewEventJson.ExpiryType;
    public const string RefusalType = RefusalEventJson.Type;
    public const string PolicyLoadType = PolicyLoadEventJson.Type;

    /// <summary>An approved decision's one use by the request it approved (Envoy retry); replayed on restart.</summary>
    public const string ApprovalUseType = ReviewEventJson.ApprovalUseType;

    /// <summary>A request a front door (Envoy Check) denied without a policy decision: malformed, unmapped, or a refused approval.</summary>
    public const string CheckRefusalType = "check_refusal";

    private readonly IReadOnlyList<string> _configuredRedactions = [.. options.Value.Audit.Redact];
    private readonly Prometheus.Counter.Child _decisionRecords = metrics.AuditRecords.WithLabels(DecisionType);
    private RevisionRedactions? _redactions;

    /// <summary>The input as it may be kept: every path on the config's or any policy's redaction list masked.</summary>
    public JsonObject Redact(JsonObject input, PolicyEvaluator evaluator)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        var paths = RedactionsOf(evaluator);
        return paths.Length == 0 ? input : AuditRedactor.Mask(input, paths);
    }

    /// <summary>The paths of one revision, gathered once per revision rather than once per decision.</summary>
    private string[] RedactionsOf(PolicyEvaluator evaluator)
    {
        var cached = Volatile.Read(ref _redactions);
        if (cached is not null && ReferenceEquals(cached.Evaluator, evaluator))
        {
            return cached.Paths;
        }

        var paths = _configuredRedactions.Concat(evaluator.PolicySet.Policies.SelectMany(p => p.Metadata.Redact)).ToArray();
        Volatile.Write(ref _redactions, new RevisionRedactions(evaluator, paths));
        return paths;
    }

    private sealed record RevisionRedactions(PolicyEvaluator Evaluator, string[] Paths);

    /// <summary>
    /// Records a decision and returns it with its recorded payload: the canonical bytes written once, kept by the
    /// trail as they are, and by the local review store in place of the parsed input.
    /// </summary>
    public async Task<DecisionFacts> RecordDecisionAsync(DecisionFacts facts, Decision decision, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(facts);
        ArgumentNullException.ThrowIfNull(decision);
        var outcomes = new PolicyVerdictEntry[decision.Outcomes.Count];
        for (var i = 0; i < outcomes.Length; i++)
        {
            var o = decision.Outcomes[i];
            outcomes[i] = new PolicyVerdictEntry(o.PolicyId, o.Verdict?.ToText() ?? "not_applicable", o.Error == PolicyErrorKind.None ? null : o.Error.ToString().ToLowerInvariant());
        }

        var payload = DecisionEventWriter.Write(facts, outcomes);
        try
        {
            await trail.AppendCanonicalAsync(DecisionType, payload, cancellationToken).ConfigureAwait(false);
            _decisionRecords.Inc();
        }
        catch (AuditWriteException)
        {
            metrics.AuditFailures.Inc();
            throw;
        }

        return facts with { RecordedPayload = payload };
    }

    /// <summary>Records a review change (disposition, expiry, approval use) in the local trail.</summary>
    public async ValueTask<long> RecordAsync(DecisionFacts decision, ReviewChange change, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(decision);
        ArgumentNullException.ThrowIfNull(change);
        return await AppendAsync(ReviewEventJson.TypeOf(change), ReviewEventJson.Write(decision.DecisionId, change), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records a disposition the review rules refused, naming the rule (<see cref="RefusalEventJson"/>).</summary>
    public async Task RecordRefusalAsync(string decisionId, DispositionCommand command, ReviewRefusedException refusal, DateTimeOffset at, CancellationToken cancellationToken) =>
        await AppendAsync(RefusalType, RefusalEventJson.Write(decisionId, command, refusal, at), cancellationToken).ConfigureAwait(false);

    /// <summary>
    /// Records a request denied before (or instead of) a policy decision: <paramref name="kind"/> says why
    /// (<c>malformed</c>, <c>unknown_action</c>, <c>approval</c>, …), <paramref name="decisionId"/> names the
    /// approval it carried (or is empty), <paramref name="recordedInput"/> is its redacted input when it had one.
    /// </summary>
    public async Task<long> RecordCheckRefusalAsync(string refusalId, DateTimeOffset at, string kind, string reason, string decisionId, JsonObject? recordedInput, CancellationToken cancellationToken)
    {
        var payload = new JsonObject
        {
            ["refusal_id"] = refusalId,
            ["refused_at"] = Time(at),
            ["kind"] = kind,
            ["reason"] = reason,
            ["decision_id"] = decisionId,
            ["input"] = recordedInput?.DeepClone(),
        };
        return await AppendAsync(CheckRefusalType, payload, cancellationToken).ConfigureAwait(false);
    }

    public async Task RecordPolicyLoadAsync(PolicyEvaluator evaluator, string origin, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        var set = evaluator.PolicySet;
        var load = new PolicyLoadEvent(set.Revision, origin, set.LoadedAt, [.. set.Policies.Select(p => new LoadedPolicy(p.Id, p.Metadata.Owner, p.Metadata.ApproverGroup, p.File, p.Metadata.Frameworks))]);
        var payload = PolicyLoadEventJson.Write(load);
        await AppendAsync(PolicyLoadType, payload, cancellationToken).ConfigureAwait(false);
    }

    private async Task<long> AppendAsync(string type, JsonObject payload, CancellationToken cancellationToken)
    {
        try
        {
            var receipt = await trail.AppendAsync(type, payload, cancellationToken).ConfigureAwait(false);
            metrics.AuditRecords.WithLabels(type).Inc();
            return receipt.Seq;
        }
        catch (AuditWriteException)
        {
            metrics.AuditFailures.Inc();
            throw;
        }
    }

    public static string Time(DateTimeOffset time) => EventTime.Format(time);
}
