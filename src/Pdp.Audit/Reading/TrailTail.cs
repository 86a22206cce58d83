using System.Text;
using Pdp.Audit.Format;

namespace Pdp.Audit.Reading;

/// <summary>
/// Follows a live trail from a position: each <see cref="ReadAvailable"/> returns the complete records written since
/// the last call, in order, across rotations, each checked (hash, exact form, link to the one before). A reader that
/// ships the trail elsewhere resumes from the last position it shipped, and the hash it shipped there must be the
/// trail's hash at that position: a trail cut or rewritten below it is refused, not silently re-shipped.
/// </summary>
public sealed class TrailTail : IDisposable
{
    private readonly string _activePath;
    private readonly MemoryStream _partial = new();
    private readonly byte[] _buffer = new byte[64 * 1024];
    private FileStream? _stream;
    private long _fileFirstSeq;
    private bool _rotatedAway;
    private long _lastSeq;
    private string _lastHash;

    /// <param name="activePath">The trail's active file.</param>
    /// <param name="afterSeq">The last record already handled (0: from the start).</param>
    /// <param name="hashAtSeq">Its hash as recorded when it was handled (ignored for 0).</param>
    public TrailTail(string activePath, long afterSeq, string hashAtSeq)
    {
        ArgumentException.ThrowIfNullOrEmpty(activePath);
        _activePath = Path.GetFullPath(activePath);
        _lastSeq = afterSeq;
        _lastHash = afterSeq == 0 ? RecordCodec.GenesisHash : hashAtSeq;
    }

    /// <summary>The last record returned (or the starting position).</summary>
    public long LastSeq => _lastSeq;

    /// <summary>The hash of the record at <see cref="LastSeq"/>.</summary>
    public string LastHash => _lastHash;

    /// <summary>Up to <paramref name="max"/> records written after <see cref="LastSeq"/> that are complete on disk now.</summary>
    /// <exception cref="AuditTrailCorruptException">The trail does not continue the chain from the position (cut, rewritten, or edited).</exception>
    public IReadOnlyList<AuditRecord> ReadAvailable(int max)
    {
        var records = new List<AuditRecord>();
        if (_stream is null && !OpenAt())
        {
            return records;
        }

        while (records.Count < max)
        {
            if (ReadLine() is { } line)
            {
                Accept(line, records);
                continue;
            }

            // End of what is on disk in this file: it may have been rotated away, with the rest in the next file.
            if (!MoveToNextFile())
            {
                break;
            }
        }

        return records;
    }

    /// <summary>The trail's first record (seq 1, checked on its own), or null while it has no complete record.</summary>
    /// <exception cref="AuditTrailCorruptException">The first file does not begin with seq 1, or its first line is not a record.</exception>
    public static AuditRecord? ReadFirst(string activePath)
    {
        var first = TrailFiles.TrailOf(Path.GetFullPath(activePath)).FirstOrDefault(File.Exists);
        if (first is null)
        {
            return null;
        }

        using var tail = new TrailTail(first, 0, RecordCodec.GenesisHash);
        tail.Open(first);
        if (tail.ReadLine() is not { } line)
        {
            return null;
        }

        var parsed = RecordCodec.Check(new RawLine(1, 0, line, true, false), out var seq, out var problem)
            ?? throw new AuditTrailCorruptException(first, 1, seq, problem!);
        return parsed.Seq == 1
            ? new AuditRecord(parsed.Seq, parsed.Time, parsed.Type, parsed.Payload, parsed.PrevHash, parsed.Hash)
            : throw new AuditTrailCorruptException(first, 1, parsed.Seq, $"the trail starts at seq {parsed.Seq}, not 1: earlier records are missing");
    }

    /// <summary>
    /// The trail's id: the hash of its seq 1 record — read from the first segment while it is still there, and once
    /// retention removed it, from the newest checkpoint, which carries it. Null while the trail has no complete record.
    /// </summary>
    /// <exception cref="AuditTrailCorruptException">The trail's oldest record is not seq 1 and no checkpoint names the id.</exception>
    public static string? ReadTrailId(string activePath)
    {
        var full = Path.GetFullPath(activePath);
        if (TrailFiles.TrailOf(full).FirstOrDefault(File.Exists) is { } first && TrailLayout.FirstRecord(first) is { Seq: 1 } genesis)
        {
            return genesis.Hash;
        }

        return Checkpoints.CheckpointPointer.TryRead(full)?.Payload.TrailId ?? ReadFirst(activePath)?.Hash;
    }

    /// <summary>Closes the file held open.</summary>
    public void Dispose()
    {
        _stream?.Dispose();
        _partial.Dispose();
    }

    private void Accept(byte[] bytes, List<AuditRecord> records)
    {
        var parsed = RecordCodec.Check(new RawLine(0, 0, bytes, true, false), out var seq, out var problem)
            ?? throw new AuditTrailCorruptException(_stream!.Name, 0, seq, problem!);
        if (parsed.Seq <= _lastSeq)
        {
            // Before the position: only the record at the position itself is checked, against the hash handled there.
            if (parsed.Seq == _lastSeq && !string.Equals(parsed.Hash, _lastHash, StringComparison.Ordinal))
            {
                throw new AuditTrailCorruptException(_stream!.Name, 0, parsed.Seq, $"record {parsed.Seq} is not the record shipped at that position (hash {parsed.Hash[..12]}…, shipped {Short(_lastHash)}): the trail was rewritten below what was shipped");
            }

            return;
        }

        if (parsed.Seq != _lastSeq + 1 || !string.Equals(parsed.PrevHash, _lastHash, StringComparison.Ordinal))
        {
            throw new AuditTrailCorruptException(_stream!.Name, 0, parsed.Seq, $"record {parsed.Seq} does not follow record {_lastSeq} ({Short(_lastHash)}): records are missing or the trail was cut below what was shipped");
        }

        _lastSeq = parsed.Seq;
        _lastHash = parsed.Hash;
        records.Add(new AuditRecord(parsed.Seq, parsed.Time, parsed.Type, parsed.Payload, parsed.PrevHash, parsed.Hash));
    }

    /// <summary>Opens the file holding the record after the position; false while the trail has no file yet.</summary>
    private bool OpenAt()
    {
        var files = TrailFiles.TrailOf(_activePath).Where(File.Exists).ToList();
        if (files.Count == 0)
        {
            return false;
        }

        // The last file whose first record is at or before the position holds it (or what follows it).
        var chosen = files[0];
        foreach (var file in files)
        {
            var first = FirstSeq(file);
            if (first is null || first > Math.Max(1, _lastSeq))
            {
                break;
            }

            chosen = file;
        }

        Open(chosen);
        return true;
    }

    private bool MoveToNextFile()
    {
        var current = _stream!.Name;
        if (!string.Equals(current, _activePath, StringComparison.Ordinal))
        {
            // A rotated file never grows again: go on with the file after it.
            Open(TrailFiles.FindRotated(_activePath).Where(r => FirstSeq(r.Path) > _fileFirstSeq).Select(r => r.Path).FirstOrDefault() ?? _activePath);
            return true;
        }

        if (_rotatedAway)
        {
            // The renamed file has been read to its end once more since the rotation was seen: nothing else comes to it.
            Open(_activePath);
            return true;
        }

        // The active file held open may have been renamed by a rotation: the file now at the path starts later.
        if (_fileFirstSeq == 0 || FirstSeq(_activePath) is not { } activeFirst || activeFirst == _fileFirstSeq)
        {
            return false;
        }

        _rotatedAway = true;
        return true;
    }

    private void Open(string path)
    {
        _stream?.Dispose();
        _partial.SetLength(0);
        _rotatedAway = false;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan);
        _fileFirstSeq = FirstSeq(path) ?? 0;
    }

    /// <summary>The next complete line of the open file, or null at the end of what is written (a partial line waits).</summary>
    private byte[]? ReadLine()
    {
        while (true)
        {
            var buffered = _partial.GetBuffer().AsSpan(0, (int)_partial.Length);
            var newline = buffered.IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = buffered[..newline].ToArray();
                var rest = buffered[(newline + 1)..].ToArray();
                _partial.SetLength(0);
                _partial.Write(rest);
                if (_fileFirstSeq == 0)
                {
                    _fileFirstSeq = SeqPrefix(line) ?? 0;
                }

                return line;
            }

            var read = _stream!.Read(_buffer, 0, _buffer.Length);
            if (read == 0)
            {
                return null;
            }

            _partial.Write(_buffer, 0, read);
        }
    }

    private static long? FirstSeq(string path)
    {
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
            var head = new byte[64];
            var read = stream.Read(head, 0, head.Length);
            return SeqPrefix(head.AsSpan(0, read));
        }
        catch (FileNotFoundException)
        {
            return null;
        }
    }

    /// <summary>The seq of a stored line from its fixed prefix <c>{"seq":N,</c>, without parsing the rest.</summary>
    private static long? SeqPrefix(ReadOnlySpan<byte> line)
    {
        var prefix = "{\"seq\":"u8;
        if (!line.StartsWith(prefix))
        {
            return null;
        }

        var digits = line[prefix.Length..];
        var end = digits.IndexOf((byte)',');
        return end > 0 && long.TryParse(Encoding.ASCII.GetString(digits[..end]), out var seq) ? seq : null;
    }

    private static string Short(string hash) => hash.Length > 12 ? hash[..12] + "…" : hash;
}
