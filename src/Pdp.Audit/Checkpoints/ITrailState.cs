namespace Pdp.Audit.Checkpoints;

/// <summary>
/// The state a trail's owner rebuilds at start-up, kept up to date from the records themselves so that a checkpoint
/// can store it at an exact chain position. The trail calls <see cref="Observe"/> for every record in seq order — on
/// start-up for what it recovers, then from its writer for each record as it is committed — and
/// <see cref="Snapshot"/> between two records, never concurrently with <see cref="Observe"/>.
/// </summary>
public interface ITrailState
{
    /// <summary>
    /// Takes one record into the state. Must be fast: it runs on the writer's thread. The payload bytes never change
    /// afterwards, so the state may keep them instead of copying (the review store shares the same array).
    /// </summary>
    void Observe(long seq, string type, ReadOnlyMemory<byte> canonicalPayload);

    /// <summary>
    /// The records that rebuild the state, as they were recorded: replaying them oldest first and then the records
    /// after the checkpoint gives the state replaying the whole trail would. Bounded by the owner's configuration.
    /// In any order, in a list of the caller's own: it runs under the writer's lock, so the checkpoint sorts them
    /// afterwards rather than make every append wait for a sort of tens of thousands of entries.
    /// </summary>
    IReadOnlyList<TrailStateEntry> Snapshot();
}

/// <summary>One record kept in a checkpoint's state file: its seq, type and canonical payload as in the trail.</summary>
public sealed record TrailStateEntry(long Seq, string Type, ReadOnlyMemory<byte> CanonicalPayload);
