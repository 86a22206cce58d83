namespace Pdp.Audit;

/// <summary>
/// A record that is not the torn tail of the active file failed verification while opening or reading a trail.
/// That is tampering or media damage, not a crash, so nothing is repaired: the location is reported instead.
/// </summary>
public sealed class AuditTrailCorruptException : Exception
{
    /// <summary>Creates the exception for a bad record.</summary>
    /// <param name="file">Full path of the file holding the bad record.</param>
    /// <param name="line">1-based line number in that file.</param>
    /// <param name="seq">The record's seq when it could be read, otherwise null.</param>
    /// <param name="problem">What is wrong, as <see cref="Verification.AuditVerificationResult.Problem"/> states it.</param>
    public AuditTrailCorruptException(string file, long line, long? seq, string problem)
        : base($"Audit trail is corrupt at {file}:{line}{(seq is { } s ? $" (seq {s})" : string.Empty)}: {problem}")
    {
        File = file;
        Line = line;
        Seq = seq;
        Problem = problem;
    }

    /// <summary>Creates the exception with a default message and no location.</summary>
    public AuditTrailCorruptException()
        : this("The audit trail is corrupt.")
    {
    }

    /// <summary>Creates the exception with a message and no location.</summary>
    public AuditTrailCorruptException(string message)
        : base(message)
    {
        File = string.Empty;
        Problem = message;
    }

    /// <summary>Creates the exception with a message, an inner exception and no location.</summary>
    public AuditTrailCorruptException(string message, Exception innerException)
        : base(message, innerException)
    {
        File = string.Empty;
        Problem = message;
    }

    /// <summary>Full path of the file holding the bad record (empty when no location is known).</summary>
    public string File { get; }

    /// <summary>1-based line number of the bad record (0 when no location is known).</summary>
    public long Line { get; }

    /// <summary>The bad record's seq when it could be read.</summary>
    public long? Seq { get; }

    /// <summary>What is wrong with the record.</summary>
    public string Problem { get; }
}
