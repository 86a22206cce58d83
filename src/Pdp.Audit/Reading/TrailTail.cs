using System.Text;
using Pdp.Audit.Format;

namespace Pdp.Audit.Reading;

/// <summary>
/// Follows a live trail from a position: each <see cref="ReadAvailable"/> returns the complete records written since
/// the last call, in order, across rotations, each linked to the one before (seq and prev_hash), and with
/// <c>verifyHashes</c> each also re-hashed and checked for its exact form. A reader that ships the trail elsewhere
/// resumes from the last position it shipped, and the hash it shipped there must be the trail's hash at that position:
/// a trail cut or rewritten below it is refused, not silently re-shipped. Following the trail of the process itself,
/// whose start-up verified every record and which wrote the rest, the links suffice: re-hashing would double the
/// cost of every record (the shipper's profile in docs/benchmarks.md).
/// </summary>
public sealed class TrailTail : IDisposable
{
    private readonly string _activePath;
    // Bytes read from the file and not yet returned: [_start, _end) of _buffer (grown for a line longer than it).
    private byte[] _buffer = new byte[64 * 1024];
    private int _start;
    private int _end;
    private FileStream? _stream;
    private long _fileFirstSeq;
    private bool _rotatedAway;
    private readonly bool _verifyHashes;

    // Whether the record at the starting position has been read (with the hash shipped there); nothing after it is
    // returned before, and reaching the end of the trail without it means the trail was cut below it.
    private bool _positionConfirmed;
    private long _lastSeq;
    private string _lastHash;

    /// <param name="activePath">The trail's active file.</param>
    /// <param name="afterSeq">The last record already handled (0: from the start).</param>
    /// <param name="hashAtSeq">Its hash as recorded when it was handled (ignored for 0).</param>
    /// <param name="verifyHashes">Also re-hash every record and check its exact stored form (as start-up and the verifier do).</param>
    public TrailTail(string activePath, long afterSeq, string hashAtSeq, bool verifyHashes = true)
    {
        _verifyHashes = verifyHashes;
        ArgumentException.ThrowIfNullOrEmpty(activePath);
        _activePath = Path.GetFullPath(activePath);
        _lastSeq = afterSeq;
        _lastHash = afterSeq == 0 ? RecordCodec.GenesisHash : hashAtSeq;
        _positionConfirmed = afterSeq == 0;
    }

    /// <summary>The last record returned (or the starting position).</summary>
    public long LastSeq => _lastSeq;

    /// <summary>The hash of the record at <see cref="LastSeq"/>.</summary>
    public string LastHash => _lastHash;

    /// <summary>Up to <paramref name="max"/> records written after <see cref="LastSeq"/> that are complete on disk now.</summary>
    /// <exception cref="AuditTrailCorruptException">The trail does not continue the chain from the position (cut, rewritten, or edited).</exception>
    public IReadOnlyList<TrailLine> ReadAvailable(int max)
    {
        var records = new List<TrailLine>();
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
                if (!_positionConfirmed)
                {
                    // Everything on disk was read and the shipped record was not among it.
                    throw new AuditTrailCorruptException(_stream!.Name, 0, _lastSeq, $"the trail ends below seq {_lastSeq} ({Short(_lastHash)}), which was shipped: records were cut");
                }

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
    }

    private void Accept(byte[] bytes, List<TrailLine> records)
    {
        var parsed = LineFields.TryRead(bytes) ?? throw new AuditTrailCorruptException(_stream!.Name, 0, null, "line is not a record of the trail's format");
        if (_verifyHashes && RecordCodec.Check(new RawLine(0, 0, bytes, true, false), out var seq, out var problem) is null)
        {
            throw new AuditTrailCorruptException(_stream!.Name, 0, seq, problem!);
        }

        if (parsed.Seq <= _lastSeq)
        {
            // Before the position: only the record at the position itself is checked, against the hash handled there.
            if (parsed.Seq == _lastSeq)
            {
                if (!string.Equals(parsed.Hash, _lastHash, StringComparison.Ordinal))
                {
                    throw new AuditTrailCorruptException(_stream!.Name, 0, parsed.Seq, $"record {parsed.Seq} is not the record shipped at that position (hash {Short(parsed.Hash)}, shipped {Short(_lastHash)}): the trail was rewritten below what was shipped");
                }

                _positionConfirmed = true;
            }

            return;
        }

        if (parsed.Seq != _lastSeq + 1 || !string.Equals(parsed.PrevHash, _lastHash, StringComparison.Ordinal))
        {
            throw new AuditTrailCorruptException(_stream!.Name, 0, parsed.Seq, $"record {parsed.Seq} does not follow record {_lastSeq} ({Short(_lastHash)}): records are missing or the trail was cut below what was shipped");
        }

        if (!_positionConfirmed)
        {
            throw new AuditTrailCorruptException(_stream!.Name, 0, parsed.Seq, $"record {parsed.Seq} follows a record {_lastSeq} that was never read: the trail was cut below what was shipped");
        }

        _lastSeq = parsed.Seq;
        _lastHash = parsed.Hash;
        records.Add(parsed);
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
        if (string.Equals(current, _activePath, StringComparison.Ordinal) && !_rotatedAway)
        {
            // The active file held open may have been renamed by a rotation: the file now at the path starts later.
            if (_fileFirstSeq == 0 || FirstSeq(_activePath) is not { } activeFirst || activeFirst == _fileFirstSeq)
            {
                return false;
            }

            // Read the renamed file to its end once more (the writer may have added to it before renaming it).
            _rotatedAway = true;
            return true;
        }

        // A rotated file never grows again: go on with the file after it (several rotations may have happened since).
        Open(TrailFiles.FindRotated(_activePath).Where(r => FirstSeq(r.Path) > _fileFirstSeq).Select(r => r.Path).FirstOrDefault() ?? _activePath);
        return true;
    }

    private void Open(string path)
    {
        _stream?.Dispose();
        (_start, _end) = (0, 0);
        _rotatedAway = false;
        _stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, bufferSize: 1, FileOptions.SequentialScan);
        _fileFirstSeq = FirstSeq(path) ?? 0;
    }

    /// <summary>The next complete line of the open file, or null at the end of what is written (a partial line waits).</summary>
    private byte[]? ReadLine()
    {
        var searched = _start;
        while (true)
        {
            var newline = _buffer.AsSpan(searched, _end - searched).IndexOf((byte)'\n');
            if (newline >= 0)
            {
                var line = _buffer.AsSpan(_start, searched + newline - _start).ToArray();
                _start = searched + newline + 1;
                if (_fileFirstSeq == 0)
                {
                    _fileFirstSeq = SeqPrefix(line) ?? 0;
                }

                return line;
            }

            searched = _end;
            if (_end == _buffer.Length)
            {
                // Keep only the unreturned part, at the front; grow when a single line fills the whole buffer.
                var pending = _end - _start;
                var target = pending == _buffer.Length ? new byte[_buffer.Length * 2] : _buffer;
                Buffer.BlockCopy(_buffer, _start, target, 0, pending);
                (_buffer, _start, _end, searched) = (target, 0, pending, pending);
            }

            var read = _stream!.Read(_buffer, _end, _buffer.Length - _end);
            if (read == 0)
            {
                return null;
            }

            _end += read;
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
