using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Pdp.Evaluation.Results;

namespace Pdp.Cli;

/// <summary>
/// A <see cref="Decision"/> as the JSON <c>pdp eval</c> prints. Field names follow the input document's
/// snake_case; review fields appear only for <c>require_human</c>; obligations are sorted by key so the
/// output is stable enough to diff.
/// </summary>
internal static class DecisionJson
{
    private static readonly JsonSerializerOptions Indented = new()
    {
        WriteIndented = true,

        // The output is read by people and parsed by scripts, never embedded in HTML: keep quotes and '<' readable.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static JsonObject From(Decision decision, bool explain)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var reasons = new JsonArray();
        foreach (var reason in decision.Reasons)
        {
            reasons.Add(new JsonObject { ["policy_id"] = reason.PolicyId, ["message"] = reason.Message });
        }

        var json = new JsonObject
        {
            ["verdict"] = decision.Verdict.ToText(),
            ["reasons"] = reasons,
            ["control_owner"] = decision.ControlOwner,
        };
        if (decision.Verdict == Verdict.RequireHuman)
        {
            json["approver_group"] = decision.ApproverGroup;
            json["review_ttl_seconds"] = (long)decision.ReviewTtl.TotalSeconds;
            json["min_approvals"] = decision.MinApprovals;
        }

        json["obligations"] = Obligations(decision.Obligations);
        json["policy_revision"] = decision.PolicyRevision;
        if (explain)
        {
            var policies = new JsonArray();
            foreach (var outcome in decision.Outcomes)
            {
                policies.Add(Explain(outcome));
            }

            json["policies"] = policies;
        }

        return json;
    }

    public static string Text(JsonNode node) => node.ToJsonString(Indented);

    /// <summary>The indented JSON, each line prefixed with <paramref name="indent"/>.</summary>
    public static IEnumerable<string> Lines(JsonNode node, string indent) =>
        Text(node).Split('\n').Select(line => indent + line.TrimEnd('\r'));

    private static JsonObject Explain(PolicyOutcome outcome)
    {
        var json = new JsonObject
        {
            ["id"] = outcome.PolicyId,
            ["verdict"] = outcome.Verdict?.ToText() ?? "not_applicable",
            ["reason"] = outcome.Reason,
        };
        if (outcome.Error != PolicyErrorKind.None)
        {
            json["error"] = ErrorText(outcome.Error);
        }

        if (outcome.Obligations.Count > 0)
        {
            json["obligations"] = Obligations(outcome.Obligations);
        }

        json["elapsed_us"] = outcome.Elapsed.Ticks / TimeSpan.TicksPerMicrosecond;
        return json;
    }

    private static JsonObject Obligations(IReadOnlyDictionary<string, string> obligations)
    {
        var json = new JsonObject();
        foreach (var (key, value) in obligations.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            json[key] = value;
        }

        return json;
    }

    private static string ErrorText(PolicyErrorKind kind) => kind switch
    {
        PolicyErrorKind.Exception => "exception",
        PolicyErrorKind.Timeout => "timeout",
        PolicyErrorKind.Limit => "limit",
        PolicyErrorKind.InvalidResult => "invalid_result",
        _ => "none",
    };
}
