using System.Text.Json.Nodes;
using Pdp.Review.Model;

namespace Pdp.Review.Events;

/// <summary>
/// The <c>decision</c> event's payload, as the trail stores it and the shared store keeps it: written from
/// <see cref="DecisionFacts"/> and read back into them, by the replayer, the fleet log and the tools alike.
/// Its <c>response</c> part keeps the shape of the wire response's JSON form (snake_case names, defaults
/// left out), so trails written before this type still read.
/// </summary>
public static class DecisionEventJson
{
    public const string Type = "decision";

    /// <param name="outcomes">Each consulted policy's own outcome (<c>policy_id</c>, <c>verdict</c>, <c>error</c>).</param>
    public static JsonObject Write(DecisionFacts decision, JsonArray outcomes)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var payload = new JsonObject
        {
            ["decision_id"] = decision.DecisionId,
            ["decided_at"] = EventTime.Format(decision.DecidedAt),
            ["input"] = decision.RecordedInput.DeepClone(),
            ["response"] = Response(decision),
            ["approver_group"] = decision.ApproverGroup,
            ["action_digest"] = decision.ActionDigest,
            ["request_digest"] = decision.RequestDigest,
            ["deciding_policy"] = decision.PolicyId,
            ["outcomes"] = outcomes,
        };

        // Only when there is one, so decisions without escalation keep the shape older trails have.
        if (decision.EscalationGroup.Length > 0)
        {
            payload["escalation_group"] = decision.EscalationGroup;
        }

        return payload;
    }

    /// <summary>A decision from its recorded canonical bytes; the bytes stay its <see cref="DecisionFacts.RecordedPayload"/>.</summary>
    public static DecisionFacts Read(ReadOnlyMemory<byte> recordedPayload) =>
        Read(JsonNode.Parse(recordedPayload.Span, documentOptions: Pdp.Audit.Format.CanonicalJson.ReaderOptions)!.AsObject()) with { RecordedPayload = recordedPayload };

    public static DecisionFacts Read(JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var response = payload["response"] as JsonObject ?? [];
        var verdict = ParseVerdict(Text(response, "verdict"));
        var review = response["review"] as JsonObject;
        var reasons = response["reasons"] is JsonArray list
            ? list.OfType<JsonObject>().Select(r => new DecisionReason(Text(r, "policy_id"), Text(r, "message"))).ToArray()
            : [];
        var obligations = response["obligations"] is JsonObject map
            ? map.Where(p => p.Value is JsonValue).ToDictionary(p => p.Key, p => p.Value!.GetValue<string>(), StringComparer.Ordinal)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        var expires = review is not null && Text(review, "expires_at") is { Length: > 0 } at ? EventTime.Parse(at) : (DateTimeOffset?)null;
        var minApprovals = review?["min_approvals"] is JsonValue n && n.TryGetValue<int>(out var count) ? count : 1;
        return new DecisionFacts(
            Text(payload, "decision_id"),
            EventTime.Parse(Text(payload, "decided_at")),
            payload["input"] as JsonObject ?? [],
            verdict,
            reasons,
            Text(response, "control_owner"),
            obligations,
            Text(response, "policy_revision"),
            Text(payload, "deciding_policy"),
            Text(payload, "approver_group"),
            verdict == DecisionVerdict.RequireHuman ? expires : null,
            Math.Max(1, minApprovals),
            Text(payload, "action_digest"),
            Text(payload, "request_digest"))
        {
            EscalationGroup = verdict == DecisionVerdict.RequireHuman ? Text(payload, "escalation_group") : string.Empty,
        };
    }

    public static string VerdictName(DecisionVerdict verdict) => verdict switch
    {
        DecisionVerdict.Allow => "VERDICT_ALLOW",
        DecisionVerdict.RequireHuman => "VERDICT_REQUIRE_HUMAN",
        _ => "VERDICT_DENY",
    };

    /// <summary>The verdict as the shared store's columns and labels write it.</summary>
    public static string VerdictText(DecisionVerdict verdict) => verdict switch
    {
        DecisionVerdict.Allow => "allow",
        DecisionVerdict.RequireHuman => "require_human",
        _ => "deny",
    };

    private static JsonObject Response(DecisionFacts decision)
    {
        // Defaults (empty strings, empty lists) are left out, as protobuf's JSON form leaves them out.
        var response = new JsonObject { ["decision_id"] = decision.DecisionId, ["verdict"] = VerdictName(decision.Verdict) };
        if (decision.Reasons.Count > 0)
        {
            response["reasons"] = new JsonArray([.. decision.Reasons.Select(r => (JsonNode)Compact(new JsonObject { ["policy_id"] = r.PolicyId, ["message"] = r.Message }))]);
        }

        if (decision.ControlOwner.Length > 0)
        {
            response["control_owner"] = decision.ControlOwner;
        }

        if (decision.Verdict == DecisionVerdict.RequireHuman)
        {
            var review = new JsonObject { ["approver_group"] = decision.ApproverGroup };
            if (decision.ExpiresAt is { } expires)
            {
                review["expires_at"] = EventTime.FormatProtobuf(expires);
            }

            review["min_approvals"] = decision.MinApprovals;
            response["review"] = Compact(review);
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

        if (decision.PolicyRevision.Length > 0)
        {
            response["policy_revision"] = decision.PolicyRevision;
        }

        return response;
    }

    private static JsonObject Compact(JsonObject o)
    {
        foreach (var key in o.Where(p => p.Value is JsonValue v && v.TryGetValue<string>(out var s) && s.Length == 0).Select(p => p.Key).ToArray())
        {
            o.Remove(key);
        }

        return o;
    }

    private static DecisionVerdict ParseVerdict(string text) => text switch
    {
        "VERDICT_ALLOW" => DecisionVerdict.Allow,
        "VERDICT_REQUIRE_HUMAN" => DecisionVerdict.RequireHuman,
        "VERDICT_DENY" => DecisionVerdict.Deny,
        _ => throw new FormatException($"decision record has no known verdict ('{text}')"),
    };

    internal static string Text(JsonObject o, string key) => o[key] is JsonValue value && value.TryGetValue<string>(out var text) ? text : string.Empty;
}
