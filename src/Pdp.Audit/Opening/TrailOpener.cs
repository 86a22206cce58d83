using Pdp.Audit.Checkpoints;
using Pdp.Audit.Format;
using Pdp.Audit.Writing;

namespace Pdp.Audit.Opening;

/// <summary>What opening found: where the active file's good prefix ends, the segments, the checkpoint, the replay plan.</summary>
internal sealed record OpenedTrail(long GoodLength, long NextRotation, FileContents? ActiveContents, RecoveryReport Report, List<Segment> Segments, CheckpointPointer? Pointer, string? TrailId, RecoveryPlan Plan)
{
    /// <summary>Where the newest record is (the anchor the next checkpoint would have); null for an empty trail.</summary>
    public RecordPosition? LastPosition { get; init; }
}

/// <summary>
/// Verifies a trail on open. With a checkpoint pointer: the segments it lists are all there at their sizes, its state
/// file matches, its anchor record is in place, and the records after the anchor chain on and include the checkpoint
/// record the pointer names; only those are read. Without one (a trail written before checkpoints, or not yet
/// checkpointed): every record from seq 1, as before. Anything else missing or changed is refused, by name.
/// </summary>
internal static class TrailOpener
{
    public static OpenedTrail Open(string path, CancellationToken cancellationToken)
    {
        var rotated = TrailFiles.FindRotated(path);
        if (TrailLayout.Problem(path, rotated) is { } layout)
        {
            throw new AuditTrailCorruptException(layout);
        }

        var pointer = CheckpointPointer.TryRead(path);
        if (pointer is null)
        {
            var files = TrailFiles.TrailOf(path);
            var scanner = new TrailScanner(files, startsTrail: true, activeFile: path);
            var (torn, contents, last) = Scan(scanner, path, cancellationToken);
            var trailId = files.Count > 0 && scanner.RecordsChecked > 0 ? contents.GetValueOrDefault(files[0])?.FirstHash : null;
            return Finish(path, rotated, [], scanner, torn, contents, null, trailId, new RecoveryPlan(files, null, null, path, scanner.LastSeq), null, last);
        }

        return Anchored(path, rotated, pointer, cancellationToken);
    }

    /// <summary>The files and start of the records after <paramref name="anchor"/>, having checked the anchor record is in place.</summary>
    public static (List<string> Files, ScanStart Start) Suffix(string path, IReadOnlyList<(long Number, string Path)> rotated, RecordPosition anchor, long checkpointSeq)
    {
        var maxRotated = rotated.Count > 0 ? rotated[^1].Number : 0;
        var anchorFile = anchor.File <= maxRotated ? rotated.FirstOrDefault(r => r.Number == anchor.File).Path : path;
        if (anchorFile is null || !File.Exists(anchorFile))
        {
            throw new AuditTrailCorruptException($"'{anchorFile ?? TrailFiles.RotatedPath(path, anchor.File)}', which holds the anchor (seq {anchor.Seq}) of the checkpoint at seq {checkpointSeq}, is missing: records below the checkpoint were removed");
        }

        var line = LineReader.Read(anchorFile, anchor.Offset, anchor.Line - 1).FirstOrDefault();
        var parsed = line is { Terminated: true } ? RecordCodec.Check(line, out _, out _) : null;
        if (parsed is null || parsed.Seq != anchor.Seq || !string.Equals(parsed.Hash, anchor.Hash, StringComparison.Ordinal))
        {
            throw new AuditTrailCorruptException(anchorFile, anchor.Line, anchor.Seq, $"the anchor record (seq {anchor.Seq}) of the checkpoint at seq {checkpointSeq} is not there: records at or below the checkpoint were cut, removed or changed");
        }

        var files = new List<string> { anchorFile };
        files.AddRange(rotated.Where(r => r.Number > anchor.File).Select(static r => r.Path));
        if (!string.Equals(anchorFile, path, StringComparison.Ordinal) && File.Exists(path))
        {
            files.Add(path);
        }

        return (files, new ScanStart(anchor.Seq, anchor.Hash, anchor.Offset + line!.Bytes.Length + 1, anchor.Line));
    }

    /// <summary>Why a segment a checkpoint lists is gone or changed, or null.</summary>
    public static string? ListedSegmentProblem(string path, Segment segment, long checkpointSeq)
    {
        var file = new FileInfo(TrailFiles.RotatedPath(path, segment.Number));
        if (!file.Exists)
        {
            return $"segment '{file.FullName}' (seq {segment.FirstSeq}..{segment.LastSeq}), listed by the checkpoint at seq {checkpointSeq}, is missing: its records were removed";
        }

        return file.Length == segment.Bytes
            ? null
            : $"segment '{file.FullName}' (seq {segment.FirstSeq}..{segment.LastSeq}) is {file.Length} bytes, but the checkpoint at seq {checkpointSeq} recorded {segment.Bytes}: records were cut or changed";
    }

    private static OpenedTrail Anchored(string path, IReadOnlyList<(long Number, string Path)> rotated, CheckpointPointer pointer, CancellationToken cancellationToken)
    {
        var checkpoint = pointer.Payload;
        if (rotated.Count == 0 && !File.Exists(path))
        {
            throw new AuditTrailCorruptException($"'{CheckpointFiles.PointerPath(path)}' names the checkpoint at seq {pointer.Seq}, but no file of the trail '{path}' exists: the trail was removed");
        }

        foreach (var segment in checkpoint.Segments)
        {
            if (ListedSegmentProblem(path, segment, pointer.Seq) is { } problem)
            {
                throw new AuditTrailCorruptException(problem);
            }
        }

        var statePath = Path.Combine(Path.GetDirectoryName(path)!, checkpoint.State.File);
        if (StateFile.Check(statePath, checkpoint.State, pointer.Seq) is { } stateProblem)
        {
            throw new AuditTrailCorruptException(stateProblem);
        }

        var (files, start) = Suffix(path, rotated, checkpoint.Anchor, pointer.Seq);
        var reached = false;
        var scanner = new TrailScanner(files, startsTrail: false, activeFile: path)
        {
            Start = start,
            RecordCheck = record =>
            {
                if (record.Seq != pointer.Seq)
                {
                    return null;
                }

                reached = true;
                return pointer.Mismatch(record);
            },
        };
        var (torn, contents, last) = Scan(scanner, path, cancellationToken);
        if (!reached)
        {
            throw new AuditTrailCorruptException($"the trail '{path}' ends at seq {scanner.LastSeq}, before the checkpoint at seq {pointer.Seq} that '{CheckpointFiles.PointerPath(path)}' names: records were cut from the trail");
        }

        var recovery = new CheckpointRecovery(pointer.Seq, checkpoint.Anchor.Seq, checkpoint.State.Entries, scanner.RecordsChecked);
        var plan = new RecoveryPlan(files, start, statePath, path, scanner.LastSeq);
        return Finish(path, rotated, checkpoint.Segments, scanner, torn, contents, pointer, checkpoint.TrailId, plan, recovery, last);
    }

    private static (TruncatedTail? Torn, Dictionary<string, FileContents> Contents, (string File, long Offset, long Line, AuditRecord Record)? Last) Scan(TrailScanner scanner, string path, CancellationToken cancellationToken)
    {
        TruncatedTail? torn = null;
        (string, long, long, AuditRecord)? last = null;
        var contents = new Dictionary<string, FileContents>(StringComparer.Ordinal);
        foreach (var item in scanner.Scan())
        {
            cancellationToken.ThrowIfCancellationRequested();
            switch (item.Kind)
            {
                case ScanKind.Problem:
                    throw new AuditTrailCorruptException(item.File, item.Line.Number, item.Seq, item.Problem!);
                case ScanKind.TornTail:
                    torn = new TruncatedTail(path, item.Line.Number, item.Line.Offset, new FileInfo(path).Length - item.Line.Offset, item.Seq!.Value, item.Problem!);
                    break;
                default:
                    var record = item.Record!;
                    last = (item.File, item.Line.Offset, item.Line.Number, record);
                    contents[item.File] = contents.TryGetValue(item.File, out var c)
                        ? c with { Lines = item.Line.Number, LastSeq = record.Seq }
                        : item.Line.Number == 1
                            ? new FileContents(record.Seq, record.PrevHash, 1, record.Seq) { FirstHash = record.Hash }
                            : FromFirstLine(item.File, item.Line.Number, record.Seq);
                    break;
            }
        }

        return (torn, contents, last);
    }

    private static FileContents FromFirstLine(string file, long lines, long lastSeq)
    {
        var first = TrailLayout.FirstRecord(file) ?? throw new AuditTrailCorruptException(file, 1, null, "the first line of the file is not a record");
        return new FileContents(first.Seq, first.PrevHash, lines, lastSeq) { FirstHash = first.Hash };
    }

    private static OpenedTrail Finish(
        string path,
        IReadOnlyList<(long Number, string Path)> rotated,
        IReadOnlyList<Segment> listed,
        TrailScanner scanner,
        TruncatedTail? torn,
        Dictionary<string, FileContents> contents,
        CheckpointPointer? pointer,
        string? trailId,
        RecoveryPlan plan,
        CheckpointRecovery? checkpoint,
        (string File, long Offset, long Line, AuditRecord Record)? last)
    {
        var segments = new List<Segment>();
        foreach (var (number, file) in rotated)
        {
            if (listed.FirstOrDefault(s => s.Number == number) is { } known)
            {
                segments.Add(known);
                continue;
            }

            // Scanned now, or older than the checkpoint and not listed (retention was cut short): read its head.
            var c = contents.GetValueOrDefault(file) ?? FromFirstLine(file, 0, 0);
            segments.Add(new Segment(number, c.FirstSeq, c.LastSeq, new FileInfo(file).Length, c.PrevHash));
        }

        for (var i = 0; i < segments.Count - 1; i++)
        {
            if (segments[i].LastSeq == 0)
            {
                segments[i] = segments[i] with { LastSeq = segments[i + 1].FirstSeq - 1 };
            }
        }

        var activeExists = File.Exists(path);
        var goodLength = activeExists && scanner.FilesOpened > 0 && contents.ContainsKey(path) ? scanner.GoodLength : 0;
        if (activeExists && !contents.ContainsKey(path) && plan.Start is { } start && plan.Files[0] == path)
        {
            // Anchored in the active file and nothing after the anchor yet: the good prefix ends after the anchor.
            goodLength = start.Offset;
            contents[path] = FromFirstLine(path, start.LinesBefore, start.Seq);
        }

        var nextRotation = rotated.Count > 0 ? rotated[^1].Number + 1 : 1;
        var report = new RecoveryReport(scanner.FilesOpened, scanner.RecordsChecked, scanner.LastSeq, scanner.LastHash, torn) { Checkpoint = checkpoint };
        RecordPosition? lastPosition = null;
        if (last is var (lastFile, offset, line, record))
        {
            var number = string.Equals(lastFile, path, StringComparison.Ordinal) ? nextRotation : rotated.First(r => r.Path == lastFile).Number;
            lastPosition = new RecordPosition(record.Seq, record.Hash, number, offset, line);
        }

        return new OpenedTrail(goodLength, nextRotation, contents.GetValueOrDefault(path), report, segments, pointer, trailId, plan) { LastPosition = lastPosition };
    }
}
