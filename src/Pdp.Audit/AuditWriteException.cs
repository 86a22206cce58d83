namespace Pdp.Audit;

/// <summary>
/// A record could not be made part of the trail (disk full, read-only file system, failed fsync, failed rotation).
/// The record is not in the trail and its seq will be given to the next record that is written; the writer keeps
/// running and retries with the next batch, so the trail recovers when the disk does.
/// </summary>
public sealed class AuditWriteException : Exception
{
    /// <summary>Creates the exception with a default message.</summary>
    public AuditWriteException()
        : base("The audit record could not be written.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    public AuditWriteException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and the I/O failure behind it.</summary>
    public AuditWriteException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
