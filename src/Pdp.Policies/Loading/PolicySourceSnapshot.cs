namespace Pdp.Policies.Loading;

/// <summary>A file of a policy set as read from its source: a path relative to the set's root, and its text.</summary>
public sealed record SourceFile(string Path, string Content);

/// <summary>
/// Everything a policy source holds at one moment: policy modules, data documents, policy tests and the
/// shared helper modules (<c>lib/*.js</c>) that policies import.
/// The loader never reads files itself, so a bundle fetched over HTTP can later feed it the same way.
/// </summary>
/// <param name="Origin">Where the set came from, for messages (a directory path, a bundle URL).</param>
/// <param name="Problems">What the source itself could not read (unreadable or oversized files).</param>
public sealed record PolicySourceSnapshot(
    string Origin,
    IReadOnlyList<SourceFile> Policies,
    IReadOnlyList<SourceFile> DataFiles,
    IReadOnlyList<SourceFile> TestFiles,
    IReadOnlyList<PolicyProblem> Problems)
{
    /// <summary>
    /// Helper modules under <c>lib/</c> (paths such as <c>lib/util.js</c>): importable by relative path, never policies
    /// themselves. Not positional, so a source without helpers reads as before.
    /// </summary>
    public IReadOnlyList<SourceFile> Libraries { get; init; } = [];
}
