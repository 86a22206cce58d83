namespace Pdp.Server.Policies;

/// <summary>
/// Counters and last outcomes of policy loads (the start-up load included), for the admin endpoint and
/// the metrics exporter. Reads are lock-free and consistent: <see cref="Current"/> is an immutable
/// snapshot replaced whole after every attempt.
/// </summary>
public sealed class PolicyReloadStatus
{
    private readonly Lock _gate = new();
    private volatile PolicyReloadSnapshot _current = PolicyReloadSnapshot.Empty;

    /// <summary>Everything at once, as of the last attempt.</summary>
    public PolicyReloadSnapshot Current => _current;

    /// <summary>Attempts that found a valid set (a new revision activated, or the serving one confirmed).</summary>
    public long Successes => _current.Successes;

    /// <summary>Attempts that refused the set and left the previous revision serving.</summary>
    public long Failures => _current.Failures;

    /// <summary>Attempts that switched to a new revision.</summary>
    public long Activations => _current.Activations;

    /// <summary>The problems of the latest refused attempt, one per line; null if none was ever refused.</summary>
    public string? LastError => _current.LastError;

    public DateTimeOffset? LastAttemptAt => _current.LastAttemptAt;

    /// <summary>Watch and poll checks that found the source exactly as the previous attempt read it (not attempts: nothing was loaded).</summary>
    public long Skips => _current.Skips;

    /// <summary>The revision serving now; null before the first successful load.</summary>
    public string? CurrentRevision => _current.CurrentRevision;

    internal void RecordSkip()
    {
        lock (_gate)
        {
            _current = _current with { Skips = _current.Skips + 1 };
        }
    }

    internal void Record(ReloadTrigger trigger, PolicyReloadResult result, DateTimeOffset at, TimeSpan duration, DateTimeOffset? loadedAt)
    {
        lock (_gate)
        {
            var before = _current;
            var refused = result.Outcome == ReloadOutcome.Refused;
            _current = before with
            {
                Successes = before.Successes + (refused ? 0 : 1),
                Failures = before.Failures + (refused ? 1 : 0),
                Activations = before.Activations + (result.Outcome == ReloadOutcome.Activated ? 1 : 0),
                LastOutcome = result.Outcome,
                LastTrigger = trigger,
                LastAttemptAt = at,
                LastDuration = duration,
                LastSuccessAt = refused ? before.LastSuccessAt : at,
                LastFailureAt = refused ? at : before.LastFailureAt,
                LastError = refused ? string.Join(Environment.NewLine, result.Problems) : before.LastError,
                CurrentRevision = result.Revision,
                CurrentLoadedAt = loadedAt,
            };
        }
    }
}

/// <summary>One consistent view of <see cref="PolicyReloadStatus"/>.</summary>
/// <param name="LastDuration">How long the last attempt took: read, load, tests and warm-up.</param>
public sealed record PolicyReloadSnapshot(
    long Successes,
    long Failures,
    long Activations,
    ReloadOutcome? LastOutcome,
    ReloadTrigger? LastTrigger,
    DateTimeOffset? LastAttemptAt,
    TimeSpan? LastDuration,
    DateTimeOffset? LastSuccessAt,
    DateTimeOffset? LastFailureAt,
    string? LastError,
    string? CurrentRevision,
    DateTimeOffset? CurrentLoadedAt,
    long Skips)
{
    public static readonly PolicyReloadSnapshot Empty = new(0, 0, 0, null, null, null, null, null, null, null, null, null, 0);
}
