namespace Pdp.Audit.Checkpoints;

/// <summary>
/// When the trail writes a checkpoint (a <c>checkpoint</c> record bound by hash to a state file) so start-up reads
/// only what follows it, and what retention may remove once a checkpoint covers it.
/// </summary>
public sealed record CheckpointOptions
{
    /// <summary>Most records between two checkpoints; bounds what start-up verifies and replays. Default 10 000.</summary>
    public long EveryRecords { get; init; } = 10_000;

    /// <summary>Longest time between checkpoints while records are being written. Default 60 s.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Which rotated segments may go once a checkpoint covers them; null keeps every segment.</summary>
    public RetentionOptions? Retention { get; init; }

    /// <summary>One message per nonsensical setting.</summary>
    public IEnumerable<string> Validate(long maxFileBytes)
    {
        // Zero is not "never": a trail without checkpoints is one start-up cannot bound, so it is refused.
        if (EveryRecords is < 1 or > 10_000_000)
        {
            yield return $"Checkpoint EveryRecords must be 1..10000000 (was {EveryRecords}).";
        }

        if (Interval < TimeSpan.FromSeconds(1) || Interval > TimeSpan.FromDays(1))
        {
            yield return $"Checkpoint interval must be 1 s .. 1 day (was {Interval}).";
        }

        if (Retention is { } retention)
        {
            foreach (var problem in retention.Validate(maxFileBytes))
            {
                yield return problem;
            }
        }
    }
}

/// <summary>
/// Retention of rotated segments by age and by total size. Only whole segments that the newest checkpoint covers
/// (all their records are at or before its anchor) ever go, so start-up and verification can anchor what is left.
/// </summary>
public sealed record RetentionOptions
{
    /// <summary>A covered segment whose last write is older than this goes; null: no age limit.</summary>
    public TimeSpan? MaxAge { get; init; }

    /// <summary>Covered segments go, oldest first, while the trail's files total more than this; null: no size limit.</summary>
    public long? MaxBytes { get; init; }

    /// <summary>Where removed segments are moved instead of deleted (e.g. a volume shipped to cold storage); null deletes.</summary>
    public string? ArchiveDirectory { get; init; }

    /// <summary>One message per nonsensical setting.</summary>
    public IEnumerable<string> Validate(long maxFileBytes)
    {
        if (MaxAge is null && MaxBytes is null)
        {
            yield return "Retention needs MaxAge or MaxBytes (or both); leave it out to keep every segment.";
        }

        if (MaxAge is { } age && age < TimeSpan.FromMinutes(1))
        {
            yield return $"Retention MaxAge must be at least a minute (was {age}).";
        }

        // Below two files the active file and the segment that anchors it could not both be kept.
        if (MaxBytes is { } bytes && bytes < 2 * maxFileBytes)
        {
            yield return $"Retention MaxBytes must be at least twice MaxFileBytes ({2 * maxFileBytes}; was {bytes}).";
        }

        if (ArchiveDirectory is { Length: 0 } || ArchiveDirectory is { } dir && string.IsNullOrWhiteSpace(dir))
        {
            yield return "Retention ArchiveDirectory must name a directory when set.";
        }
    }
}
