using Pdp.Policies.Loading;

namespace Pdp.Server.Policies;

/// <summary>What asked for a policy load.</summary>
public enum ReloadTrigger
{
    /// <summary>The first load, before the listeners open.</summary>
    Startup,

    /// <summary>A file event in the policy directory (after the debounce).</summary>
    FileChange,

    /// <summary>The periodic poll that catches lost file events.</summary>
    Poll,

    /// <summary>SIGHUP.</summary>
    Signal,

    /// <summary><c>POST /admin/reload</c>.</summary>
    Admin,
}

/// <summary>How a load attempt ended.</summary>
public enum ReloadOutcome
{
    /// <summary>A new revision is serving.</summary>
    Activated,

    /// <summary>The set is valid and is the revision already serving.</summary>
    Unchanged,

    /// <summary>The set is invalid (or failed its tests); the previous revision keeps serving.</summary>
    Refused,

    /// <summary>The source's content is exactly what the previous attempt saw, so nothing was loaded or counted.</summary>
    Skipped,
}

/// <summary>The outcome of one load attempt.</summary>
/// <param name="Revision">The revision serving after the attempt (null only if none ever loaded).</param>
/// <param name="Problems">Why the set was refused, each with file, line and column where known; empty otherwise.</param>
public sealed record PolicyReloadResult(ReloadOutcome Outcome, string? Revision, IReadOnlyList<PolicyProblem> Problems);
