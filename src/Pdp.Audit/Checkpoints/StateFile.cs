using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Pdp.Audit.Format;
using Pdp.Audit.Writing;

namespace Pdp.Audit.Checkpoints;

/// <summary>
/// A checkpoint's state: JSON Lines, a header then one <c>{"seq":…,"type":…,"payload":…}</c> per record kept, the
/// payload exactly as in the trail so start-up replays it with the same code as trail records. Bound to its checkpoint
/// record by SHA-256, so a changed or replaced state file is refused.
/// </summary>
internal static class StateFile
{
    private const string Format = "pdp-trail-state-1";

    private const int ChunkBytes = 256 * 1024;

    /// <summary>
    /// How much of the file may be written before it is written out (<see cref="WriteBehindStream"/>): PostgreSQL's
    /// default <c>checkpoint_flush_after</c>, a few milliseconds of this disk, which is then all a trail fsync caught
    /// in the same journal commit can wait for.
    /// </summary>
    public const int WriteOutBytes = 256 * 1024;

    /// <summary>Writes the file atomically and returns what the checkpoint record binds.</summary>
    public static StateRef Write(string path, long anchorSeq, IReadOnlyList<TrailStateEntry> entries) =>
        Write(path, anchorSeq, entries, WriteOutBytes, out _);

    /// <summary>As above, writing out every <paramref name="writeOutBytes"/>; <paramref name="writeOuts"/> says how often it did.</summary>
    public static StateRef Write(string path, long anchorSeq, IReadOnlyList<TrailStateEntry> entries, int writeOutBytes, out int writeOuts)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long bytes = 0;
        var outs = 0;
        CheckpointFiles.WriteAtomically(path, stream =>
        {
            var behind = new WriteBehindStream(stream, writeOutBytes);
            using var hashing = new HashingStream(behind, sha);
            using (var writer = new Utf8JsonWriter(hashing))
            {
                writer.WriteStartObject();
                writer.WriteString("format", Format);
                writer.WriteNumber("anchor_seq", anchorSeq);
                writer.WriteNumber("entries", entries.Count);
                writer.WriteEndObject();
            }

            hashing.WriteByte((byte)'\n');

            // Lines are gathered in one buffer and handed on in large chunks: tens of thousands of small writes would
            // each cost a hash update and a stream call, which showed as several µs per decision in profiles.
            var chunk = new ArrayBufferWriter<byte>(ChunkBytes + 4096);
            using var line = new Utf8JsonWriter(chunk, CanonicalJson.WriterOptions);
            foreach (var entry in entries)
            {
                line.Reset(chunk);
                line.WriteStartObject();
                line.WriteNumber("seq"u8, entry.Seq);
                line.WriteString("type"u8, entry.Type);
                line.WritePropertyName("payload"u8);
                line.WriteRawValue(entry.CanonicalPayload.Span, skipInputValidation: true);
                line.WriteEndObject();
                line.Flush();
                chunk.Write("\n"u8);
                if (chunk.WrittenCount >= ChunkBytes)
                {
                    hashing.Write(chunk.WrittenSpan);
                    chunk.ResetWrittenCount();
                }
            }

            hashing.Write(chunk.WrittenSpan);
            bytes = hashing.Written;
            outs = behind.WriteOuts;
        });
        writeOuts = outs;
        return new StateRef(Path.GetFileName(path), Convert.ToHexStringLower(sha.GetHashAndReset()), bytes, entries.Count);
    }

    /// <summary>Why the state file does not match what its checkpoint bound, or null when it does.</summary>
    public static string? Check(string path, StateRef expected, long checkpointSeq)
    {
        if (!File.Exists(path))
        {
            return $"the state file '{path}' of the checkpoint at seq {checkpointSeq} is missing";
        }

        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 64 * 1024, FileOptions.SequentialScan);
        var hash = Convert.ToHexStringLower(SHA256.HashData(stream));
        return stream.Length == expected.Bytes && string.Equals(hash, expected.Sha256, StringComparison.Ordinal)
            ? null
            : $"the state file '{path}' does not match the checkpoint at seq {checkpointSeq} (sha256 {hash[..12]}…, recorded {expected.Sha256[..Math.Min(12, expected.Sha256.Length)]}…): it was changed or replaced";
    }

    /// <summary>
    /// The kept records, oldest first, as records of their own (no time or hashes: the state file seals them), each with
    /// its canonical payload bytes as written (a slice of the line, parsed only if someone asks for the document).
    /// </summary>
    public static IEnumerable<AuditRecord> Read(string path)
    {
        foreach (var line in LineReader.Read(path).Skip(1))
        {
            // {"seq":N,"type":"…","payload":{…}}: the payload runs from its value's first byte to the closing brace.
            var reader = new Utf8JsonReader(line.Bytes);
            long seq = 0;
            var type = string.Empty;
            var start = -1;
            reader.Read();
            while (start < 0 && reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "seq":
                        seq = reader.GetInt64();
                        break;
                    case "type":
                        type = reader.GetString()!;
                        break;
                    case "payload":
                        start = (int)reader.TokenStartIndex;
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }

            var payload = new ReadOnlyMemory<byte>(line.Bytes, start, line.Bytes.Length - 1 - start);
            yield return new AuditRecord(seq, default, type, payload, string.Empty, string.Empty);
        }
    }

    /// <summary>Passes writes through while hashing them, so the file is hashed exactly as written, in one pass.</summary>
    private sealed class HashingStream(Stream inner, IncrementalHash hash) : WriteOnlyStream
    {
        public override void Flush() => inner.Flush();

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            hash.AppendData(buffer);
            inner.Write(buffer);
            Written += buffer.Length;
        }
    }
}
