using Pdp.Audit.Format;
using Pdp.Audit.Writing;

namespace Pdp.Audit.Checkpoints;

/// <summary>Everything a checkpoint stores, captured at one chain position (<see cref="Anchor"/>) between two batches.</summary>
internal sealed record CheckpointSnapshot(
    RecordPosition Anchor,
    IReadOnlyList<TrailStateEntry> Entries,
    IReadOnlyList<Segment> Segments,
    long ActiveBytes,
    FileContents? Active,
    long ActiveNumber,
    string TrailId);
