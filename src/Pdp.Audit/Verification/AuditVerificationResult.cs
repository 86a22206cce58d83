namespace Pdp.Audit.Verification;

/// <summary>Outcome of <see cref="AuditVerifier"/>: either every record checked out, or the first bad one.</summary>
public sealed record AuditVerificationResult
{
    /// <summary>True when every record verified and the chain is unbroken.</summary>
    public bool Ok => Problem is null;

    /// <summary>Records that verified (before the bad one, on failure).</summary>
    public long RecordsChecked { get; init; }

    /// <summary>Files opened, including the one holding the bad record.</summary>
    public int FilesChecked { get; init; }

    /// <summary>Seq of the last record that verified; 0 when none did.</summary>
    public long LastSeq { get; init; }

    /// <summary>
    /// Hash of the last record that verified. The chain cannot reveal records cut from the very end of the trail;
    /// comparing this with a hash kept elsewhere (e.g. the newest <see cref="AuditReceipt.Hash"/>) can.
    /// </summary>
    public string? LastHash { get; init; }

    /// <summary>On failure: full path of the file holding the first bad record.</summary>
    public string? File { get; init; }

    /// <summary>On failure: 1-based line number of the first bad record in <see cref="File"/>.</summary>
    public long? Line { get; init; }

    /// <summary>On failure: the bad record's seq when the line had a readable one (for a torn tail, the seq it would have had).</summary>
    public long? Seq { get; init; }

    /// <summary>On failure: what is wrong, e.g. "hash mismatch: record was edited".</summary>
    public string? Problem { get; init; }

    /// <summary>
    /// When the oldest segments were removed by retention: the checkpoint (its seq) whose record anchors the suffix
    /// verified; verification started at <see cref="FirstSeq"/>, from the chain position that checkpoint recorded.
    /// </summary>
    public long? AnchoredByCheckpoint { get; init; }

    /// <summary>Seq of the first record verified (1 unless <see cref="AnchoredByCheckpoint"/> is set).</summary>
    public long FirstSeq { get; init; } = 1;

    /// <summary>The newest checkpoint, which was found in the chain as its pointer names it; null when the trail has none.</summary>
    public long? CheckpointSeq { get; init; }

    /// <summary>"from seq F, anchored by the checkpoint at seq S" for a retained suffix, otherwise empty.</summary>
    public string AnchorText => AnchoredByCheckpoint is { } cp
        ? $" from seq {FirstSeq} (earlier segments removed by retention; anchored by the checkpoint at seq {cp})"
        : string.Empty;

    /// <inheritdoc />
    public override string ToString() => Ok
        ? $"ok: {RecordsChecked} records in {FilesChecked} files{AnchorText}"
        : $"{File}:{Line}: {(Seq is { } seq ? $"seq {seq}: " : string.Empty)}{Problem}";
}
