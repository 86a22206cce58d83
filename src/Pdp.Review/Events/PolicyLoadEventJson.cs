using System.Text.Json.Nodes;
using static Pdp.Review.Events.DecisionEventJson;

namespace Pdp.Review.Events;

/// <summary>One policy of a loaded revision, as the <c>policy_load</c> record lists it.</summary>
public sealed record LoadedPolicy(string Id, string Owner, string ApproverGroup, string File, IReadOnlyList<string> Frameworks);

/// <summary>A <c>policy_load</c> record: which revision came into force, when, from where, with which policies.</summary>
public sealed record PolicyLoadEvent(string Revision, string Origin, DateTimeOffset LoadedAt, IReadOnlyList<LoadedPolicy> Policies);

/// <summary>
/// The <c>policy_load</c> record, written by the server at start and on every reload and read back by the evidence
/// report (the revisions in force over a period, and each policy's framework references).
/// </summary>
public static class PolicyLoadEventJson
{
    public const string Type = "policy_load";

    public static JsonObject Write(PolicyLoadEvent load)
    {
        ArgumentNullException.ThrowIfNull(load);
        return new JsonObject
        {
            ["revision"] = load.Revision,
            ["origin"] = load.Origin,
            ["loaded_at"] = EventTime.Format(load.LoadedAt),
            ["policies"] = new JsonArray([.. load.Policies.Select(p => (JsonNode)new JsonObject
            {
                ["id"] = p.Id,
                ["owner"] = p.Owner,
                ["approver_group"] = p.ApproverGroup,
                ["file"] = p.File,
                ["frameworks"] = new JsonArray([.. p.Frameworks.Select(f => (JsonNode)f)]),
            })]),
        };
    }

    /// <summary>The load a record describes; records written before <c>frameworks</c> was kept read with none.</summary>
    public static PolicyLoadEvent Read(JsonObject payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var policies = payload["policies"] is JsonArray list
            ? list.OfType<JsonObject>().Select(p => new LoadedPolicy(
                Text(p, "id"),
                Text(p, "owner"),
                Text(p, "approver_group"),
                Text(p, "file"),
                p["frameworks"] is JsonArray refs ? [.. refs.OfType<JsonValue>().Select(v => v.TryGetValue<string>(out var f) ? f : string.Empty).Where(f => f.Length > 0)] : [])).ToArray()
            : [];
        return new PolicyLoadEvent(Text(payload, "revision"), Text(payload, "origin"), EventTime.Parse(Text(payload, "loaded_at")), policies);
    }
}
