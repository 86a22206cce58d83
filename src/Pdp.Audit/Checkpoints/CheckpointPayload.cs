using System.Text.Json.Nodes;
using Pdp.Audit.Format;

namespace Pdp.Audit.Checkpoints;

/// <summary>Where a record sits: its file (by rotation number, which the active file gets when it rotates), offset and line.</summary>
/// <param name="Seq">The record's seq.</param>
/// <param name="Hash">The record's hash.</param>
/// <param name="File">Rotation number of its file; for the then active file, the number it will get.</param>
/// <param name="Offset">Byte offset of its line.</param>
/// <param name="Line">1-based line number.</param>
internal sealed record RecordPosition(long Seq, string Hash, long File, long Offset, long Line);

/// <summary>The state file a checkpoint is bound to: its name, SHA-256 and size.</summary>
internal sealed record StateRef(string File, string Sha256, long Bytes, long Entries);

/// <summary>
/// The payload of a <c>checkpoint</c> record. <see cref="Anchor"/> is the last record the state covers: start-up
/// loads the state, checks the anchor in place and verifies and replays only what follows it. <see cref="Retained"/>
/// is the chain position before the oldest kept record, where verification of a retained suffix starts.
/// </summary>
internal sealed record CheckpointPayload(string TrailId, RecordPosition Anchor, StateRef State, RecordPosition Retained, IReadOnlyList<Segment> Segments)
{
    public const string RecordType = "checkpoint";

    public JsonObject ToJson() => new()
    {
        ["format"] = 1,
        ["trail_id"] = TrailId,
        ["anchor"] = Position(Anchor),
        ["state"] = new JsonObject { ["file"] = State.File, ["sha256"] = State.Sha256, ["bytes"] = State.Bytes, ["entries"] = State.Entries },
        ["retained"] = Position(Retained),
        ["segments"] = new JsonArray([.. Segments.Select(static s => (JsonNode)new JsonObject
        {
            ["file"] = s.Number,
            ["first_seq"] = s.FirstSeq,
            ["last_seq"] = s.LastSeq,
            ["bytes"] = s.Bytes,
            ["prev_hash"] = s.PrevHash,
        })]),
    };

    /// <exception cref="FormatException">Not a checkpoint payload this version writes.</exception>
    public static CheckpointPayload Parse(JsonObject payload)
    {
        try
        {
            if (payload["format"]?.GetValue<int>() != 1)
            {
                throw new FormatException("unknown checkpoint format");
            }

            var state = payload["state"]!.AsObject();
            return new CheckpointPayload(
                payload["trail_id"]!.GetValue<string>(),
                ReadPosition(payload["anchor"]!.AsObject()),
                new StateRef(state["file"]!.GetValue<string>(), state["sha256"]!.GetValue<string>(), state["bytes"]!.GetValue<long>(), state["entries"]!.GetValue<long>()),
                ReadPosition(payload["retained"]!.AsObject()),
                [.. payload["segments"]!.AsArray().Select(static n => n!.AsObject()).Select(static s => new Segment(
                    s["file"]!.GetValue<long>(), s["first_seq"]!.GetValue<long>(), s["last_seq"]!.GetValue<long>(), s["bytes"]!.GetValue<long>(), s["prev_hash"]!.GetValue<string>()))]);
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException or FormatException or ArgumentException)
        {
            throw new FormatException($"not a checkpoint payload: {e.Message}", e);
        }
    }

    private static JsonObject Position(RecordPosition p) => new()
    {
        ["seq"] = p.Seq,
        ["hash"] = p.Hash,
        ["file"] = p.File,
        ["offset"] = p.Offset,
        ["line"] = p.Line,
    };

    private static RecordPosition ReadPosition(JsonObject p) =>
        new(p["seq"]!.GetValue<long>(), p["hash"]!.GetValue<string>(), p["file"]!.GetValue<long>(), p["offset"]!.GetValue<long>(), p["line"]!.GetValue<long>());
}
