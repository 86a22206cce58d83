namespace Pdp.Evidence.Collection;

/// <summary>
/// What verification found of the records a report was built from: the report's first line. On a broken chain the
/// figures count only the records before the first bad one, and the report says so.
/// </summary>
/// <param name="Verified">Every record verified and the chain is unbroken.</param>
/// <param name="Source">What was verified: the trail's active file, or the fleet log's review chain.</param>
/// <param name="Problem">Where and why verification failed (<c>FILE:LINE: seq S: PROBLEM</c>); null when verified.</param>
/// <param name="FirstSeq">The first record verified (above 1 when a checkpoint anchors a retained suffix).</param>
/// <param name="LastSeq">The last record verified.</param>
/// <param name="Records">Records verified.</param>
/// <param name="ChainHead">Hash of the last record verified: the value to compare with one kept elsewhere.</param>
/// <param name="AnchoredByCheckpoint">The checkpoint's seq when retention removed the oldest segments.</param>
public sealed record ChainState(bool Verified, string Source, string? Problem, long FirstSeq, long LastSeq, long Records, string? ChainHead, long? AnchoredByCheckpoint);
