namespace Pdp.Audit.Format;

/// <summary>What the scanner found at one line.</summary>
internal enum ScanKind
{
    /// <summary>A record that passed every check.</summary>
    Record,

    /// <summary>The last line of the active file, left incomplete by a crash; opening cuts it.</summary>
    TornTail,

    /// <summary>Anything else wrong: tampering or damage. Scanning stops here.</summary>
    Problem,
}

/// <summary>One result of a scan; <see cref="Record"/> is set for <see cref="ScanKind.Record"/>, <see cref="Problem"/> otherwise.</summary>
internal sealed record ScanItem(ScanKind Kind, string File, RawLine Line, long? Seq, AuditRecord? Record, string? Problem);

/// <summary>The chain position a scan continues from, and where in its first file that position ends.</summary>
/// <param name="Seq">Seq of the record before the first one read.</param>
/// <param name="Hash">Its hash.</param>
/// <param name="Offset">Byte offset in the first file where reading starts.</param>
/// <param name="LinesBefore">Lines of the first file before that offset, so reported line numbers stay exact.</param>
internal sealed record ScanStart(long Seq, string Hash, long Offset, long LinesBefore);

/// <summary>
/// Walks a trail's files in order and checks every line and the chain between lines: the one place that decides
/// what a valid trail is, shared by opening, reading and verifying so they can never disagree.
/// Stops after the first torn tail or problem.
/// </summary>
internal sealed class TrailScanner
{
    private readonly IReadOnlyList<string> _files;
    private readonly bool _startsTrail;
    private readonly string? _activeFile;
    private readonly (string Source, IEnumerable<RawLine> Lines)? _lines;

    /// <param name="files">Files oldest first.</param>
    /// <param name="startsTrail">
    /// True when the first file is the start of the trail, so its first record must be seq 1 with a zero prev_hash.
    /// False when checking one rotated file on its own, whose first record links to a file not being checked.
    /// </param>
    /// <param name="activeFile">The one file whose last line may be torn by a crash; null when none may be.</param>
    public TrailScanner(IReadOnlyList<string> files, bool startsTrail, string? activeFile)
    {
        _files = files;
        _startsTrail = startsTrail;
        _activeFile = activeFile;
    }

    /// <summary>
    /// Scans lines kept outside a trail file (a chain stored elsewhere) as one source that starts a chain: seq 1 from
    /// 64 zeros, no line may be torn.
    /// </summary>
    /// <param name="source">Name reported as the file of a bad line.</param>
    /// <param name="lines">The lines in chain order.</param>
    public TrailScanner(string source, IEnumerable<RawLine> lines)
    {
        _files = [];
        _startsTrail = true;
        _lines = (source, lines);
    }

    /// <summary>
    /// Where a scan anchored by a checkpoint starts: the chain position before the first record read, and the byte
    /// offset and line count of the first file to skip. Null: from the start of the first file.
    /// </summary>
    public ScanStart? Start { get; init; }

    /// <summary>
    /// A further check of each record that passed the trail's own checks (e.g. against a copy kept elsewhere): a
    /// non-null problem stops the scan at that record as a <see cref="ScanKind.Problem"/>.
    /// </summary>
    public Func<AuditRecord, string?>? RecordCheck { get; init; }

    public int FilesOpened { get; private set; }

    public long RecordsChecked { get; private set; }

    /// <summary>Seq of the last good record; 0 before any.</summary>
    public long LastSeq { get; private set; }

    /// <summary>Hash of the last good record; zeros before any.</summary>
    public string LastHash { get; private set; } = RecordCodec.GenesisHash;

    /// <summary>Byte length of the good prefix of the last file scanned.</summary>
    public long GoodLength { get; private set; }

    public IEnumerable<ScanItem> Scan()
    {
        if (_lines is var (source, lines))
        {
            FilesOpened++;
            foreach (var item in ScanSource(source, lines, mayBeTorn: false))
            {
                yield return item;
            }

            yield break;
        }

        if (Start is { } start)
        {
            LastSeq = start.Seq;
            LastHash = start.Hash;
        }

        for (var i = 0; i < _files.Count; i++)
        {
            var file = _files[i];
            var mayBeTorn = string.Equals(file, _activeFile, StringComparison.Ordinal);
            FilesOpened++;
            var (offset, linesBefore) = i == 0 && Start is { } s ? (s.Offset, s.LinesBefore) : (0L, 0L);
            GoodLength = offset;
            foreach (var item in ScanSource(file, LineReader.Read(file, offset, linesBefore), mayBeTorn))
            {
                yield return item;
                if (item.Kind != ScanKind.Record)
                {
                    yield break;
                }
            }
        }
    }

    private IEnumerable<ScanItem> ScanSource(string source, IEnumerable<RawLine> lines, bool mayBeTorn)
    {
        foreach (var line in lines)
        {
            var item = CheckLine(source, line, mayBeTorn);
            yield return item;
            if (item.Kind != ScanKind.Record)
            {
                yield break;
            }
        }
    }

    private ScanItem CheckLine(string file, RawLine line, bool mayBeTorn)
    {
        if (!line.Terminated)
        {
            return mayBeTorn
                ? Torn(file, line, "last line has no trailing newline (torn write)")
                : Bad(file, line, null, "line has no trailing newline, but only the active file may end in a torn write");
        }

        var parsed = RecordCodec.Check(line, out var seq, out var problem);
        if (parsed is null)
        {
            // A crash can leave a terminated line that is not JSON (e.g. a hole of zero bytes); anything that parses
            // but fails a check was written whole and then changed.
            return mayBeTorn && line.IsLast && problem == RecordCodec.NotJson
                ? Torn(file, line, "last line is not valid JSON (torn write)")
                : Bad(file, line, seq, problem!);
        }

        var chainProblem = CheckChain(parsed);
        if (chainProblem is not null)
        {
            return Bad(file, line, parsed.Seq, chainProblem);
        }

        var record = new AuditRecord(parsed.Seq, parsed.Time, parsed.Type, parsed.Payload, parsed.PrevHash, parsed.Hash);
        if (RecordCheck?.Invoke(record) is { } checkProblem)
        {
            return Bad(file, line, parsed.Seq, checkProblem);
        }

        LastSeq = parsed.Seq;
        LastHash = parsed.Hash;
        RecordsChecked++;
        GoodLength = line.Offset + line.Bytes.Length + 1;
        return new ScanItem(ScanKind.Record, file, line, parsed.Seq, record, null);
    }

    private string? CheckChain(ParsedRecord record)
    {
        if (RecordsChecked == 0 && Start is { } start && (record.Seq != start.Seq + 1 || !string.Equals(record.PrevHash, start.Hash, StringComparison.Ordinal)))
        {
            return $"seq {record.Seq} does not follow the checkpoint's anchor, seq {start.Seq}: records after it are missing or changed";
        }

        if (RecordsChecked == 0 && !_startsTrail && Start is null)
        {
            // First record of a lone rotated file: nothing to link to, except that seq 1 must start from zeros.
            return record.Seq == 1 && record.PrevHash != RecordCodec.GenesisHash
                ? "prev_hash of seq 1 is not 64 zeros"
                : null;
        }

        var expected = LastSeq + 1;
        if (record.Seq != expected)
        {
            return (RecordsChecked, record.Seq > expected) switch
            {
                (0, _) => $"the trail starts at seq {record.Seq}, not 1: earlier records are missing",
                (_, true) => $"seq {record.Seq} follows seq {LastSeq}: a record is missing",
                _ => $"seq {record.Seq} follows seq {LastSeq}: records are out of order or repeated",
            };
        }

        if (!string.Equals(record.PrevHash, LastHash, StringComparison.Ordinal))
        {
            return RecordsChecked == 0
                ? "prev_hash of seq 1 is not 64 zeros"
                : "prev_hash does not match the previous record's hash";
        }

        return null;
    }

    private ScanItem Torn(string file, RawLine line, string reason) =>
        new(ScanKind.TornTail, file, line, LastSeq + 1, null, reason);

    private static ScanItem Bad(string file, RawLine line, long? seq, string problem) =>
        new(ScanKind.Problem, file, line, seq, null, problem);
}
