using System.Globalization;
using System.Text.Json.Nodes;
using Google.Protobuf;
using Microsoft.Extensions.Options;
using Pdp.Audit;
using Pdp.Audit.Redaction;
using Pdp.Contracts.V1;
using Pdp.Evaluation;
using Pdp.Evaluation.Results;
using Pdp.Server.Configuration;
using Pdp.Server.Metrics;
using Pdp.Server.Reviews;

namespace Pdp.Server.Auditing;

/// <summary>
/// Writes what happened to the audit trail: decisions (the AI's proposed action as sent, masked where
/// a redaction list says so), dispositions, expiries, refusals and policy loads. Every method returns
/// once the record is durable (per <see cref="AuditOptions.Durability"/>); callers answer only then.
/// </summary>
public sealed class DecisionRecorder(IAuditTrail trail, PdpMetrics metrics, IOptions<PdpOptions> options)
{
    public const string DecisionType = "decision";
    public const string DispositionType = "disposition";
    public const string ExpiryType = "expiry";
    public const string RefusalType = "refusal";
    public const string PolicyLoadType = "policy_load";

    /// <summary>An approved decision's one use by the request it approved (Envoy retry); replayed on restart.</summary>
    public const string ApprovalUseType = "approval_use";

    /// <summary>A request a front door (Envoy Check) denied without a policy decision: malformed, unmapped, or a refused approval.</summary>
    public const string CheckRefusalType = "check_refusal";

    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithPreserveProtoFieldNames(true));
    private readonly IReadOnlyList<string> _configuredRedactions = [.. options.Value.Audit.Redact];

    /// <summary>The input as it may be kept: every path on the config's or any policy's redaction list masked.</summary>
    public JsonObject Redact(JsonObject input, PolicyEvaluator evaluator)
    {
        ArgumentNullException.ThrowIfNull(evaluator);
        var paths = _configuredRedactions.Concat(evaluator.PolicySet.Policies.SelectMany(p => p.Metadata.Redact)).ToArray();
        return paths.Length == 0 ? input : AuditRedactor.Mask(input, paths);
    }

    public async Task<long> RecordDecisionAsync(DecisionEntry entry, Decision decision, string requestDigest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(decision);
        var payload = new JsonObject
        {
            ["decision_id"] = entry.DecisionId,
            ["decided_at"] = Time(entry.DecidedAt),
            ["input"] = entry.RecordedInput.DeepClone(),
            ["response"] = JsonNode.Parse(Formatter.Format(entry.Response)),
            ["approver_group"] = entry.ApproverGroup,
            ["action_digest"] = entry.ActionDigest,
            ["request_digest"] = requestDigest,
            ["deciding_policy"] = entry.PolicyId,
            ["outcomes"] = new JsonArray([.. decision.Outcomes.Select(o => (JsonNode)new JsonObject
            {
                ["policy_id"] = o.PolicyId,
                ["verdict"] = o.Verdict?.ToText() ?? "not_applicable",
                ["error"] = o.Error == PolicyErrorKind.None ? null : o.Error.ToString().ToLowerInvariant(),
            })]),
        };
        return await AppendAsync(DecisionType, payload, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> RecordDispositionAsync(DecisionEntry entry, DispositionCommand command, DispositionTransition transition, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(transition);
        var payload = new JsonObject
        {
            ["decision_id"] = entry.DecisionId,
            ["reviewer"] = command.Reviewer,
            ["outcome"] = command.Outcome!.Value.ToText(),
            ["justification"] = command.Justification,
            ["parameters"] = command.Parameters?.DeepClone(),
            ["action_digest"] = transition.DispositionDigest,
            ["override"] = DispositionEntry.IsOverrideOutcome(command.Outcome.Value),
            ["state"] = transition.State.ToString().ToLowerInvariant(),
            ["settles"] = transition.Settles,
            ["approved_digest"] = transition.ApprovedDigest,
            ["recorded_at"] = Time(at),
        };
        return await AppendAsync(DispositionType, payload, cancellationToken).ConfigureAwait(false);
    }

    public async Task<long> RecordExpiryAsync(DecisionEntry entry, DateTimeOffset at, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        var payload = new JsonObject { ["decision_id"] = entry.DecisionId, ["expired_at"] = Time(at) };
        return await AppendAsync(ExpiryType, payload, cancellationToken).ConfigureAwait(false);
    }

    public async Task RecordRefusalAsync(string decisionId, DispositionCommand command, ReviewRefusedException refusal, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(command);
        ArgumentNullException.ThrowIfNull(refusal);
        var payload = new JsonObject
        {
            ["decision_id"] = decisionId,
            ["reviewer"] = command.Reviewer,
            ["outcome"] = command.Outcome?.ToText() ?? "unspecified",
            ["refused"] = refusal.Kind.ToString(),
            ["reason"] = refusal.Message,
        };
        await AppendAsync(RefusalType, payload, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Records that <paramref name="entry"/>'s approval was used by the request whose (redacted) input is <paramref name="recordedInput"/>.</summary>
    public async Task<long> RecordApprovalUseAsync(DecisionEntry entry, string useId, DateTimeOffset at, JsonObject recordedInput, string actionDigest, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(entry);
        ArgumentNullException.ThrowIfNull(recordedInput);
        var payload = new JsonObject
        {
            ["decision_id"] = entry.DecisionId,
            ["use_id"] = useId,
            ["used_at"] = Time(at),
            ["action_digest"] = actionDigest,
            ["approved_digest"] = entry.Snapshot.ApprovedDigest,
            ["input"] = recordedInput.DeepClone(),
        };
        return await AppendAsync(ApprovalUseType, payload, cancellationToken).ConfigureAwait(false);
    }

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
        var payload = new JsonObject
        {
            ["revision"] = set.Revision,
            ["origin"] = origin,
            ["loaded_at"] = Time(set.LoadedAt),
            ["policies"] = new JsonArray([.. set.Policies.Select(p => (JsonNode)new JsonObject
            {
                ["id"] = p.Id,
                ["owner"] = p.Metadata.Owner,
                ["approver_group"] = p.Metadata.ApproverGroup,
                ["file"] = p.File,
            })]),
        };
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

    public static string Time(DateTimeOffset time) => time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);
}
