using Pdp.Audit.Format;

namespace Pdp.Audit.Verification;

/// <summary>Checks a trail offline: every line's hash, exact form, and the seq/prev_hash chain across files.</summary>
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
    public static AuditVerificationResult Verify(string path)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var fullPath = Path.GetFullPath(path);
        var (files, startsTrail, active) = AuditTrailReader.Resolve(fullPath);
        if (files.Count == 0)
        {
            return new AuditVerificationResult { File = fullPath, Problem = "no audit trail file exists at this path" };
        }

        var scanner = new TrailScanner(files, startsTrail, active);
        foreach (var item in scanner.Scan())
        {
            if (item.Kind != ScanKind.Record)
            {
                return new AuditVerificationResult
                {
                    RecordsChecked = scanner.RecordsChecked,
                    FilesChecked = scanner.FilesOpened,
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
            LastHash = scanner.RecordsChecked > 0 ? scanner.LastHash : null,
        };
    }
}
