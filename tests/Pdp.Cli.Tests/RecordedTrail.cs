using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Pdp.Audit;
using Pdp.Audit.Format;
using Pdp.Evaluation;
using Pdp.Evaluation.Results;
using Pdp.Evaluation.Testing;
using Pdp.Policies.Loading;
using Pdp.Policies.Model;
using Pdp.Policies.Sandbox;

namespace Pdp.Cli.Tests;

/// <summary>A decision the trail holds, as the test needs to refer to it.</summary>
internal sealed record RecordedDecision(string DecisionId, Verdict Verdict, int MinApprovals, string ActionDigest, JsonObject Input);

/// <summary>
/// Writes a real audit trail (<see cref="AuditTrail"/>, fsync'd, hash-chained) the way the server does: each
/// decision is evaluated by a real policy set — the one "in production" — and recorded with the payload of
/// src/Pdp.Server/Auditing/DecisionRecorder.cs (the response as protobuf JSON with proto field names, defaults
/// omitted); dispositions, expiries, refusals and policy loads likewise. The review rules of
/// src/Pdp.Server/Reviews/DispositionRules.cs are enforced, so a scenario cannot record what the server would refuse.
/// </summary>
internal sealed class RecordedTrail : IAsyncDisposable
{
    private static readonly DateTimeOffset Start = new(2026, 3, 2, 9, 0, 0, 125, TimeSpan.Zero);
    private readonly AuditTrail _trail;
    private readonly PolicyEvaluator _production;
    private readonly Dictionary<string, (RecordedDecision Decision, int Approvals, bool Settled)> _reviews = [];
    private DateTimeOffset _now = Start;

    private RecordedTrail(AuditTrail trail, PolicyEvaluator production)
    {
        _trail = trail;
        _production = production;
    }

    /// <summary>Opens a new trail at <paramref name="path"/> whose decisions the policies in <paramref name="policyDirectory"/> make.</summary>
    public static async Task<RecordedTrail> OpenAsync(string path, string policyDirectory, long maxFileBytes = 64L * 1024 * 1024)
    {
        var set = new PolicySetLoader(new SandboxOptions()).Load(new DirectoryPolicySource(policyDirectory).Read());
        var trail = await AuditTrail.OpenAsync(new AuditTrailOptions { Path = path, MaxFileBytes = maxFileBytes });
        var recorded = new RecordedTrail(trail, new PolicyEvaluator(set, new EvaluationOptions { MaxPooledEngines = 1 }));
        await recorded.PolicyLoadAsync(set);
        return recorded;
    }

    /// <summary>Decides a partial request (completed with the server's defaults) and records the decision.</summary>
    public async Task<RecordedDecision> DecideAsync(JsonObject request)
    {
        var decidedAt = Tick();
        var decisionId = Guid.CreateVersion7(decidedAt).ToString();
        var input = InputDocument.Complete(request);
        input["decision_id"] = decisionId;
        input["time"] = decidedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
        input["caller"] = new JsonObject { ["address"] = "127.0.0.1", ["authenticated"] = false, ["transport"] = "tcp" };
        var actionType = InputDocument.ActionTypeOf(input);
        var decision = _production.Evaluate(new EvaluationRequest(input, actionType, decidedAt));
        var digest = Digest(input["action"]!["type"]!.GetValue<string>(), input["action"]!["target"]!.AsObject(), input["action"]!["parameters"]!.AsObject());
        var review = decision.Verdict == Verdict.RequireHuman;
        var payload = new JsonObject
        {
            ["decision_id"] = decisionId,
            ["decided_at"] = ServerTime(decidedAt),
            ["input"] = input.DeepClone(),
            ["response"] = Response(decision, decisionId, decidedAt),
            ["approver_group"] = review ? decision.ApproverGroup : string.Empty,
            ["action_digest"] = digest,
            ["request_digest"] = string.Empty,
            ["deciding_policy"] = decision.DecidingPolicyId ?? DecisionCombiner.DefaultPolicyId,
            ["outcomes"] = new JsonArray([.. decision.Outcomes.Select(o => (JsonNode)new JsonObject
            {
                ["policy_id"] = o.PolicyId,
                ["verdict"] = o.Verdict?.ToText() ?? "not_applicable",
                ["error"] = o.Error == PolicyErrorKind.None ? null : o.Error.ToString().ToLowerInvariant(),
            })]),
        };
        await _trail.AppendAsync("decision", payload);
        var recorded = new RecordedDecision(decisionId, decision.Verdict, Math.Max(1, decision.MinApprovals), digest, input);
        _reviews[decisionId] = (recorded, 0, false);
        return recorded;
    }

    public Task ApproveAsync(RecordedDecision decision, string reviewer)
    {
        var (_, approvals, _) = Pending(decision, "approved");
        var settles = approvals + 1 >= decision.MinApprovals;
        _reviews[decision.DecisionId] = (decision, approvals + 1, settles);
        return DispositionAsync(decision, reviewer, "approved", string.Empty, null, decision.ActionDigest, settles ? "approved" : "pending", settles, settles ? decision.ActionDigest : string.Empty);
    }

    public Task RejectAsync(RecordedDecision decision, string reviewer, string justification)
    {
        Settle(decision, "rejected");
        return DispositionAsync(decision, reviewer, "rejected", justification, null, decision.ActionDigest, "rejected", true, string.Empty);
    }

    public Task ModifyAsync(RecordedDecision decision, string reviewer, string justification, JsonObject parameters)
    {
        if (decision.MinApprovals > 1)
        {
            throw new InvalidOperationException("the server refuses MODIFIED on a decision that needs more than one approval");
        }

        Settle(decision, "modified");
        var action = decision.Input["action"]!;
        var modified = Digest(action["type"]!.GetValue<string>(), action["target"]!.AsObject(), parameters);
        return DispositionAsync(decision, reviewer, "modified", justification, parameters, modified, "modified", true, modified);
    }

    public Task ReverseAsync(RecordedDecision decision, string reviewer, string justification)
    {
        var review = _reviews[decision.DecisionId];
        if (decision.Verdict != Verdict.Allow || review.Settled)
        {
            throw new InvalidOperationException("the server reverses only an allowed decision, once");
        }

        _reviews[decision.DecisionId] = review with { Settled = true };
        return DispositionAsync(decision, reviewer, "reversed", justification, null, decision.ActionDigest, "reversed", true, string.Empty);
    }

    /// <summary>The server's expiry record for a review nobody settled in time.</summary>
    public async Task ExpireAsync(RecordedDecision decision)
    {
        Settle(decision, "expired");
        await _trail.AppendAsync("expiry", new JsonObject { ["decision_id"] = decision.DecisionId, ["expired_at"] = ServerTime(Tick()) });
    }

    /// <summary>A refused disposition, as the server records it (replay must skip it).</summary>
    public async Task RefusalAsync(RecordedDecision decision, string reviewer, string outcome, string reason)
    {
        await _trail.AppendAsync("refusal", new JsonObject
        {
            ["decision_id"] = decision.DecisionId,
            ["reviewer"] = reviewer,
            ["outcome"] = outcome,
            ["refused"] = "FailedPrecondition",
            ["reason"] = reason,
        });
    }

    public ValueTask DisposeAsync() => _trail.DisposeAsync();

    /// <summary>The server's <c>ActionDigest.Of</c>: SHA-256 over the canonical JSON of type, target and parameters.</summary>
    private static string Digest(string type, JsonObject target, JsonObject parameters)
    {
        var normalised = new JsonObject
        {
            ["type"] = type,
            ["target"] = new JsonObject
            {
                ["kind"] = target["kind"]?.DeepClone() ?? string.Empty,
                ["id"] = target["id"]?.DeepClone() ?? string.Empty,
                ["attributes"] = target["attributes"]?.DeepClone() ?? new JsonObject(),
            },
            ["parameters"] = parameters.DeepClone(),
        };
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(CanonicalJson.Serialize(normalised)));
    }

    /// <summary>The server's <c>DecideResponse</c> as Google.Protobuf's JsonFormatter writes it with proto field names.</summary>
    private static JsonObject Response(Decision decision, string decisionId, DateTimeOffset decidedAt)
    {
        var response = new JsonObject
        {
            ["decision_id"] = decisionId,
            ["verdict"] = decision.Verdict switch
            {
                Verdict.Allow => "VERDICT_ALLOW",
                Verdict.RequireHuman => "VERDICT_REQUIRE_HUMAN",
                _ => "VERDICT_DENY",
            },
        };
        if (decision.Reasons.Count > 0)
        {
            response["reasons"] = new JsonArray([.. decision.Reasons.Select(r => (JsonNode)new JsonObject { ["policy_id"] = r.PolicyId, ["message"] = r.Message })]);
        }

        response["control_owner"] = decision.ControlOwner;
        if (decision.Verdict == Verdict.RequireHuman)
        {
            var expires = (decidedAt + decision.ReviewTtl).UtcDateTime;
            response["review"] = new JsonObject
            {
                ["approver_group"] = decision.ApproverGroup,
                ["expires_at"] = expires.ToString(expires.Millisecond == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture),
                ["min_approvals"] = decision.MinApprovals,
            };
        }

        if (decision.Obligations.Count > 0)
        {
            var obligations = new JsonObject();
            foreach (var (key, value) in decision.Obligations)
            {
                obligations[key] = value;
            }

            response["obligations"] = obligations;
        }

        response["policy_revision"] = decision.PolicyRevision;
        return response;
    }

    private static string ServerTime(DateTimeOffset time) =>
        time.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fffffff'Z'", CultureInfo.InvariantCulture);

    private async Task PolicyLoadAsync(PolicySet set)
    {
        await _trail.AppendAsync("policy_load", new JsonObject
        {
            ["revision"] = set.Revision,
            ["origin"] = "startup",
            ["loaded_at"] = ServerTime(set.LoadedAt),
            ["policies"] = new JsonArray([.. set.Policies.Select(p => (JsonNode)new JsonObject
            {
                ["id"] = p.Id,
                ["owner"] = p.Metadata.Owner,
                ["approver_group"] = p.Metadata.ApproverGroup,
                ["file"] = p.File,
            })]),
        });
    }

    private async Task DispositionAsync(RecordedDecision decision, string reviewer, string outcome, string justification, JsonObject? parameters, string digest, string state, bool settles, string approvedDigest)
    {
        await _trail.AppendAsync("disposition", new JsonObject
        {
            ["decision_id"] = decision.DecisionId,
            ["reviewer"] = reviewer,
            ["outcome"] = outcome,
            ["justification"] = justification,
            ["parameters"] = parameters?.DeepClone(),
            ["action_digest"] = digest,
            ["override"] = outcome is "rejected" or "modified" or "reversed",
            ["state"] = state,
            ["settles"] = settles,
            ["approved_digest"] = approvedDigest,
            ["recorded_at"] = ServerTime(Tick()),
        });
    }

    private (RecordedDecision Decision, int Approvals, bool Settled) Pending(RecordedDecision decision, string outcome)
    {
        var review = _reviews[decision.DecisionId];
        if (decision.Verdict != Verdict.RequireHuman || review.Settled)
        {
            throw new InvalidOperationException($"the server records {outcome} only on a pending require_human decision");
        }

        return review;
    }

    private void Settle(RecordedDecision decision, string outcome)
    {
        var review = Pending(decision, outcome);
        _reviews[decision.DecisionId] = review with { Settled = true };
    }

    private DateTimeOffset Tick() => _now = _now.AddSeconds(7);
}
