using System.Text;
using Pdp.Audit.Format;

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

        return Run(new TrailScanner(files, startsTrail, active) { RecordCheck = check });
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
