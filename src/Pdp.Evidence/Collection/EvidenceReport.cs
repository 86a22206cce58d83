using System.Text.Json;
using System.Text.Json.Nodes;
using Pdp.Review.Events;

namespace Pdp.Evidence.Collection;

/// <summary>
/// A whole report: the verification result first, then the period and filters, then the figures. Its JSON form
/// (<see cref="ToJson"/>) is canonical: the Markdown and HTML forms are drawn from that document, each number with its
/// JSON pointer, and a signature covers its bytes.
/// </summary>
public sealed record EvidenceReport(ChainState Chain, EvidenceFilter Filter, DateTimeOffset GeneratedAt, EvidenceFigures Figures, long UnreadableRecords)
{
    /// <summary>The JSON form's version: bumped when a field changes meaning.</summary>
    public const int SchemaVersion = 1;

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public JsonObject ToJson() => new()
    {
        ["report"] = "pdp evidence report",
        ["schema_version"] = SchemaVersion,
        ["verified"] = Chain.Verified,
        ["verification"] = new JsonObject
        {
            ["source"] = Chain.Source,
            ["problem"] = Chain.Problem,
            ["first_seq"] = Chain.FirstSeq,
            ["last_seq"] = Chain.LastSeq,
            ["records"] = Chain.Records,
            ["anchored_by_checkpoint"] = Chain.AnchoredByCheckpoint,
        },
        ["chain_head"] = Chain.ChainHead,
        ["from"] = EventTime.Format(Filter.From),
        ["to"] = EventTime.Format(Filter.To),
        ["generated_at"] = EventTime.Format(GeneratedAt),
        ["filters"] = new JsonObject { ["owner"] = Filter.Owner, ["framework"] = Filter.Framework, ["policy"] = Filter.Policy },
        ["totals"] = Figures.Totals.DeepClone(),
        ["owners"] = Figures.Owners.DeepClone(),
        ["frameworks"] = Figures.Frameworks.DeepClone(),
        ["daily"] = Figures.Daily.DeepClone(),
        ["time_to_disposition_histogram"] = Figures.Histogram.DeepClone(),
        ["policy_revisions"] = Figures.Revisions.DeepClone(),
        ["unattributed_review_records"] = Figures.Unattributed,
        ["unreadable_records"] = UnreadableRecords,
    };

    /// <summary>The JSON form as written to a file (indented UTF-8, ending in a newline): what <c>--sign</c> signs.</summary>
    public static byte[] Serialize(JsonObject json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return [.. JsonSerializer.SerializeToUtf8Bytes(json, Indented), (byte)'\n'];
    }
}
