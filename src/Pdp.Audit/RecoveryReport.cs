namespace Pdp.Audit;

/// <summary>What <see cref="AuditTrail.OpenAsync(AuditTrailOptions, TimeProvider?, CancellationToken)"/> found on disk.</summary>
/// <param name="FilesRead">Rotated files plus the active file, when it existed.</param>
/// <param name="RecordsRead">Valid records found; the chain continues after the last of them.</param>
/// <param name="LastSeq">Seq of the last valid record, 0 for an empty trail.</param>
/// <param name="LastHash">Hash of the last valid record, 64 zeros for an empty trail.</param>
/// <param name="TruncatedTail">The torn last line that was cut away, or null when the trail ended cleanly.</param>
public sealed record RecoveryReport(int FilesRead, long RecordsRead, long LastSeq, string LastHash, TruncatedTail? TruncatedTail)
{
    /// <summary>The checkpoint opening started from; null when it verified the whole trail from seq 1.</summary>
    public CheckpointRecovery? Checkpoint { get; init; }
}

/// <summary>
/// Opening from a checkpoint: its state was loaded and only the records after its anchor were verified (and are
/// replayed), so <see cref="RecoveryReport.RecordsRead"/> counts those alone.
/// </summary>
/// <param name="CheckpointSeq">Seq of the checkpoint record the pointer named.</param>
/// <param name="AnchorSeq">The last record its state covers; verification and replay start after it.</param>
/// <param name="StateEntries">Records kept in its state file (pending reviews, the idempotency window, …).</param>
/// <param name="RecordsAfterAnchor">Records verified after the anchor.</param>
public sealed record CheckpointRecovery(long CheckpointSeq, long AnchorSeq, long StateEntries, long RecordsAfterAnchor);

/// <summary>
/// A torn last line of the active file (a crash mid-write: no trailing newline, or not valid JSON) that was cut
/// away before appending. Such a record was never acknowledged in durable mode.
/// </summary>
/// <param name="File">Full path of the active file.</param>
/// <param name="Line">1-based line number of the torn line.</param>
/// <param name="Offset">Byte offset where the torn line started; the file now ends there.</param>
/// <param name="BytesCut">How many bytes were removed.</param>
/// <param name="Seq">The seq the torn record would have had; the next append reuses it.</param>
/// <param name="Reason">Why the line counts as torn.</param>
public sealed record TruncatedTail(string File, long Line, long Offset, long BytesCut, long Seq, string Reason);
