namespace Pdp.Audit.Writing;

/// <summary>
/// One queued append: the already-canonical payload, and the completion the caller awaits. Continuations run
/// asynchronously so a caller's code never runs on, and stalls, the writer loop.
/// </summary>
internal sealed class PendingAppend(string type, ReadOnlyMemory<byte> canonicalPayload)
    : TaskCompletionSource<AuditReceipt>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public string Type { get; } = type;

    public ReadOnlyMemory<byte> CanonicalPayload { get; } = canonicalPayload;
}
