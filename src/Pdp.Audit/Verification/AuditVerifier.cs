using System.Text;
using Pdp.Audit.Checkpoints;
using Pdp.Audit.Format;
using Pdp.Audit.Opening;

namespace Pdp.Audit.Verification;

/// <summary>
/// Checks a trail offline: every line's hash, exact form, and the seq/prev_hash chain across files. The same checks
/// apply to a chain kept outside a file in the trail's line format (<see cref="VerifyLines(IEnumerable{string}, string)"/>).
/// </summary>
public static class AuditVerifier
{
    /// <summary>
    /// Verifies the trail whose active file is <paramref name="path"/>, including its rotated siblings
    /// (<c>audit.000001.jsonl</c>, …) in order, and reports the FIRST bad record. Given a rotated file, verifies that
    /// file alone; its first record is then taken as the anchor unless it is seq 1 (file 000001).
    /// A torn last line is reported as a failure here (opening the trail would cut it). Verify a trail that is not
    /// being written, or a write in progress may show as a torn tail.
    /// </summary>
    /// <param name="path">Active file, or one rotated file.</param>
    public static AuditVerificationResult Verify(string path) => Verify(path, null);

    /// <summary>
    /// As <see cref="Verify(string)"/>, and also hands each record that passed the trail's checks, in order, to
    /// <paramref name="check"/>: a problem it returns is reported as that record's, and verification stops there.
    /// </summary>
    /// <param name="path">Active file, or one rotated file.</param>
    /// <param name="check">Returns why a record is bad, or null; null to check nothing more.</param>
    public static AuditVerificationResult Verify(string path, Func<AuditRecord, string?>? check)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var (files, startsTrail, active) = AuditTrailReader.Resolve(fullPath);
        if (files.Count == 0)
        {
            return new AuditVerificationResult { File = fullPath, Problem = "no audit trail file exists at this path" };
        }

        if (active is null)
        {
            return Run(new TrailScanner(files, startsTrail, active) { RecordCheck = check });
        }

        return VerifyTrail(fullPath, check);
    }

    /// <summary>
    /// A whole trail: its files first (a missing newest or middle segment is named), then its newest checkpoint (listed
    /// segments, state file), then the chain — from seq 1, or, when retention removed the oldest segments, from the
    /// position the checkpoint recorded before the oldest one kept — which must hold the checkpoint record as named.
    /// </summary>
    private static AuditVerificationResult VerifyTrail(string path, Func<AuditRecord, string?>? check)
    {
        var rotated = TrailFiles.FindRotated(path);
        if (TrailLayout.Problem(path, rotated) is { } layout)
        {
            return new AuditVerificationResult { File = path, Line = 0, Problem = layout };
        }

        CheckpointPointer? pointer;
        try
        {
            pointer = CheckpointPointer.TryRead(path);
        }
        catch (AuditTrailCorruptException e)
        {
            return new AuditVerificationResult { File = CheckpointFiles.PointerPath(path), Line = 0, Problem = e.Problem };
        }

        var files = TrailFiles.TrailOf(path);
        if (pointer is null)
        {
            return Run(new TrailScanner(files, startsTrail: true, path) { RecordCheck = check });
        }

        var checkpoint = pointer.Payload;
        var before = checkpoint.Segments.Select(s => TrailOpener.ListedSegmentProblem(path, s, pointer.Seq))
            .Append(StateFile.Check(Path.Combine(Path.GetDirectoryName(path)!, checkpoint.State.File), checkpoint.State, pointer.Seq))
            .FirstOrDefault(static p => p is not null);
        if (before is not null)
        {
            return new AuditVerificationResult { File = CheckpointFiles.PointerPath(path), Line = 0, Problem = before };
        }

        var retained = checkpoint.Retained;
        var anchored = files.Count > 0 && TrailLayout.FirstRecord(files[0]) is { Seq: > 1 };
        if (anchored)
        {
            files = [.. rotated.Where(r => r.Number >= retained.File).Select(static r => r.Path)];
            if (File.Exists(path))
            {
                files.Add(path);
            }
        }

        var reached = false;
        var scanner = new TrailScanner(files, startsTrail: !anchored, path)
        {
            Start = anchored ? new ScanStart(retained.Seq, retained.Hash, 0, 0) : null,
            RecordCheck = record =>
            {
                if (record.Seq == pointer.Seq)
                {
                    reached = true;
                    if (pointer.Mismatch(record) is { } mismatch)
                    {
                        return mismatch;
                    }
                }

                return check?.Invoke(record);
            },
        };
        var result = Run(scanner) with
        {
            AnchoredByCheckpoint = anchored ? pointer.Seq : null,
            FirstSeq = anchored ? retained.Seq + 1 : 1,
            CheckpointSeq = pointer.Seq,
        };
        return result.Ok && !reached
            ? result with
            {
                File = CheckpointFiles.PointerPath(path),
                Line = 0,
                Problem = $"the trail ends at seq {result.LastSeq}, before the checkpoint at seq {pointer.Seq} that the checkpoint pointer names: records were cut from the trail",
            }
            : result;
    }

    /// <summary>
    /// Verifies a chain kept outside a trail file, one stored line (without its newline) per element, with the trail's
    /// own checks: each line's hash and exact byte form, seq contiguous from 1, and prev_hash linking to the line
    /// before (64 zeros for the first). Reports the first bad line as <c>SOURCE:N</c>, N counting lines from 1.
    /// </summary>
    /// <param name="lines">The chain's lines in order; read once, lazily, so a large chain can be streamed.</param>
    /// <param name="source">What to name as the file of a bad line, e.g. the table the lines came from.</param>
    public static AuditVerificationResult VerifyLines(IEnumerable<string> lines, string source) => VerifyLines(lines, source, null);

    /// <summary>
    /// As <see cref="VerifyLines(IEnumerable{string}, string)"/>, and also hands each record that passed, in order,
    /// to <paramref name="check"/> before the next line is read (so a caller streaming rows can compare the record with
    /// the rest of its row): a problem it returns is reported as that line's.
    /// </summary>
    public static AuditVerificationResult VerifyLines(IEnumerable<string> lines, string source, Func<AuditRecord, string?>? check)
    {
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentException.ThrowIfNullOrEmpty(source);
        return Run(new TrailScanner(source, ToRawLines(lines)) { RecordCheck = check });
    }

    private static IEnumerable<RawLine> ToRawLines(IEnumerable<string> lines)
    {
        long number = 0;
        long offset = 0;
        foreach (var line in lines)
        {
            var bytes = Encoding.UTF8.GetBytes(line ?? string.Empty);
            yield return new RawLine(++number, offset, bytes, Terminated: true, IsLast: false);
            offset += bytes.Length + 1;
        }
    }

    private static AuditVerificationResult Run(TrailScanner scanner)
    {
        foreach (var item in scanner.Scan())
        {
            if (item.Kind != ScanKind.Record)
            {
                return new AuditVerificationResult
                {
                    RecordsChecked = scanner.RecordsChecked,
                    FilesChecked = scanner.FilesOpened,
                    LastSeq = scanner.LastSeq,
                    LastHash = scanner.RecordsChecked > 0 ? scanner.LastHash : null,
                    File = item.File,
                    Line = item.Line.Number,
                    Seq = item.Seq,
                    Problem = item.Problem,
                };
            }
        }

        return new AuditVerificationResult
        {
            RecordsChecked = scanner.RecordsChecked,
            FilesChecked = scanner.FilesOpened,
            LastSeq = scanner.LastSeq,
            LastHash = scanner.RecordsChecked > 0 ? scanner.LastHash : null,
        };
    }
}
