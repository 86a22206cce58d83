using Pdp.Audit.Verification;

namespace Pdp.Cli;

/// <summary>
/// Runs <see cref="AuditVerifier.Verify(string)"/> for <c>audit verify</c> and <c>replay</c>, turning "no such trail"
/// and I/O failures into a message (the caller exits 2) rather than an exception.
/// </summary>
internal static class TrailCheck
{
    /// <summary>The verification result, or null (after saying why) when the trail cannot be read at all.</summary>
    public static AuditVerificationResult? Verify(string path, CliIo io) => Verify(path, io, null);

    /// <summary>As <see cref="Verify(string, CliIo)"/>, also checking each good record with <paramref name="check"/> (see <see cref="AuditVerifier.Verify(string, Func{Audit.AuditRecord, string?})"/>).</summary>
    public static AuditVerificationResult? Verify(string path, CliIo io, Func<Audit.AuditRecord, string?>? check)
    {
        if (string.IsNullOrWhiteSpace(path))
        {
            io.Fail("no audit trail file given");
            return null;
        }

        AuditVerificationResult result;
        try
        {
            result = AuditVerifier.Verify(path, check);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            io.Fail($"cannot read audit trail '{path}': {e.Message}");
            return null;
        }

        if (!result.Ok && result.Line is null)
        {
            // Not a bad record: no file of the trail exists (or the path names a directory).
            io.Fail($"cannot read audit trail '{path}': {result.Problem}");
            return null;
        }

        return result;
    }

    /// <summary>The first bad record as <c>FILE:LINE: seq S: PROBLEM</c> (no <c>seq</c> when the line had none readable).</summary>
    public static string Location(AuditVerificationResult failed)
    {
        ArgumentNullException.ThrowIfNull(failed);
        var seq = failed.Seq is { } s ? $"seq {s}: " : string.Empty;
        // Line 0: the problem is a file (a missing segment, a replaced checkpoint), not a line in one.
        return failed.Line is 0 ? $"{failed.File}: {failed.Problem}" : $"{failed.File}:{failed.Line}: {seq}{failed.Problem}";
    }
}
