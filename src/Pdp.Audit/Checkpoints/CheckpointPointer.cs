using System.Text.Json;
using System.Text.Json.Nodes;
using Pdp.Audit.Format;
using Pdp.Audit.Writing;

namespace Pdp.Audit.Checkpoints;

/// <summary>
/// <c>audit.checkpoint.json</c>: which checkpoint record is the newest, and a copy of its payload, so start-up finds
/// the checkpoint without scanning. Nothing in it is trusted until the record it names is found in the chain with
/// that hash and that payload.
/// </summary>
/// <param name="Seq">The checkpoint record's seq.</param>
/// <param name="Hash">The checkpoint record's hash.</param>
/// <param name="CanonicalPayload">The record's payload, canonical, exactly as in the record.</param>
internal sealed record CheckpointPointer(long Seq, string Hash, byte[] CanonicalPayload)
{
    public CheckpointPayload Payload { get; } = CheckpointPayload.Parse(JsonNode.Parse(CanonicalPayload)!.AsObject());

    /// <summary>The pointer of the trail whose active file is <paramref name="activePath"/>; null when there is none.</summary>
    /// <exception cref="AuditTrailCorruptException">The pointer exists but cannot be read as one.</exception>
    public static CheckpointPointer? TryRead(string activePath)
    {
        var path = CheckpointFiles.PointerPath(activePath);
        if (!File.Exists(path))
        {
            return null;
        }

        try
        {
            var json = JsonNode.Parse(File.ReadAllBytes(path))!.AsObject();
            var payload = CanonicalJson.Serialize(json["payload"]!.AsObject());
            return new CheckpointPointer(json["seq"]!.GetValue<long>(), json["hash"]!.GetValue<string>(), payload);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException or ArgumentException)
        {
            throw new AuditTrailCorruptException($"the checkpoint pointer '{path}' is not valid ({e.Message}): it was changed or replaced");
        }
    }

    /// <summary>Replaces the pointer atomically: a crash leaves the old one or the new one, never a mix.</summary>
    public void Write(string activePath)
    {
        var json = new JsonObject
        {
            ["seq"] = Seq,
            ["hash"] = Hash,
            ["payload"] = JsonNode.Parse(CanonicalPayload),
        };
        CheckpointFiles.WriteAtomically(CheckpointFiles.PointerPath(activePath), stream =>
        {
            using var writer = new Utf8JsonWriter(stream);
            json.WriteTo(writer);
        });
    }

    /// <summary>Whether <paramref name="record"/> is the record this pointer names.</summary>
    public string? Mismatch(AuditRecord record)
    {
        if (!string.Equals(record.Hash, Hash, StringComparison.Ordinal))
        {
            return $"the record at seq {Seq} is not the checkpoint the checkpoint pointer names (hash {record.Hash[..12]}…, pointer {Hash[..Math.Min(12, Hash.Length)]}…): the checkpoint was replaced";
        }

        return record.Type == CheckpointPayload.RecordType && CanonicalJson.Serialize(record.Payload).AsSpan().SequenceEqual(CanonicalPayload)
            ? null
            : $"the record at seq {Seq} does not carry the payload the checkpoint pointer holds: the checkpoint pointer was replaced";
    }
}

/// <summary>Names of a trail's checkpoint files, and the one way they are written (temp file, fsync, rename, fsync the directory).</summary>
internal static class CheckpointFiles
{
    /// <summary><c>dir/STEM.checkpoint.json</c> beside the active file <c>dir/STEM.jsonl</c>.</summary>
    public static string PointerPath(string activePath) => Sibling(activePath, ".checkpoint.json");

    /// <summary>The state file of the checkpoint anchored at <paramref name="anchorSeq"/>: <c>dir/STEM.state.SEQ.jsonl</c>.</summary>
    public static string StatePath(string activePath, long anchorSeq) => Sibling(activePath, $".state.{anchorSeq:D12}.jsonl");

    /// <summary>Every state file beside the trail, for clean-up of those no pointer can name any more.</summary>
    public static IEnumerable<string> StateFiles(string activePath)
    {
        var directory = Path.GetDirectoryName(activePath)!;
        var stem = Path.GetFileNameWithoutExtension(activePath);
        return Directory.Exists(directory) ? Directory.EnumerateFiles(directory, stem + ".state.*.jsonl") : [];
    }

    public static void WriteAtomically(string path, Action<FileStream> write)
    {
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 64 * 1024))
        {
            write(stream);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temp, path, overwrite: true);
        NativeMethods.SyncDirectory(Path.GetDirectoryName(path)!);
    }

    private static string Sibling(string activePath, string suffix) =>
        Path.Combine(Path.GetDirectoryName(activePath)!, Path.GetFileNameWithoutExtension(activePath) + suffix);
}
