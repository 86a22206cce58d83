namespace Pdp.Policies.Sandbox;

/// <summary>
/// Limits every policy evaluation runs under (configuration section <c>Pdp:Sandbox</c>). Jint treats a
/// zero or negative limit as "unlimited", so <see cref="Validate"/> refuses those: a sidecar that
/// silently ran policies without limits would be a denial-of-service waiting to happen.
/// </summary>
public sealed class SandboxOptions
{
    /// <summary>
    /// CPU-time budget of one policy call, measured on the evaluating thread. Default 100 ms. CPU time
    /// rather than wall-clock time, so a policy that was merely descheduled on a busy node is not
    /// turned into a false deny; the statement limit usually stops runaway loops first.
    /// </summary>
    public int TimeoutMilliseconds { get; set; } = 100;

    /// <summary>Statements one policy call may execute. Default 50,000.</summary>
    public int MaxStatements { get; set; } = 50_000;

    /// <summary>Bytes one policy call may allocate. Default 8 MiB.</summary>
    public long MemoryLimitBytes { get; set; } = 8L * 1024 * 1024;

    /// <summary>Deepest JavaScript call stack. Default 64.</summary>
    public int MaxRecursionDepth { get; set; } = 64;

    /// <summary>Longest array a policy may build. Default 100,000.</summary>
    public uint MaxArraySize { get; set; } = 100_000;

    /// <summary>Budget of one regular-expression match, against catastrophic backtracking. Default 20 ms.</summary>
    public int RegexTimeoutMilliseconds { get; set; } = 20;

    public IEnumerable<string> Validate()
    {
        if (TimeoutMilliseconds is < 1 or > 10_000)
        {
            yield return $"Sandbox:TimeoutMilliseconds must be between 1 and 10000 (was {TimeoutMilliseconds}); 0 would mean unlimited.";
        }

        if (MaxStatements is < 1 or > 100_000_000)
        {
            yield return $"Sandbox:MaxStatements must be between 1 and 100000000 (was {MaxStatements}); 0 would mean unlimited.";
        }

        if (MemoryLimitBytes is < 64 * 1024 or > 1024L * 1024 * 1024)
        {
            yield return $"Sandbox:MemoryLimitBytes must be between 65536 and 1073741824 (was {MemoryLimitBytes}); 0 would mean unlimited.";
        }

        if (MaxRecursionDepth is < 1 or > 10_000)
        {
            yield return $"Sandbox:MaxRecursionDepth must be between 1 and 10000 (was {MaxRecursionDepth}); 0 would mean unlimited.";
        }

        if (MaxArraySize is < 1 or > 100_000_000)
        {
            yield return $"Sandbox:MaxArraySize must be between 1 and 100000000 (was {MaxArraySize}).";
        }

        if (RegexTimeoutMilliseconds is < 1 or > 10_000)
        {
            yield return $"Sandbox:RegexTimeoutMilliseconds must be between 1 and 10000 (was {RegexTimeoutMilliseconds}).";
        }
    }
}
