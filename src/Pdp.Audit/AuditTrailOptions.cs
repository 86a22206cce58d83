using Pdp.Audit.Checkpoints;

namespace Pdp.Audit;

/// <summary>Where and how the audit trail is written. Call <see cref="Validate"/> at start-up.</summary>
public sealed record AuditTrailOptions
{
    /// <summary>Smallest accepted <see cref="MaxFileBytes"/>: a smaller value is almost certainly a unit mistake.</summary>
    public const long MinFileBytes = 1024;

    /// <summary>
    /// Path of the active file. Default <c>data/audit.jsonl</c> (relative to the working directory).
    /// Rotated files sit beside it as <c>audit.000001.jsonl</c>, <c>audit.000002.jsonl</c>, …;
    /// a lock file <c>audit.jsonl.lock</c> keeps a second writer out.
    /// </summary>
    public string Path { get; init; } = "data/audit.jsonl";

    /// <summary>When appends are acknowledged. Default <see cref="AuditDurability.Durable"/>.</summary>
    public AuditDurability Durability { get; init; } = AuditDurability.Durable;

    /// <summary>
    /// In <see cref="AuditDurability.Buffered"/> mode, how often written records are fsynced. Default 1 s:
    /// a power loss may lose up to this much acknowledged history. Ignored in durable mode.
    /// </summary>
    public TimeSpan FlushInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The active file is rotated before a record would take it past this size. Default 64 MiB.
    /// A single record larger than this still gets written, alone in its file.
    /// </summary>
    public long MaxFileBytes { get; init; } = 64L * 1024 * 1024;

    /// <summary>How many appends may wait for the writer; beyond it <c>AppendAsync</c> waits (back-pressure). Default 10 000.</summary>
    public int QueueCapacity { get; init; } = 10_000;

    /// <summary>Most records written under one fsync. Default 512; bounds the latency a large backlog adds to one batch.</summary>
    public int MaxBatch { get; init; } = 512;

    /// <summary>
    /// Checkpoints (and retention); null writes none, so opening verifies every record from seq 1 as before. The server
    /// always sets them.
    /// </summary>
    public CheckpointOptions? Checkpoints { get; init; }

    /// <summary>Returns one message per nonsensical setting; empty when the options are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Path))
        {
            errors.Add("Path must name a file.");
        }
        else if (string.IsNullOrEmpty(System.IO.Path.GetFileName(Path)))
        {
            errors.Add($"Path '{Path}' names a directory; it must name a file such as 'audit.jsonl'.");
        }

        if (!Enum.IsDefined(Durability))
        {
            errors.Add($"Durability {(int)Durability} is not a known mode.");
        }

        if (FlushInterval <= TimeSpan.Zero)
        {
            errors.Add($"FlushInterval must be positive (was {FlushInterval}).");
        }
        else if (FlushInterval > TimeSpan.FromHours(1))
        {
            errors.Add($"FlushInterval {FlushInterval} is over an hour: that much history could be lost on power failure.");
        }

        if (MaxFileBytes < MinFileBytes)
        {
            errors.Add($"MaxFileBytes must be at least {MinFileBytes} (was {MaxFileBytes}).");
        }

        if (QueueCapacity < 1)
        {
            errors.Add($"QueueCapacity must be at least 1 (was {QueueCapacity}).");
        }

        if (MaxBatch < 1)
        {
            errors.Add($"MaxBatch must be at least 1 (was {MaxBatch}).");
        }

        if (Checkpoints is { } checkpoints)
        {
            errors.AddRange(checkpoints.Validate(MaxFileBytes));
        }

        return errors;
    }
}
